"""Real parts for every test: SQLite and PostgreSQL, an SMTP server, Temporal servers.

PostgreSQL tests run when the server at CONCORDAT_TEST_POSTGRES_URL (default: the local one)
answers, and are skipped with a reason when it does not; CI sets CONCORDAT_REQUIRE_POSTGRES=1
so that there they run or fail, never skip.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url
from temporalio.testing import WorkflowEnvironment

from runtime.database import Database
from runtime.migrate import upgrade_database
from runtime.settings import Settings
from runtime.temporal import bundled_binary, converter_for
from services.councils import seed_councils
from tests.support import MailServer

POSTGRES_URL = os.environ.get(
    "CONCORDAT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("CONCORDAT_REQUIRE_POSTGRES") == "1"

#: Test data, not a secret: every test encrypts Temporal payloads as production does.
TEST_PAYLOAD_KEYS = (
    "tests-2:Thgm1zdTEVTCBYmsFhRWh9tCOtjEDgbrL+aywHNG/Rc=,"
    "tests-1:zvkgy3KgIaAuwbugvvb/sfWylWUhoPWL/BH0olqxQ9o="
)


# The local Notify catcher posts its callbacks from a thread of its own, which can outlive the
# test whose output pytest was capturing; as in production (`runtime.logging`), httpx's
# per-request lines are not wanted.
logging.getLogger("httpx").setLevel(logging.WARNING)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'concordat.db'}"
        return
    name = f"concordat_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(_libpq(POSTGRES_URL), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        message = f"PostgreSQL is not reachable at {POSTGRES_URL} ({error.__class__.__name__})"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message + "; set CONCORDAT_TEST_POSTGRES_URL to run these tests")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
async def database(database_url: str) -> AsyncIterator[Database]:
    upgrade_database(database_url)
    db = Database(database_url)
    async with db.session() as session:
        await seed_councils(session=session)
    yield db
    await db.dispose()


@pytest.fixture(scope="session")
def mail_server() -> Iterator[MailServer]:
    server = MailServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def settings(
    database_url: str, mail_server: MailServer, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    return Settings(
        # Evidence and anything else kept on disk stay out of the checkout.
        var_dir=tmp_path_factory.mktemp("var"),
        database_url=database_url,
        smtp_host="127.0.0.1",
        smtp_port=mail_server.port,
        smtp_timeout_seconds=5,
        base_url="http://concordat.test",
        secret_key="test-secret-key",
        mail_from="Concordat <concordat@concordat.test>",
        temporal_address="unused:7233",
        payload_keys=TEST_PAYLOAD_KEYS,
        # The suite shares one app; the limits themselves are tested with an app of their own.
        rate_limit_sign_in="1000/minute",
        rate_limit_incidents="1000/minute",
    )


@pytest.fixture(scope="session")
async def dev_server(settings: Settings) -> AsyncIterator[WorkflowEnvironment]:
    """One Temporal dev server for the whole run (the same server `make run` embeds)."""
    env = await WorkflowEnvironment.start_local(
        data_converter=converter_for(settings),
        dev_server_existing_path=bundled_binary("temporal"),
        dev_server_log_level="error",
    )
    yield env
    await env.shutdown()


@pytest.fixture
async def time_skipping(settings: Settings) -> AsyncIterator[WorkflowEnvironment]:
    """A fresh time-skipping server per test: its virtual clock is shared by the whole server."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=converter_for(settings),
        test_server_existing_path=bundled_binary("temporal-test-server"),
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def dev_settings(settings: Settings) -> Settings:
    """Settings for tests against the dev server: their own task queue per database backend."""
    return settings.model_copy(update={"task_queue": f"tests-{uuid.uuid4()}"})


@pytest.fixture(scope="session")
async def dev_worker(
    dev_server: WorkflowEnvironment, database: Database, dev_settings: Settings
) -> AsyncIterator[None]:
    """A worker on the dev server, as production runs one (the same `build_worker`)."""
    from worker import build_worker

    async with build_worker(dev_server.client, database, dev_settings):
        yield


@pytest.fixture(scope="session")
async def web_app(
    dev_server: WorkflowEnvironment, database: Database, dev_settings: Settings, dev_worker: None
):
    from web.app import create_app

    return create_app(settings=dev_settings, database=database, temporal=dev_server.client)


@pytest.fixture
async def http(web_app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=web_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://concordat.test") as client:
        yield client


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "backend(name, reason): run on this database backend only (the other is not collected); "
        "for slow tests whose subject is not the database, so the suite keeps to its budget",
    )


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`make test` runs pytest-xdist on two workers: each backend's tests stay on one worker,
    which starts that backend's servers once (the backend is in every such test's id:
    `test_x[sqlite]`, `test_page[postgresql-cy-...]`); every other test is a unit of its own."""
    from xdist.scheduler import LoadScopeScheduling

    class ByBackend(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            ids = nodeid.rpartition("[")[2].rstrip("]").split("-")
            return next((b for b in ("sqlite", "postgresql") if b in ids), nodeid)

    return ByBackend(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    chosen, deselected = [], []
    for item in items:
        marker = item.get_closest_marker("backend")
        params = getattr(item, "callspec", None)
        backend = params.params.get("database_url") if params else None
        if marker is not None and backend is not None and backend != marker.args[0]:
            deselected.append(item)
        else:
            chosen.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = chosen
