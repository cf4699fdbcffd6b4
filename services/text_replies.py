"""Acknowledging by text: what a reply received through GOV.UK Notify does.

A reply acknowledges when it comes from the number a text went to and carries that text's
code, unused and unexpired; the acknowledgement is the member's own, "by SMS". Anything else
(an unregistered number, a wrong, used or expired code, a text with no code) acknowledges
nothing. Every text received is kept once, with what it did, whether it came by Notify's
callback or by polling, so a reply seen twice is handled once.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum

import structlog
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from domain.commands import Acknowledge, AcknowledgementChannel
from domain.mobiles import NotAUkMobile, uk_mobile_from_notify
from models import Incident, ReceivedText, SmsAckCode
from services import sms_codes
from services.directory import member_by_id
from services.temporal_gateway import UpdateRefused, WorkflowUnavailable, update_incident
from workflows import IncidentWorkflow

log = structlog.get_logger(__name__)

#: The code, anywhere in the reply: "482193", "ACK 482193", "Cydnabod 482193.".
_CODE = re.compile(rf"(?<!\d)(\d{{{sms_codes.CODE_DIGITS}}})(?!\d)")


class ReplyOutcome(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    NO_CODE = "no_code"
    UNKNOWN_NUMBER = "unknown_number"
    """No text with a code ever went to this number."""
    WRONG_CODE = "wrong_code"
    USED = "used"
    EXPIRED = "expired"
    REFUSED = "refused"
    """The incident would not take it (already closed)."""


class TextReceived(BaseModel):
    """A text as Notify reports it, by callback or when polled."""

    notify_id: str
    source_number: str
    content: str
    received_at: datetime


async def handle_reply(
    text: TextReceived, *, session: AsyncSession, temporal: Client
) -> ReplyOutcome:
    """What the reply did; the same answer however many times it is handed in.

    Raises `WorkflowUnavailable` when Temporal cannot take the acknowledgement now: the code
    is given back and nothing is kept, so Notify's retry (or the next poll) tries again.
    """
    seen = await _handled(text.notify_id, session=session)
    if seen is not None:
        return ReplyOutcome(seen.outcome)
    outcome, code_row = await _match(text, session=session)
    if outcome is ReplyOutcome.ACKNOWLEDGED:
        assert code_row is not None and code_row.id is not None
        outcome = await _acknowledge(code_row, session=session, temporal=temporal)
    await _keep(text, outcome, code_row, session=session)
    log.info(
        "text_reply_handled",
        outcome=outcome.value,
        notify_id=text.notify_id,
        incident_id=code_row.incident_id if code_row else None,
        member_id=code_row.member_id if code_row else None,
    )
    return outcome


async def _match(
    text: TextReceived, *, session: AsyncSession
) -> tuple[ReplyOutcome, SmsAckCode | None]:
    try:
        number = uk_mobile_from_notify(text.source_number)
    except NotAUkMobile:
        return ReplyOutcome.UNKNOWN_NUMBER, None
    if not await sms_codes.held_by(number, session=session):
        return ReplyOutcome.UNKNOWN_NUMBER, None
    found = _CODE.search(text.content)
    if found is None:
        return ReplyOutcome.NO_CODE, None
    code_row = await sms_codes.find(number, found.group(1), session=session)
    if code_row is None:
        return ReplyOutcome.WRONG_CODE, None
    if code_row.used_at is not None:
        return ReplyOutcome.USED, code_row
    if code_row.expires_at <= datetime.now(UTC):
        return ReplyOutcome.EXPIRED, code_row
    return ReplyOutcome.ACKNOWLEDGED, code_row


async def _acknowledge(
    code_row: SmsAckCode, *, session: AsyncSession, temporal: Client
) -> ReplyOutcome:
    assert code_row.id is not None
    if not await sms_codes.claim(code_row.id, session=session):
        return ReplyOutcome.USED  # another copy of a reply with this code got there first
    incident = await session.get(Incident, code_row.incident_id)
    member = await member_by_id(code_row.member_id, session=session)
    if incident is None or member is None:
        return ReplyOutcome.REFUSED
    command = Acknowledge(
        member_id=code_row.member_id,
        actor=member.name,
        via=AcknowledgementChannel.SMS,
        member_name=member.name,
    )
    try:
        await update_incident(incident, IncidentWorkflow.acknowledge, command, temporal=temporal)
    except UpdateRefused:
        return ReplyOutcome.REFUSED
    except WorkflowUnavailable:
        await sms_codes.release(code_row.id, session=session)
        raise
    return ReplyOutcome.ACKNOWLEDGED


async def _handled(notify_id: str, *, session: AsyncSession) -> ReceivedText | None:
    return (
        await session.exec(select(ReceivedText).where(ReceivedText.notify_id == notify_id))
    ).first()


async def already_handled(notify_id: str, *, session: AsyncSession) -> bool:
    return await _handled(notify_id, session=session) is not None


async def _keep(
    text: TextReceived,
    outcome: ReplyOutcome,
    code_row: SmsAckCode | None,
    *,
    session: AsyncSession,
) -> None:
    session.add(
        ReceivedText(
            notify_id=text.notify_id,
            source_number=text.source_number[:20],
            content=text.content[:1000],
            received_at=text.received_at,
            outcome=outcome.value,
            incident_id=code_row.incident_id if code_row else None,
            member_id=code_row.member_id if code_row else None,
        )
    )
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()  # the same text, handled at the same moment by a poll
