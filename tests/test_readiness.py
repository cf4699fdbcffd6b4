"""`/readyz` against real parts: each dependency taken away in turn, and named.

The session's own servers (the database, the Temporal dev server, the SMTP server) and a Notify
catcher answer the ready case; a dependency is taken away by pointing a copy of the settings,
or the app, at one that cannot answer: a port where nothing listens, a database file that
cannot be opened, a Temporal server shut down, a Notify catcher stopped.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from embedded.notify_catcher import (
    EMBEDDED_EMAIL_TEMPLATE_ID,
    EMBEDDED_SMS_TEMPLATE_ID,
    NotifyCatcher,
    NotifyCatcherServer,
    development_api_key,
    start_notify_catcher,
)
from runtime.database import Database
from runtime.ports import free_port
from runtime.settings import Settings
from runtime.temporal import bundled_binary
from services.readiness import ReadinessProbe
from web.app import create_app

#: Test data, not a secret: a password that must never be shown.
PASSWORD = "never-shown-4d1f"


@pytest.fixture(scope="module")
def notify() -> Iterator[NotifyCatcherServer]:
    catcher = NotifyCatcher(development_api_key(), echo=False)
    with start_notify_catcher(catcher) as running:
        yield running


def with_notify(settings: Settings, notify: NotifyCatcherServer, **changes: Any) -> Settings:
    """The settings with GOV.UK Notify configured as production configures it."""
    return settings.model_copy(
        update={
            "notify_api_key": SecretStr(notify.catcher.api_key),
            "notify_base_url": notify.url,
            "notify_sms_template_id": EMBEDDED_SMS_TEMPLATE_ID,
            "notify_email_template_id": EMBEDDED_EMAIL_TEMPLATE_ID,
            **changes,
        }
    )


async def get(
    path: str, settings: Settings, database: Database, temporal: Client
) -> httpx.Response:
    """`path` from a web app of its own, so no answer is reused from another test's."""
    app = create_app(settings=settings, database=database, temporal=temporal)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://concordat.test") as http:
        return await http.get(path)


def failing(response: httpx.Response) -> dict[str, str]:
    """Each failing check and its error; the answer must be a not-ready one."""
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "5"
    body = response.json()
    assert body["status"] == "not_ready"
    return {name: check["error"] for name, check in body["checks"].items() if not check["ok"]}


async def test_ready_when_every_dependency_answers(
    database: Database,
    dev_server: WorkflowEnvironment,
    dev_settings: Settings,
    notify: NotifyCatcherServer,
) -> None:
    settings = with_notify(dev_settings, notify)
    response = await get("/readyz", settings, database, dev_server.client)
    assert response.status_code == 200, response.text
    assert "Retry-After" not in response.headers
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "temporal", "smtp", "notify"}
    for check in body["checks"].values():
        assert check["ok"] is True and isinstance(check["ms"], int) and "error" not in check


async def test_notify_is_checked_only_where_it_is_configured(http: httpx.AsyncClient) -> None:
    response = await http.get("/readyz")
    assert response.status_code == 200, response.text
    assert set(response.json()["checks"]) == {"database", "temporal", "smtp"}


async def test_a_database_away_is_named_and_liveness_does_not_care(
    database_url: str,
    dev_server: WorkflowEnvironment,
    dev_settings: Settings,
    tmp_path: Path,
) -> None:
    if database_url.startswith("sqlite"):
        # A directory where the database file should be: SQLite cannot open it.
        unreachable, expected = f"sqlite:///{tmp_path}", "cannot open the database file"
    else:
        port = free_port()
        unreachable = f"postgresql+psycopg://concordat:{PASSWORD}@127.0.0.1:{port}/concordat"
        expected = "connection refused"
    away = Database(unreachable)
    try:
        response = await get("/readyz", dev_settings, away, dev_server.client)
        alive = await get("/healthz", dev_settings, away, dev_server.client)
    finally:
        await away.dispose()
    assert failing(response) == {"database": expected}
    assert PASSWORD not in response.text and "127.0.0.1" not in response.text
    assert str(tmp_path) not in response.text
    assert alive.status_code == 200 and alive.json() == {"status": "ok"}


