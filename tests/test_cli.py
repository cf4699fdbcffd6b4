"""The `concordat` command line, run as an administrator would run it."""

from __future__ import annotations

import asyncio
import os
import smtplib
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.vocabulary import EventKind
from models import Incident
from runtime.database import Database
from runtime.payloads import EMBEDDED_KEY_FILE, PayloadKeys
from runtime.ports import free_port, wait_for_port
from runtime.settings import Settings
from tests.conftest import TEST_PAYLOAD_KEYS
from tests.processes import DevServerProcess
from tests.support import make_authority, start_incident, wait_for_events

CONCORDAT = str(Path(sys.executable).parent / "concordat")


Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run(tmp_path: Path) -> Run:
    env = os.environ | {"CONCORDAT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}

    def concordat(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(  # noqa: S603 (our own command)
            [CONCORDAT, *args], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert (result.returncode == 0) is ok, result.stdout + result.stderr
        return result

    return concordat


def test_an_administrator_sets_up_a_council_from_the_command_line(run: Run) -> None:
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


def test_a_token_for_every_council_is_made_only_when_asked_for_by_name(run: Run) -> None:
    """Leaving out --authority used to make a read-write officer token for all 22 councils."""
    run("db", "upgrade")
    refused = run("token", "create", "Cardiff on-call", ok=False)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.strip() == (
        "Say which incidents it may run: --authority CODE, or --all-authorities."
    )
    both = run("token", "create", "Feed", "--authority", "CDF", "--all-authorities", ok=False)
    assert both.stderr.strip() == "Give --authority CODE or --all-authorities, not both."
    member = run("token", "create", "M", "--role", "responsible_member", ok=False)
    assert "needs --authority" in member.stderr
    national = run("token", "create", "National feed", "--all-authorities").stdout.strip()
    assert national.startswith("cnc_")
    assert run("token", "create", "ICO", "--role", "auditor", "--all-authorities").stdout.strip()


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


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_concordat_run_keeps_var_for_its_owner_alone(tmp_path: Path) -> None:
    """The databases, the mail with live acknowledge links, the keys and the development
    sign-in in var/ are readable by their owner alone, even when an earlier start left them
    readable and the shell's umask is permissive."""
    var, log = tmp_path / "var", tmp_path / "run.log"
    (var / "mail").mkdir(parents=True)
    left = [var / "dev-token", var / "mail" / "earlier.eml"]
    for path in left:
        path.write_text("left by an earlier start\n")
    for path in (var, var / "mail", *left):
        path.chmod(0o755 if path.is_dir() else 0o644)
    temporal = DevServerProcess(tmp_path / "temporal.db").start()
    web_port, smtp_port = free_port(), free_port()
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("CONCORDAT_")
    } | {
        "CONCORDAT_VAR_DIR": str(var),
        "CONCORDAT_DATABASE_URL": f"sqlite:///{var / 'concordat.db'}",
        "CONCORDAT_TEMPORAL_ADDRESS": temporal.address,
        "CONCORDAT_TASK_QUEUE": f"modes-{uuid.uuid4()}",
        "CONCORDAT_WEB_PORT": str(web_port),
        "CONCORDAT_SMTP_PORT": str(smtp_port),
    }
    try:
        with log.open("wb") as out:
            running = subprocess.Popen(  # noqa: S603 (our own command)
                [CONCORDAT, "run"],
                env=environment,
                cwd=tmp_path,
                stdout=out,
                stderr=subprocess.STDOUT,
                umask=0o022,
            )
        try:
            wait_for_port(web_port, timeout=120)
            # What the dev server and every other child would start with.
            umask = Path(f"/proc/{running.pid}/status").read_text().split("Umask:")[1].split()[0]
            assert umask == "0077"
            message = EmailMessage()
            message["From"], message["To"] = "concordat@localhost", "member@council.example"
            message["Subject"] = "Acknowledge"
            message.set_content("http://127.0.0.1/ack/a-live-link")
            with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
                smtp.send_message(message)
            deadline = time.monotonic() + 10
            while len(list((var / "mail").glob("*.eml"))) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            running.terminate()
            running.wait(60)
    finally:
        temporal.stop()
    assert running.returncode == 0, log.read_text(errors="replace")

    made = {path.name for path in var.iterdir()}
    assert {"concordat.db", "dev-token", "dev-password", EMBEDDED_KEY_FILE, "mail"} <= made
    assert len(list((var / "mail").glob("*.eml"))) == 2
    for path in (var, var / "mail"):
        assert _mode(path) == 0o700, path
    for path in [*var.glob("concordat.db*"), *var.glob("dev-*"), var / EMBEDDED_KEY_FILE]:
        assert _mode(path) == 0o600, path
    for path in (var / "mail").iterdir():
        assert _mode(path) == 0o600, path
