"""Everything Concordat needs, started on loopback in a scratch directory, for the benchmarks.

A Temporal dev server, SQLite (or a scratch database on a PostgreSQL server, dropped
afterwards), an SMTP sink, `concordat worker` and `concordat web`, each in a process of its own
as in production, so a benchmark measures the product and not a test double. Every council gets
the demo directory and the acknowledgement timeout the benchmark asks for; reporting rules are
turned off so every email can be counted exactly.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import psycopg
from sqlalchemy import make_url
from sqlmodel import select

from bench.smtp_sink import Arrival
from domain.obligations import Body
from embedded.demo import name_demo_members
from models import Authority, EscalationPolicyOverride, ReportingRuleOverride
from runtime.database import Database
from runtime.migrate import upgrade_database
from runtime.payloads import PayloadKeys
from runtime.ports import free_port, wait_for_port
from runtime.temporal import dev_server_command, wait_until_serving
from services.councils import seed_councils
from services.directory import set_policy, set_reporting_rule
from services.tokens import issue_token

CONCORDAT = str(Path(sys.executable).parent / "concordat")


class ScratchPostgres:
    """A database of its own on a PostgreSQL server, so a run never touches anyone's data."""

    def __init__(self, server_url: str) -> None:
        self.server = make_url(server_url)
        self.name = f"concordat_bench_{uuid.uuid4().hex[:10]}"

    def _admin(self) -> psycopg.Connection:
        libpq = self.server.set(drivername="postgresql").render_as_string(hide_password=False)
        return psycopg.connect(libpq, autocommit=True, connect_timeout=5)

    def create(self) -> str:
        with self._admin() as admin:
            admin.execute(f'CREATE DATABASE "{self.name}"')
        return self.server.set(database=self.name).render_as_string(hide_password=False)

    def drop(self) -> None:
        with self._admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class MailLog:
    """The SMTP sink's reports, read by a thread as they come."""

    def __init__(self, stream: IO[str]) -> None:
        self._arrivals: list[Arrival] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            arrival = Arrival.parse(line)
            with self._lock:
                self._arrivals.append(arrival)

    def count(self) -> int:
        with self._lock:
            return len(self._arrivals)

    def arrivals(self) -> list[Arrival]:
        with self._lock:
            return list(self._arrivals)

    async def wait_for(self, count: int, *, within: float) -> bool:
        """True once `count` messages have arrived in all, False after `within` seconds."""
        deadline = time.monotonic() + within
        while self.count() < count:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.05)
        return True


