"""The production shape on loopback: a Temporal server run on its own, PostgreSQL, Redis for
shared rate limits, two `concordat web` and two `concordat worker` processes, a real SMTP
server. The database is made by `concordat db upgrade` alone; incidents are opened through both
web processes; a worker and a web process are killed with SIGKILL mid-escalation. Nothing is
lost or sent twice in effect (a repeat carries the same Message-ID), and the rate limit holds
across both web processes. The README's "Running in production" is this recipe."""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections import Counter
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import select

from domain.vocabulary import EventKind
from models import Authority, EscalationTimings
from runtime.database import Database
from runtime.settings import Settings
from services.timeline import timeline_of
from services.tokens import issue_token
from tests.processes import CONCORDAT, DevServerProcess, WebProcess, WorkerProcess
from tests.support import CouncilUnderTest, MailServer, eventually, make_authority
from tests.test_api import report

pytestmark = pytest.mark.backend(
    "postgresql", reason="production runs on PostgreSQL; SQLite is one process's database"
)

#: Every step a few seconds apart, as in the fault tests.
POLICY = EscalationTimings(ack_timeout_category_4_seconds=4, reminders_before_escalation=1)
#: Two requests, two reminders, three escalations and the final alert to seven people and the
#: reporter per chain (reporting off).
EMAILS_PER_INCIDENT = 2 + 2 + 3 + 2 * 7
#: Incidents an authority may open in a minute, counted across both web processes.
LIMIT = 4


@pytest.fixture
def fresh_database(settings: Settings) -> Iterator[str]:
    """An empty PostgreSQL database of its own: nothing but `concordat db upgrade` makes it."""
    url = make_url(settings.database_url)
    name = f"concordat_topology_{uuid.uuid4().hex[:8]}"
    admin_url = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _tables(url: str) -> list[str]:
    engine = create_async_engine(make_url(url).set(drivername="postgresql+psycopg"))
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    finally:
        await engine.dispose()


async def _council(database: Database) -> CouncilUnderTest:
    """A council with fast escalation and a code of its own, so the shared rate-limit store
    never counts an earlier run's incidents against it."""
    council = await make_authority(database, policy=POLICY, reporting=False)
    async with database.session() as session:
        row = (await session.exec(select(Authority).where(Authority.id == council.id))).one()
        row.code = f"P{uuid.uuid4().hex[:5].upper()}"
        session.add(row)
        await session.commit()
        await session.refresh(row)
        council.authority = row
    return council


async def test_two_web_and_two_worker_processes_lose_nothing_when_one_of_each_is_killed(
    settings: Settings, mail_server: MailServer, fresh_database: str, tmp_path: Path
) -> None:
    # Migrations run once, as their own step: an empty database until `concordat db upgrade`.
    assert await _tables(fresh_database) == []
    environment = os.environ | {"CONCORDAT_DATABASE_URL": fresh_database}
    upgraded = await asyncio.to_thread(
        subprocess.run,
        [CONCORDAT, "db", "upgrade"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert upgraded.returncode == 0, upgraded.stderr
    assert "incident" in await _tables(fresh_database)

    database = Database(fresh_database)
    council = await _council(database)
    async with database.session() as session:
        _, token = await issue_token("topology", authority_id=council.id, session=session)
    production = settings.model_copy(update={"database_url": fresh_database})
    queue = f"topology-{uuid.uuid4()}"
    temporal = DevServerProcess(tmp_path / "temporal.db").start()
    shared_limits = {
        "CONCORDAT_RATE_LIMIT_STORAGE": "async+redis://127.0.0.1:6379",
        "CONCORDAT_RATE_LIMIT_INCIDENTS": f"{LIMIT}/minute",
    }
    workers = [
        WorkerProcess(production, temporal=temporal.address, queue=queue, log=tmp_path / name)
        for name in ("worker-a", "worker-b")
    ]
    webs = [
        WebProcess(production, temporal=temporal.address, queue=queue, log=tmp_path / name)
        for name in ("web-a", "web-b")
    ]
    for web in webs:
        web.env |= shared_limits
    headers = {"Authorization": f"Bearer {token}"}
    try:
        for worker in workers:
            worker.start()
        for web in webs:
            web.start()
        async with (
            httpx.AsyncClient(base_url=webs[0].url, timeout=30, headers=headers) as web_a,
            httpx.AsyncClient(base_url=webs[1].url, timeout=30, headers=headers) as web_b,
        ):
            opened = []
            for number in range(LIMIT):
                client = (web_a, web_b)[number % 2]
                answer = await client.post(
                    "/api/incidents",
                    json=report(council.code, reporter_email=f"reporter@{council.domain}"),
                )
                assert answer.status_code == 201, answer.text
                opened.append(answer.json())

            # Mid-escalation: the first requests are out, the reminders still to come.
            await mail_server.inbox.wait_for(
                lambda m: m.to.endswith(council.domain), count=2 * LIMIT, timeout=60
            )
            workers[0].kill()
            webs[0].kill()

            # The authority's limit was reached through both processes together: the one left
            # refuses the next, though it opened only half of them itself.
            refused = await web_b.post(
                "/api/incidents",
                json=report(council.code, reporter_email=f"reporter@{council.domain}"),
            )
            assert refused.status_code == 429, refused.text
            assert "Retry-After" in refused.headers

            async def escalated(incident: dict[str, str]) -> bool:
                async with database.session() as session:
                    events = await timeline_of(incident["id"], session=session)
                return [e.kind for e in events].count(EventKind.UNACKNOWLEDGED) == 2

            for incident in opened:
                await eventually(partial(escalated, incident), timeout=180)
            # A send the killed worker had in hand is retried once its heartbeat is missed.
            await mail_server.inbox.wait_for(
                lambda m: m.to.endswith(council.domain),
                count=EMAILS_PER_INCIDENT * LIMIT,
                timeout=150,
            )
            await asyncio.sleep(2)  # anything sent twice would arrive now
    finally:
        for process in (*webs, *workers):
            process.stop()
        temporal.stop()
        await database.dispose()

    received = mail_server.inbox.to_domain(council.domain)
    # Once in effect: a message the killed worker had handed to the relay but not yet recorded
    # is sent again by the survivor under the same Message-ID, which the receiving system keeps
    # once (SMTP cannot say what it took from a sender that vanished). A step sent twice under
    # two Message-IDs, or never, fails here.
    messages = {m.message["Message-ID"]: m for m in received}
    assert len(messages) == EMAILS_PER_INCIDENT * LIMIT
    each_step = Counter((m.to, m.subject) for m in messages.values())
    assert {
        step: count
        for step, count in each_step.items()
        if count != (2 if "NOT ACKNOWLEDGED" in step[1] else 1)
    } == {}
    # The surviving worker took over: it sent what the killed one had left.
    assert workers[1].logged("notification_sent") > 0
