"""/api/supplier-notices: a supplier tells its customer councils of an incident at the supplier,
and each council triages its copy; /api/national/supplier-notices: the central team sees each
notice once, with every council's triage, and can make a campaign of it.

A supplier's own token (`concordat suppliers token "Name"`) sends notices only to the councils
that have the supplier on their register now, and reads only what it sent; every other endpoint
refuses it. A council's people read their copies; its on-call officers triage them: link to an
open incident (noted on its timeline), open an incident from the notice (the supplier recorded
as its origin), or dismiss it with a reason. A copy triaged already is a 409. A notice the
caller may not see is a 404, whether or not it exists.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from domain.access import AccessRole, Permission
from domain.rules import in_both
from domain.supplier_notices import NoticeChannel, NoticeSubmission, TriageOutcome
from models import ApiToken, Authority, NoticeRecipient, Supplier, SupplierNotice
from services import notice_intake, notice_reads
from services import supplier_notices as notices
from services.campaigns import CampaignCreate
from services.notice_clocks import start_clocks
from web.api.campaigns import CampaignRequest
from web.api.responses import COMMON
from web.api.supplier_notice_models import (
    NoticeCampaignView,
    NoticeView,
    TriageAction,
    TriageRequest,
    TriageView,
)
from web.deps import (
    Caller,
    ManagesNational,
    ReadsNational,
    SessionDep,
    SettingsDep,
    TemporalDep,
    end_reading,
    refuse_without,
    requires,
)
from web.notice_operations import REFUSALS, no_notice, open_from_notice, prefilled, refusal
from web.rate_limits import rate_limits
from web.schemas import IncidentRequest, Problem

router = APIRouter(tags=["supplier notices"], responses=COMMON)

SubmitsNotices = Annotated[Caller, Depends(requires(Permission.SUBMIT_SUPPLIER_NOTICES))]
ReadsNotices = Annotated[
    Caller,
    Depends(requires(Permission.SUBMIT_SUPPLIER_NOTICES, Permission.READ_INCIDENTS)),
]
TriagesNotices = Annotated[Caller, Depends(requires(Permission.RUN_INCIDENTS))]
NoticeId = Annotated[str, Path(min_length=1, max_length=64)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Repeat a notice with the same key to get the same notice, not a second.",
    ),
]

_REFUSED: dict[int | str, dict[str, Any]] = {
    403: {
        "model": Problem,
        "description": "Not a supplier's token, or a council named does not have the supplier "
        "on its register.",
    },
}
_TRIAGED: dict[int | str, dict[str, Any]] = {
    409: {
        "model": Problem,
        "description": "The notice was triaged already, or the incident named is closed.",
    },
    503: {"model": Problem, "description": "The notice's clock is unreachable; try again."},
}


def _not_found(notice_id: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, no_notice(notice_id))


async def _supplier_of(caller: Caller, session: SessionDep) -> str:
    """The supplier a supplier's token speaks for (its normalised name)."""
    token = await session.get(ApiToken, caller.token_id) if caller.token_id else None
    if caller.role is not AccessRole.SUPPLIER or token is None or not token.supplier:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            in_both(
                "This token does not speak for a supplier.",
                "Nid yw'r tocyn hwn yn siarad ar ran cyflenwr.",
            ),
        )
    return token.supplier


async def _copy_to_triage(
    notice_id: NoticeId, caller: TriagesNotices, session: SessionDep
) -> tuple[NoticeRecipient, SupplierNotice, Authority]:
    """The caller's council's copy of the notice, checked before the request is read; any
    other notice is a 404."""
    found = (
        await notices.copy_of(notice_id, caller.authority_id, session=session)
        if caller.authority_id is not None
        else None
    )
    if found is None:
        raise _not_found(notice_id)
    await end_reading(session)
    return found


CopyToTriage = Annotated[
    tuple[NoticeRecipient, SupplierNotice, Authority], Depends(_copy_to_triage)
]


