"""How a message leaves Concordat: one transport per channel.

The send activity decides what a message says and records that it went; a transport only
delivers it, and says whether a failure is worth another try: email through the council's
relay (`smtp.py`), texts and email through GOV.UK Notify (`notify.py`), and a card in the
council's Teams channel (`teams.py`).
"""

from __future__ import annotations

from typing import Protocol

from notifications.compose import Outgoing


class Unaddressable(Exception):
    """A stored address or name that no message on this channel can carry."""


class Refused(Exception):
    """The channel refused the message for good: no retry can help."""

    def __init__(self, reason: str, *, refused_by: str) -> None:
        super().__init__(f"{refused_by} refused the message: {reason}")
        self.reason = reason
        """The channel's own words, kept in the ledger of deliveries."""


class Deferred(Exception):
    """Not delivered this time (the channel is away, or asked us to come back later)."""


class Transport(Protocol):
    async def send(self, message: Outgoing, *, retrying: bool) -> str | None:
        """Deliver the message, or raise `Unaddressable`, `Refused` or `Deferred`; returns the
        channel's own id for the message when it has one (Notify's, which receipts quote).

        `retrying` says an earlier attempt may have reached the channel: a channel that can be
        asked whether it already took the message asks before sending it again. The activity
        retries only `Deferred`, until the channel takes the message.
        """
        ...
