"""How fast the national picture answers with years of history behind it.

    .venv/bin/python -m bench.national                 # 20,000 incidents, 200 requests each
    .venv/bin/python -m bench.national --smoke         # 2,000 incidents, 20 requests each
    .venv/bin/python -m bench.national --database-url postgresql+psycopg://postgres@127.0.0.1/test

Seeds a fresh database (SQLite in a scratch directory, or a scratch database on the PostgreSQL
server `--database-url` names, dropped afterwards) with incidents across the 22 councils over
several years, written straight into the tables as the workflows' read side holds them: a mix of
categories, types and stages (most long closed, a few hundred open), exercises, acknowledgement
times, and reporting obligations to the NCSC, the ICO and Report Fraud, met, late, running and
overdue. Then asks the app itself (through httpx's ASGI transport, so no server or network is
timed) for the national picture page (/wales), its API (/api/national/picture) and the
performance figures (/wales/performance), in turn with a baseline measured in the same run: the
incident list page (/incidents) as the central team sees it, every council's incidents a page
at a time. Prints each one's median and 95th percentile against the 300 ms target, and as a ratio
to the baseline.

Exits 1 if any answer was not a 200, or the picture's counts are not those seeded; it asserts no
timings.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import insert
from sqlmodel import select
from temporalio.client import Client

from bench.stack import ScratchPostgres
from domain.access import AccessRole
from domain.clock import UK_TIME
from domain.obligations import Body, ObligationState
from domain.vocabulary import IncidentType, NcscCategory, Stage, Tlp
from models import Authority, Incident, ObligationRecord
from runtime.database import Database
from runtime.migrate import upgrade_database
from runtime.settings import Settings
from services.councils import seed_councils
from services.tokens import issue_token
from services.users import create_user

#: The answer a person waits for without noticing.
TARGET_MS = 300.0

#: How often each NCSC category occurs: mostly localised and moderate, rarely national.
CATEGORY_WEIGHTS: dict[int, float] = {1: 0.002, 2: 0.01, 3: 0.06, 4: 0.25, 5: 0.40, 6: 0.278}
TYPE_WEIGHTS: dict[IncidentType, float] = {
    IncidentType.PHISHING: 30,
    IncidentType.MALWARE: 12,
    IncidentType.ACCOUNT_COMPROMISE: 12,
    IncidentType.BUSINESS_EMAIL_COMPROMISE: 8,
    IncidentType.DENIAL_OF_SERVICE: 6,
    IncidentType.DATA_LOSS: 10,
    IncidentType.RANSOMWARE: 4,
    IncidentType.SUPPLY_CHAIN: 3,
    IncidentType.INSIDER: 3,
    IncidentType.VULNERABILITY: 8,
    IncidentType.OTHER: 4,
}
OPEN_STAGES = [s for s in Stage if s is not Stage.CLOSED]
#: The national defaults' windows (`regimes/national.toml`).
WINDOWS = {
    Body.NCSC: timedelta(hours=24),
    Body.ICO: timedelta(hours=72),
    Body.REPORT_FRAUD: timedelta(hours=72),
}


@dataclass
class Seeded:
    """What was written, to check the picture against."""

    incidents: int = 0
    obligations: int = 0
    open_real: Counter[str] = field(default_factory=Counter)
    """Open real incidents by council code."""
    open_exercises: int = 0


def _choose(rng: random.Random, weights: dict[Any, float]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _incidents(
    rng: random.Random, councils: list[Authority], count: int, years: int, now: datetime
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each incident's row and its obligations' rows, oldest first."""
    numbers: Counter[tuple[int, int]] = Counter()
    span = timedelta(days=365 * years)
    for position in range(count):
        council = councils[position % len(councils)]
        assert council.id is not None
        aware = now - span + span * (position + rng.random()) / count
        recent = now - aware < timedelta(days=30)
        exercise = rng.random() < 0.05
        category = NcscCategory(_choose(rng, CATEGORY_WEIGHTS))
        kind = _choose(rng, TYPE_WEIGHTS)
        # Recent incidents are mostly still open; a few older ones were never closed.
        still_open = rng.random() < (0.6 if recent else 0.002)
        stage = rng.choice(OPEN_STAGES) if still_open else Stage.CLOSED
        asked = aware + timedelta(minutes=rng.uniform(1, 10))
        acknowledged = (
            asked + timedelta(minutes=rng.lognormvariate(2.5, 0.8))
            if rng.random() > (0.3 if still_open else 0.03)
            else None
        )
        year = aware.astimezone(UK_TIME).year
        numbers[(council.id, year)] += 1
        incident_id = str(uuid.uuid4())
        significant = rng.random() < 0.05
        personal = kind in (IncidentType.DATA_LOSS, IncidentType.INSIDER) or rng.random() < 0.15
        row = {
            "id": incident_id,
            "authority_id": council.id,
            "reference": f"{council.code}-{year}-{numbers[(council.id, year)]:04d}",
            "year": year,
            "number": numbers[(council.id, year)],
            "workflow_id": f"incident-{incident_id}",
            "title": f"{kind.value.replace('_', ' ').capitalize()} at {council.code}",
            "description": "Seeded for the national picture benchmark. " * 8,
            "incident_type": kind,
            "category": category,
            "significant": significant,
            "personal_data": personal,
            "email_compromised": False,
            "exercise": exercise,
            "tlp": Tlp.AMBER,
            "detected_at": aware - timedelta(minutes=rng.uniform(0, 30)),
            "aware_at": aware,
            "reporter_name": "Benchmark",
            "reporter_email": "bench@national.example",
            "opened_by": "bench",
            "stage": stage,
            "closed_at": None if still_open else aware + timedelta(days=rng.uniform(1, 30)),
            "awaiting_acknowledgement": (0 if acknowledged else 2) if still_open else 0,
            "acknowledgement_requested_at": asked,
            "first_acknowledged_at": acknowledged,
            "last_event_sequence": 12,
            "created_at": aware,
        }
        bodies = (
            [Body.NCSC] * (category.nationally_significant or significant)
            + [Body.ICO] * personal
            + [Body.REPORT_FRAUD] * (not category.nationally_significant and kind.cybercrime)
        )
        clocks = []
        for body in bodies:
            started = aware if body == Body.ICO else asked
            deadline = started + WINDOWS[body]
            taken = WINDOWS[body] * rng.uniform(0.05, 1.3)
            submitted = started + taken if (not still_open or rng.random() < 0.5) else None
            if submitted is not None and submitted > now:
                submitted = None
            state = (
                ObligationState.SUBMITTED
                if submitted is not None
                else ObligationState.OVERDUE
                if deadline <= now
                else ObligationState.DUE
            )
            clocks.append(
                {
                    "incident_id": incident_id,
                    "body": body,
                    "state": state,
                    "clock_started_at": started,
                    "deadline": deadline,
                    "submitted_at": submitted,
                    "late": submitted is not None and submitted > deadline,
                    "updated_at": submitted or started,
                }
            )
        yield row, clocks


