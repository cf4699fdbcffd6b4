"""The post-incident review under /api: the review of a closed incident, its findings, its
actions and their clocks, its sign-off; follow-ups to regulators after closure; and the lessons
lists and action figures of an authority and of Wales.

The incident's people read its review; officers and named members write it; only the senior
management member names its owner, accepts an action's risk and signs it off. Another
authority's incident is a 404. Each change goes to the incident's post-incident process
(`workflows.post_incident`), which records it on the incident's hash-chained timeline before
answering; a refusal is a 409 in Welsh and English, and Temporal away is a 503.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

import structlog
from fastapi import APIRouter, Depends, HTTPException, Path, status
from pydantic import BaseModel, Field, StringConstraints, field_validator
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from domain.access import Permission
from domain.commands import RecordSubmission, Rejection
from domain.obligations import Body, SubmissionPhase
from domain.post_incident import (
    AcceptActionRisk,
    ActionState,
    CompleteAction,
    NameReviewOwner,
    Owner,
    PostIncidentState,
    Review,
    ReviewStatus,
    SignOffReview,
    UpdateReview,
    post_incident_workflow_id,
)
from domain.vocabulary import MemberRole
from domain.working_days import UK
from models import Authority, Incident, IncidentReview, TimelineEvent
from models import ReviewAction as ReviewActionRow
from runtime.settings import Settings
from services import post_incident_reviews as reviews
from services.after_alarm import post_incident_state, update_post_incident
from services.directory import authority_by_code
from services.temporal_gateway import UpdateRefused, WorkflowUnavailable
from services.timeline import timeline_of
from web.api.admin import Code
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
from web.operations import OperationError
from web.rate_limits import PerIncident, RateLimits, TooFast, rate_limits
from web.schemas import CLOCK_SKEW, Moment, OneLine, Strict, Whole

log = structlog.get_logger(__name__)

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

Text = Annotated[str, StringConstraints(max_length=20000)]
Letter = Literal["a", "b", "c", "d", "e", "f", "g"]

NOT_CLOSED = (
    "The post-incident review and follow-ups after closure begin once the incident is closed. / "
    "Mae'r adolygiad ar ôl digwyddiad a'r adroddiadau dilynol ar ôl cau yn dechrau unwaith y "
    "bydd y digwyddiad wedi'i gau."
)


# ---------------------------------------------------------------- requests


class FindingsRequest(Strict):
    """The review's findings; a field left out keeps what it says."""

    root_cause: Text | None = None
    went_well: Text | None = None
    went_badly: Text | None = None
    lessons: Text | None = None
    commitments: list[Letter] | None = Field(
        None, max_length=7, description="The Concordat commitments (a to g) the incident touched."
    )


class OwnerRequest(Strict):
    user_id: Whole | None = Field(
        None,
        ge=1,
        le=2**31 - 1,
        description="One of the authority's people; left out, the senior management member.",
    )


class ActionRequest(Strict):
    title: Annotated[OneLine, StringConstraints(min_length=1, max_length=500)]
    due_on: date = Field(description="The day it is due; overdue after its end, UK time.")
    owner_user_id: Whole | None = Field(
        None,
        ge=1,
        le=2**31 - 1,
        description="One of the authority's people; left out, the senior management member.",
    )

    @field_validator("due_on")
    @classmethod
    def _within_reach(cls, due_on: date) -> date:
        """A date an action can really be due on: not already past, within ten years."""
        today = datetime.now(UK).date()
        if not today <= due_on <= today + timedelta(days=3653):
            raise ValueError(
                "The due date must be today or later, within ten years. / Rhaid i'r dyddiad "
                "dyledus fod heddiw neu'n hwyrach, o fewn deng mlynedd."
            )
        return due_on


class DoneRequest(Strict):
    note: Annotated[str, StringConstraints(min_length=1, max_length=5000)] = Field(
        description="What was done: an action is never done without it."
    )


class RiskRequest(Strict):
    reason: Annotated[str, StringConstraints(min_length=10, max_length=5000)] = Field(
        description="Why the action will not be done, and the risk accepted instead."
    )


class SignOffRequest(Strict):
    note: Annotated[str, StringConstraints(max_length=5000)] | None = None


