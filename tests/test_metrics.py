"""Prometheus metrics: the web app's `/metrics`, figures read from the database at each scrape,
and a worker's Temporal SDK metrics, each scraped over HTTP as Prometheus would.

The figures are checked exactly in a database of this module's own (the shared one holds
every other test's incidents); the scrape of real processes runs on the shared one."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel, col, select, update
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.reconcile import ReconcileActivities
from domain.channels import Channel
from domain.obligations import Body, ObligationState
from domain.vocabulary import NcscCategory, NotificationKind, Stage
from models import Incident, ObligationRecord, Routine, RoutineRun, SentNotification
from models.notification import DeliveryStatus
from runtime.database import Database
from runtime.ports import free_port
from runtime.settings import Settings
from services.routine_runs import record_run
from services.tokens import issue_token
from tests.processes import CONCORDAT, WebProcess, WorkerProcess
from tests.support import MailServer, make_authority, open_test_incident
from web.app import create_app

METRICS_TOKEN = "prometheus-scrapes-with-this"  # test data, not a secret

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})? (?P<value>\S+)")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def samples(exposition: str) -> Samples:
    """Every sample under the name the exporter gave it, as Prometheus stores it (the
    client library's parser would add `_total` to counters that lack it, as Temporal's do)."""
    found: Samples = {}
    for line in exposition.splitlines():
        matched = _SAMPLE.match(line)
        if matched is not None:
            labels = frozenset(_LABEL.findall(matched["labels"] or ""))
            found[(matched["name"], labels)] = float(matched["value"])
    return found


def value(found: Samples, name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


def total(found: Samples, name: str, **labels: str) -> float:
    """The sum over every series of `name` carrying at least these labels."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in found.items() if n == name and wanted <= ls)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="module")
