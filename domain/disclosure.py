"""Who sees what in an incident's messages: where each one goes and how much it may say.

Pure rules over the request the workflow hands the send activity. The activity applies them;
the templates only follow what they decided.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.activity_contracts import NotificationRequest
from domain.channels import Channel
from domain.directory import NAMED_ROLES
from domain.vocabulary import NotificationKind, Tlp

#: Messages that carry a draft submission to the body.
KINDS_WITH_DRAFT = frozenset({NotificationKind.OBLIGATION_DUE, NotificationKind.BODY_NOTIFICATION})


@dataclass(frozen=True)
class Disclosure:
    """What one message may carry, decided once for the whole send."""

    address: str
    """Where the message goes."""
    out_of_band: bool
    """It goes to the member's own address outside the council's mail."""
    restricted: bool
    """It carries nothing but the reference and links."""
    draft: bool
    """It carries the draft submission to the body."""
    acknowledge_link: bool
    """It carries a link that acknowledges for the recipient."""


#: Markings whose detail never leaves the authority: a message to anyone outside it (the
#: central team) carries the reference, the category and the authority, and nothing more.
KEPT_INSIDE_THE_AUTHORITY = frozenset({Tlp.RED, Tlp.AMBER_STRICT})

#: Markings under which a broadcast to the council's Teams channel carries nothing but the
#: reference and the link: the channel's members are not the people the marking allows.
TEAMS_RESTRICTED = KEPT_INSIDE_THE_AUTHORITY


def delivery_address(request: NotificationRequest) -> str:
    """Where the message goes on its channel: a text to the member's mobile; Notify email to
    their out-of-band address (their work address only if they have none); a Teams card to
    the authority's channel (named by its code); email through the council's relay to the
    out-of-band address when the council's email may be compromised (and they have one),
    otherwise to their work address."""
    recipient = request.recipient
    if request.channel is Channel.SMS:
        if not recipient.mobile:
            raise ValueError("the member has no mobile number")
        return recipient.mobile
    if request.channel is Channel.NOTIFY_EMAIL:
        return recipient.out_of_band_email or recipient.email
    if request.channel is Channel.TEAMS:
        return request.incident.authority_code
    if request.incident.email_compromised and recipient.out_of_band_email:
        return recipient.out_of_band_email
    return recipient.email


def carries_no_detail(request: NotificationRequest) -> bool:
    """Only the reference and links: when the council's email may be compromised, and for
    anyone but the named members when the incident is marked TLP:RED (for the central team,
    outside the authority, TLP:AMBER+STRICT too)."""
    incident = request.incident
    if request.kind is NotificationKind.CENTRE_ALERT:
        return incident.email_compromised or incident.tlp in KEPT_INSIDE_THE_AUTHORITY
    if request.channel is Channel.TEAMS:
        return incident.email_compromised or incident.tlp in TEAMS_RESTRICTED
    return incident.email_compromised or (
        incident.tlp is Tlp.RED and request.recipient.role not in NAMED_ROLES
    )


def carries_draft(request: NotificationRequest) -> bool:
    """A draft is the incident in full, so a message without detail never carries one."""
    return (
        request.kind in KINDS_WITH_DRAFT
        and request.facts.body is not None
        and not carries_no_detail(request)
    )


def carries_acknowledge_link(request: NotificationRequest) -> bool:
    """Asked for, to a member, and not into a mailbox the attacker may read: there the link
    could be used to silence the escalation."""
    recipient = request.recipient
    if request.channel is Channel.TEAMS:
        return False  # a broadcast: nobody acknowledges there
    exposed = request.incident.email_compromised and delivery_address(request) == recipient.email
    return request.include_acknowledge_link and recipient.member_id is not None and not exposed


def disclosure_for(request: NotificationRequest) -> Disclosure:
    address = delivery_address(request)
    return Disclosure(
        address=address,
        out_of_band=request.channel is not Channel.TEAMS and address != request.recipient.email,
        restricted=carries_no_detail(request),
        draft=carries_draft(request),
        acknowledge_link=carries_acknowledge_link(request),
    )
