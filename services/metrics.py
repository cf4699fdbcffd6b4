"""The figures an operator watches, read from the database at the moment Prometheus asks.

Nothing is counted in memory: every web process reads the same rows, so any of them answers a
scrape and all of them agree, and a restart loses nothing. One aggregate statement per figure
(`web.metrics` turns them into metric families). The figures people act on (open incidents,
unacknowledged requests, reporting clocks) leave exercises out, as the national picture does;
the machinery's figures (messages, clocks nobody was told about, routine checks) count them,
since a failure there is a failure whatever the incident.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, case, exists, func, literal, or_, type_coerce
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from domain.channels import Channel
from domain.obligations import ObligationState
from domain.vocabulary import NotificationKind
from models import Authority, Incident, ObligationRecord, Routine, RoutineRun, SentNotification
from models.columns import UtcDateTime
from models.notification import DeliveryStatus
from services.national_picture import OPEN_STAGES
from services.routine_runs import routine_runs
from workflows.process import MAIL_ACTIVITY

#: How long an acknowledgement request has been waiting, as the metric's `age` label says it;
#: each bucket runs up to its bound (the last has none).
AGE_BUCKETS: tuple[tuple[str, timedelta | None], ...] = (
    ("under_15m", timedelta(minutes=15)),
    ("15m_to_1h", timedelta(hours=1)),
    ("1h_to_4h", timedelta(hours=4)),
    ("over_4h", None),
)

#: A send still trying after this long has been given up by its workflow (the activity's
#: schedule-to-close timeout) and reported as failed, though its row still says "sending".
SENDS_GIVE_UP_AFTER: timedelta = MAIL_ACTIVITY["schedule_to_close_timeout"]


@dataclass
class ChannelFigures:
    """Messages on one channel: `sent` and `failed` only ever grow (every message ever kept);
    `retrying` are those whose last try failed and whose workflow still tries."""

    sent: int = 0
    failed: int = 0
    retrying: int = 0
    oldest_retrying_since: datetime | None = None
    """When the longest-retrying message was first tried."""


@dataclass
class OperationalFigures:
    open_incidents: dict[tuple[str, int, str], int] = field(default_factory=dict)
    """(authority code, NCSC category, stage) -> open real incidents."""
    unacknowledged: dict[str, int] = field(default_factory=dict)
    """Age bucket -> escalation chains asked and not yet acknowledged."""
    clocks: dict[tuple[str, str], int] = field(default_factory=dict)
    """(body, "due" or "overdue") -> reporting clocks still waiting for the council."""
    overdue_untold: dict[str, int] = field(default_factory=dict)
    """Body -> overdue clocks whose "deadline missed" message reached nobody."""
    notifications: dict[Channel, ChannelFigures] = field(default_factory=dict)
    routines: dict[Routine, RoutineRun] = field(default_factory=dict)


def _open(query: Any, *, exercises: bool = False) -> Any:
    query = query.where(col(Incident.stage).in_(OPEN_STAGES))
    if not exercises:
        query = query.where(col(Incident.exercise).is_(False))
    return query


async def _open_incidents(session: AsyncSession) -> dict[tuple[str, int, str], int]:
    query = _open(
        Select(col(Authority.code), col(Incident.category), col(Incident.stage), func.count())
        .join(Authority, col(Authority.id) == col(Incident.authority_id))
        .group_by(col(Authority.code), col(Incident.category), col(Incident.stage))
    )
    return {
        (code, int(category), str(stage)): count
        for code, category, stage, count in await session.exec(query)
    }


async def _unacknowledged(session: AsyncSession, now: datetime) -> dict[str, int]:
    """One row of sums, a column per bucket: grouping by a CASE with bound times would not
    be recognised as the same expression by PostgreSQL."""
    asked = col(Incident.acknowledgement_requested_at)
    waiting = col(Incident.awaiting_acknowledgement)
    columns, lower = [], None
    for _, bound in AGE_BUCKETS:
        conditions = []
        if bound is not None:  # asked after the bucket's far end (or not yet known when)
            conditions.append(or_(asked.is_(None), asked > now - bound))
        if lower is not None:
            conditions.append(and_(asked.is_not(None), asked <= now - lower))
        columns.append(func.coalesce(func.sum(case((and_(*conditions), waiting), else_=0)), 0))
        lower = bound
    query = _open(Select(*columns).select_from(Incident).where(waiting > 0))
    sums = (await session.exec(query)).one()
    return {name: int(total) for (name, _), total in zip(AGE_BUCKETS, sums, strict=True)}


def _overdue(now: datetime) -> Any:
    """As the national picture counts it: the workflow said so, or the deadline has passed
    (its timer may fire a moment after the question)."""
    deadline = col(ObligationRecord.deadline)
    return or_(
        col(ObligationRecord.state) == ObligationState.OVERDUE,
        and_(deadline.is_not(None), deadline <= now),
    )


def _waiting_clocks(query: Any, *, exercises: bool = False) -> Any:
    return _open(
        query.join(Incident, col(Incident.id) == col(ObligationRecord.incident_id)).where(
            col(ObligationRecord.state).in_((ObligationState.DUE, ObligationState.OVERDUE)),
            col(ObligationRecord.submitted_at).is_(None),
        ),
        exercises=exercises,
    )


async def _clocks(session: AsyncSession, now: datetime) -> dict[tuple[str, str], int]:
    overdue = _overdue(now)
    query = _waiting_clocks(
        Select(
            col(ObligationRecord.body),
            func.sum(case((overdue, 0), else_=1)),
            func.sum(case((overdue, 1), else_=0)),
        )
        .select_from(ObligationRecord)
        .group_by(col(ObligationRecord.body))
    )
    figures: dict[tuple[str, str], int] = {}
    for body, due, missed in await session.exec(query):
        figures[(str(body), "due")] = int(due or 0)
        figures[(str(body), "overdue")] = int(missed or 0)
    return figures


def _told_overdue() -> Any:
    """A "deadline missed" message about this clock was sent to someone. Its key names the
    body (`workflows.obligations`: `incident-<id>/obligation/<body>/<start>/.../overdue/...`),
    and the incident's index narrows the search to its own few messages."""
    return exists().where(
        col(SentNotification.incident_id) == col(ObligationRecord.incident_id),
        col(SentNotification.kind) == NotificationKind.OBLIGATION_OVERDUE,
        col(SentNotification.status) == DeliveryStatus.SENT,
        col(SentNotification.idempotency_key).like(
            literal("%/obligation/", String)
            + type_coerce(col(ObligationRecord.body), String)
            + literal("/%", String)
        ),
    )