@pytest.mark.backend("sqlite", reason="Temporal is the subject, not the database")
async def test_temporal_away_is_named(database: Database, dev_settings: Settings) -> None:
    # A client connected as a process connects at start, to a server that then goes away.
    server = await WorkflowEnvironment.start_local(
        dev_server_existing_path=bundled_binary("temporal"), dev_server_log_level="error"
    )
    await server.shutdown()
    response = await get("/readyz", dev_settings, database, server.client)
    assert failing(response).keys() == {"temporal"}
    assert failing(response)["temporal"] in {"connection lost", "cannot connect"}


async def test_the_smtp_relay_away_is_named(
    database: Database, dev_server: WorkflowEnvironment, dev_settings: Settings
) -> None:
    nothing_listens = dev_settings.model_copy(update={"smtp_port": free_port()})
    response = await get("/readyz", nothing_listens, database, dev_server.client)
    assert failing(response) == {"smtp": "connection refused"}
    assert "127.0.0.1" not in response.text


async def test_notify_away_is_named(
    database: Database, dev_server: WorkflowEnvironment, dev_settings: Settings
) -> None:
    catcher = NotifyCatcher(development_api_key(), echo=False)
    with start_notify_catcher(catcher) as stopped:
        pass
    settings = with_notify(dev_settings, stopped)
    response = await get("/readyz", settings, database, dev_server.client)
    assert failing(response) == {"notify": "connection refused"}
    assert catcher.api_key not in response.text and "127.0.0.1" not in response.text


@pytest.mark.backend("sqlite", reason="Notify's answers are the subject, not the database")
async def test_notify_refusing_the_key_or_the_template_is_named(
    database: Database,
    dev_server: WorkflowEnvironment,
    dev_settings: Settings,
    notify: NotifyCatcherServer,
) -> None:
    another_service = SecretStr(development_api_key())
    cases: dict[str, dict[str, Any]] = {
        "API key refused": {"notify_api_key": another_service},
        "template not found": {"notify_sms_template_id": EMBEDDED_EMAIL_TEMPLATE_ID[::-1]},
        "template id not valid": {"notify_sms_template_id": "not-a-template"},
    }
    for expected, changes in cases.items():
        settings = with_notify(dev_settings, notify, **changes)
        response = await get("/readyz", settings, database, dev_server.client)
        assert failing(response) == {"notify": expected}
        assert another_service.get_secret_value() not in response.text


@pytest.mark.backend("sqlite", reason="the timeouts are the subject, not the database")
async def test_silent_dependencies_time_out_together(
    database: Database,
    dev_server: WorkflowEnvironment,
    dev_settings: Settings,
    notify: NotifyCatcherServer,
) -> None:
    """A relay and a Notify that take the connection and never answer: each check gives up
    at the timeout, and the two wait side by side, not one after the other."""
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        settings = with_notify(
            dev_settings,
            notify,
            smtp_port=port,
            notify_base_url=f"http://127.0.0.1:{port}",
            readiness_timeout_seconds=1.0,
        )
        started = time.monotonic()
        response = await get("/readyz", settings, database, dev_server.client)
        took = time.monotonic() - started
    assert failing(response) == {"smtp": "timed out", "notify": "timed out"}
    assert 1.0 <= took < 1.9, took
    checks = response.json()["checks"]
    assert all(checks[name]["ms"] >= 1000 for name in ("smtp", "notify"))


async def test_one_check_at_a_time_its_answer_reused(
    database: Database, dev_server: WorkflowEnvironment, dev_settings: Settings
) -> None:
    """An open page in front of shared services: a flood of requests makes one check."""
    probe = ReadinessProbe(dev_settings, database=database, temporal=dev_server.client)
    first, second = await asyncio.gather(probe.current(), probe.current())
    assert first is second and first.ready
    assert await probe.current() is first
    probe.reuse_seconds = 0
    assert await probe.current() is not first