def cpu_seconds_of(pid: int) -> float:
    """User and system CPU time of a running process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_memory_mib(pid: int) -> float:
    """The process's high-water resident memory (VmHWM), while it is still running."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def resident_memory_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Stack:
    """`async with Stack(...) as stack:` starts everything; leaving stops it in order.

    The scratch directory (and a PostgreSQL scratch database) is removed afterwards unless
    `keep()` was called, so a failed run leaves its logs and data for a look.
    """

    def __init__(
        self,
        *,
        ack_seconds: int,
        cache_size: int,
        database_url: str | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.scratch = Path(tempfile.mkdtemp(prefix="concordat-bench-"))
        self._postgres = ScratchPostgres(database_url) if database_url else None
        self._ack_seconds = ack_seconds
        self._processes: list[subprocess.Popen[bytes]] = []
        self._named: dict[str, subprocess.Popen[bytes]] = {}
        self._log = (self.scratch / "processes.log").open("ab")
        self._kept = False
        self.database_url = ""
        self.smtp_port, self.temporal_port, self.web_port = free_port(), free_port(), free_port()
        self.temporal_address = f"127.0.0.1:{self.temporal_port}"
        self.task_queue = f"bench-{uuid.uuid4()}"
        self.payload_keys = PayloadKeys.generate("bench")
        self.env = os.environ | {
            "CONCORDAT_TEMPORAL_ADDRESS": self.temporal_address,
            "CONCORDAT_TASK_QUEUE": self.task_queue,
            "CONCORDAT_SMTP_HOST": "127.0.0.1",
            "CONCORDAT_SMTP_PORT": str(self.smtp_port),
            "CONCORDAT_SECRET_KEY": uuid.uuid4().hex,
            "CONCORDAT_PAYLOAD_KEYS": self.payload_keys,
            "CONCORDAT_WEB_PORT": str(self.web_port),
            "CONCORDAT_MAX_CACHED_WORKFLOWS": str(cache_size),
            "CONCORDAT_RATE_LIMIT_INCIDENTS": "1000000/minute",
            "CONCORDAT_RATE_LIMIT_API": "1000000/minute",
            # The replay phase writes an incident's long timeline as notes, quickly.
            "CONCORDAT_RATE_LIMIT_NOTES": "1000000/minute",
            "CONCORDAT_LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        }
        self.base_url = f"http://127.0.0.1:{self.web_port}"
        self.codes: list[str] = []
        self.token = ""
        self.worker: subprocess.Popen[bytes] | None = None
        self.mail: MailLog

    @property
    def backend(self) -> str:
        return make_url(self.database_url).get_backend_name()

    def keep(self) -> str:
        """Keep the scratch data after the run; returns what was kept, for the report."""
        self._kept = True
        where = f"database {self._postgres.name}, " if self._postgres else "database, "
        return f"{self.scratch} ({where}Temporal state, payload-keys, processes.log)"

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time used so far by each process of the stack, and by this one."""
        used = {"benchmark": sum(os.times()[:2])}
        for name, process in self._named.items():
            used[name] = cpu_seconds_of(process.pid)
        return used

    def spawn(self, name: str, command: list[str], **env: str) -> subprocess.Popen[bytes]:
        """Start a process that stops with the stack; its output goes to processes.log."""
        process = subprocess.Popen(  # noqa: S603 (our own commands)
            command, env=self.env | env, stdout=self._log, stderr=self._log
        )
        self._processes.append(process)
        self._named[name] = process
        return process

    async def __aenter__(self) -> Self:
        try:
            await self._start()
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    async def _start(self) -> None:
        if self._postgres:
            self.database_url = self._postgres.create()
        else:
            self.database_url = f"sqlite:///{self.scratch / 'concordat.db'}"
        self.env["CONCORDAT_DATABASE_URL"] = self.database_url
        (self.scratch / "payload-keys").write_text(self.payload_keys)  # to read a kept run
        upgrade_database(self.database_url)
        self.database = Database(self.database_url)
        await self._prepare_councils()
        self.mail = self._start_sink()
        self.spawn(
            "Temporal server", dev_server_command(self.temporal_port, self.scratch / "temporal.db")
        )
        wait_until_serving(self.temporal_port)
        self.worker = self.spawn("worker", [CONCORDAT, "worker"])
        self.spawn("web", [CONCORDAT, "web"])
        wait_for_port(self.web_port)

    def _start_sink(self) -> MailLog:
        sink = subprocess.Popen(  # noqa: S603 (our own module)
            [sys.executable, "-m", "bench.smtp_sink", "--port", str(self.smtp_port)],
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        self._processes.append(sink)  # type: ignore[arg-type]
        self._named["SMTP sink"] = sink  # type: ignore[assignment]
        assert sink.stdout is not None
        if sink.stdout.readline().strip() != "READY":
            raise RuntimeError("the SMTP sink did not start; see processes.log")
        return MailLog(sink.stdout)

    async def _prepare_councils(self) -> None:
        async with self.database.session() as session:
            await seed_councils(session=session)
            await name_demo_members(session=session)
            authorities = (await session.exec(select(Authority))).all()
            for authority in authorities:
                assert authority.id is not None
                await set_policy(
                    authority.id,
                    EscalationPolicyOverride(
                        authority_id=authority.id,
                        ack_timeout_category_4_seconds=self._ack_seconds,
                        reminders_before_escalation=0,
                    ),
                    session=session,
                )
                for body in Body:  # escalation only: every email can be counted exactly
                    await set_reporting_rule(
                        authority.id,
                        ReportingRuleOverride(authority_id=authority.id, body=body, enabled=False),
                        session=session,
                    )
            _, self.token = await issue_token("bench", authority_id=None, session=session)
        self.codes = [a.code for a in authorities]

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        stop(self._processes)
        self._log.close()
        if hasattr(self, "database"):
            await self.database.dispose()
        if not self._kept and error is None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            if self._postgres:
                self._postgres.drop()


def stop(processes: Iterable[subprocess.Popen]) -> None:
    """SIGTERM in reverse order of starting (web and workers before the server), then wait."""
    running = list(processes)
    for process in reversed(running):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in running:
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
