"""The `concordat` command line, run as an administrator would run it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.vocabulary import EventKind
from models import Incident
from runtime.database import Database
from runtime.payloads import EMBEDDED_KEY_FILE, PayloadKeys
from runtime.settings import Settings
from tests.conftest import TEST_PAYLOAD_KEYS
from tests.support import make_authority, start_incident, wait_for_events

CONCORDAT = str(Path(sys.executable).parent / "concordat")


@pytest.fixture
def run(tmp_path: Path):  # type: ignore[no-untyped-def]
    env = os.environ | {"CONCORDAT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}

    def concordat(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(  # noqa: S603 (our own command)
            [CONCORDAT, *args], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert (result.returncode == 0) is ok, result.stdout + result.stderr
        return result

    return concordat


def test_an_administrator_sets_up_a_council_from_the_command_line(run) -> None:  # type: ignore[no-untyped-def]
    assert "22 councils added" in run("db", "upgrade").stdout
    assert "0 councils added" in run("db", "upgrade").stdout
    run(
        "member",
        "set",
        "CDF",
        "executive_member",
        "--name",
        "Cllr Eleri Morgan",
        "--email",
        "eleri.morgan@cardiff.example",
        "--language",
        "cy",
    )
    refused = run("authority", "ncsc-contact", "CDF", "soc@cardiff.example", ok=False)
    assert "own mail domain" in refused.stderr
    run("authority", "ncsc-contact", "CDF", "cyber@resilience.example")
    run("reporting", "set", "CDF", "insurer", "--enabled", "--window-hours", "24")
    run("policy", "set", "CDF", "--ack-timeout-category-1-3", "600")
    token = run("token", "create", "Cardiff on-call", "--authority", "CDF").stdout.strip()
    assert token.startswith("cnc_") and len(token) > 40
    assert run(
        "member", "set", "XXX", "chief_executive", "--name", "n", "--email", "a@b.example", ok=False
    )


async def test_replay_reads_the_embedded_set_ups_histories_or_says_which_key_is_missing(
    database: Database,
    database_url: str,
    dev_server: WorkflowEnvironment,
    dev_settings: Settings,
    dev_worker: None,
    tmp_path: Path,
) -> None:
    """`concordat run` encrypts its dev server's payloads with a key it keeps in var/; every
    other command reads them with that key (as `audit replay` here), and says in one line when
    it cannot."""
    council = await make_authority(database)
    handle = await start_incident(dev_server.client, database, council, dev_settings.task_queue)
    await wait_for_events(database, handle, EventKind.ACKNOWLEDGEMENT_REQUESTED, count=2)
    async with database.session() as session:
        incident = await session.get(Incident, handle.id.removeprefix("incident-"))
    assert incident is not None
    environment = {
        name: value for name, value in os.environ.items() if name != "CONCORDAT_PAYLOAD_KEYS"
    } | {
        "CONCORDAT_DATABASE_URL": database_url,
        "CONCORDAT_TEMPORAL_ADDRESS": dev_server.client.service_client.config.target_host,
    }

    async def replay(keys: str | None, where: str) -> subprocess.CompletedProcess[str]:
        var = tmp_path / where
        var.mkdir()
        if keys is not None:
            (var / EMBEDDED_KEY_FILE).write_text(keys + "\n")
        return await asyncio.to_thread(
            subprocess.run,
            [CONCORDAT, "audit", "replay", incident.reference],
            env=environment | {"CONCORDAT_VAR_DIR": str(var)},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    found = await replay(TEST_PAYLOAD_KEYS, "var")
    assert found.returncode == 0, found.stdout + found.stderr
    assert "acknowledgement_requested" in found.stdout

    for where, keys, problem in (
        ("no-key", None, "no payload key is configured"),
        ("other-key", PayloadKeys.generate("another-1"), "'tests-2', which is not configured"),
        ("bad-key", "not a key", "must be written as id:<32 bytes in base64>"),
    ):
        refused = await replay(keys, where)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert problem in refused.stderr and "Traceback" not in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
