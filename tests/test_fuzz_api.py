"""The API fuzzed from its own OpenAPI document (schemathesis), against a real server.

Bounded: a handful of generated requests per operation, as an officer of a test authority.
Whatever arrives, the answer is never a 5xx and always matches the documented schema.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.access import AccessRole
from models import Authority
from runtime.database import Database
from runtime.settings import Settings
from runtime.temporal import converter_for
from services.tokens import issue_token
from services.users import create_user
from tests.support import free_port


@pytest.fixture(scope="module")
def live_api(
    dev_settings: Settings, dev_server: WorkflowEnvironment, database: Database
) -> Iterator[dict[str, Any]]:
    """The web app on a real port, in its own thread and event loop."""
    port, ready, found = free_port(), threading.Event(), {}
    target = dev_server.client.service_client.config.target_host
    holder: dict[str, uvicorn.Server] = {}

    async def serve() -> None:
        from web.app import create_app

        database = Database(dev_settings.database_url)
        async with database.session() as session:
            code = f"Z{uuid.uuid4().hex[:5].upper()}"
            authority = Authority(code=code, name_en="Fuzz Council", name_cy="Cyngor Fuzz")
            session.add(authority)
            await session.commit()
            await session.refresh(authority)
            officer = await create_user(
                email=f"fuzz.{code.lower()}@fuzz.example",
                name="Fuzz Officer",
                password=f"fuzz password {uuid.uuid4().hex}",
                role=AccessRole.ON_CALL_OFFICER,
                authority_id=authority.id,
                session=session,
            )
            _, found["token"] = await issue_token(
                "fuzz", authority_id=None, user_id=officer.id, session=session
            )
        client = await Client.connect(target, data_converter=converter_for(dev_settings))
        app = create_app(settings=dev_settings, database=database, temporal=client)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        holder["server"] = server
        ready.set()
        try:
            await server.serve()
        finally:
            await database.dispose()

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    assert ready.wait(30)
    while not holder["server"].started:
        threading.Event().wait(0.05)
    yield {"base_url": f"http://127.0.0.1:{port}", "token": found["token"]}
    holder["server"].should_exit = True
    thread.join(30)


def test_no_request_gets_a_server_error_or_an_undocumented_answer(
    live_api: dict[str, Any],
) -> None:
    schema = schemathesis.openapi.from_url(f"{live_api['base_url']}/openapi.json")
    headers = {"Authorization": f"Bearer {live_api['token']}"}
    failures, operations = [], 0
    for found in schema.get_all_operations():
        operation = found.ok()
        if operation.path == "/healthz":
            continue  # its 503 is its purpose: it reports the database or Temporal away
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def exercise(case: Any) -> None:
            case.call_and_validate(
                base_url=live_api["base_url"],
                headers=headers,
                checks=[not_a_server_error, response_schema_conformance],
                timeout=30,
            )

        try:
            exercise()
        except Exception as failure:
            failures.append(f"{operation.method.upper()} {operation.path}: {failure}")
    assert operations >= 20
    assert not failures, "\n\n".join(failures)
