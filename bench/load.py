"""A burst of incidents across the 22 councils, with escalations firing during the run.

    .venv/bin/python -m bench.load                      # 1,000 incidents
    .venv/bin/python -m bench.load --incidents 30 --cache-size 5   # the CI-sized run

Starts everything on loopback in a scratch directory: a Temporal dev server, SQLite, an SMTP
server that keeps every message, `concordat worker` and `concordat web` in their own processes.
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
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import IO

import httpx
from aiosmtpd.controller import Controller
from sqlmodel import col, func, select

from domain.obligations import Body
from domain.vocabulary import EventKind
from embedded.demo import name_demo_members
from models import (
    Authority,
    EscalationPolicyOverride,
    Incident,
    ReportingRuleOverride,
    TimelineEvent,
)
from runtime.database import Database
from runtime.migrate import upgrade_database
from runtime.payloads import PayloadKeys
from runtime.ports import free_port, wait_for_port
from runtime.temporal import bundled_binary
from security.tokens import issue_token
from services.councils import seed_councils
from services.directory import set_policy, set_reporting_rule

CONCORDAT = str(Path(sys.executable).parent / "concordat")

#: With no acknowledgement and no reminder: both named members, both deputies, the chief
#: executive (once for both chains), then everyone in the directory and the reporter, per chain.
EMAILS_PER_INCIDENT = 2 + 2 + 1 + 2 * 7
ESCALATIONS_PER_INCIDENT = 4  # two deputies, and the chief executive in each chain


@dataclass
class Catcher:
    """An SMTP server that keeps what matters about each message."""

    received: list[tuple[str, str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.received.append(
                (envelope.rcpt_tos[0], str(message["Message-ID"]), str(message["Subject"]))
            )
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return len(self.received)


def _spawn(command: list[str], env: dict[str, str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, env=env, stdout=log, stderr=log)  # noqa: S603 (ours)


def _peak_memory_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _prepare(database: Database, ack_seconds: int) -> tuple[list[str], str]:
    async with database.session() as session:
        await seed_councils(session=session)
        await name_demo_members(session=session)
        authorities = (await session.exec(select(Authority))).all()
        for authority in authorities:
            assert authority.id is not None
            await set_policy(
                authority.id,
                EscalationPolicyOverride(
                    authority_id=authority.id,
                    ack_timeout_category_4_seconds=ack_seconds,
                    reminders_before_escalation=0,
                ),
                session=session,
            )
            for body in Body:  # escalation only: every email can be counted exactly
                await set_reporting_rule(
                    authority.id,
                    ReportingRuleOverride(authority_id=authority.id, body=body, enabled=False),
                    session=session,
                )
        _, token = await issue_token("load", authority_id=None, session=session)
    return [a.code for a in authorities], token


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
    scratch = Path(tempfile.mkdtemp(prefix="concordat-load-"))
    url = f"sqlite:///{scratch / 'load.db'}"
    upgrade_database(url)
    database = Database(url)
    # Waiting: nobody's timer falls due during the run, so every incident stays open on its
    # first level's timer, and only the first two emails of each are expected.
    ack_seconds = 86_400 if args.waiting else args.ack_seconds
    codes, token = await _prepare(database, ack_seconds)

    catcher = Catcher()
    smtp_port = free_port()
    controller = Controller(catcher, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    temporal_port, web_port = free_port(), free_port()
    processes: list[subprocess.Popen[bytes]] = []
    env = os.environ | {
        "CONCORDAT_DATABASE_URL": url,
        "CONCORDAT_TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
        "CONCORDAT_TASK_QUEUE": f"load-{uuid.uuid4()}",
        "CONCORDAT_SMTP_HOST": "127.0.0.1",
        "CONCORDAT_SMTP_PORT": str(smtp_port),
        "CONCORDAT_SECRET_KEY": uuid.uuid4().hex,
        "CONCORDAT_PAYLOAD_KEYS": PayloadKeys.generate("load"),
        "CONCORDAT_WEB_PORT": str(web_port),
        "CONCORDAT_MAX_CACHED_WORKFLOWS": str(args.cache_size),
        "CONCORDAT_RATE_LIMIT_INCIDENTS": "100000/minute",
        "CONCORDAT_RATE_LIMIT_API": "100000/minute",
        "CONCORDAT_LOG_LEVEL": "WARNING",
    }
    log = (scratch / "processes.log").open("ab")
    try:
        processes.append(
            _spawn(
                [
                    bundled_binary("temporal"),
                    "server",
                    "start-dev",
                    "--headless",
                    "--ip",
                    "127.0.0.1",
                    "--port",
                    str(temporal_port),
                    "--db-filename",
                    str(scratch / "temporal.db"),
                    "--log-level",
                    "error",
                ],
                env,
                log,
            )
        )
        wait_for_port(temporal_port)
        worker = _spawn([CONCORDAT, "worker"], env, log)
        processes += [worker, _spawn([CONCORDAT, "web"], env, log)]
        wait_for_port(web_port)

        expected = args.incidents * (2 if args.waiting else EMAILS_PER_INCIDENT)
        started = time.perf_counter()
        latencies = await _open_all(
            f"http://127.0.0.1:{web_port}", token, codes, args.incidents, args.concurrency
        )
        opened = time.perf_counter() - started
        deadline = time.monotonic() + args.timeout
        while catcher.count() < expected and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.5)  # the SMTP server runs in its own thread
        await asyncio.sleep(5 if args.waiting else args.ack_seconds)  # for any duplicate
        finished = time.perf_counter() - started
        # The timelines are written just after the last emails; give them a moment.
        for _ in range(60):
            checks = await _check_database(database, args.incidents)
            if args.waiting:  # no escalation is due: only the incidents themselves count
                checks = {"every incident exists once": checks["every incident exists once"]}
            if all(checks.values()):
                break
            await asyncio.sleep(1)
        ids = Counter(message_id for _, message_id, _ in catcher.received)
        checks |= {
            "every expected email arrived": catcher.count() >= expected,
            "no email arrived twice": all(n == 1 for n in ids.values())
            and catcher.count() == expected,
        }
        peak = _peak_memory_mib(worker.pid)
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
        controller.stop()
        await database.dispose()
        log.close()

    latencies.sort()
    print(f"incidents:            {args.incidents} across {len(codes)} councils")
    print(f"opened in:            {opened:.1f} s ({args.incidents / opened:.1f} a second)")
    print(
        f"create latency:       median {latencies[len(latencies) // 2] * 1000:.0f} ms, "
        f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.0f} ms"
    )
    print(f"emails:               {catcher.count()} of {expected} expected")
    shape = (
        "every incident waiting" if args.waiting else f"each chain takes {3 * args.ack_seconds} s"
    )
    print(f"all done in:          {finished:.1f} s ({shape})")
    print(f"worker peak memory:   {peak:.0f} MiB (cache {args.cache_size} workflows)")
    for check, passed in checks.items():
        print(f"{'yes' if passed else 'NO '}  {check}")
    if all(checks.values()):
        shutil.rmtree(scratch, ignore_errors=True)
        return 0
    print(f"kept for a look: {scratch} (database, Temporal state, processes.log)")
    return 1


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--ack-seconds", type=int, default=20, help="Each level's timeout.")
    parser.add_argument("--cache-size", type=int, default=1000, help="Worker workflow cache.")
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
