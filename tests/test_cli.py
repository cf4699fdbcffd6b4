"""The `concordat` command line, run as an administrator would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
