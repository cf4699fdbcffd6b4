"""The post-incident review's requests and answers under /api, and how an answer is built from
the review as its process holds it or as its rows last recorded it.

Kept apart from the routes (`web.api.post_incident`) because the pages read the same requests
from their forms and show the same answers (`web.pages.post_incident`): one definition keeps
both checked alike, and neither needs the other's routes to do it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator

from domain.obligations import Body, SubmissionPhase
from domain.post_incident import ActionState, Owner, Review, ReviewStatus
from domain.vocabulary import MemberRole
from domain.working_days import UK
from models import Incident, IncidentReview, TimelineEvent
from models import ReviewAction as ReviewActionRow
from services import post_incident_reviews as reviews
from web.schemas import Moment, OneLine, Strict, Whole

Text = Annotated[str, StringConstraints(max_length=20000)]
Letter = Literal["a", "b", "c", "d", "e", "f", "g"]


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


class IncidentReviewView(BaseModel):
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
) -> IncidentReviewView:
    """The review as the process holds it (`live`), else as its rows last recorded it."""
    moment = now or datetime.now(UTC)
    base = IncidentReviewView(
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
