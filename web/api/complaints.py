"""/api/complaints: data-protection complaints, each with its acknowledgement clock (Data (Use
and Access) Act 2025: acknowledged within 30 days, then investigated, and its outcome given
without undue delay).

The breach register's people write them: recording a complaint, its acknowledgement and its
outcome needs `RUN_INCIDENTS`, as changing a breach register entry does, for the caller's own
authority; reading needs `READ_INCIDENTS` (the central team reads every authority's). Another
authority's complaint is a 404. They belong to the breach register: `GET /api/complaints` lists
them as `GET /api/breaches` lists its entries, and the `/breaches` page shows both.

The routes only: requests and answers are in `web.api.complaint_models`, and what the pages
share with them in `web.api.complaint_operations`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status

from domain.access import WRITES, Permission
from services import complaints
from services.complaints import RecordedComplaint
from services.directory import authority_by_code
from web.api.complaint_models import (
    AcknowledgementRequest,
    ComplaintRequest,
    ComplaintView,
    OutcomeRequest,
    complaint_view,
)
from web.api.complaint_operations import acknowledge, give_outcome, readable_complaint, record
from web.api.responses import COMMON
from web.deps import (
    AnyCaller,
    ReadsIncidents,
    RunsIncidents,
    SessionDep,
    SettingsDep,
    TemporalDep,
    end_reading,
    refuse_without,
)
from web.operations import OperationError
from web.schemas import Problem

router = APIRouter(prefix="/api/complaints", tags=["complaints"], responses=COMMON)

ComplaintId = Annotated[str, Path(max_length=36, description="The complaint's id (a UUID).")]


def complaint_for(permission: Permission) -> Callable[..., Awaitable[RecordedComplaint]]:
    """The complaint named in the path, if the caller holds `permission` (else 403) and may see
    it, and act for its authority to change it (else 404); found before the request's body is
    read, as an incident is."""

    async def resolve(
        complaint_id: ComplaintId, caller: AnyCaller, session: SessionDep
    ) -> RecordedComplaint:
        refuse_without(caller, permission)
        found = await readable_complaint(complaint_id, caller, session, acting=permission in WRITES)
        await end_reading(session)
        return found

    return resolve


ComplaintToRead = Annotated[RecordedComplaint, Depends(complaint_for(Permission.READ_INCIDENTS))]
ComplaintToRun = Annotated[RecordedComplaint, Depends(complaint_for(Permission.RUN_INCIDENTS))]

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such complaint in your authority."}
}
_REFUSED: dict[int | str, dict[str, Any]] = {
    **_NOT_FOUND,
    409: {
        "model": Problem,
        "description": "Already acknowledged, already closed, or (an outcome other than "
        "withdrawn) not yet acknowledged; nothing was recorded.",
    },
}


def _answer(refused: OperationError) -> HTTPException:
    return HTTPException(refused.status_code, refused.detail, headers=refused.headers or None)


@router.post("", response_model=ComplaintView, status_code=status.HTTP_201_CREATED)
async def record_complaint(
    request: ComplaintRequest,
    caller: RunsIncidents,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
) -> ComplaintView:
    """Record a complaint and start its clock: its data protection officer (or, with none
    named, its senior management member) is reminded at 14, 21 and 28 days, and the named
    members are told if it is not acknowledged within 30. A breach register entry of another
    authority is refused (422) and nothing is recorded."""
    try:
        recorded = await record(
            request, caller=caller, session=session, temporal=temporal, settings=settings
        )
    except OperationError as refused:
        raise _answer(refused) from None
    return complaint_view(recorded)


@router.get("", response_model=list[ComplaintView])
async def list_complaints(
    caller: ReadsIncidents,
    session: SessionDep,
    authority: Annotated[
        str | None, Query(max_length=8, description="Only this authority's (its code).")
    ] = None,
) -> list[ComplaintView]:
    """The complaints of the authorities the caller may read, the latest received first: the
    breach register's complaints, beside its entries (`GET /api/breaches`)."""
    readable = caller.readable
    if authority is not None:
        found = await authority_by_code(authority.upper(), session=session)
        if found is None or found.id is None or not caller.may_read(found.id):
            return []
        readable = frozenset({found.id})
    return [complaint_view(c) for c in await complaints.complaints_of(readable, session=session)]


@router.get("/{complaint_id}", response_model=ComplaintView, responses=_NOT_FOUND)
async def get_complaint(complaint: ComplaintToRead) -> ComplaintView:
    """One complaint: where it stands, the days left to acknowledge it, and its outcome."""
    return complaint_view(complaint)


@router.post("/{complaint_id}/acknowledgement", response_model=ComplaintView, responses=_REFUSED)
async def acknowledge_complaint(
    request: AcknowledgementRequest,
    recorded: ComplaintToRun,
    caller: RunsIncidents,
    session: SessionDep,
    temporal: TemporalDep,
) -> ComplaintView:
    """Record that the complainant was sent the acknowledgement (how, and when: now unless
    said). A complaint is acknowledged once: a second acknowledgement is a 409."""
    try:
        done = await acknowledge(
            recorded, request, caller=caller, session=session, temporal=temporal
        )
    except OperationError as refused:
        raise _answer(refused) from None
    return complaint_view(done)


@router.post("/{complaint_id}/outcome", response_model=ComplaintView, responses=_REFUSED)
async def record_outcome(
    request: OutcomeRequest,
    recorded: ComplaintToRun,
    caller: RunsIncidents,
    session: SessionDep,
    temporal: TemporalDep,
) -> ComplaintView:
    """Record the outcome (upheld, partly upheld, not upheld, or withdrawn) with its reasons,
    which ends the complaint's clock. Given once; before the acknowledgement only a
    withdrawal is."""
    try:
        done = await give_outcome(
            recorded, request, caller=caller, session=session, temporal=temporal
        )
    except OperationError as refused:
        raise _answer(refused) from None
    return complaint_view(done)