async def seed(database: Database, *, count: int, years: int, now: datetime) -> Seeded:
    """The incidents and their obligations, a thousand to a statement."""
    rng = random.Random(20_261_130)  # noqa: S311 (the same made-up history every run)
    async with database.session() as session:
        await seed_councils(session=session)
    async with database.session() as session:
        councils = list((await session.exec(select(Authority))).all())
    seeded = Seeded()
    incidents: list[dict[str, Any]] = []
    obligations: list[dict[str, Any]] = []

    async def flush() -> None:
        async with database.session() as session:
            if incidents:
                await session.exec(insert(Incident.__table__), params=incidents)  # type: ignore[attr-defined]
            if obligations:
                await session.exec(insert(ObligationRecord.__table__), params=obligations)  # type: ignore[attr-defined]
            await session.commit()
        seeded.incidents += len(incidents)
        seeded.obligations += len(obligations)
        incidents.clear()
        obligations.clear()

    codes = {council.id: council.code for council in councils}
    for row, clocks in _incidents(rng, councils, count, years, now):
        incidents.append(row)
        obligations.extend(clocks)
        if row["stage"] is not Stage.CLOSED:
            if row["exercise"]:
                seeded.open_exercises += 1
            else:
                seeded.open_real[codes[row["authority_id"]]] += 1
        if len(incidents) >= 1000:
            await flush()
    await flush()
    return seeded


@dataclass
class Timings:
    path: str
    milliseconds: list[float] = field(default_factory=list)
    failures: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.milliseconds)

    @property
    def p95(self) -> float:
        ordered = sorted(self.milliseconds)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


async def _signed_in(client: httpx.AsyncClient, email: str, password: str) -> None:
    page = await client.get("/signin")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    answer = await client.post(
        "/signin", data={"csrf_token": csrf, "email": email, "password": password, "next": "/"}
    )
    if answer.status_code != 303:
        raise SystemExit(f"could not sign in: {answer.status_code}")


