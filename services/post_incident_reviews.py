"""The post-incident review as people read it, and the dates its requests carry.

The review lives in the incident's post-incident process (`workflows.post_incident`); its rows
(`incident_review`, `review_action`) are what that process last recorded, and the lessons list
and the actions' figures are read from them, never by asking Temporal. Dates are worked out
here, from today and the working-day calendar (`domain.working_days`), and handed to the
process in its requests, so a later list of bank holidays never changes an old history.

Also read from the incident's own timeline: its key moments (the review's generated summary)
and the incident's submissions to the ICO, follow-ups after closure among them (the ICO
evidence, UK GDPR Art 33(4) and 33(5)).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.obligations import Body, SubmissionPhase
from domain.post_incident import ActionState, AddAction, Owner, ReviewStatus, StartReview
from domain.vocabulary import EventKind, MemberRole
from domain.working_days import UK, calendar, end_of_day
from models import Authority, Incident, IncidentReview, ReviewAction, TimelineEvent, User
from runtime.settings import Settings
from services.directory import member_holding

SENIOR = MemberRole.SENIOR_MANAGEMENT_MEMBER

#: The furthest ahead an action may be due: further is a typing mistake, not a plan.
LONGEST_ACTION = timedelta(days=5 * 366)


class NotAnOwner(ValueError):
    """The owner asked for cannot own a review or an action; the message is in both
    languages."""


class NotADueDate(ValueError):
    """An action's due date that cannot be one; the message is in both languages."""


def today_in_wales(now: datetime | None = None) -> date:
    """The day it is in Wales: due dates turn at midnight UK time."""
    return (now or datetime.now(UTC)).astimezone(UK).date()


# ---------------------------------------------------------------- requests


def start_review(settings: Settings, *, actor: str, now: datetime | None = None) -> StartReview:
    """A review started by hand (an exercise's, or an incident's closed before reviews began):
    due the configured number of working days from today, its owner reminded before then."""
    working = calendar(settings.bank_holidays_file)
    due_on, due_at = working.due(now or datetime.now(UTC), settings.post_incident_review_days)
    return StartReview(
        due_on=due_on,
        due_at=due_at,
        remind_at=working.reminder(due_on, settings.post_incident_reminder_days),
        actor=actor,
    )


def add_action(
    title: str, owner: Owner, due_on: date, *, actor: str, now: datetime | None = None
) -> AddAction:
    """An action due by the end of `due_on` in UK time; a day already past, or years away, is
    refused (`NotADueDate`)."""
    today = today_in_wales(now)
    if due_on < today:
        raise NotADueDate(
            "The due date has passed: give today or a later day. / "
            "Mae'r dyddiad dyledus wedi mynd heibio: rhowch heddiw neu ddiwrnod diweddarach."
        )
    if due_on > today + LONGEST_ACTION:
        raise NotADueDate(
            "The due date is more than five years away. / "
            "Mae'r dyddiad dyledus fwy na phum mlynedd i ffwrdd."
        )
    return AddAction(
        title=title, owner=owner, due_on=due_on, due_at=end_of_day(due_on), actor=actor
    )


async def owner_for(incident: Incident, user_id: int | None, *, session: AsyncSession) -> Owner:
    """The senior management member (`user_id` None), or one of the authority's enabled users;
    anyone else is refused (`NotAnOwner`)."""
    if user_id is None:
        senior = await member_holding(incident.authority_id, SENIOR, session=session)
        return Owner(member_role=SENIOR, name=senior.name if senior else "")
    user = await session.get(User, user_id)
    if user is None or user.authority_id != incident.authority_id or user.disabled_at is not None:
        raise NotAnOwner(
            f"User {user_id} is not one of this authority's people, or is disabled. / "
            f"Nid yw defnyddiwr {user_id} yn un o bobl yr awdurdod hwn, neu mae wedi'i analluogi."
        )
    assert user.id is not None
    return Owner(user_id=user.id, name=user.name)


async def possible_owners(authority_id: int, *, session: AsyncSession) -> list[User]:
    """The authority's enabled people, by name: whom an action (or the review) may be given."""
    return list(
        (
            await session.exec(
                select(User)
                .where(User.authority_id == authority_id, col(User.disabled_at).is_(None))
                .order_by(col(User.name), col(User.id))
            )
        ).all()
    )


# ---------------------------------------------------------------- one incident's review


async def review_rows(
    incident_id: str, *, session: AsyncSession
) -> tuple[IncidentReview | None, list[ReviewAction]]:
    """The review and its actions as the post-incident process last recorded them."""
    review = await session.get(IncidentReview, incident_id)
    actions = await session.exec(
        select(ReviewAction)
        .where(ReviewAction.incident_id == incident_id)
        .order_by(col(ReviewAction.number))
    )
    return review, list(actions.all())


@dataclass(frozen=True)
class Moment:
    """One of the incident's key moments, for the review's timeline summary."""

    what: str
    """detected, aware, opened, acknowledged, told, follow_up, contained, recovered, closed."""
    at: datetime
    after_detection: timedelta
    body: Body | None = None
    who: str | None = None
    """Who acknowledged, or who recorded a submission."""
    reference: str | None = None
    late: bool = False
    after_closure: bool = False