class FollowUpRequest(Strict):
    """A follow-up to a body after the incident closed: UK GDPR Art 33(4) to the ICO, or
    another body's."""

    body: Body
    summary: Annotated[str, StringConstraints(min_length=1, max_length=5000)] = Field(
        description="What the follow-up told them."
    )
    reference: Annotated[OneLine, StringConstraints(max_length=64)] | None = None
    submitted_at: Moment | None = Field(None, description="When it was sent; now if left out.")


# ---------------------------------------------------------------- answers


class OwnerView(BaseModel):
    name: str
    member_role: MemberRole | None
    user_id: int | None


class ActionView(BaseModel):
    number: int
    title: str
    owner: OwnerView
    due_on: date
    due_at: datetime
    state: ActionState
    overdue: bool
    added_at: datetime
    added_by: str
    reminded_at: datetime | None
    escalated_at: datetime | None
    closed_at: datetime | None
    closed_by: str | None
    done_note: str | None
    risk_reason: str | None
    done_in_time: bool | None


class MomentView(BaseModel):
    what: Literal[
        "detected",
        "aware",
        "opened",
        "acknowledged",
        "told",
        "follow_up",
        "contained",
        "recovered",
        "closed",
    ]
    at: datetime
    seconds_after_detection: int
    body: Body | None
    who: str | None
    reference: str | None
    late: bool
    after_closure: bool


class ReviewView(BaseModel):
    """A closed incident's review: who owns it, when it is due, what it found, its actions,
    its sign-off, and the incident's key moments. `status` is `not_started` while there is
    none (an open incident, or an exercise nobody asked to review)."""

    incident_id: str
    reference: str
    exercise: bool
    closed_at: datetime | None
    status: ReviewStatus
    owner: OwnerView | None = None
    started_at: datetime | None = None
    due_on: date | None = None
    due_at: datetime | None = None
    overdue: bool = False
    overdue_at: datetime | None = None
    root_cause: str = ""
    went_well: str = ""
    went_badly: str = ""
    lessons: str = ""
    commitments: list[str] = []
    actions: list[ActionView] = []
    signed_off_at: datetime | None = None
    signed_off_by: str | None = None
    sign_off_note: str | None = None
    key_moments: list[MomentView] = []


class FollowUpView(BaseModel):
    incident_id: str
    reference: str
    body: Body
    phase: SubmissionPhase
    summary: str
    submitted_at: datetime
    recorded_by: str
    after_closure: bool


class ActionFiguresView(BaseModel):
    open: int
    overdue: int
    """Open and past their due date."""
    done: int
    done_in_time: int
    risk_accepted: int
    total: int


class LessonView(BaseModel):
    incident_id: str
    reference: str
    authority: str
    exercise: bool
    closed_at: datetime | None
    status: ReviewStatus
    root_cause: str
    went_well: str
    went_badly: str
    lessons: str
    commitments: list[str]
    signed_off_at: datetime | None
    actions: int
    open_actions: int


class LessonsView(BaseModel):
    """An authority's lessons: its reviews signed off, and those open that found something."""

    authority: str
    name_en: str
    name_cy: str
    figures: ActionFiguresView
    lessons: list[LessonView]


class AuthorityLessonsView(LessonsView):
    reviews: int
    signed_off: int


class NationalLessonsView(BaseModel):
    """Every authority's lessons and action figures, and the figures for Wales."""

    wales: ActionFiguresView
    authorities: list[AuthorityLessonsView]


# ---------------------------------------------------------------- building the answers


def _owner(owner: Owner | None = None, row: Any = None) -> OwnerView:
    if owner is not None:
        return OwnerView(name=owner.name, member_role=owner.member_role, user_id=owner.user_id)
    role = MemberRole(row.owner_role) if row.owner_role else None
    return OwnerView(name=row.owner_name, member_role=role, user_id=row.owner_user_id)


def _action(action: Any, owner: OwnerView, now: datetime) -> ActionView:
    return ActionView(
        number=action.number,
        title=action.title,
        owner=owner,
        due_on=action.due_on,
        due_at=action.due_at,
        state=action.state,
        overdue=action.state is ActionState.OPEN and now > action.due_at,
        added_at=action.added_at,
        added_by=action.added_by,
        reminded_at=action.reminded_at,
        escalated_at=action.escalated_at,
        closed_at=action.closed_at,
        closed_by=action.closed_by,
        done_note=action.done_note,
        risk_reason=action.risk_reason,
        done_in_time=action.done_in_time,
    )


