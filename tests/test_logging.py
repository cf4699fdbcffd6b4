"""What `concordat web` writes to its log, run as production runs it.

An acknowledge link's path is its token, and a token read from a log still works: the log
shows paths with the token replaced and never a query string. The client's address is the
connection's, whatever `X-Forwarded-For` claims, unless the application trusts the proxy.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from runtime.migrate import upgrade_database
from runtime.ports import free_port, wait_for_port
from security.ack_links import AckLinkSigner
from tests.conftest import TEST_PAYLOAD_KEYS
from tests.processes import CONCORDAT, DevServerProcess
from web.access_log import loggable_path

SECRET_KEY = "logging-test-secret-key"  # test data, not a secret


@pytest.fixture
def temporal(tmp_path: Path) -> Iterator[str]:
    server = DevServerProcess(tmp_path / "temporal.db").start()
    try:
        yield server.address
    finally:
        server.stop()


def test_the_access_log_shows_no_acknowledge_token_no_query_and_no_forged_address(
    temporal: str, tmp_path: Path
) -> None:
    database_url = f"sqlite:///{tmp_path / 'concordat.db'}"
    upgrade_database(database_url)
    port, log = free_port(), tmp_path / "web.log"
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("CONCORDAT_")
    } | {
        "CONCORDAT_ENVIRONMENT": "production",
        "CONCORDAT_SECRET_KEY": SECRET_KEY,
        "CONCORDAT_PAYLOAD_KEYS": TEST_PAYLOAD_KEYS,
        "CONCORDAT_DATABASE_URL": database_url,
        "CONCORDAT_TEMPORAL_ADDRESS": temporal,
        "CONCORDAT_WEB_PORT": str(port),
    }
    # A link as an email carries it: signed, for a member and an address.
    token = AckLinkSigner(SECRET_KEY, 3600).token_for(
        str(uuid.uuid4()), 1, "executive.member@council.example"
    )
    query_secret = f"query-{uuid.uuid4().hex}"
    forged = "203.0.113.77"
    with log.open("wb") as out:
        web = subprocess.Popen(  # noqa: S603 (our own command)
            [CONCORDAT, "web"], env=environment, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_for_port(port)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            opened = client.get(
                f"/ack/{token}?utm_source={query_secret}", headers={"X-Forwarded-For": forged}
            )
            signed_in = client.get(f"/signin?next=/incidents/{query_secret}")
            api = client.get(
                f"/api/incidents?offset={query_secret}", headers={"Authorization": "Bearer x"}
            )
    finally:
        web.terminate()
        web.wait(30)
    assert opened.status_code < 500 and signed_in.status_code == 200
    assert api.status_code in (401, 422)

    written = log.read_text(errors="replace")
    assert token not in written and token[:20] not in written
    assert query_secret not in written
    assert forged not in written
    requests = [
        line
        for line in (json.loads(raw) for raw in written.splitlines() if raw.startswith("{"))
        if line.get("event") == "request"
    ]
    assert {(r["method"], r["path"], r["status"]) for r in requests} >= {
        ("GET", "/ack/<redacted>", opened.status_code),
        ("GET", "/signin", 200),
        ("GET", "/api/incidents", api.status_code),
    }
    assert {r["client"] for r in requests} == {"127.0.0.1"}


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/ack/abc.def.ghi", "/ack/<redacted>"),
        ("/ack/abc/more", "/ack/<redacted>"),
        ("/concordat/ack/abc", "/concordat/ack/<redacted>"),
        ("/ACK/abc", "/ACK/<redacted>"),
        ("/codec/dev/s3cret/decode", "/codec/dev/<redacted>/decode"),
        ("/ack", "/ack"),
        ("/api/incidents/1234", "/api/incidents/1234"),
        ("/acknowledge/x", "/acknowledge/x"),
    ],
)
def test_only_the_acknowledge_token_is_replaced(path: str, logged: str) -> None:
    assert loggable_path(path) == logged


def test_a_logged_failure_shows_its_traceback_but_no_local_variables() -> None:
    """The console's traceback names each frame and the error; a frame's variables (an address,
    a message's words) stay out of the log."""
    import io
    import logging

    from runtime.logging import configure_logging
    from runtime.settings import LogFormat, Settings

    stream = io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging(Settings(log_format=LogFormat.CONSOLE), stream=stream)
    try:
        address = "rhian.jones@personal.example"
        raise ConnectionError(f"relay refused {len(address)} characters")
    except ConnectionError:
        logging.getLogger("activities").warning("send_failed", exc_info=True)
    finally:
        # The process's own handlers again: a handler on this test's captured output would
        # outlive the capture, and later lines (from other threads too) would fail to write.
        root.handlers, root.level = handlers, level
    logged = stream.getvalue()
    assert "send_failed" in logged and "ConnectionError: relay refused 28 characters" in logged
    assert "test_a_logged_failure_shows_its_traceback" in logged
    assert "rhian.jones" not in logged
