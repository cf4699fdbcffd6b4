"""Whether this process can do its work now: the database, Temporal, the SMTP relay and, when
configured, GOV.UK Notify, each checked on its own with a short timeout, all at once.

`/readyz` answers from here; `/healthz` only says the process answers. A load balancer takes a
web process out of service while it is not ready, and an operator sees which dependency is
away. Each failure is named by its kind ("connection refused", "timed out"), never by the
error's own text, which can carry host names, user names or a URL's password.

The page is open to anyone, and each check touches a shared service (a new SMTP session with
the relay; an authenticated request that counts against the Notify key's rate limit, which the
texts of a live incident share). So one check runs at a time in a process and its answer is
reused for `REUSE_SECONDS`: a flood of requests costs those services nothing more.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Literal

import aiosmtplib
import structlog
from notifications_python_client import NotificationsAPIClient
from notifications_python_client.errors import APIError
from pydantic import BaseModel, Field
from sqlalchemy import text
from temporalio.client import Client
from temporalio.service import RPCError

from activities.transports.smtp import SmtpTransport
from runtime.database import Database
from runtime.settings import Settings, SmtpTls

log = structlog.get_logger(__name__)

#: Seconds an answer is reused: far below any load balancer's probe period, far above a flood's.
REUSE_SECONDS = 2.0
#: What a not-ready answer asks callers to wait before asking again.
RETRY_AFTER_SECONDS = 5

#: Words in an error's text, lower-cased, and the kind of failure each means. Only the kind is
#: ever shown: the text itself can hold a host, a user name or a password.
_KINDS_BY_TEXT = (
    ("connection refused", "connection refused"),
    ("connectionrefused", "connection refused"),
    ("timed out", "timed out"),
    ("timeout", "timed out"),
    ("deadline", "timed out"),
    ("could not translate host name", "host name not resolved"),
    ("name or service not known", "host name not resolved"),
    ("temporary failure in name resolution", "host name not resolved"),
    ("nodename nor servname", "host name not resolved"),
    ("password authentication failed", "authentication refused"),
    ("authentication failed", "authentication refused"),
    ("unable to open database file", "cannot open the database file"),
    ("database is locked", "database locked"),
    ("does not exist", "database or user does not exist"),
    ("no route to host", "no route to host"),
    ("network is unreachable", "network unreachable"),
    ("tcp connect error", "cannot connect"),
    ("transport error", "connection lost"),
)


class Check(BaseModel):
    """One dependency's answer."""

    ok: bool
    ms: int = Field(description="How long the check took, in milliseconds.")
    error: str | None = Field(
        None, description="The kind of failure, when it failed: never an address or a secret."
    )


class Readiness(BaseModel):
    """`/readyz`'s answer: ready when every check is ok."""

    status: Literal["ready", "not_ready"]
    checks: dict[str, Check] = Field(
        description="database, temporal and smtp always; notify when GOV.UK Notify is configured."
    )

    @property
    def ready(self) -> bool:
        return self.status == "ready"


class NotReady(Exception):
    """A check's own finding, already worded as the kind of failure."""


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error and what it was raised from or during, outermost first."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)  # SQLAlchemy's wrapper keeps the driver's error
        current = (
            orig
            if isinstance(orig, BaseException) and id(orig) not in seen
            else current.__cause__ or current.__context__
        )


#: Kinds of error, most telling first: a refused connection reaches aiosmtplib as an
#: `SMTPConnectError` (itself a `ConnectionError`) raised from the `ConnectionRefusedError`.
_KINDS_BY_TYPE: tuple[tuple[type[BaseException], str], ...] = (
    (ConnectionRefusedError, "connection refused"),
    (socket.gaierror, "host name not resolved"),
    (ssl.SSLCertVerificationError, "TLS certificate not trusted"),
    (ssl.SSLError, "TLS failed"),
    (TimeoutError, "timed out"),
)


def failure_kind(error: BaseException) -> str:
    """What kind of failure `error` is, in a few words that are safe to show anyone."""
    chain = list(_chain(error))
    for link in chain:
        if isinstance(link, NotReady):
            return str(link)
        if isinstance(link, aiosmtplib.SMTPResponseException) and link.code > 0:
            return f"the relay answered {link.code}"
    for kinds, kind in _KINDS_BY_TYPE:
        if any(isinstance(link, kinds) for link in chain):
            return kind
    for link in chain:
        words = str(link).lower()
        for phrase, kind in _KINDS_BY_TEXT:
            if phrase in words:
                return kind
    for link in chain:
        if isinstance(link, RPCError):
            return f"Temporal answered {link.status.name}"
        if isinstance(link, ConnectionError):
            return "connection closed"
        if isinstance(link, OSError) and link.errno is not None and link.errno in errno.errorcode:
            return f"network error ({errno.errorcode[link.errno]})"
    return f"failed ({type(error).__name__})"


# --- The checks ----------------------------------------------------------------------------


async def check_database(database: Database) -> None:
    """One statement on a pooled connection. A reading session, so on SQLite the check never
    queues for the write lock behind a burst of writers and then reports a healthy database
    as timed out."""
    async with database.reading() as session:
        await (await session.connection()).execute(text("SELECT 1"))