def _moments(incident: Incident, events: Sequence[TimelineEvent]) -> list[MomentView]:
    return [
        MomentView(
            what=moment.what,
            at=moment.at,
            seconds_after_detection=int(moment.after_detection.total_seconds()),
            body=moment.body,
            who=moment.who,
            reference=moment.reference,
            late=moment.late,
            after_closure=moment.after_closure,
        )
        for moment in reviews.key_moments(incident, events)
    ]


def review_view(
    incident: Incident,
    *,
    live: Review | None = None,
    row: IncidentReview | None = None,
    action_rows: Sequence[ReviewActionRow] = (),
    events: Sequence[TimelineEvent] = (),
    now: datetime | None = None,
) -> ReviewView:
    """The review as the process holds it (`live`), else as its rows last recorded it."""
    moment = now or datetime.now(UTC)
    base = ReviewView(
        incident_id=incident.id,
        reference=incident.reference,
        exercise=incident.exercise,
        closed_at=incident.closed_at,
        status=ReviewStatus.NOT_STARTED,
        key_moments=_moments(incident, events),
    )
    source: Any = live if live is not None else row
    if source is None:
        return base
    if live is not None:
        owner = _owner(live.owner)
        actions = [_action(a, _owner(a.owner), moment) for a in live.actions]
    else:
        owner = _owner(row=row)
        actions = [_action(a, _owner(row=a), moment) for a in action_rows]
    return base.model_copy(
        update={
            "status": source.status,
            "owner": owner,
            "started_at": source.started_at,
            "due_on": source.due_on,
            "due_at": source.due_at,
            "overdue": source.status is ReviewStatus.OPEN and moment > source.due_at,
            "overdue_at": source.overdue_at,
            "root_cause": source.root_cause,
            "went_well": source.went_well,
            "went_badly": source.went_badly,
            "lessons": source.lessons,
            "commitments": list(source.commitments),
            "actions": actions,
            "signed_off_at": source.signed_off_at,
            "signed_off_by": source.signed_off_by,
            "sign_off_note": source.sign_off_note,
        }
    )


async def current_review(
    incident: Incident, *, session: AsyncSession, temporal: Client
) -> ReviewView:
    """The review as it stands: the post-incident process's own view when it answers (so a
    change just made shows at once), else the rows it last recorded."""
    events = await timeline_of(incident.id, session=session)
    row, action_rows = await reviews.review_rows(incident.id, session=session)
    await end_reading(session)
    live = None
    if incident.closed_at is not None:
        state = await post_incident_state(incident, temporal=temporal)
        live = state.review if state is not None else None
    return review_view(incident, live=live, row=row, action_rows=action_rows, events=events)


async def ask(
    incident: Incident,
    update: str,
    command: BaseModel,
    *,
    settings: Settings,
    temporal: Client,
    limits: RateLimits,
) -> PostIncidentState:
    """Send a request to the incident's post-incident process, for the API and the pages
    alike; a refusal is an `OperationError` (409 refused, 422 invalid, 429, 503)."""
    if incident.closed_at is None:
        raise OperationError(409, NOT_CLOSED)
    try:
        await limits.check_incident(PerIncident.CHANGES, incident.id)
    except TooFast as refused:
        raise OperationError(429, refused.message, retry_after=refused.seconds) from None
    try:
        state = await update_post_incident(
            incident, update, command, temporal=temporal, task_queue=settings.task_queue
        )
        log.info(
            "post_incident_request_recorded",
            incident_id=incident.id,
            workflow_id=post_incident_workflow_id(incident.workflow_id),
            authority_id=incident.authority_id,
            update=update,
        )
        return state
    except UpdateRefused as refused:
        code = 422 if refused.rejection is Rejection.INVALID else 409
        raise OperationError(code, refused.message) from None
    except WorkflowUnavailable as unavailable:
        raise OperationError(503, str(unavailable), retry_after=5) from None


