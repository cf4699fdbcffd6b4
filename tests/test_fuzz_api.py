"""The API fuzzed from its own OpenAPI document (schemathesis), against a real server.

`schemathesis run --checks all`, bounded to run in about half a minute for each database: as an
on-call officer of a test authority on every operation, then as its administrator on the
administration. Every phase runs: examples (where the document gives them), the coverage of each
parameter's edges, generated requests (valid and invalid), and stateful sequences along the
links schemathesis infers (open an incident, then act on it). Whatever arrives, no answer is a
5xx, every status, header and body is the documented one, invalid requests are refused and
valid ones accepted, except for the business rules below.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import jsonschema_rs
import pytest
import uvicorn
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from audit.as_of import ClockAsOf
from domain.access import AccessRole
from domain.obligations import Body, ObligationState
from domain.scorecard import AcknowledgementResult, DeadlineResult, Scorecard
from domain.vocabulary import Chain
from models import Authority
from runtime.database import Database
from runtime.settings import Settings
from runtime.temporal import converter_for
from services.tokens import issue_token
from services.users import create_user
from tests.support import free_port
from web.access_log import serving_config
from web.openapi import CONFLICTS, REPLAYS

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")

#: Valid requests that the server refuses with 422 for a business rule that no schema states, so
#: a request that matches the document may still be refused:
#: - opening an incident: the authority must be one the caller acts for; detection and awareness
#:   are not in the future, nor awareness before detection; a personal-data risk only with
#:   personal data, and "unlikely" only by reassessment, with its reason; a repeated
#:   Idempotency-Key comes with the same incident as the first time;
#: - acting on one: a note has text, a reassessment changes something, a submission or an
#:   awareness time is neither in the future nor before detection, a breach change names a field;
#: - `as_of` is a moment in ISO 8601 between 2000 and 2200 (`domain.clock.uk_moment`);
#: - an administrator adds only an authority's roles, each with a strong password.
#: Any other status for a valid request, and any 5xx at all, is still a failure.
CONFIG = """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429"]

# Most incidents are opened for the fuzzing officer's own authority, so that the stateful phase
# acts on real ones (acknowledge, assess, report, close), not only on unknown ids.
[dictionaries.authority]
values = ["{authority}"]

[parameters]
"body.authority" = {{ dictionary = "authority", probability = 0.9 }}
"path.code" = {{ dictionary = "authority", probability = 0.9 }}
"""

#: Two failures that are not:
#: - an incident has parts that exist only once something creates them: a breach entry only when
#:   it involves personal data, an evidence bundle only once evidence is kept, a file or a
#:   statement only once added. Their documented 404 for a new incident is not a resource created
#:   and then lost (ST302); a 404 saying the incident itself is missing ("No incident ...") still
#:   is;
#: - text fields are trimmed of surrounding whitespace before they are checked, so a value that
#:   breaks `maxLength` or `pattern` only by that whitespace is accepted, trimmed (ST201).
HOOKS = r"""
import re

import schemathesis


def _trimmed_into_shape(failure, case):
    named = re.search(r"at /properties/([^/\s]+)", failure.message)
    value = case.body.get(named.group(1)) if named and isinstance(case.body, dict) else None
    return isinstance(value, str) and value != value.strip()


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if failure.code == "ST302":
        part_of_an_incident = case.operation.path.startswith("/api/incidents/{incident_id}/")
        return not (part_of_an_incident and b"No incident " not in response.content)
    if failure.code == "ST201":
        return not _trimmed_into_shape(failure, case)
    return True
