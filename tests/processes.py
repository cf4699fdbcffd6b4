"""Real processes the fault tests start, kill and restart: workers and a Temporal dev server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from runtime.ports import free_port, wait_for_port
from runtime.settings import Settings
from runtime.temporal import dev_server_command, wait_until_serving

CONCORDAT = str(Path(sys.executable).parent / "concordat")


class _Process:
    """A process a test starts, kills (SIGKILL, no grace) and stops (SIGTERM, with grace)."""

    process: subprocess.Popen[bytes] | None = None
    stop_grace: float = 60

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(self.stop_grace)
            except subprocess.TimeoutExpired:
                self.process.kill()


class WorkerProcess(_Process):
    """`concordat worker` in its own process, as production runs it."""

    def __init__(self, settings: Settings, *, temporal: str, queue: str, log: Path) -> None:
        self.env = os.environ | {
            "CONCORDAT_DATABASE_URL": settings.database_url,
            "CONCORDAT_TEMPORAL_ADDRESS": temporal,
            "CONCORDAT_TASK_QUEUE": queue,
            "CONCORDAT_SMTP_HOST": settings.smtp_host or "127.0.0.1",
            "CONCORDAT_SMTP_PORT": str(settings.smtp_port),
            "CONCORDAT_SMTP_TIMEOUT_SECONDS": "5",
            "CONCORDAT_SECRET_KEY": settings.signing_key(),
            "CONCORDAT_PAYLOAD_KEYS": settings.payload_keys.get_secret_value()
            if settings.payload_keys
            else "",
            "CONCORDAT_BASE_URL": settings.base_url,
            "CONCORDAT_MAIL_FROM": settings.mail_from,
            "CONCORDAT_LOG_FORMAT": "json",
        }
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 (our own command)
                [CONCORDAT, "worker"], env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        return self

    def logged(self, event: str) -> int:
        return self.log.read_text(errors="replace").count(f'"event": "{event}"')


class DevServerProcess(_Process):
    """The Temporal dev server with its state in a file, so it can be killed and restarted."""

    def __init__(self, state: Path) -> None:
        self.state, self.port = state, free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> DevServerProcess:
        self.process = subprocess.Popen(  # noqa: S603 (the bundled Temporal CLI)
            [
                *dev_server_command(self.port, self.state),
                "--dynamic-config-value",
                "frontend.enableUpdateWorkflowExecution=true",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until_serving(self.port)
        return self


class WebProcess(_Process):
    """`concordat web` in its own process, so it can be killed in the middle of a request."""

    def __init__(self, settings: Settings, *, temporal: str, queue: str, log: Path) -> None:
        self.port = free_port()
        self.env = WorkerProcess(settings, temporal=temporal, queue=queue, log=log).env | {
            "CONCORDAT_WEB_PORT": str(self.port),
            "CONCORDAT_RATE_LIMIT_INCIDENTS": "1000/minute",
        }
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> WebProcess:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 (our own command)
                [CONCORDAT, "web"], env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        wait_for_port(self.port)
        return self