async def own_database(
    database_url: str, database: Database, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    """An empty database on the same backend (the shared one made sure the backend answers).
    Its tables come from the models: the migrations are checked by the shared database."""
    name = f"concordat_metrics_{uuid.uuid4().hex[:10]}"
    if make_url(database_url).get_backend_name() == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('metrics') / 'metrics.db'}"
    else:
        with psycopg.connect(_libpq(database_url), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    own = Database(url)
    async with own.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    yield own
    await own.dispose()
    if not url.startswith("sqlite"):
        with psycopg.connect(_libpq(database_url), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _app(settings: Settings, database: Database, temporal: Any, **changes: Any) -> Any:
    return create_app(
        settings=settings.model_copy(update={"metrics_token": SecretStr(METRICS_TOKEN)} | changes),
        database=database,
        temporal=temporal,
    )


async def _scrape(app: Any, token: str | None = METRICS_TOKEN) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://concordat.test") as http:
        return await http.get("/metrics", headers=headers)


async def test_metrics_take_their_own_bearer_token_and_nothing_else(
    web_app: Any, database: Database, dev_settings: Settings, dev_server: WorkflowEnvironment
) -> None:
    off = await _scrape(web_app)
    assert off.status_code == 404
    assert off.json()["detail"] == (
        "Metrics are not switched on here. / Nid yw'r metrigau wedi'u troi ymlaen yma."
    )
    app = _app(dev_settings, database, dev_server.client)
    council = await make_authority(database)
    async with database.session() as session:
        _, person_token = await issue_token("officer", authority_id=council.id, session=session)
    unnamed = await _scrape(app, token=None)
    assert unnamed.status_code == 401 and unnamed.headers["www-authenticate"] == "Bearer"
    assert "Mae angen tocyn cludwr." in unnamed.json()["detail"]
    assert (await _scrape(app, token=person_token)).status_code == 403
    answer = await _scrape(app)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert value(samples(answer.text), "concordat_metrics_read_seconds") is not None


async def _incident(
    database: Database, council: Any, category: NcscCategory, **row: Any
) -> Incident:
    incident = await open_test_incident(database, council, category=category)
    async with database.session() as session:
        await session.exec(update(Incident).where(col(Incident.id) == incident.id).values(**row))
        await session.commit()
    return incident


async def _add(database: Database, *rows: Any) -> None:
    async with database.session() as session:
        session.add_all(rows)
        await session.commit()


def _message(
    incident: Incident, key: str, channel: Channel, status: DeliveryStatus, **fields: Any
) -> SentNotification:
    return SentNotification(
        idempotency_key=f"incident-{incident.id}/{key}",
        incident_id=incident.id,
        kind=fields.pop("kind", NotificationKind.ACKNOWLEDGEMENT_REQUEST),
        recipient="someone@council.example",
        language="en",
        message_id=f"<{uuid.uuid4().hex}@concordat.test>",
        channel=channel,
        status=status,
        attempts=fields.pop("attempts", 1),
        **fields,
    )


def _clock(incident: Incident, body: Body, state: ObligationState, deadline: datetime) -> Any:
    return ObligationRecord(incident_id=incident.id, body=body, state=state, deadline=deadline)


async def test_the_figures_an_operator_watches(
    own_database: Database, dev_settings: Settings, dev_server: WorkflowEnvironment
) -> None:
    db, now = own_database, datetime.now(UTC)
    council = await make_authority(db)
    other = await make_authority(db)
    asked = {"awaiting_acknowledgement": 2, "stage": Stage.NOTIFYING}
    a = await _incident(db, council, NcscCategory.SIGNIFICANT, **asked)
    b = await _incident(
        db,
        council,
        NcscCategory.SIGNIFICANT,
        **asked | {"acknowledgement_requested_at": now - timedelta(minutes=30)},
    )
    c = await _incident(
        db,
        other,
        NcscCategory.MODERATE,
        awaiting_acknowledgement=1,
        acknowledgement_requested_at=now - timedelta(hours=5),
        stage=Stage.REPORTING,
    )
    await _incident(
        db, council, NcscCategory.SIGNIFICANT, exercise=True, awaiting_acknowledgement=2
    )
    await _incident(db, council, NcscCategory.SIGNIFICANT, stage=Stage.CLOSED)
    told_at = now - timedelta(hours=1)
    await _add(
        db,
        _clock(a, Body.NCSC, ObligationState.DUE, now + timedelta(hours=20)),
        _clock(a, Body.ICO, ObligationState.OVERDUE, told_at),
        _clock(b, Body.NCSC, ObligationState.OVERDUE, told_at),
        # Past its deadline, and the workflow has not yet said so: overdue, and untold.
        _clock(c, Body.NCSC, ObligationState.DUE, now - timedelta(minutes=1)),
        # a's overdue ICO clock was told; b's NCSC clock only has a message still trying.
        _message(
            a,
            "obligation/ico/1/overdue/obligation_overdue/7",
            Channel.EMAIL,
            DeliveryStatus.SENT,
            kind=NotificationKind.OBLIGATION_OVERDUE,
        ),
        _message(
            b,
            "obligation/ncsc/1/overdue/obligation_overdue/7",
            Channel.EMAIL,
            DeliveryStatus.SENDING,
            kind=NotificationKind.OBLIGATION_OVERDUE,
            attempts=3,
            last_error="421 try later",
            created_at=now - timedelta(minutes=20),
        ),
        _message(a, "ack/1", Channel.EMAIL, DeliveryStatus.SENT),
        _message(a, "ack/2", Channel.SMS, DeliveryStatus.SENT),
        _message(a, "ack/3", Channel.SMS, DeliveryStatus.REJECTED),
        _message(b, "ack/4", Channel.SMS, DeliveryStatus.SENDING, attempts=2, created_at=now),
        _message(
            c,
            "ack/5",
            Channel.EMAIL,
            DeliveryStatus.SENDING,
            attempts=40,
            last_error="timed out",
            created_at=now - timedelta(hours=25),
        ),
        _message(c, "ack/6", Channel.TEAMS, DeliveryStatus.SENDING),  # its first try, now
    )
    async with db.session() as session:
        await record_run(
            Routine.RECONCILIATION, succeeded=True, at=now - timedelta(minutes=3), session=session
        )
        await record_run(Routine.CHAIN_VERIFICATION, succeeded=False, session=session)

    answer = await _scrape(_app(dev_settings, db, dev_server.client))
    assert answer.status_code == 200, answer.text
    found = samples(answer.text)
    open_incidents = {
        (dict(labels)["authority"], dict(labels)["category"], dict(labels)["stage"]): count
        for (name, labels), count in found.items()
        if name == "concordat_open_incidents"
    }
    assert open_incidents == {
        (council.code, "3", "notifying"): 2,
        (other.code, "5", "reporting"): 1,
    }
    assert {
        age: value(found, "concordat_unacknowledged_requests", age=age)
        for age in ("under_15m", "15m_to_1h", "1h_to_4h", "over_4h")
    } == {"under_15m": 2, "15m_to_1h": 2, "1h_to_4h": 0, "over_4h": 1}
    assert value(found, "concordat_reporting_clocks", body="ncsc", state="due") == 1
    assert value(found, "concordat_reporting_clocks", body="ncsc", state="overdue") == 2
    assert value(found, "concordat_reporting_clocks", body="ico", state="overdue") == 1
    assert value(found, "concordat_reporting_clocks_overdue_untold", body="ncsc") == 2
    assert value(found, "concordat_reporting_clocks_overdue_untold", body="ico") is None
    by_channel = {
        channel: (
            value(found, "concordat_notifications_sent_total", channel=channel),
            value(found, "concordat_notifications_failed_total", channel=channel),
            value(found, "concordat_notifications_retrying", channel=channel),
        )
        for channel in ("email", "sms", "notify_email", "teams")
    }
    assert by_channel == {
        "email": (2, 1, 1),
        "sms": (1, 1, 1),
        "notify_email": (0, 0, 0),
        "teams": (0, 0, 0),
    }
    oldest = value(found, "concordat_notifications_retrying_oldest_seconds", channel="email")
    assert oldest is not None and 20 * 60 <= oldest < 25 * 60
    assert value(found, "concordat_notifications_retrying_oldest_seconds", channel="teams") == 0
    reconciled = value(found, "concordat_reconciliation_last_success_timestamp_seconds")
    assert reconciled == pytest.approx((now - timedelta(minutes=3)).timestamp(), abs=1)
    assert value(found, "concordat_chain_verification_intact") == 0


async def test_the_reconciliation_and_the_chain_verification_record_their_outcome(
    own_database: Database, dev_server: WorkflowEnvironment
) -> None:
    before = datetime.now(UTC)
    activities = ReconcileActivities(own_database, task_queue="unused")
    assert await ActivityEnvironment(client=dev_server.client).run(activities.reconcile) == []
    runs = await _runs(own_database)
    reconciled = runs[Routine.RECONCILIATION]
    assert reconciled.succeeded and reconciled.last_success_at is not None
    assert reconciled.last_success_at >= before

    # A kept head the database does not hold: the check fails, and the metrics are told.
    # (One run: the command takes seconds to start.)
    broken = await asyncio.to_thread(
        subprocess.run,
        [CONCORDAT, "audit", "verify", "--expect", f"GWN@1:{'0' * 64}"],
        env=os.environ | {"CONCORDAT_DATABASE_URL": own_database.url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert broken.returncode == 1, broken.stdout + broken.stderr
    verified = (await _runs(own_database))[Routine.CHAIN_VERIFICATION]
    assert not verified.succeeded and verified.last_success_at is None
    assert verified.last_run_at >= before


async def _runs(database: Database) -> dict[Routine, RoutineRun]:
    async with database.reading() as session:
        return {run.routine: run for run in await session.exec(select(RoutineRun))}


@pytest.mark.backend("postgresql", reason="real processes and Temporal's telemetry, not SQL")
async def test_a_running_web_process_and_worker_are_scraped_over_http(
    dev_server: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    mail_server: MailServer,
    tmp_path: Path,
) -> None:
    council = await make_authority(database, reporting=False)
    async with database.session() as session:
        _, token = await issue_token("feed", authority_id=council.id, session=session)
    temporal = dev_server.client.service_client.config.target_host
    queue = f"metrics-{uuid.uuid4()}"
    worker = WorkerProcess(settings, temporal=temporal, queue=queue, log=tmp_path / "worker")
    worker_metrics = f"127.0.0.1:{free_port()}"
    worker.env["CONCORDAT_WORKER_METRICS_ADDRESS"] = worker_metrics
    web = WebProcess(settings, temporal=temporal, queue=queue, log=tmp_path / "web")
    web.env["CONCORDAT_METRICS_TOKEN"] = METRICS_TOKEN
    try:
        worker.start()
        web.start()
        async with httpx.AsyncClient(timeout=30) as http:
            opened = await http.post(
                f"{web.url}/api/incidents",
                headers={"Authorization": f"Bearer {token}"},
                json={
                    "authority": council.code,
                    "title": "Phishing led to a compromised mailbox",
                    "description": "A finance officer entered credentials on a fake page.",
                    "incident_type": "phishing",
                    "category": 5,
                    "detected_at": datetime.now(UTC).isoformat(),
                    "reporter_name": "Rhys On-call",
                    "reporter_email": "rhys@oncall.example",
                },
            )
            assert opened.status_code == 201, opened.text
            # The worker has done its work: both members were asked.
            await mail_server.inbox.wait_for(lambda m: m.to.endswith(council.domain), count=2)
            scraped = await http.get(
                f"{web.url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
            )
            assert scraped.status_code == 200, scraped.text
            figures = samples(scraped.text)
            assert total(figures, "concordat_open_incidents", authority=council.code) == 1
            assert (
                total(figures, "concordat_open_incidents", authority=council.code, category="5")
                == 1
            )
            assert total(figures, "concordat_notifications_sent_total", channel="email") >= 2

            from_worker = await http.get(f"http://{worker_metrics}/metrics")
            assert from_worker.status_code == 200
            temporal_figures = samples(from_worker.text)
    finally:
        web.stop()
        worker.stop()
    for poller in ("workflow_task", "activity_task"):
        assert total(temporal_figures, "temporal_num_pollers", task_queue=queue, poller_type=poller)
    assert total(temporal_figures, "temporal_workflow_task_queue_poll_succeed", task_queue=queue)
    assert total(temporal_figures, "temporal_worker_start", task_queue=queue) >= 1
    # Every worker metric the alert rules read is one the worker exports, under that name.
    rules = (Path(__file__).parent.parent / "ops/prometheus/concordat-alerts.yml").read_text()
    read = set(re.findall(r"\btemporal_[a-z_]+", rules))
    assert read and read <= {name for name, _ in temporal_figures}