async def _overdue_untold(session: AsyncSession, now: datetime) -> dict[str, int]:
    query = _waiting_clocks(
        Select(col(ObligationRecord.body), func.count())
        .select_from(ObligationRecord)
        .where(_overdue(now), ~_told_overdue())
        .group_by(col(ObligationRecord.body)),
        exercises=True,
    )
    return {str(body): count for body, count in await session.exec(query)}


async def _notifications(session: AsyncSession, now: datetime) -> dict[Channel, ChannelFigures]:
    status = col(SentNotification.status)
    created = col(SentNotification.created_at)
    given_up = now - SENDS_GIVE_UP_AFTER
    failed = or_(
        status == DeliveryStatus.REJECTED,
        and_(status == DeliveryStatus.SENDING, created < given_up),
    )
    retrying = and_(
        status == DeliveryStatus.SENDING,
        created >= given_up,
        or_(
            col(SentNotification.last_error).is_not(None),
            col(SentNotification.attempts) > 1,
        ),
    )
    query: Any = Select(
        col(SentNotification.channel),
        func.sum(case((status == DeliveryStatus.SENT, 1), else_=0)),
        func.sum(case((failed, 1), else_=0)),
        func.sum(case((retrying, 1), else_=0)),
        type_coerce(func.min(case((retrying, created), else_=None)), UtcDateTime),
    ).group_by(col(SentNotification.channel))
    figures = {channel: ChannelFigures() for channel in Channel}
    for channel, sent, missed, trying, oldest in await session.exec(query):
        figures[channel] = ChannelFigures(
            sent=int(sent or 0),
            failed=int(missed or 0),
            retrying=int(trying or 0),
            oldest_retrying_since=oldest,
        )
    return figures


async def operational_figures(
    *, session: AsyncSession, now: datetime | None = None
) -> OperationalFigures:
    """Every figure `/metrics` serves, as the database has them now."""
    now = now or datetime.now(UTC)
    return OperationalFigures(
        open_incidents=await _open_incidents(session),
        unacknowledged=await _unacknowledged(session, now),
        clocks=await _clocks(session, now),
        overdue_untold=await _overdue_untold(session, now),
        notifications=await _notifications(session, now),
        routines=await routine_runs(session=session),
    )