def key_moments(incident: Incident, events: Iterable[TimelineEvent]) -> list[Moment]:
    """The incident's course in a few lines, from its timeline: detected, aware (when later),
    opened, first acknowledged, each body told (and each follow-up), contained, recovered,
    closed; each with how long after detection it came."""
    detected = incident.detected_at

    def moment(what: str, at: datetime, **more: Any) -> Moment:
        return Moment(what=what, at=at, after_detection=max(at - detected, timedelta(0)), **more)

    found = [moment("detected", detected)]
    if incident.aware_at > detected:
        found.append(moment("aware", incident.aware_at))
    acknowledged = False
    for event in events:
        kind, detail = event.kind, event.detail
        if kind is EventKind.OPENED:
            found.append(moment("opened", event.occurred_at))
        elif kind is EventKind.ACKNOWLEDGED and not acknowledged:
            acknowledged = True
            found.append(moment("acknowledged", event.occurred_at, who=detail.get("name")))
        elif kind is EventKind.OBLIGATION_SUBMITTED and _is_body(detail.get("body")):
            follow_up = detail.get("phase") == SubmissionPhase.FOLLOW_UP.value
            found.append(
                moment(
                    "follow_up" if follow_up else "told",
                    _submitted_at(event),
                    body=Body(detail["body"]),
                    who=event.actor,
                    reference=detail.get("reference"),
                    late=bool(detail.get("late")),
                    after_closure=bool(detail.get("after_closure")),
                )
            )
        elif kind in _COURSE:
            found.append(moment(_COURSE[kind], event.occurred_at))
    return sorted(found, key=lambda m: m.at)


def _is_body(key: object) -> bool:
    """A body's key as a timeline event gives it (any body a regime listed)."""
    try:
        return isinstance(key, str) and bool(Body(key))
    except ValueError:
        return False


_COURSE = {
    EventKind.CONTAINED: "contained",
    EventKind.RECOVERED: "recovered",
    EventKind.CLOSED: "closed",
}


def _submitted_at(event: TimelineEvent) -> datetime:
    written = event.detail.get("submitted_at")
    if not isinstance(written, str):
        return event.occurred_at
    moment = datetime.fromisoformat(written)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# ---------------------------------------------------------------- the ICO evidence


@dataclass(frozen=True)
class IcoSubmission:
    """What the incident's record says the ICO was told: the notification, then each
    follow-up (UK GDPR Art 33(4)), those after closure among them."""

    sequence: int
    phase: SubmissionPhase
    submitted_at: datetime
    recorded_at: datetime
    recorded_by: str
    reference: str | None
    summary: str | None
    late: bool
    after_closure: bool


async def ico_submissions(
    incident_ids: Sequence[str], *, session: AsyncSession
) -> dict[str, list[IcoSubmission]]:
    """Each incident's submissions to the ICO, in the order they were recorded."""
    found: dict[str, list[IcoSubmission]] = {incident_id: [] for incident_id in incident_ids}
    if not incident_ids:
        return found
    events = await session.exec(
        select(TimelineEvent)
        .where(
            col(TimelineEvent.incident_id).in_(list(incident_ids)),
            TimelineEvent.kind == EventKind.OBLIGATION_SUBMITTED,
        )
        .order_by(col(TimelineEvent.incident_id), col(TimelineEvent.sequence))
    )
    for event in events:
        detail = event.detail
        if detail.get("body") != Body.ICO.value:
            continue
        found[event.incident_id].append(
            IcoSubmission(
                sequence=event.sequence,
                phase=SubmissionPhase(detail.get("phase") or SubmissionPhase.INITIAL.value),
                submitted_at=_submitted_at(event),
                recorded_at=event.occurred_at,
                recorded_by=event.actor,
                reference=detail.get("reference"),
                summary=detail.get("summary"),
                late=bool(detail.get("late")),
                after_closure=bool(detail.get("after_closure")),
            )
        )
    return found


# ---------------------------------------------------------------- lessons and figures


@dataclass(frozen=True)
class Lesson:
    """One review in an authority's lessons list: what it found, and where its actions are."""

    incident_id: str
    reference: str
    authority_code: str
    authority_name_en: str
    authority_name_cy: str
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


def _has_findings(review: IncidentReview) -> bool:
    return review.status is ReviewStatus.SIGNED_OFF or bool(
        review.root_cause.strip() or review.lessons.strip() or review.commitments
    )


