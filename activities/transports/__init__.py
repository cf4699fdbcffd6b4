"""How a message leaves Concordat: one transport per channel.

The send activity decides what a message says and records that it went; a transport only
delivers it, and says whether a failure is worth another try. Email over SMTP is the channel
today (`smtp.py`); SMS through GOV.UK Notify, or Teams, would each be one more module here.
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
    async def send(self, message: Outgoing) -> None:
        """Deliver the message, or raise `Unaddressable`, `Refused` or `Deferred`.

        The activity retries only `Deferred`, until the channel takes the message.
        """
        ...