@router.post(
    "/api/supplier-notices",
    status_code=status.HTTP_201_CREATED,
    response_model=NoticeView,
    responses=_REFUSED,
)
async def submit_notice(
    submission: NoticeSubmission,
    caller: SubmitsNotices,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> NoticeView:
    """A supplier tells its customer councils of an incident at the supplier: those named by
    code, or every council that has the supplier on its register. Each council's on-call side
    is told at once and must triage it within the window (an hour by default)."""
    supplier = await _supplier_of(caller, session)
    registering = await notice_intake.registering_councils(supplier, session=session)
    try:
        councils = notice_intake.chosen_councils(registering, submission.authorities)
    except REFUSALS as refused:
        raise refusal(refused) from None
    notice, created = await notice_intake.record_notice(
        submission,
        supplier_name=supplier,
        display_name=caller.name,
        channel=NoticeChannel.API,
        councils=councils,
        recorded_by=caller.name,
        window_minutes=settings.notice_triage_minutes,
        token_id=caller.token_id,
        idempotency_key=f"api:{supplier}:{idempotency_key}" if idempotency_key else None,
        session=session,
    )
    if created:
        await start_clocks(
            notice.id,
            session=session,
            temporal=temporal,
            task_queue=settings.task_queue,
            base_url=settings.base_url,
        )
    else:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    found = await notice_reads.sent_by(notice.id, supplier, session=session)
    assert found is not None
    return NoticeView.of(found, full=False)


@router.get("/api/supplier-notices", response_model=list[NoticeView])
async def list_notices(caller: ReadsNotices, session: SessionDep) -> list[NoticeView]:
    """For a supplier, the notices it sent, the newest first, and which councils have triaged
    them. For a council's people, its copies: the untriaged first, the soonest due first."""
    if caller.role is AccessRole.SUPPLIER:
        supplier = await _supplier_of(caller, session)
        sent = await notice_reads.notices_sent_by(supplier, session=session)
        return [NoticeView.of(found, full=False) for found in sent]
    copies = await notice_reads.council_copies(caller.readable, session=session)
    return [NoticeView.of(notice_reads.NoticeCopies(notice, [copy])) for notice, copy in copies]


@router.get("/api/supplier-notices/{notice_id}", response_model=NoticeView)
async def get_notice(notice_id: NoticeId, caller: ReadsNotices, session: SessionDep) -> NoticeView:
    """One notice: one the supplier sent, or one that reached the caller's council."""
    if caller.role is AccessRole.SUPPLIER:
        supplier = await _supplier_of(caller, session)
        sent = await notice_reads.sent_by(notice_id, supplier, session=session)
        if sent is None:
            raise _not_found(notice_id)
        return NoticeView.of(sent, full=False)
    found = await notice_reads.notice_for(notice_id, caller.readable, session=session)
    if found is None:
        raise _not_found(notice_id)
    return NoticeView.of(found)


async def _opening_request(
    request: TriageRequest,
    caller: Caller,
    copy: tuple[NoticeRecipient, SupplierNotice, Authority],
    session: SessionDep,
) -> IncidentRequest:
    """The incident the notice suggests, with what the council said otherwise."""
    recipient, notice, authority = copy
    assert request.incident is not None
    entry = await session.get(Supplier, recipient.supplier_id)
    supplier = entry.name if entry is not None else notice.supplier_display_name
    suggested = prefilled(notice, supplier, authority.code)
    reporter = {"reporter_name": caller.name} | (
        {"reporter_email": caller.email} if caller.email else {}
    )
    try:
        return IncidentRequest.model_validate(suggested | reporter | request.incident.given())
    except ValidationError as invalid:
        raise RequestValidationError(
            [error | {"loc": ("body", "incident", *error["loc"])} for error in invalid.errors()]
        ) from None


@router.post(
    "/api/supplier-notices/{notice_id}/triage",
    response_model=TriageView,
    responses=_TRIAGED,
)
async def triage_notice(
    request: Request,
    triage: TriageRequest,
    copy: CopyToTriage,
    caller: TriagesNotices,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
) -> TriageView:
    """Decide on the council's copy: `link` it to an open incident (noted on the incident's
    timeline), `open` a new incident from it (prefilled from the notice, the supplier recorded
    as its origin; give at least its category), or `dismiss` it with the reason. Once decided,
    the clock stops; a second decision is refused (409)."""
    _, notice, authority = copy
    assert authority.id is not None
    reference: str | None = None
    common: dict[str, Any] = {
        "session": session,
        "temporal": temporal,
        "task_queue": settings.task_queue,
        "base_url": settings.base_url,
    }
    try:
        if triage.action is TriageAction.LINK:
            assert triage.incident_reference is not None
            outcome = await notices.link_notice(
                notice.id,
                authority.id,
                triage.incident_reference,
                actor=caller.name,
                user_id=caller.user_id,
                **common,
            )
        elif triage.action is TriageAction.DISMISS:
            assert triage.reason is not None
            try:
                outcome = await notices.dismiss_notice(
                    notice.id,
                    authority.id,
                    triage.reason,
                    actor=caller.name,
                    user_id=caller.user_id,
                    **common,
                )
            except ValidationError as invalid:
                raise RequestValidationError(
                    [error | {"loc": ("body", "reason")} for error in invalid.errors()]
                ) from None
        else:
            refuse_without(caller, Permission.OPEN_INCIDENTS)
            opening = await _opening_request(triage, caller, copy, session)
            incident, outcome = await open_from_notice(
                notice.id,
                opening,
                caller=caller,
                session=session,
                temporal=temporal,
                settings=settings,
                limits=rate_limits(request),
            )
            reference = incident.reference
    except REFUSALS as refused:
        raise refusal(refused) from None
    return _view(notice.id, authority.code, outcome, reference)


def _view(notice_id: str, code: str, outcome: TriageOutcome, reference: str | None) -> TriageView:
    return TriageView(
        notice_id=notice_id,
        authority=code,
        state=outcome.state,
        triaged_by=outcome.triaged_by,
        triaged_at=outcome.triaged_at,
        incident_id=outcome.incident_id,
        incident_reference=reference,
        dismissal_reason=outcome.reason,
    )


@router.get("/api/national/supplier-notices", response_model=list[NoticeView])
async def national_notices(caller: ReadsNational, session: SessionDep) -> list[NoticeView]:
    """Every supplier notice once, the newest first, with every council's triage of it."""
    return [NoticeView.of(found) for found in await notice_reads.national_notices(session=session)]


@router.post(
    "/api/national/supplier-notices/{notice_id}/campaign",
    status_code=status.HTTP_201_CREATED,
    response_model=NoticeCampaignView,
    responses={
        404: {"model": Problem, "description": "No such notice."},
        409: {"model": Problem, "description": "A campaign was made of it already."},
    },
)
async def start_campaign(
    notice_id: NoticeId,
    campaign: CampaignRequest,
    caller: ManagesNational,
    session: SessionDep,
    temporal: TemporalDep,
) -> NoticeCampaignView:
    """Make a campaign of the notice: every incident a council linked it to, or opened from it,
    is linked into the campaign, and so is each one linked or opened later."""
    try:
        made, linked, not_linked = await notices.start_campaign(
            notice_id,
            CampaignCreate(**campaign.model_dump(), created_by=caller.name),
            session=session,
            temporal=temporal,
        )
    except REFUSALS as refused:
        raise refusal(refused) from None
    assert made.id is not None
    return NoticeCampaignView(
        campaign_id=made.id, notice_id=notice_id, linked=linked, not_linked=not_linked
    )
