"""Faults made for real: workers killed with SIGKILL, the Temporal server killed and restarted,
an SMTP server that drops the connection, a database that goes away. Nothing is lost, and
nothing is sent twice (or, where SMTP makes that impossible to know, sent again with the same
Message-ID so the receiver can drop the copy)."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections import Counter
from datetime import timedelta
from functools import partial
from pathlib import Path

import httpx
import pytest
from sqlmodel import col, select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.vocabulary import EventKind, MemberRole
from models import EscalationTimings, SentNotification
from models.notification import DeliveryStatus
from runtime.database import Database
from runtime.settings import Settings
from runtime.temporal import converter_for
from tests.processes import DevServerProcess, WorkerProcess
from tests.support import (
    CouncilUnderTest,
    MailServer,
    ReceivedMail,
    eventually,
    make_authority,
    start_incident,
    timeline,
    wait_for_events,
)
from worker import build_worker

#: Every step a few seconds apart: reminder, deputy, chief executive, then everyone.
POLICY = dict(ack_timeout_category_4_seconds=4, reminders_before_escalation=1)
#: Two requests, two reminders, three escalations (the chief executive once for both
#: chains), and the final alert to the seven people of the directory and the reporter, per chain.
EMAILS_PER_INCIDENT = 2 + 2 + 3 + 2 * 7


def _target(dev_server: WorkflowEnvironment) -> str:
    return dev_server.client.service_client.config.target_host


async def _sent_in_ledger(database: Database, workflow_id: str, count: int) -> bool:
    async with database.reading() as session:
        sent = (
            await session.exec(
                select(SentNotification).where(
                    col(SentNotification.idempotency_key).startswith(f"{workflow_id}/"),
                    SentNotification.status == DeliveryStatus.SENT,
                )
            )
        ).all()
    return len(sent) >= count


def _each_step_once(mail_server: MailServer, council: CouncilUnderTest) -> dict:
    received = Counter((m.to, m.subject) for m in mail_server.inbox.to_domain(council.domain))
    return {
        key: count
        for key, count in received.items()
        if count != (2 if "NOT ACKNOWLEDGED" in key[1] else 1)
    }


@pytest.mark.backend(
    "postgresql", reason="a worker fault; the mid-send kill and the restart run on SQLite"
)
async def test_a_worker_killed_between_sends_is_replaced_and_nothing_repeats(
    dev_server: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    mail_server: MailServer,
    tmp_path: Path,
) -> None:
    council = await make_authority(database, policy=EscalationTimings(**POLICY), reporting=False)
    queue = f"sigkill-{uuid.uuid4()}"
    first = WorkerProcess(settings, temporal=_target(dev_server), queue=queue, log=tmp_path / "1")
    second = WorkerProcess(settings, temporal=_target(dev_server), queue=queue, log=tmp_path / "2")
    try:
        first.start()
        handle = await start_incident(dev_server.client, database, council, queue)
        await mail_server.inbox.wait_for(lambda m: m.to.endswith(council.domain), count=2)
        # Between sends: both requests are in the ledger as sent (a kill after the server took
        # a message and before the ledger says so is the one window SMTP leaves, covered by
        # the mid-send test below), and the reminders are still to come.
        await eventually(partial(_sent_in_ledger, database, handle.id, 2))
        first.kill()
        second.start()
        await wait_for_events(database, handle, EventKind.UNACKNOWLEDGED, count=2, timeout=120)
        await mail_server.inbox.wait_for(
            lambda m: m.to.endswith(council.domain), count=EMAILS_PER_INCIDENT, timeout=120
        )
    finally:
        first.stop()
        second.stop()
    assert _each_step_once(mail_server, council) == {}
    assert len(mail_server.inbox.to_domain(council.domain)) == EMAILS_PER_INCIDENT
    assert second.logged("notification_sent") > 0


@pytest.mark.backend(
    "sqlite", reason="two processes writing one SQLite file is the harder case of the two"
)
async def test_two_workers_share_the_work_and_run_nothing_twice(
    dev_server: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    mail_server: MailServer,
    tmp_path: Path,
) -> None:
    councils = [
        await make_authority(database, policy=EscalationTimings(**POLICY), reporting=False)
        for _ in range(4)
    ]
    queue = f"pair-{uuid.uuid4()}"
    workers = [
        WorkerProcess(settings, temporal=_target(dev_server), queue=queue, log=tmp_path / name)
        for name in ("a", "b")
    ]
    try:
        for worker in workers:
            worker.start()
        handles = [
            await start_incident(dev_server.client, database, council, queue)
            for council in councils
        ]
        for handle in handles:
            # Every email recorded as sent, so every worker has logged its share.
            await wait_for_events(
                database,
                handle,
                EventKind.NOTIFICATION_SENT,
                count=EMAILS_PER_INCIDENT,
                timeout=120,
            )
        for council in councils:
            await mail_server.inbox.wait_for(
                partial(_addressed_to, council.domain), count=EMAILS_PER_INCIDENT
            )
    finally:
        for worker in workers:
            worker.stop()
    for council in councils:
        assert _each_step_once(mail_server, council) == {}
    # Each message sent once in effect: a send retried on a busy machine, after its answer was
    # lost, goes again under the same Message-ID, which the receiver takes once.
    sent = [_message_ids(worker.log) for worker in workers]
    assert len(set().union(*sent)) == EMAILS_PER_INCIDENT * len(councils)
    assert all(sent), sent  # both took a share


async def test_the_temporal_server_killed_and_restarted_keeps_every_timer(
    database: Database, settings: Settings, mail_server: MailServer, tmp_path: Path
) -> None:
    if not database.is_sqlite:
        pytest.skip(
            "every timer waits in the Temporal server's own state; the SQLite run covers it"
        )
    council = await make_authority(
        database,
        policy=EscalationTimings(ack_timeout_category_4_seconds=6, reminders_before_escalation=1),
        reporting=False,
    )
    server = DevServerProcess(tmp_path / "temporal.db").start()
    queue = f"restart-{uuid.uuid4()}"
    try:
        client = await Client.connect(server.address, data_converter=converter_for(settings))
        async with build_worker(client, database, settings, task_queue=queue):
            handle = await start_incident(client, database, council, queue)
            await mail_server.inbox.wait_for(lambda m: m.to.endswith(council.domain), count=2)
            server.kill()  # every timer is now waiting in the state file only
            await asyncio.sleep(2)
            server.start()
            await wait_for_events(database, handle, EventKind.UNACKNOWLEDGED, count=2, timeout=120)
            await mail_server.inbox.wait_for(
                lambda m: m.to.endswith(council.domain), count=EMAILS_PER_INCIDENT, timeout=120
            )
    finally:
        server.stop()
    assert _each_step_once(mail_server, council) == {}
    kinds = Counter(e.kind for e in await timeline(database, handle))
    assert kinds[EventKind.REMINDER_SENT] == 2 and kinds[EventKind.ESCALATED] == 4


async def test_a_connection_dropped_after_the_server_accepted_repeats_the_same_message_id(
    dev_server: WorkflowEnvironment,
    database: Database,
    dev_settings: Settings,
    dev_worker: None,
    mail_server: MailServer,
) -> None:
    council = await make_authority(database, reporting=False)
    address = council.email(MemberRole.EXECUTIVE_MEMBER)
    mail_server.inbox.drop_after_accept.add(address)
    handle = await start_incident(dev_server.client, database, council, dev_settings.task_queue)
    copies = await mail_server.inbox.wait_for(lambda m: m.to == address, count=2, timeout=60)
    [sent] = [
        e
        for e in await wait_for_events(database, handle, EventKind.NOTIFICATION_SENT, count=2)
        if e.detail.get("member_id") == council.members[MemberRole.EXECUTIVE_MEMBER]
    ]
    # SMTP cannot tell the sender that a message it never heard accepted was queued: the retry
    # sends it again, under the same Message-ID, so the receiving system keeps one.
    assert len({m.message["Message-ID"] for m in copies}) == 1
    assert sent.detail["message_id"] == copies[0].message["Message-ID"]
    assert sent.detail["attempts"] == 2 and "after 2 attempts" in sent.summary


async def test_a_database_outage_answers_503_and_leaves_nothing_half_made(
    http: httpx.AsyncClient,
    database: Database,
    web_app,
) -> None:
    from tests.test_api import count_incidents, officer_for, report

    officer = await officer_for(database, http)
    healthy = web_app.state.database
    web_app.state.database = Database("postgresql+psycopg://nobody@127.0.0.1:1/none")
    try:
        refused = await officer.post("/api/incidents", report(officer.council.code))
    finally:
        await web_app.state.database.dispose()
        web_app.state.database = healthy
    assert refused.status_code == 503
    assert "nothing was saved" in refused.json()["detail"]
    assert await count_incidents(database, officer.council) == 0


async def test_an_incident_saved_without_its_workflow_is_started_by_reconciliation(
    dev_server: WorkflowEnvironment,
    database: Database,
    dev_settings: Settings,
    dev_worker: None,
    mail_server: MailServer,
) -> None:
    from sqlalchemy import update
    from sqlmodel import col

    from models import Incident
    from services.starts import reconcile_unstarted
    from tests.support import open_test_incident

    council = await make_authority(database, reporting=False)
    # The API process died after saving these rows and before starting their workflows.
    orphan = await open_test_incident(database, council)
    in_flight = await open_test_incident(database, council)  # a create still under way
    async with database.session() as session:
        await session.exec(
            update(Incident)
            .where(col(Incident.id) == orphan.id)
            .values(created_at=orphan.created_at - timedelta(minutes=10))
        )
        await session.commit()

    async def repair() -> list[str]:
        async with database.session() as session:
            return await reconcile_unstarted(
                session=session, temporal=dev_server.client, task_queue=dev_settings.task_queue
            )

    # The database is shared with other tests, whose own rows may be repaired alongside.
    repaired = await repair()
    assert orphan.reference in repaired and in_flight.reference not in repaired
    await mail_server.inbox.wait_for(lambda m: m.to.endswith(council.domain), count=2)
    handle = dev_server.client.get_workflow_handle(orphan.workflow_id)
    await wait_for_events(database, handle, EventKind.ACKNOWLEDGEMENT_REQUESTED, count=2)
    assert orphan.reference not in await repair()  # started once, however often it runs
    assert in_flight.reference not in await repair()


async def test_a_create_retried_after_the_api_was_killed_opens_one_incident(
    dev_server: WorkflowEnvironment,
    database: Database,
    dev_settings: Settings,
    dev_worker: None,
    tmp_path: Path,
) -> None:
    from services.tokens import issue_token
    from tests.processes import WebProcess
    from tests.test_api import count_incidents, report

    council = await make_authority(database, reporting=False)
    async with database.session() as session:
        _, token = await issue_token("api restart", authority_id=council.id, session=session)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"once-{uuid.uuid4()}"}
    body = report(council.code)
    web = WebProcess(
        dev_settings,
        temporal=_target(dev_server),
        queue=dev_settings.task_queue,
        log=tmp_path / "w",
    ).start()
    try:
        async with httpx.AsyncClient(base_url=web.url, timeout=30) as client:
            in_flight = asyncio.create_task(
                client.post("/api/incidents", json=body, headers=headers)
            )
            await asyncio.sleep(0.15)
            web.kill()  # mid-request: the answer, if any, never arrives
            try:
                await in_flight
            except httpx.HTTPError:
                pass
        web.start()
        async with httpx.AsyncClient(base_url=web.url, timeout=30) as client:
            first = await client.post("/api/incidents", json=body, headers=headers)
            again = await client.post("/api/incidents", json=body, headers=headers)
    finally:
        web.stop()
    assert first.status_code in (200, 201) and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert await count_incidents(database, council) == 1
    await dev_server.client.get_workflow_handle(first.json()["workflow_id"]).describe()


async def test_postgresql_connections_cut_by_the_server_are_replaced_unnoticed(
    database: Database, database_url: str
) -> None:
    import psycopg
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("SQLite has no server to cut a connection")
    async with database.session() as session:  # a pooled connection, now idle
        await (await session.connection()).execute(text("SELECT 1"))
    admin_url = make_url(database_url).set(drivername="postgresql")
    with psycopg.connect(admin_url.render_as_string(hide_password=False), autocommit=True) as admin:
        cut = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    assert cut is not None and cut[0] >= 1
    async with database.session() as session:  # pre-ping notices, and reconnects
        assert (await (await session.connection()).execute(text("SELECT 1"))).one()[0] == 1


async def test_a_worker_killed_in_the_middle_of_a_send_sends_it_once_later(
    dev_server: WorkflowEnvironment,
    database: Database,
    database_url: str,
    settings: Settings,
    mail_server: MailServer,
    tmp_path: Path,
) -> None:
    from sqlalchemy.engine import make_url

    if make_url(database_url).get_backend_name() != "sqlite":
        pytest.skip("a process-level fault, slow to recover; the SQLite run covers it")
    council = await make_authority(database, reporting=False)
    address = council.email(MemberRole.EXECUTIVE_MEMBER)
    mail_server.inbox.hold_seconds[address] = 6  # the server takes its time over DATA
    queue = f"midsend-{uuid.uuid4()}"
    first = WorkerProcess(settings, temporal=_target(dev_server), queue=queue, log=tmp_path / "1")
    second = WorkerProcess(settings, temporal=_target(dev_server), queue=queue, log=tmp_path / "2")
    try:
        first.start()
        handle = await start_incident(dev_server.client, database, council, queue)
        for _ in range(300):  # until the message is in the middle of its DATA phase
            if address not in mail_server.inbox.hold_seconds:
                break
            await asyncio.sleep(0.1)
        first.kill()  # mid-send: the server has the message but never queued it
        second.start()
        # The lost attempt's heartbeats stop; after the heartbeat timeout Temporal retries.
        [delivered] = await mail_server.inbox.wait_for(lambda m: m.to == address, timeout=90)
        sent = await wait_for_events(database, handle, EventKind.NOTIFICATION_SENT, count=2)
    finally:
        mail_server.inbox.hold_seconds.pop(address, None)
        first.stop()
        second.stop()
    await asyncio.sleep(2)
    assert len(mail_server.inbox.messages(lambda m: m.to == address)) == 1
    [record] = [
        e for e in sent if e.detail.get("member_id") == council.members[MemberRole.EXECUTIVE_MEMBER]
    ]
    assert record.detail["message_id"] == delivered.message["Message-ID"]


def _message_ids(log: Path) -> set[str]:
    """The Message-IDs of the messages a worker's log says it sent."""
    lines = log.read_text(errors="replace").splitlines()
    return {
        found.group(1)
        for line in lines
        if '"event": "notification_sent"' in line
        and (found := re.search(r'"message_id": "([^"]+)"', line))
    }


def _addressed_to(domain: str, mail: ReceivedMail) -> bool:
    return mail.to.endswith(domain)