async def lessons(
    authority_ids: frozenset[int] | None, *, session: AsyncSession, limit: int = 500
) -> list[Lesson]:
    """Signed-off reviews, and open ones that have found something (a root cause, lessons or
    commitments touched), newest first; of the authorities given (None: every authority)."""
    query = (
        select(IncidentReview, Incident, Authority)
        .join(Incident, col(Incident.id) == col(IncidentReview.incident_id))
        .join(Authority, col(Authority.id) == col(IncidentReview.authority_id))
        .order_by(
            col(IncidentReview.signed_off_at).desc().nulls_last(),
            col(IncidentReview.started_at).desc(),
        )
    )
    if authority_ids is not None:
        query = query.where(col(IncidentReview.authority_id).in_(list(authority_ids)))
    rows = [row for row in (await session.exec(query)).all() if _has_findings(row[0])][:limit]
    counts = await _action_counts([review.incident_id for review, _, _ in rows], session=session)
    return [
        Lesson(
            incident_id=incident.id,
            reference=incident.reference,
            authority_code=authority.code,
            authority_name_en=authority.name_en,
            authority_name_cy=authority.name_cy,
            exercise=incident.exercise,
            closed_at=incident.closed_at,
            status=review.status,
            root_cause=review.root_cause,
            went_well=review.went_well,
            went_badly=review.went_badly,
            lessons=review.lessons,
            commitments=list(review.commitments),
            signed_off_at=review.signed_off_at,
            actions=counts.get(review.incident_id, (0, 0))[0],
            open_actions=counts.get(review.incident_id, (0, 0))[1],
        )
        for review, incident, authority in rows
    ]


async def _action_counts(
    incident_ids: list[str], *, session: AsyncSession
) -> dict[str, tuple[int, int]]:
    """Each review's actions, and how many are still open."""
    if not incident_ids:
        return {}
    rows = await session.exec(
        select(
            ReviewAction.incident_id,
            func.count(),
            func.sum(case((col(ReviewAction.state) == ActionState.OPEN, 1), else_=0)),
        )
        .where(col(ReviewAction.incident_id).in_(incident_ids))
        .group_by(col(ReviewAction.incident_id))
    )
    return {incident_id: (int(total), int(open_ or 0)) for incident_id, total, open_ in rows}


@dataclass
class ActionFigures:
    """An authority's actions from its reviews: open, overdue (open and past their date), done,
    done by their date, and not to be done (their risk accepted)."""

    authority_id: int | None
    open: int = 0
    overdue: int = 0
    done: int = 0
    done_in_time: int = 0
    risk_accepted: int = 0

    @property
    def total(self) -> int:
        return self.open + self.done + self.risk_accepted

    def add(self, other: ActionFigures) -> None:
        self.open += other.open
        self.overdue += other.overdue
        self.done += other.done
        self.done_in_time += other.done_in_time
        self.risk_accepted += other.risk_accepted


async def action_figures(
    authority_ids: frozenset[int] | None, *, session: AsyncSession, now: datetime | None = None
) -> dict[int, ActionFigures]:
    """The figures of each authority that has actions (None: every authority), in one
    aggregate query."""
    moment = now or datetime.now(UTC)
    state = col(ReviewAction.state)
    # One count per authority, state and whether it is late or in time: four columns at most.
    timing = case(
        ((state == ActionState.OPEN) & (col(ReviewAction.due_at) < moment), "late"),
        ((state == ActionState.DONE) & col(ReviewAction.done_in_time).is_(True), "in_time"),
        else_="",
    )
    query = select(col(ReviewAction.authority_id), state, timing, func.count()).group_by(
        col(ReviewAction.authority_id), state, timing
    )
    if authority_ids is not None:
        query = query.where(col(ReviewAction.authority_id).in_(list(authority_ids)))
    found: dict[int, ActionFigures] = {}
    for authority_id, action_state, when, number in await session.exec(query):
        figures = found.setdefault(authority_id, ActionFigures(authority_id=authority_id))
        amount = int(number)
        if action_state == ActionState.OPEN:
            figures.open += amount
            figures.overdue += amount if when == "late" else 0
        elif action_state == ActionState.DONE:
            figures.done += amount
            figures.done_in_time += amount if when == "in_time" else 0
        else:
            figures.risk_accepted += amount
    return found


@dataclass
class AuthorityLessons:
    """One authority's line in the central team's view."""

    authority: Authority
    figures: ActionFigures
    reviews: int = 0
    signed_off: int = 0
    lessons: list[Lesson] = field(default_factory=list)


async def national_lessons(
    *, session: AsyncSession, now: datetime | None = None
) -> tuple[list[AuthorityLessons], ActionFigures]:
    """Every authority's lessons and action figures, and the figures for Wales."""
    every = (await session.exec(select(Authority).order_by(col(Authority.code)))).all()
    figures = await action_figures(None, session=session, now=now)
    found = await lessons(None, session=session)
    reviews = await session.exec(
        select(
            IncidentReview.authority_id,
            func.count(),
            func.sum(case((col(IncidentReview.status) == ReviewStatus.SIGNED_OFF, 1), else_=0)),
        ).group_by(col(IncidentReview.authority_id))
    )
    review_counts = {authority_id: (int(n), int(s or 0)) for authority_id, n, s in reviews}
    wales = ActionFigures(authority_id=None)
    lines = []
    for authority in every:
        assert authority.id is not None
        own = figures.get(authority.id, ActionFigures(authority_id=authority.id))
        wales.add(own)
        total, signed = review_counts.get(authority.id, (0, 0))
        lines.append(
            AuthorityLessons(
                authority=authority,
                figures=own,
                reviews=total,
                signed_off=signed,
                lessons=[lesson for lesson in found if lesson.authority_code == authority.code],
            )
        )
    return lines, wales
