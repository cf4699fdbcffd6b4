"""What the complaints API and the complaint pages both do: find a complaint the caller may see,
record one (and start its clock), and tell its clock of an acknowledgement or an outcome.

Shared by the routes (`web.api.complaints`) and the pages (`web.pages.complaints`), so both are
checked alike and a refusal reads the same: every refusal is an `OperationError` (or a 404), in
English and Welsh. Another authority's complaint is a 404, whether it exists or not.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import HTTPException, status
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from domain.complaints import (
    COMPLAINT_REFUSED,
    AcknowledgeComplaint,
    ComplaintProgress,
    RecordOutcome,
    acknowledgement_refusal,
    outcome_refusal,
)
from domain.rules import in_both
from models import Complaint
from runtime.settings import Settings
from services import complaints
from services.complaint_clock import ClockRefused, ClockUnavailable, record_and_start, tell_clock
from services.complaints import (
    PROGRESS_FIELDS,
    BreachNotInRegister,
    ComplaintDetails,
    RecordedComplaint,
)
from services.directory import authority_by_code, authority_by_id
from web.api.complaint_models import AcknowledgementRequest, ComplaintRequest, OutcomeRequest
from web.deps import Caller, end_reading
from web.operations import OperationError


def no_complaint(complaint_id: str) -> HTTPException:
    return HTTPException(
        status.HTTP_404_NOT_FOUND,
        in_both(f"No complaint {complaint_id}.", f"Dim cwyn {complaint_id}."),
    )


async def readable_complaint(
    complaint_id: str, caller: Caller, session: AsyncSession, *, acting: bool = False
) -> RecordedComplaint:
    """The complaint if the caller may see it (and act for its authority, when `acting`); a
    404 otherwise, whether it exists or not."""
    found = await complaints.complaint_of(complaint_id, session=session)
    if (
        found is None
        or not caller.may_read(found.complaint.authority_id)
        or (acting and not caller.may_act_for(found.complaint.authority_id))
    ):
        raise no_complaint(complaint_id)
    return found


async def record(
    request: ComplaintRequest,
    *,
    caller: Caller,
    session: AsyncSession,
    temporal: Client,
    settings: Settings,
) -> RecordedComplaint:
    """Record the complaint for the caller's authority (or the one named, if they act for it)
    and start its clock: 422 for another authority or another authority's breach entry, 503
    when the clock cannot be started (nothing kept, unless its start is uncertain)."""
    code = request.authority
    if code is not None:
        authority = await authority_by_code(code, session=session)
    elif caller.authority_id is not None:
        authority = await authority_by_id(caller.authority_id, session=session)
    else:
        raise OperationError(
            422,
            in_both(
                "Say which authority the complaint was made to (authority).",
                "Dywedwch i ba awdurdod y gwnaed y gŵyn (authority).",
            ),
        )
    if authority is None or authority.id is None or not caller.may_act_for(authority.id):
        raise OperationError(
            422, in_both(f"Unknown authority code {code!r}.", f"Cod awdurdod anhysbys {code!r}.")
        )
    details = ComplaintDetails(
        received_at=request.received_at,
        received_how=request.received_how,
        summary=request.summary,
        breach_record_id=request.breach_record_id,
        recorded_by=caller.name,
    )
    try:
        complaint = await record_and_start(
            authority,
            details,
            acknowledge_within=timedelta(days=settings.complaint_acknowledge_days),
            session=session,
            temporal=temporal,
            task_queue=settings.task_queue,
            base_url=settings.base_url,
        )
    except BreachNotInRegister as refused:
        raise OperationError(422, str(refused)) from None
    except ClockUnavailable as unavailable:
        raise OperationError(503, str(unavailable), retry_after=5) from None
    recorded = await complaints.complaint_of(complaint.id, session=session)
    assert recorded is not None
    return recorded


def _progress(complaint: Complaint) -> ComplaintProgress:
    """What the row says the clock has recorded, to refuse at once what it would refuse."""
    return ComplaintProgress(
        complaint_id=complaint.id, **{field: getattr(complaint, field) for field in PROGRESS_FIELDS}
    )


async def _tell(
    recorded: RecordedComplaint,
    update: str,
    command: AcknowledgeComplaint | RecordOutcome,
    *,
    session: AsyncSession,
    temporal: Client,
) -> RecordedComplaint:
    complaint_id = recorded.id
    await end_reading(session)
    try:
        await tell_clock(recorded.complaint, update, command, temporal=temporal)
    except ClockRefused as refused:
        raise OperationError(422 if refused.invalid else 409, refused.message) from None
    except ClockUnavailable as unavailable:
        raise OperationError(503, str(unavailable), retry_after=5) from None
    session.expire_all()  # the clock has written the row: read it as it is now
    found = await complaints.complaint_of(complaint_id, session=session)
    assert found is not None
    return found


async def acknowledge(
    recorded: RecordedComplaint,
    request: AcknowledgementRequest,
    *,
    caller: Caller,
    session: AsyncSession,
    temporal: Client,
) -> RecordedComplaint:
    """Record that the complainant was sent the acknowledgement; 409 if it already was."""
    command = AcknowledgeComplaint(
        actor=caller.name, how=request.how, acknowledged_at=request.acknowledged_at
    )
    complaint = recorded.complaint
    refusal = acknowledgement_refusal(
        _progress(complaint), command, received_at=complaint.received_at, now=datetime.now(UTC)
    )
    if refusal is not None:
        kind, message = refusal
        raise OperationError(409 if kind == COMPLAINT_REFUSED else 422, message)
    return await _tell(recorded, "acknowledge", command, session=session, temporal=temporal)


async def give_outcome(
    recorded: RecordedComplaint,
    request: OutcomeRequest,
    *,
    caller: Caller,
    session: AsyncSession,
    temporal: Client,
) -> RecordedComplaint:
    """Record the outcome and its reasons, which ends the complaint's clock."""
    command = RecordOutcome(actor=caller.name, outcome=request.outcome, reasons=request.reasons)
    refusal = outcome_refusal(_progress(recorded.complaint), command)
    if refusal is not None:
        kind, message = refusal
        raise OperationError(409 if kind == COMPLAINT_REFUSED else 422, message)
    return await _tell(recorded, "record_outcome", command, session=session, temporal=temporal)
