"""How a member is reached: the channels, and which of them each step of an escalation uses.

A council's own email is often the first thing an incident takes (ransomware on the mail
servers, an attacker reading the mailboxes), so a member is paged on several channels: the
council's SMTP relay, a text through GOV.UK Notify, and email through Notify to an address
outside the council. Microsoft Teams is a broadcast to the council's incident channel, never a
way to reach a person.

The plan is data, per authority and per category band, snapshotted into each incident like the
rest of the escalation policy.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, field_validator

from domain.vocabulary import NcscCategory


class Channel(StrEnum):
    EMAIL = "email"
    """Email through the council's own SMTP relay."""
    SMS = "sms"
    """A text message through GOV.UK Notify, to the member's mobile."""
    NOTIFY_EMAIL = "notify_email"
    """Email through GOV.UK Notify, independent of the council's mail, to the member's
    out-of-band address."""
    TEAMS = "teams"
    """An Adaptive Card in the council's Teams incident channel: a broadcast only."""

    @property
    def through_notify(self) -> bool:
        return self in (Channel.SMS, Channel.NOTIFY_EMAIL)

    @property
    def phrase(self) -> str:
        """How the timeline says it, in its English summaries: "by text"."""
        return _PHRASES[self]


_PHRASES = {
    Channel.EMAIL: "email",
    Channel.SMS: "text",
    Channel.NOTIFY_EMAIL: "Notify email",
    Channel.TEAMS: "Teams",
}


#: Channels that reach a person, in the order a member's failover tries them.
PERSONAL_CHANNELS: tuple[Channel, ...] = (Channel.EMAIL, Channel.SMS, Channel.NOTIFY_EMAIL)

#: When the council's email may be compromised: only channels that bypass it.
OUT_OF_BAND_CHANNELS: tuple[Channel, ...] = (Channel.SMS, Channel.NOTIFY_EMAIL)


class PagingStep(StrEnum):
    """The moments at which a member is paged."""

    FIRST = "first"
    """The first request to acknowledge (and the alert when nobody has)."""
    REMINDER = "reminder"
    ESCALATION = "escalation"


def _personal(channels: list[Channel]) -> list[Channel]:
    if Channel.TEAMS in channels:
        raise ValueError("Teams is a broadcast to a channel, not a way to reach a member")
    if not channels:
        raise ValueError("every step needs at least one channel")
    return list(dict.fromkeys(channels))  # each once, in the order given


class StepChannels(BaseModel):
    """The channels used at once at each step, for one band of categories."""

    first: list[Channel] = Field(min_length=1)
    reminder: list[Channel] = Field(min_length=1)
    escalation: list[Channel] = Field(min_length=1)

    _check = field_validator("first", "reminder", "escalation")(_personal)

    def at(self, step: PagingStep) -> list[Channel]:
        return list(getattr(self, step.value))


_BOTH = [Channel.EMAIL, Channel.SMS]
_EMAIL = [Channel.EMAIL]


class ChannelPlan(BaseModel):
    """Which channels each step uses, per band of NCSC categories (the national default:
    categories 1-3 email and text at once; category 4 email, then a text with the reminder;
    categories 5-6 email only)."""

    category_1_3: StepChannels = StepChannels(first=_BOTH, reminder=_BOTH, escalation=_BOTH)
    category_4: StepChannels = StepChannels(first=_EMAIL, reminder=_BOTH, escalation=_BOTH)
    category_5_6: StepChannels = StepChannels(first=_EMAIL, reminder=_EMAIL, escalation=_EMAIL)

    def for_category(self, category: NcscCategory) -> StepChannels:
        if category.nationally_significant:
            return self.category_1_3
        if category == NcscCategory.SUBSTANTIAL:
            return self.category_4
        return self.category_5_6


NATIONAL_CHANNEL_PLAN = ChannelPlan()


class Reachable(BaseModel):
    """The contact details a member has, as far as choosing channels goes."""

    email: bool
    mobile: bool
    out_of_band_email: bool


def member_channels(
    planned: list[Channel],
    *,
    reachable: Reachable,
    available: frozenset[Channel],
    email_compromised: bool,
) -> tuple[list[Channel], list[Channel]]:
    """The channels to page a member on at once, and those to fail over to, in order.

    Only channels the deployment has (`available`) and the member has details for count. When
    the council's email may be compromised, every member is switched to a text and Notify
    email at their out-of-band address, both at once; where Notify is not set up, their
    out-of-band address is written to through the council's relay, as the only way left.
    """
    usable = [c for c in PERSONAL_CHANNELS if c in available and _has(reachable, c)]
    if email_compromised:
        safe = [c for c in OUT_OF_BAND_CHANNELS if c in usable]
        if safe:
            return safe, []
        return ([Channel.EMAIL], []) if reachable.email else ([], [])
    at_once = [c for c in planned if c in usable]
    fallback = [c for c in usable if c not in at_once]
    if not at_once and fallback:
        at_once, fallback = fallback[:1], fallback[1:]
    return at_once, fallback


def _has(reachable: Reachable, channel: Channel) -> bool:
    return {
        Channel.EMAIL: reachable.email,
        Channel.SMS: reachable.mobile,
        Channel.NOTIFY_EMAIL: reachable.out_of_band_email,
    }.get(channel, False)