"""


@pytest.fixture(scope="module")
def live_api(
    dev_settings: Settings, dev_server: WorkflowEnvironment, database: Database, dev_worker: None
) -> Iterator[dict[str, Any]]:
    """The web app on a real port, served as `concordat web` serves it, in its own thread and
    event loop."""
    port, ready, found = free_port(), threading.Event(), {}
    # The document is what is tested here, not the rate limits (`test_web_defences`).
    fuzzed = dev_settings.model_copy(
        update={
            name: "100000/minute"
            for name in Settings.model_fields
            if name.startswith("rate_limit_") and name != "rate_limit_storage"
        }
    )
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
            administrator = await create_user(
                email=f"fuzz.admin.{code.lower()}@fuzz.example",
                name="Fuzz Administrator",
                password=f"fuzz password {uuid.uuid4().hex}",
                role=AccessRole.AUTHORITY_ADMIN,
                authority_id=authority.id,
                session=session,
            )
            for who, user in (("officer", officer), ("administrator", administrator)):
                _, found[who] = await issue_token(
                    f"fuzz {who}", authority_id=None, user_id=user.id, session=session
                )
        found["authority"] = code
        client = await Client.connect(target, data_converter=converter_for(dev_settings))
        app = create_app(settings=fuzzed, database=database, temporal=client)
        served = fuzzed.model_copy(update={"web_host": "127.0.0.1", "web_port": port})
        server = uvicorn.Server(serving_config(app, served, log_level="warning"))
        holder["server"] = server
        ready.set()
        try:
            await server.serve()
        finally:
            await database.dispose()

    # Thousands of requests: schemathesis names the ones that fail.
    access_log = logging.getLogger("web.access_log")
    level = access_log.level
    access_log.setLevel(logging.WARNING)
    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    assert ready.wait(30)
    while not holder["server"].started:
        threading.Event().wait(0.05)
    yield {"base_url": f"http://127.0.0.1:{port}"} | found
    holder["server"].should_exit = True
    thread.join(30)
    access_log.setLevel(level)


async def _schemathesis(hooks: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    # The worker runs on this test's event loop: wait for schemathesis without blocking it.
    return await asyncio.to_thread(
        subprocess.run,  # our own tool, with our own arguments
        [SCHEMATHESIS, *arguments],
        env=os.environ | {"SCHEMATHESIS_HOOKS": str(hooks)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.backend(
    "postgresql",
    reason="thousands of requests at the API; the database under them is production's",
)
async def test_every_check_passes_on_every_operation(
    live_api: dict[str, Any], tmp_path: Path
) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG.format(authority=live_api["authority"]))
    hooks = tmp_path / "hooks.py"
    hooks.write_text(HOOKS)
    failures = []
    # The officer on every operation (an administrator's answer 403), then the authority's
    # administrator on the administration.
    # DELETE on a supplier retires it: it stays readable when asked for with include_retired,
    # as the register's history needs, so the check that a deleted resource is gone (ST301)
    # does not apply to the administrator's operations.
    for who, only, skipped in (
        ("officer", ".*", "none"),
        ("administrator", "^/api/authorities/", "use_after_free"),
    ):
        finished = await _schemathesis(
            hooks,
            "--config-file",
            str(config),
            "run",
            f"{live_api['base_url']}/openapi.json",
            "--checks",
            "all",
            *(["--exclude-checks", skipped] if skipped != "none" else []),
            "--header",
            f"Authorization: Bearer {live_api[who]}",
            "--include-path-regex",
            only,
            "--exclude-path",
            "/readyz",  # its 503 is its purpose: it reports a dependency away
            # Notify's callbacks take Notify's token, not a person's: every request here would
            # be refused (tests/test_paging.py fuzzes their refusals by hand).
            "--exclude-path-regex",
            "^/callbacks/",
            "--max-examples",
            "6",
            "--workers",
            "1",
            "--generation-database",
            "none",
            "--request-timeout",
            "30",
            "--no-color",
        )
        output = finished.stdout + finished.stderr
        if finished.returncode != 0:
            failures.append(f"As the {who}:\n{output[-15000:]}")
    assert not failures, "\n\n".join(failures)


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The app's OpenAPI document, as /openapi.json serves it."""
    from web.app import create_app

    database_url = f"sqlite:///{tmp_path_factory.mktemp('document') / 'unused.db'}"
    app = create_app(
        settings=Settings(database_url=database_url),
        database=Database(database_url),
        temporal=cast(Client, None),  # the document needs no server
    )
    return app.openapi()


def test_the_document_names_every_refusal_an_operation_can_give(document: dict[str, Any]) -> None:
    operations = {
        (method, path): operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }
    for (method, path), operation in operations.items():
        answers = set(operation["responses"])
        if operation.get("security"):
            assert {"401", "403", "429", "503"} <= answers, (method, path)
            assert "Retry-After" in operation["responses"]["429"]["headers"]
        if "requestBody" in operation:
            assert {"400", "413", "422"} <= answers, (method, path)
        if path.startswith("/api/incidents/{incident_id}/") and method == "post":
            assert "409" in answers, (method, path)  # the actions on a running incident
    for method, path in CONFLICTS:
        assert "409" in operations[method, path]["responses"]
    for method, path in REPLAYS:
        assert "200" in operations[method, path]["responses"]
    assert "503" in operations["get", "/readyz"]["responses"]


def _validator(document: dict[str, Any], schema: str) -> Any:
    return jsonschema_rs.validator_for(
        {"$ref": f"#/components/schemas/{schema}", "components": document["components"]},
        validate_formats=True,
    )


def test_durations_are_written_as_the_document_says(document: dict[str, Any]) -> None:
    """The scorecard's durations are `format: duration` (RFC 3339: no sign, no fractions of a
    second); a margin or time left, which may be negative, says its own format."""
    submitted = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    card = Scorecard(
        reference="CDF-2026-0042",
        exercise=True,
        deadlines=[
            DeadlineResult(
                body=Body.NCSC,
                state=ObligationState.SUBMITTED,
                deadline=submitted - timedelta(minutes=20, seconds=3.5),
                submitted_at=submitted,
                met=False,
                margin=-timedelta(minutes=20, seconds=3.5),
            )
        ],
        acknowledgements=[
            AcknowledgementResult(
                chain=Chain.EXECUTIVE,
                requested_at=submitted,
                acknowledged_at=submitted + timedelta(minutes=5, seconds=3.123),
                time_to_acknowledge=timedelta(minutes=5, seconds=3.123),
                levels_reached=1,
                unacknowledged=False,
            )
        ],
    )
    written = json.loads(card.model_dump_json())
    assert written["acknowledgements"][0]["time_to_acknowledge"] == "PT5M3S"
    assert written["deadlines"][0]["margin"] == "-PT20M4S"
    errors = [str(e) for e in _validator(document, "Scorecard").iter_errors(written)]
    assert not errors, errors

    clock = ClockAsOf(body=Body.ICO, state="overdue", time_left=-timedelta(hours=1, seconds=0.5))
    written = json.loads(clock.model_dump_json())
    assert written["time_left"] == "-PT1H"
    errors = [str(e) for e in _validator(document, "ClockAsOf").iter_errors(written)]
    assert not errors, errors
