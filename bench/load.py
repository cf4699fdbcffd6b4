"""A burst of incidents across the 22 councils, with escalations firing during the run.

    .venv/bin/python -m bench.load                      # 1,000 incidents
    .venv/bin/python -m bench.load --incidents 30 --cache-size 5   # the CI-sized run
    .venv/bin/python -m bench.load --database-url postgresql+psycopg://postgres@127.0.0.1/test

Starts everything on loopback in a scratch directory (`bench/stack.py`): a Temporal dev server,
SQLite (or a scratch database on the PostgreSQL server `--database-url` names), an SMTP sink,
`concordat worker` and `concordat web`, each in its own process.
Every council's policy is shortened (each level gets a few seconds) so that every incident goes
through its whole chain: the named members, the deputies, the chief executive, then the alert to
everyone. Opens the incidents through the API as fast as it accepts them, waits for every email,
then checks:

- every incident exists once (each create carried its own Idempotency-Key);
- every expected email arrived, and no Message-ID arrived twice;
- every escalation happened once (from the timelines);

and prints how long it took and the worker's peak memory. Exits 1 if any check fails. A
worker cache smaller than the number of incidents (`--cache-size`) makes the worker evict and
replay workflows during the run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
from sqlmodel import col, func, select

from bench.stack import Stack, peak_memory_mib
from domain.vocabulary import EventKind
from models import Incident, TimelineEvent
from runtime.database import Database
from runtime.settings import Settings

#: With no acknowledgement and no reminder: both named members, both deputies, the chief
#: executive (once for both chains), then everyone in the directory and the reporter, per chain.
EMAILS_PER_INCIDENT = 2 + 2 + 1 + 2 * 7
ESCALATIONS_PER_INCIDENT = 4  # two deputies, and the chief executive in each chain


async def _open_all(
    base_url: str, token: str, codes: list[str], count: int, concurrency: int
) -> list[float]:
    """Open `count` incidents, `concurrency` at a time; returns each call's latency."""
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(count):
        queue.put_nowait(number)

    async def opener(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            number = queue.get_nowait()
            body = {
                "authority": codes[number % len(codes)],
                "title": f"Load test incident {number}",
                "description": "Opened by the load script.",
                "incident_type": "malware",
                "category": 4,
                "detected_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
                "reporter_name": "Load Script",
                "reporter_email": "load@loadtest.example",
            }
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"load-{number}"}
            started = time.perf_counter()
            for _ in range(20):  # retry a refused or dropped create with the same key
                try:
                    response = await client.post("/api/incidents", json=body, headers=headers)
                    if response.status_code in (200, 201):
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.5)
            else:
                raise SystemExit(f"incident {number} could not be opened")
            latencies.append(time.perf_counter() - started)

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        await asyncio.gather(*(opener(client) for _ in range(concurrency)))
    return latencies


async def _check_database(database: Database, count: int) -> dict[str, bool]:
    async with database.session() as session:
        incidents = (await session.exec(select(func.count()).select_from(Incident))).one()
        escalations = (
            await session.exec(
                select(TimelineEvent.incident_id, func.count())
                .where(TimelineEvent.kind == EventKind.ESCALATED)
                .group_by(col(TimelineEvent.incident_id))
            )
        ).all()
        unacknowledged = (
            await session.exec(
                select(func.count())
                .select_from(TimelineEvent)
                .where(TimelineEvent.kind == EventKind.UNACKNOWLEDGED)
            )
        ).one()
    return {
        "every incident exists once": incidents == count,
        "every escalation happened once": len(escalations) == count
        and all(n == ESCALATIONS_PER_INCIDENT for _, n in escalations),
        "every chain reached its end once": unacknowledged == 2 * count,
    }


async def run(args: argparse.Namespace) -> int:
    # Waiting: nobody's timer falls due during the run, so every incident stays open on its
    # first level's timer, and only the first two emails of each are expected.
    ack_seconds = 86_400 if args.waiting else args.ack_seconds
    async with Stack(
        ack_seconds=ack_seconds, cache_size=args.cache_size, database_url=args.database_url
    ) as stack:
        expected = args.incidents * (2 if args.waiting else EMAILS_PER_INCIDENT)
        started = time.perf_counter()
        latencies = await _open_all(
            stack.base_url, stack.token, stack.codes, args.incidents, args.concurrency
        )
        opened = time.perf_counter() - started
        await stack.mail.wait_for(expected, within=args.timeout)
        await asyncio.sleep(5 if args.waiting else args.ack_seconds)  # for any duplicate
        finished = time.perf_counter() - started
        # The timelines are written just after the last emails; give them a moment.
        for _ in range(60):
            checks = await _check_database(stack.database, args.incidents)
            if args.waiting:  # no escalation is due: only the incidents themselves count
                checks = {"every incident exists once": checks["every incident exists once"]}
            if all(checks.values()):
                break
            await asyncio.sleep(1)
        arrivals = stack.mail.arrivals()
        ids = Counter(arrival.message_id for arrival in arrivals)
        checks |= {
            "every expected email arrived": len(arrivals) >= expected,
            "no email arrived twice": all(n == 1 for n in ids.values())
            and len(arrivals) == expected,
        }
        assert stack.worker is not None
        peak = peak_memory_mib(stack.worker.pid)
        if not all(checks.values()):
            kept = stack.keep()

    latencies.sort()
    print(f"database:             {stack.backend}")
    print(f"incidents:            {args.incidents} across {len(stack.codes)} councils")
    print(f"opened in:            {opened:.1f} s ({args.incidents / opened:.1f} a second)")
    print(
        f"create latency:       median {latencies[len(latencies) // 2] * 1000:.0f} ms, "
        f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.0f} ms"
    )
    print(f"emails:               {len(arrivals)} of {expected} expected")
    shape = (
        "every incident waiting" if args.waiting else f"each chain takes {3 * args.ack_seconds} s"
    )
    print(f"all done in:          {finished:.1f} s ({shape})")
    print(f"worker peak memory:   {peak:.0f} MiB (cache {args.cache_size} workflows)")
    for check, passed in checks.items():
        print(f"{'yes' if passed else 'NO '}  {check}")
    if all(checks.values()):
        return 0
    print(f"kept for a look: {kept}")
    return 1


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--ack-seconds", type=int, default=20, help="Each level's timeout.")
    parser.add_argument(
        "--cache-size",
        type=int,
        default=Settings.model_fields["max_cached_workflows"].default,
        help="Worker workflow cache.",
    )
    parser.add_argument(
        "--database-url",
        help="A PostgreSQL server to run on (a scratch database is made there); SQLite if absent.",
    )
    parser.add_argument("--timeout", type=float, default=900, help="Seconds to wait for mail.")
    parser.add_argument(
        "--waiting",
        action="store_true",
        help="Leave every incident waiting on its first timer: measures the worker's memory "
        "with many open incidents (compare --cache-size values).",
    )
    code = asyncio.run(run(parser.parse_args()))
    sys.stdout.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
