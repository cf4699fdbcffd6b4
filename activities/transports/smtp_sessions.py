"""Sessions with the SMTP relay, kept open between sends.

Opening a session costs a TCP (and often TLS) handshake, the greeting, EHLO and a login before the
first byte of a message, and QUIT after it: more than the message itself for a short alert. A
worker sending an incident's first alerts sends several at once, so it keeps the sessions it has
opened and uses them again while they are fresh.

A kept session is used only while the relay has not closed it (relays drop idle clients), for
`IDLE_SECONDS` at most, and after a NOOP once it has been idle for `PROBE_AFTER`. A failure
closes the session, whatever state the relay was left in, and is the send's failure as on a
session of its own: a message the relay may have taken is sent again only by the activity's
retry, under the same Message-ID (see `services.deliveries`).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import aiosmtplib

#: A session idle for longer is closed rather than used: relays commonly drop an idle client
#: after a minute or more, and a session that old would usually fail at its first command.
IDLE_SECONDS = 30.0
#: A session idle this long answers a NOOP before it carries a message; one used just now is
#: trusted, as one message follows another in a burst.
PROBE_AFTER = 1.0
#: Sessions kept idle at most; more open at once only while that many sends run.
KEPT = 8


@dataclass
class _Idle:
    client: aiosmtplib.SMTP
    loop: asyncio.AbstractEventLoop
    since: float


@dataclass
class SmtpSessions:
    """A small pool of sessions with one relay (`open_session` makes a connected one)."""

    open_session: Callable[[], aiosmtplib.SMTP]
    idle_seconds: float = IDLE_SECONDS
    kept: int = KEPT
    probe_after: float = PROBE_AFTER
    clock: Callable[[], float] = time.monotonic
    _idle: list[_Idle] = field(default_factory=list)

    async def sendmail(self, sender: str, recipients: list[str], message: bytes) -> None:
        """Send on a kept session, or on a new one when none is fresh and answering."""
        client = await self._take()
        try:
            if client is None:
                client = self.open_session()
                await client.connect()
            await client.sendmail(sender, recipients, message)
        except BaseException:
            if client is not None:
                client.close()
            raise
        await self._keep(client)

    async def _take(self) -> aiosmtplib.SMTP | None:
        """The freshest kept session opened in this event loop, closing stale ones. One idle
        for `probe_after` is asked for a NOOP first: a relay that has closed it since (or is
        closing it) then costs a new session rather than a failed send."""
        loop = asyncio.get_running_loop()
        while self._idle:
            idle = self._idle.pop()
            if idle.loop is not loop:
                # A session of another event loop (a finished test's, a finished command's)
                # can be neither used nor closed from this one: it is dropped with its loop.
                continue
            waited = self.clock() - idle.since
            if waited < self.idle_seconds and idle.client.is_connected:
                if waited < self.probe_after:
                    return idle.client
                try:
                    await idle.client.noop()
                    return idle.client
                except (aiosmtplib.SMTPException, OSError):
                    pass
            idle.client.close()
        return None

    async def _keep(self, client: aiosmtplib.SMTP) -> None:
        if len(self._idle) >= self.kept:
            await _quit(client)
            return
        self._idle.append(_Idle(client, asyncio.get_running_loop(), self.clock()))

    async def close(self) -> None:
        """QUIT every kept session of this event loop. A worker does not call it: its kept
        sessions end with its process, which the relay sees as a client gone."""
        loop = asyncio.get_running_loop()
        kept, self._idle = self._idle, []
        await asyncio.gather(*(_quit(idle.client) for idle in kept if idle.loop is loop))


async def _quit(client: aiosmtplib.SMTP) -> None:
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError):
        client.close()


def session_factory(
    *,
    host: str,
    port: int,
    username: str | None,
    password: str | None,
    use_tls: bool,
    start_tls: bool,
    timeout: float,
) -> Callable[[], aiosmtplib.SMTP]:
    """Sessions as `aiosmtplib.send` would open them: TLS as configured, then the login."""

    def open_session() -> aiosmtplib.SMTP:
        return aiosmtplib.SMTP(
            hostname=host,
            port=port,
            username=username,
            password=password,
            use_tls=use_tls,
            start_tls=start_tls,
            tls_context=ssl.create_default_context() if (use_tls or start_tls) else None,
            timeout=timeout,
        )

    return open_session