async def _answer(
    incident: Incident,
    update: str,
    command: BaseModel,
    *,
    session: AsyncSession,
    settings: Settings,
    temporal: Client,
    limits: RateLimits,
) -> ReviewView:
    events = await timeline_of(incident.id, session=session)
    await end_reading(session)
    state = await ask(
        incident, update, command, settings=settings, temporal=temporal, limits=limits
    )
    return review_view(incident, live=state.review, events=events)


async def owner_of(incident: Incident, user_id: int | None, *, session: AsyncSession) -> Owner:
    """The owner asked for, or a 422 in both languages."""
    try:
        return await reviews.owner_for(incident, user_id, session=session)
    except reviews.NotAnOwner as refused:
        raise OperationError(422, str(refused)) from None


def action_command(request: ActionRequest, owner: Owner, actor: str) -> BaseModel:
    try:
        return reviews.add_action(request.title, owner, request.due_on, actor=actor)
    except reviews.NotADueDate as refused:
        raise OperationError(422, str(refused)) from None


# ---------------------------------------------------------------- the review


@router.get("/incidents/{incident_id}/review", response_model=ReviewView)
async def get_review(
    incident: IncidentToRead, session: SessionDep, temporal: TemporalDep
) -> ReviewView:
    """The incident's post-incident review, its actions and the incident's key moments."""
    return await current_review(incident, session=session, temporal=temporal)


@router.post("/incidents/{incident_id}/review/start", response_model=ReviewView, responses=UPDATE)
async def start(
    incident: IncidentToReview,
    caller: Reviews,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    limits: Limits,
) -> ReviewView:
    """Start the review of an exercise, or of an incident closed before reviews began: due the
    configured number of working days from today (Welsh bank holidays skipped). A review
    already started is answered as it is."""
    command = reviews.start_review(settings, actor=caller.name)
    return await _answer(
        incident,
        "start_review",
        command,
        session=session,
        settings=settings,
        temporal=temporal,
        limits=limits,
    )


@router.put("/incidents/{incident_id}/review", response_model=ReviewView, responses=UPDATE)
async def record_findings(
    findings: FindingsRequest,
    incident: IncidentToReview,
    caller: Reviews,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    limits: Limits,
) -> ReviewView:
    """Record the review's findings: root cause, what went well, what did not, the lessons,
    and the commitments touched. Each change is on the incident's timeline."""
    command = UpdateReview(**findings.model_dump(exclude_none=True), actor=caller.name)
    return await _answer(
        incident,
        "update_review",
        command,
        session=session,
        settings=settings,
        temporal=temporal,
        limits=limits,
    )


@router.post("/incidents/{incident_id}/review/owner", response_model=ReviewView, responses=UPDATE)
async def name_owner(
    owner: OwnerRequest,
    incident: IncidentToSignOff,
    caller: SignsOff,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    limits: Limits,
) -> ReviewView:
    """The senior management member names who owns the review (one of the authority's
    people), or takes it back; the new owner is told."""
    command = NameReviewOwner(
        owner=await owner_of(incident, owner.user_id, session=session), actor=caller.name
    )
    return await _answer(
        incident,
        "name_review_owner",
        command,
        session=session,
        settings=settings,
        temporal=temporal,
        limits=limits,
    )


@router.post("/incidents/{incident_id}/review/actions", response_model=ReviewView, responses=UPDATE)
async def add_action(
    action: ActionRequest,
    incident: IncidentToReview,
    caller: Reviews,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    limits: Limits,
) -> ReviewView:
    """Add an action, with its owner and due date: overdue, its owner is reminded; still open
    days later, the senior management member is told."""
    owner = await owner_of(incident, action.owner_user_id, session=session)
    return await _answer(
        incident,
        "add_action",
        action_command(action, owner, caller.name),
        session=session,
        settings=settings,
        temporal=temporal,
        limits=limits,
    )


@router.post(
    "/incidents/{incident_id}/review/actions/{number}/done",
    response_model=ReviewView,
    responses=UPDATE,
)
async def complete_action(
    number: ActionNumber,
    done: DoneRequest,
    incident: IncidentToReview,
    caller: Reviews,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    limits: Limits,
) -> ReviewView:
    """Mark an action done, with a note of what was done."""
    return await _answer(
        incident,
        "complete_action",
        CompleteAction(number=number, note=done.note, actor=caller.name),
        session=session,
        settings=settings,
        temporal=temporal,
        limits=limits,
    )


