"""The post-incident review under /api: the review of a closed incident, its findings, its
actions and their clocks, its sign-off; follow-ups to regulators after closure; and the lessons
lists and action figures of an authority and of Wales.

The incident's people read its review; officers and named members write it; only the senior
management member names its owner, accepts an action's risk and signs it off. Another
authority's incident is a 404. Each change goes to the incident's post-incident process
(`workflows.post_incident`), which records it on the incident's hash-chained timeline before
answering; a refusal is a 409 in Welsh and English, and Temporal away is a 503.

This module holds the routes only: their requests and answers are in
`web.api.post_incident_models`, and what they share with the pages in
`web.api.post_incident_operations`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Path, status
from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from domain.access import Permission
from domain.post_incident import (
    AcceptActionRisk,
    CompleteAction,
    NameReviewOwner,
    SignOffReview,
    UpdateReview,
)
from models import Incident
from runtime.settings import Settings
from services import post_incident_reviews as reviews
from services.timeline import timeline_of
from web.api.admin import Code
from web.api.post_incident_models import (
    ActionRequest,
    AuthorityLessonsView,
    DoneRequest,
    FindingsRequest,
    FollowUpRequest,
    FollowUpView,
    IncidentReviewView,
    LessonsView,
    NationalLessonsView,
    OwnerRequest,
    RiskRequest,
    SignOffRequest,
    figures_view,
    lesson_view,
    review_view,
)
from web.api.post_incident_operations import (
    action_command,
    ask,
    authority_lessons,
    before_closure,
    current_review,
    follow_up_command,
    owner_of,
    readable_authority,
)
from web.api.responses import COMMON, UPDATE
from web.deps import (
    Caller,
    ReadsIncidents,
    ReadsNational,
    SessionDep,
    SettingsDep,
    TemporalDep,
    end_reading,
    incident_for,
    requires,
)
from web.rate_limits import RateLimits, rate_limits

router = APIRouter(prefix="/api", tags=["post-incident reviews"], responses=COMMON)

IncidentToReview = Annotated[Incident, Depends(incident_for(Permission.REVIEW_INCIDENTS))]
IncidentToSignOff = Annotated[Incident, Depends(incident_for(Permission.SIGN_OFF_REVIEWS))]
IncidentToRead = Annotated[Incident, Depends(incident_for(Permission.READ_INCIDENTS))]
IncidentToRun = Annotated[Incident, Depends(incident_for(Permission.RUN_INCIDENTS))]
Reviews = Annotated[Caller, Depends(requires(Permission.REVIEW_INCIDENTS))]
SignsOff = Annotated[Caller, Depends(requires(Permission.SIGN_OFF_REVIEWS))]
RunsIncidents = Annotated[Caller, Depends(requires(Permission.RUN_INCIDENTS))]
Limits = Annotated[RateLimits, Depends(rate_limits)]
ActionNumber = Annotated[int, Path(ge=1, le=10_000, description="The action's number.")]


@dataclass(frozen=True)
class ReviewProcess:
    """The incident's post-incident process, as each of the review's changes reaches it: the
    same four things every such route needs, asked for once."""

    session: AsyncSession
    settings: Settings
    temporal: Client
    limits: RateLimits

    async def answer(
        self, incident: Incident, update: str, command: BaseModel
    ) -> IncidentReviewView:
        """Send the change, and answer with the review as the process now holds it."""
        events = await timeline_of(incident.id, session=self.session)
        await end_reading(self.session)
        state = await ask(
            incident,
            update,
            command,
            settings=self.settings,
            temporal=self.temporal,
            limits=self.limits,
        )
        return review_view(incident, live=state.review, events=events)


async def review_process(
    session: SessionDep, settings: SettingsDep, temporal: TemporalDep, limits: Limits
) -> ReviewProcess:
    """One dependency for the four, resolved in the order the routes always had them: after
    the incident and the caller's permission, before the request's body is checked."""
    return ReviewProcess(session, settings, temporal, limits)


Process = Annotated[ReviewProcess, Depends(review_process)]


# ---------------------------------------------------------------- the review


@router.get("/incidents/{incident_id}/review", response_model=IncidentReviewView)
async def get_review(
    incident: IncidentToRead, session: SessionDep, temporal: TemporalDep
) -> IncidentReviewView:
    """The incident's post-incident review, its actions and the incident's key moments."""
    return await current_review(incident, session=session, temporal=temporal)


@router.post(
    "/incidents/{incident_id}/review/start", response_model=IncidentReviewView, responses=UPDATE
)
async def start(
    incident: IncidentToReview, caller: Reviews, process: Process
) -> IncidentReviewView:
    """Start the review of an exercise, or of an incident closed before reviews began: due the
    configured number of working days from today (Welsh bank holidays skipped). A review
    already started is answered as it is."""
    command = reviews.start_review(process.settings, actor=caller.name)
    return await process.answer(incident, "start_review", command)


@router.put("/incidents/{incident_id}/review", response_model=IncidentReviewView, responses=UPDATE)
async def record_findings(
    findings: FindingsRequest, incident: IncidentToReview, caller: Reviews, process: Process
) -> IncidentReviewView:
    """Record the review's findings: root cause, what went well, what did not, the lessons,
    and the commitments touched. Each change is on the incident's timeline."""
    command = UpdateReview(**findings.model_dump(exclude_none=True), actor=caller.name)
    return await process.answer(incident, "update_review", command)