async def check_temporal(temporal: Client, *, within: float) -> None:
    """The frontend's gRPC health check, the one Temporal's own tools use."""
    await temporal.service_client.check_health(timeout=timedelta(seconds=within))


async def check_smtp(settings: Settings, *, within: float) -> None:
    """A session with the relay as the sender opens one (TLS as configured), EHLO and NOOP,
    then QUIT: nothing is sent, and no password is tried, so a probe can never lock the
    account out."""
    relay = SmtpTransport.from_settings(settings)
    client = aiosmtplib.SMTP(
        hostname=relay.host,
        port=relay.port,
        use_tls=relay.tls is SmtpTls.TLS,
        start_tls=relay.tls is SmtpTls.STARTTLS,
        tls_context=ssl.create_default_context() if relay.tls is not SmtpTls.NONE else None,
        timeout=within,
    )
    await client.connect()
    try:
        await client.ehlo()
        await client.noop()
    finally:
        try:
            await client.quit()
        except aiosmtplib.SMTPException:
            client.close()


#: What Notify's refusals of a template request mean here.
_NOTIFY_REFUSALS = {
    400: "template id not valid",
    401: "API key refused",
    403: "API key refused",
    404: "template not found",
    429: "rate limited",
}


async def check_notify(settings: Settings, *, within: float) -> None:
    """`GET /v2/template/{id}` for the text message template, with the configured key: the
    cheapest request Notify authenticates, and it proves the template texts are sent with
    still exists. Made by Notify's own client, as every text is."""
    key = settings.notify_api_key
    template = settings.notify_sms_template_id
    if key is None:
        raise NotReady("not configured")
    if not template:
        raise NotReady("text message template not set")

    def in_thread() -> None:
        # A client of its own: the client is not thread-safe. Its timeout bounds each phase
        # of the request; `checked` bounds the whole.
        client = NotificationsAPIClient(
            key.get_secret_value(), base_url=settings.notify_base_url, timeout=within
        )
        client.get_template(template)

    try:
        await asyncio.to_thread(in_thread)
    except APIError as error:
        if error.response is None:  # no answer at all: the network's failure, in the chain
            raise
        status = error.status_code
        raise NotReady(_NOTIFY_REFUSALS.get(status, f"Notify answered {status}")) from None


async def checked(probe: Callable[[], Awaitable[None]], *, within: float) -> Check:
    """Run one probe for at most `within` seconds; never raises (a failure is the answer)."""
    started = time.monotonic()
    try:
        async with asyncio.timeout(within):
            await probe()
    except Exception as error:
        return Check(ok=False, ms=_since(started), error=failure_kind(error))
    return Check(ok=True, ms=_since(started))


def _since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


async def readiness(settings: Settings, *, database: Database, temporal: Client) -> Readiness:
    """Every check at once, each within `settings.readiness_timeout_seconds`."""
    timeout = settings.readiness_timeout_seconds
    probes: dict[str, Callable[[], Awaitable[None]]] = {
        "database": lambda: check_database(database),
        "temporal": lambda: check_temporal(temporal, within=timeout),
        "smtp": lambda: check_smtp(settings, within=timeout),
    }
    if settings.notify_configured:
        probes["notify"] = lambda: check_notify(settings, within=timeout)
    results = await asyncio.gather(*(checked(p, within=timeout) for p in probes.values()))
    checks = dict(zip(probes, results, strict=True))
    ready = all(check.ok for check in checks.values())
    return Readiness(status="ready" if ready else "not_ready", checks=checks)


class ReadinessProbe:
    """One process's readiness: one check at a time, its answer reused for `reuse_seconds`,
    and a line logged whenever the set of failing dependencies changes."""

    def __init__(
        self,
        settings: Settings,
        *,
        database: Database,
        temporal: Client,
        reuse_seconds: float = REUSE_SECONDS,
    ) -> None:
        self.settings = settings
        self.database = database
        self.temporal = temporal
        self.reuse_seconds = reuse_seconds
        self._last: tuple[float, Readiness] | None = None
        self._running: asyncio.Future[Readiness] | None = None
        self._failing: frozenset[str] = frozenset()

    async def current(self) -> Readiness:
        """The latest answer if it is fresh; else the check under way, or a new one."""
        if self._last is not None and time.monotonic() - self._last[0] < self.reuse_seconds:
            return self._last[1]
        if self._running is None or self._running.done():
            self._running = asyncio.ensure_future(self._check())
        # Shielded: a caller that goes away does not cancel the others' answer.
        return await asyncio.shield(self._running)

    async def _check(self) -> Readiness:
        answer = await readiness(self.settings, database=self.database, temporal=self.temporal)
        self._last = (time.monotonic(), answer)
        failing = frozenset(name for name, check in answer.checks.items() if not check.ok)
        if failing != self._failing:
            errors = {name: answer.checks[name].error for name in sorted(failing)}
            if failing:
                log.warning("not_ready", failing=sorted(failing), errors=errors)
            else:
                log.info("ready_again", recovered=sorted(self._failing))
            self._failing = failing
        return answer