@router.post(
    "/incidents/{incident_id}/review/actions/{number}/accept-risk",
    response_model=ReviewView,
    responses=UPDATE,
)
async def accept_risk(
    number: ActionNumber,
    risk: RiskRequest,
    incident: IncidentToSignOff,
    caller: SignsOff,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    limits: Limits,
) -> ReviewView:
    """The senior management member accepts an action's risk, with the reason: it will not
    be done, and no longer holds the review open."""
    return await _answer(
        incident,
        "accept_action_risk",
        AcceptActionRisk(number=number, reason=risk.reason, actor=caller.name),
        session=session,
        settings=settings,
        temporal=temporal,
        limits=limits,
    )


@router.post(
    "/incidents/{incident_id}/review/sign-off", response_model=ReviewView, responses=UPDATE
)
async def sign_off(
    signing: SignOffRequest,
    incident: IncidentToSignOff,
    caller: SignsOff,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    limits: Limits,
) -> ReviewView:
    """The senior management member signs the review off: refused (409) while an action is
    open or the root cause is not recorded."""
    return await _answer(
        incident,
        "sign_off_review",
        SignOffReview(note=signing.note or None, actor=caller.name),
        session=session,
        settings=settings,
        temporal=temporal,
        limits=limits,
    )


# ---------------------------------------------------------------- follow-ups after closure


def follow_up_command(request: FollowUpRequest, actor: str) -> RecordSubmission:
    now = datetime.now(UTC)
    if request.submitted_at is not None and request.submitted_at > now + CLOCK_SKEW:
        raise OperationError(
            422,
            "The follow-up cannot have been sent in the future. / "
            "Ni all yr adroddiad dilynol fod wedi'i anfon yn y dyfodol.",
        )
    return RecordSubmission(
        body=request.body,
        phase=SubmissionPhase.FOLLOW_UP,
        reference=request.reference or None,
        submitted_at=request.submitted_at or now,
        summary=request.summary,
        actor=actor,
    )


def before_closure(incident: Incident, body: Body) -> OperationError:
    return OperationError(
        409,
        f"Incident {incident.reference} is still open: record a follow-up on its obligation "
        f"(POST /api/incidents/{incident.id}/obligations/{body.value}/submissions with "
        '"phase": "follow_up"). / '
        f"Mae digwyddiad {incident.reference} yn dal ar agor: cofnodwch adroddiad dilynol ar ei "
        f"rwymedigaeth (POST /api/incidents/{incident.id}/obligations/{body.value}/submissions "
        'gyda "phase": "follow_up").',
    )


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


def figures_view(figures: reviews.ActionFigures) -> ActionFiguresView:
    return ActionFiguresView(
        open=figures.open,
        overdue=figures.overdue,
        done=figures.done,
        done_in_time=figures.done_in_time,
        risk_accepted=figures.risk_accepted,
        total=figures.total,
    )


def lesson_view(lesson: reviews.Lesson) -> LessonView:
    return LessonView(
        incident_id=lesson.incident_id,
        reference=lesson.reference,
        authority=lesson.authority_code,
        exercise=lesson.exercise,
        closed_at=lesson.closed_at,
        status=lesson.status,
        root_cause=lesson.root_cause,
        went_well=lesson.went_well,
        went_badly=lesson.went_badly,
        lessons=lesson.lessons,
        commitments=lesson.commitments,
        signed_off_at=lesson.signed_off_at,
        actions=lesson.actions,
        open_actions=lesson.open_actions,
    )


async def readable_authority(code: str, caller: Caller, session: AsyncSession) -> Authority:
    """An authority the caller may read; any other is a 404, as if it did not exist."""
    authority = await authority_by_code(code, session=session)
    if authority is None or authority.id is None or not caller.may_read(authority.id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No authority {code}.")
    return authority


async def authority_lessons(
    authority: Authority, *, session: AsyncSession
) -> tuple[list[reviews.Lesson], reviews.ActionFigures]:
    assert authority.id is not None
    scope = frozenset({authority.id})
    found = await reviews.lessons(scope, session=session)
    figures = await reviews.action_figures(scope, session=session)
    return found, figures.get(authority.id, reviews.ActionFigures(authority_id=authority.id))


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