async def measure(database: Database, url: str, repeats: int) -> tuple[list[Timings], Any]:
    """Each path timed `repeats` times in turn, after a warm-up; and the API's picture."""
    from web.app import create_app

    relaxed = {
        name: "1000000/minute"
        for name in Settings.model_fields
        if name.startswith("rate_limit_") and name != "rate_limit_storage"
    }
    settings = Settings(database_url=url, secret_key=secrets.token_urlsafe(32)).model_copy(
        update=relaxed
    )
    # The pages timed never call Temporal: a client that would connect on first use is enough.
    temporal = await Client.connect("127.0.0.1:7233", lazy=True)
    app = create_app(settings=settings, database=database, temporal=temporal)
    password = f"bench password {uuid.uuid4().hex}"
    async with database.session() as session:
        person = await create_user(
            email="centre@bench.example",
            name="Central team",
            password=password,
            role=AccessRole.CENTRAL_TEAM,
            authority_id=None,
            session=session,
        )
        _, token = await issue_token("bench", authority_id=None, user_id=person.id, session=session)
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://bench.test") as pages,
        httpx.AsyncClient(
            transport=transport,
            base_url="http://bench.test",
            headers={"Authorization": f"Bearer {token}"},
        ) as api,
    ):
        await _signed_in(pages, person.email, password)
        targets = [
            (Timings("/incidents"), pages),
            (Timings("/wales"), pages),
            (Timings("/api/national/picture"), api),
            (Timings("/wales/performance"), pages),
        ]
        for _ in range(3):  # imports, template compilation, the first connections
            for timing, client in targets:
                await client.get(timing.path)
        for _ in range(repeats):
            for timing, client in targets:
                started = time.perf_counter()
                answer = await client.get(timing.path)
                timing.milliseconds.append((time.perf_counter() - started) * 1000)
                timing.failures += answer.status_code != 200
        picture = (await api.get("/api/national/picture")).json()
    return [timing for timing, _ in targets], picture


async def run(args: argparse.Namespace) -> int:
    scratch = tempfile.mkdtemp(prefix="concordat-national-")
    postgres = ScratchPostgres(args.database_url) if args.database_url else None
    url = postgres.create() if postgres else f"sqlite:///{scratch}/national.db"
    database: Database | None = None
    try:
        upgrade_database(url)
        database = Database(url)
        now = datetime.now(UTC)
        started = time.perf_counter()
        seeded = await seed(database, count=args.incidents, years=args.years, now=now)
        seeding = time.perf_counter() - started
        timings, picture = await measure(database, url, args.repeats)
    finally:
        if database is not None:
            await database.dispose()
        if postgres is not None:
            postgres.drop()
        shutil.rmtree(scratch, ignore_errors=True)

    backend = "PostgreSQL" if postgres else "SQLite"
    baseline = timings[0]
    print(
        f"National picture, {backend}, {os.cpu_count()} cores, {now:%Y-%m-%d %H:%M} UTC: "
        f"{seeded.incidents:,} incidents ({sum(seeded.open_real.values())} open, "
        f"{seeded.open_exercises} open exercises) and {seeded.obligations:,} obligations over "
        f"{args.years} years, seeded in {seeding:.1f} s; {args.repeats} requests each"
    )
    for timing in timings:
        ratio = timing.median / baseline.median if baseline.median else float("nan")
        verdict = "within" if timing.p95 <= TARGET_MS else "OVER"
        target = "" if timing is baseline else f"   p95 {verdict} the {TARGET_MS:.0f} ms target"
        print(
            f"  {timing.path:<24} median {timing.median:7.1f} ms   p95 {timing.p95:7.1f} ms   "
            f"{ratio:5.2f}x the incident list{target}"
        )
    rows = {row["code"]: row["open"] for row in picture["authorities"]}
    checks = {
        "every answer was a 200": all(timing.failures == 0 for timing in timings),
        "every council has a row": len(rows) == 22,
        "each council's open incidents are those seeded": all(
            rows[code] == seeded.open_real[code] for code in rows
        ),
        "exercises are counted apart": picture["wales"]["exercises_open"] == seeded.open_exercises,
    }
    for check, passed in checks.items():
        print(f"  {'yes' if passed else 'NO '}  {check}")
    return 0 if all(checks.values()) else 1


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--incidents", type=int, default=20_000)
    parser.add_argument("--years", type=int, default=6, help="How far back they go.")
    parser.add_argument("--repeats", type=int, default=200, help="Requests to each page.")
    parser.add_argument(
        "--database-url",
        help="A PostgreSQL server to run on (a scratch database is made there); SQLite if absent.",
    )
    parser.add_argument(
        "--smoke", action="store_true", help="A few seconds of it, to keep it working."
    )
    args = parser.parse_args()
    if args.smoke:
        args.incidents, args.repeats = 2_000, 20
    code = asyncio.run(run(args))
    sys.stdout.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
