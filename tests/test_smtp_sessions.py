"""Sessions with the SMTP relay are kept between sends, and never used once they may be unsound.

A real aiosmtpd relay on loopback of each test's own; the port a message came from tells which
session carried it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import aiosmtplib
import pytest

from activities.transports.smtp_sessions import SmtpSessions, session_factory
from tests.support import MailServer


@pytest.fixture
def relay() -> Iterator[MailServer]:
    server = MailServer()
    server.start()
    yield server
    server.stop()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def sessions_with(relay: MailServer, **options) -> SmtpSessions:
    opener = session_factory(
        host="127.0.0.1",
        port=relay.port,
        username=None,
        password=None,
        use_tls=False,
        start_tls=False,
        timeout=5,
    )
    return SmtpSessions(opener, **options)


def message(number: int) -> bytes:
    headers = f"Subject: alert {number}\r\nMessage-ID: <{number}@concordat.test>\r\n"
    return f"{headers}\r\nBody\r\n".encode()


async def send(sessions: SmtpSessions, number: int, to: str = "member@council.example") -> None:
    await sessions.sendmail("concordat@concordat.test", [to], message(number))


async def test_messages_one_after_another_share_one_session(relay: MailServer) -> None:
    sessions = sessions_with(relay)
    for number in range(3):
        await send(sessions, number)
    received = relay.inbox.messages()
    assert [m.subject for m in received] == ["alert 0", "alert 1", "alert 2"]
    assert len({m.peer for m in received}) == 1
    await sessions.close()


async def test_a_session_the_relay_has_closed_is_not_used_again(relay: MailServer) -> None:
    clock = Clock()
    sessions = sessions_with(relay, clock=clock)
    await send(sessions, 1)
    relay.stop()
    relay.start()
    clock.now += 2  # idle long enough to be asked whether it is still open
    await send(sessions, 2)  # no error: the closed session was left, a new one opened
    first, second = relay.inbox.messages()
    assert second.subject == "alert 2" and second.peer != first.peer
    await sessions.close()


async def test_a_session_idle_too_long_is_replaced(relay: MailServer) -> None:
    clock = Clock()
    sessions = sessions_with(relay, idle_seconds=30, clock=clock)
    await send(sessions, 1)
    clock.now += 10
    await send(sessions, 2)
    clock.now += 31
    await send(sessions, 3)
    peers = [m.peer for m in relay.inbox.messages()]
    assert peers[0] == peers[1] != peers[2]
    await sessions.close()


async def test_a_refused_message_closes_its_session_and_the_next_starts_clean(
    relay: MailServer,
) -> None:
    relay.inbox.rejected_addresses.add("gone@council.example")
    sessions = sessions_with(relay)
    await send(sessions, 1)
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
        await send(sessions, 2, to="gone@council.example")
    await send(sessions, 3)
    first, third = relay.inbox.messages()
    assert third.subject == "alert 3" and third.peer != first.peer


async def test_sends_at_once_each_have_a_session_and_only_some_are_kept(
    relay: MailServer,
) -> None:
    sessions = sessions_with(relay, kept=2)
    await asyncio.gather(*(send(sessions, number) for number in range(5)))
    received = relay.inbox.messages()
    assert sorted(m.subject for m in received) == [f"alert {n}" for n in range(5)]
    assert len({m.peer for m in received}) == 5
    await send(sessions, 5)
    assert relay.inbox.messages()[-1].peer in {m.peer for m in received}
    await sessions.close()
