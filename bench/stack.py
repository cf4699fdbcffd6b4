"""Everything Concordat needs, started on loopback in a scratch directory, for the benchmarks.

A Temporal dev server, SQLite (or a scratch database on a PostgreSQL server, dropped
afterwards), an SMTP sink, a Notify catcher, `concordat worker` and `concordat web`, each in a
process of its own as in production, so a benchmark measures the product and not a test double.
The worker and web processes get the Notify settings production sets (`CONCORDAT_NOTIFY_*`),
pointing at the catcher, which posts delivery receipts back to the web app as Notify does
(`bench/notify_sink.py` says why it has a process of its own). Every council gets the demo
directory, with a mobile for each of its two named members (one in Ofcom's drama range where
the directory gives none), and the acknowledgement timeout the benchmark asks for, in every
category; reporting rules are turned off so every email can be counted exactly.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import IO, Generic, Self, TypeVar

import psycopg
from sqlalchemy import make_url
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bench.notify_sink import Text
from bench.smtp_sink import Arrival
from domain.obligations import Body
from domain.vocabulary import MemberRole
from embedded.demo import name_demo_members
from embedded.notify_catcher import (
    EMBEDDED_EMAIL_TEMPLATE_ID,
    EMBEDDED_SMS_SENDER_ID,
    EMBEDDED_SMS_TEMPLATE_ID,
    development_api_key,
)
from models import Authority, EscalationPolicyOverride, ReportingRuleOverride, ResponsibleMember
from runtime.database import Database
from runtime.migrate import upgrade_database
from runtime.payloads import PayloadKeys
from runtime.ports import free_port, wait_for_port
from runtime.temporal import dev_server_command, wait_until_serving
from services.councils import seed_councils
from services.directory import set_policy, set_reporting_rule
from services.tokens import issue_token

CONCORDAT = str(Path(sys.executable).parent / "concordat")

#: The two members each council names, whom the first alert pages.
NAMED_ROLES = (MemberRole.EXECUTIVE_MEMBER, MemberRole.SENIOR_MANAGEMENT_MEMBER)

Reported = TypeVar("Reported")


def drama_mobile(number: int) -> str:
    """The `number`th of Ofcom's mobile numbers for drama (07700 900000 to 900999), which
    Notify accepts and no real phone has, from 07700 900100 on."""
    if not 0 <= number < 900:
        raise ValueError("Ofcom's drama range has 900 numbers from 07700 900100")
    return f"+447700900{100 + number:03d}"


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


class SinkLog(Generic[Reported]):
    """A sink's reports (emails from the SMTP sink, texts from the Notify catcher), read by a
    thread as they come."""

    def __init__(self, stream: IO[str], parse: Callable[[str], Reported]) -> None:
        self._arrivals: list[Reported] = []
        self._lock = threading.Lock()
        self._parse = parse
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            arrival = self._parse(line)
            with self._lock:
                self._arrivals.append(arrival)

    def count(self) -> int:
        with self._lock:
            return len(self._arrivals)

    def arrivals(self) -> list[Reported]:
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
        self.notify_port = free_port()
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
            # As production has it, with the catcher in GOV.UK Notify's place.
            "CONCORDAT_NOTIFY_API_KEY": development_api_key(),
            "CONCORDAT_NOTIFY_BASE_URL": f"http://127.0.0.1:{self.notify_port}",
            "CONCORDAT_NOTIFY_SMS_TEMPLATE_ID": EMBEDDED_SMS_TEMPLATE_ID,
            "CONCORDAT_NOTIFY_EMAIL_TEMPLATE_ID": EMBEDDED_EMAIL_TEMPLATE_ID,
            "CONCORDAT_NOTIFY_SMS_SENDER_ID": EMBEDDED_SMS_SENDER_ID,
            "CONCORDAT_NOTIFY_CALLBACK_TOKEN": secrets.token_urlsafe(24),
            **(extra_env or {}),
        }
        self.base_url = f"http://127.0.0.1:{self.web_port}"
        self.codes: list[str] = []
        self.token = ""
        self.worker: subprocess.Popen[bytes] | None = None
        self.mail: SinkLog[Arrival]
        self.texts: SinkLog[Text]

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

    def pid_of(self, name: str) -> int:
        """The process id of one of the stack's processes (`worker`, `web`, ...)."""
        return self._named[name].pid

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
        smtp_sink = self._start_sink(
            "SMTP sink", ["bench.smtp_sink", "--port", str(self.smtp_port)]
        )
        notify_sink = self._start_sink(
            "Notify catcher",
            [
                "bench.notify_sink",
                "--port",
                str(self.notify_port),
                "--callbacks",
                f"{self.base_url}/callbacks/notify",
            ],
        )
        self.spawn(
            "Temporal server", dev_server_command(self.temporal_port, self.scratch / "temporal.db")
        )
        # The sinks start while the Temporal server does.
        self.mail = SinkLog(self._ready(smtp_sink), Arrival.parse)
        self.texts = SinkLog(self._ready(notify_sink), Text.parse)
        wait_until_serving(self.temporal_port)
        self.worker = self.spawn("worker", [CONCORDAT, "worker"])
        self.spawn("web", [CONCORDAT, "web"])
        wait_for_port(self.web_port)

    def _start_sink(self, name: str, arguments: list[str]) -> subprocess.Popen[str]:
        """A sink that reports on its standard output, once it has said READY there."""
        sink = subprocess.Popen(  # noqa: S603 (our own module)
            [sys.executable, "-m", *arguments],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        self._processes.append(sink)  # type: ignore[arg-type]
        self._named[name] = sink  # type: ignore[assignment]
        return sink

    def _ready(self, sink: subprocess.Popen[str]) -> IO[str]:
        assert sink.stdout is not None
        if sink.stdout.readline().strip() != "READY":
            name = next(name for name, process in self._named.items() if process is sink)
            raise RuntimeError(f"the {name} did not start; see processes.log")
        return sink.stdout

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
                        ack_timeout_category_1_3_seconds=self._ack_seconds,
                        ack_timeout_category_4_seconds=self._ack_seconds,
                        ack_timeout_category_5_6_seconds=self._ack_seconds,
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
            await self._give_mobiles(session)
            _, self.token = await issue_token("bench", authority_id=None, session=session)
        self.codes = [a.code for a in authorities]

    @staticmethod
    async def _give_mobiles(session: AsyncSession) -> None:
        """A mobile of their own for each council's two named members who have none, so a
        category 1-3 incident texts both, as the national channel plan has it."""
        members = (await session.exec(select(ResponsibleMember))).all()
        taken = {member.mobile for member in members if member.mobile}
        free = (mobile for n in range(900) if (mobile := drama_mobile(n)) not in taken)
        for member in sorted(members, key=lambda m: (m.authority_id, m.role)):
            if member.role in NAMED_ROLES and not member.mobile:
                member.mobile = next(free)
                session.add(member)
        await session.commit()

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