@router.post(
    "/incidents/{incident_id}/review/owner", response_model=IncidentReviewView, responses=UPDATE
)
async def name_owner(
    owner: OwnerRequest, incident: IncidentToSignOff, caller: SignsOff, process: Process
) -> IncidentReviewView:
    """The senior management member names who owns the review (one of the authority's
    people), or takes it back; the new owner is told."""
    command = NameReviewOwner(
        owner=await owner_of(incident, owner.user_id, session=process.session), actor=caller.name
    )
    return await process.answer(incident, "name_review_owner", command)


@router.post(
    "/incidents/{incident_id}/review/actions", response_model=IncidentReviewView, responses=UPDATE
)
async def add_action(
    action: ActionRequest, incident: IncidentToReview, caller: Reviews, process: Process
) -> IncidentReviewView:
    """Add an action, with its owner and due date: overdue, its owner is reminded; still open
    days later, the senior management member is told."""
    owner = await owner_of(incident, action.owner_user_id, session=process.session)
    return await process.answer(incident, "add_action", action_command(action, owner, caller.name))


@router.post(
    "/incidents/{incident_id}/review/actions/{number}/done",
    response_model=IncidentReviewView,
    responses=UPDATE,
)
async def complete_action(
    number: ActionNumber,
    done: DoneRequest,
    incident: IncidentToReview,
    caller: Reviews,
    process: Process,
) -> IncidentReviewView:
    """Mark an action done, with a note of what was done."""
    command = CompleteAction(number=number, note=done.note, actor=caller.name)
    return await process.answer(incident, "complete_action", command)


@router.post(
    "/incidents/{incident_id}/review/actions/{number}/accept-risk",
    response_model=IncidentReviewView,
    responses=UPDATE,
)
async def accept_risk(
    number: ActionNumber,
    risk: RiskRequest,
    incident: IncidentToSignOff,
    caller: SignsOff,
    process: Process,
) -> IncidentReviewView:
    """The senior management member accepts an action's risk, with the reason: it will not
    be done, and no longer holds the review open."""
    command = AcceptActionRisk(number=number, reason=risk.reason, actor=caller.name)
    return await process.answer(incident, "accept_action_risk", command)


@router.post(
    "/incidents/{incident_id}/review/sign-off", response_model=IncidentReviewView, responses=UPDATE
)
async def sign_off(
    signing: SignOffRequest, incident: IncidentToSignOff, caller: SignsOff, process: Process
) -> IncidentReviewView:
    """The senior management member signs the review off: refused (409) while an action is
    open or the root cause is not recorded."""
    command = SignOffReview(note=signing.note or None, actor=caller.name)
    return await process.answer(incident, "sign_off_review", command)


# ---------------------------------------------------------------- follow-ups after closure


@router.post(
    "/incidents/{incident_id}/follow-ups",
    response_model=FollowUpView,
    status_code=status.HTTP_201_CREATED,
    responses=UPDATE,
)
async def record_follow_up(
    follow_up: FollowUpRequest,
    incident: IncidentToRun,
    caller: RunsIncidents,
    settings: SettingsDep,
    temporal: TemporalDep,
    limits: Limits,
) -> FollowUpView:
    """Record a follow-up to a body after the incident closed (UK GDPR Art 33(4): the rest of
    the facts given to the ICO as they become known). It is on the incident's timeline, and
    one to the ICO is in the breach register entry's ICO evidence. Before closure, follow-ups
    are recorded on the obligation itself (409 says where)."""
    if incident.closed_at is None:
        raise before_closure(incident, follow_up.body)
    command = follow_up_command(follow_up, caller.name)
    await ask(
        incident, "record_follow_up", command, settings=settings, temporal=temporal, limits=limits
    )
    assert command.submitted_at is not None and command.summary is not None
    return FollowUpView(
        incident_id=incident.id,
        reference=incident.reference,
        body=command.body,
        phase=command.phase,
        summary=command.summary,
        submitted_at=command.submitted_at,
        recorded_by=caller.name,
        after_closure=True,
    )


# ---------------------------------------------------------------- lessons


@router.get("/authorities/{code}/lessons", response_model=LessonsView)
async def get_lessons(code: Code, caller: ReadsIncidents, session: SessionDep) -> LessonsView:
    """The authority's lessons list (its reviews signed off, and those open that have found
    something) and its actions' figures."""
    authority = await readable_authority(code, caller, session)
    found, figures = await authority_lessons(authority, session=session)
    return LessonsView(
        authority=authority.code,
        name_en=authority.name_en,
        name_cy=authority.name_cy,
        figures=figures_view(figures),
        lessons=[lesson_view(lesson) for lesson in found],
    )


@router.get("/national/lessons", response_model=NationalLessonsView)
async def get_national_lessons(caller: ReadsNational, session: SessionDep) -> NationalLessonsView:
    """Every authority's lessons and actions' figures, and the figures for Wales."""
    lines, wales = await reviews.national_lessons(session=session)
    return NationalLessonsView(
        wales=figures_view(wales),
        authorities=[
            AuthorityLessonsView(
                authority=line.authority.code,
                name_en=line.authority.name_en,
                name_cy=line.authority.name_cy,
                reviews=line.reviews,
                signed_off=line.signed_off,
                figures=figures_view(line.figures),
                lessons=[lesson_view(lesson) for lesson in line.lessons],
            )
            for line in lines
        ],
    )
