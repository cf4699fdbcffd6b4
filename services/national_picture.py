"""The national picture: every authority's open incidents, unacknowledged chains and running
reporting clocks at once, for the central team.

Read from the database (the read side the workflows keep current), never by asking Temporal:
the picture covers every open incident in Wales, and one query per part does it. Each part is
one aggregate statement (GROUP BY authority), so the work grows with the number of open
incidents, not with the years of history behind them (`migrations/versions/0011`).

Exercises run like real incidents but are left out of statistics (see ../shared/DOMAIN.md): they
are counted apart, in a figure of their own, and never in the real counts, clocks or the next
deadline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, Field
from sqlalchemy import ColumnClause, and_, case, func, literal_column, or_, type_coerce
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from domain.obligations import Body, ObligationState
from domain.vocabulary import NcscCategory, Stage
from models import Authority, Incident, ObligationRecord
from models.columns import UtcDateTime

#: The stages of an incident not yet closed: the picture is of these.
OPEN_STAGES: tuple[Stage, ...] = tuple(stage for stage in Stage if stage is not Stage.CLOSED)

#: A clock still waiting for the council: due, or already missed. Written into the SQL as
#: literals, not bound, so that both planners see the partial index of the waiting clocks
#: (migration 0011) applies: a few hundred rows among years of submitted ones, which SQLite's
#: statistics, once analysed, cannot tell from a third of the table.
_WAITING = (ObligationState.DUE, ObligationState.OVERDUE)
_WAITING_LITERALS: list[ColumnClause[str]] = [
    literal_column(f"'{state.value}'") for state in _WAITING
]

#: The incidents behind a figure of the picture: open ones, open exercises, those with a chain
#: nobody has acknowledged, and the reporting clocks running or overdue.
PictureFigure = Literal["open", "exercises", "unacknowledged", "due", "overdue"]
PICTURE_FIGURES: tuple[str, ...] = get_args(PictureFigure)


@dataclass(frozen=True)
class PictureFilter:
    """Which incidents the picture counts, beyond "open": all of them when nothing is given."""

    authority_id: int | None = None
    category: NcscCategory | None = None
    stage: Stage | None = None
    aware_from: datetime | None = None
    """Incidents the council became aware of at or after this moment."""
    aware_before: datetime | None = None
    """... and before this one."""


class AuthorityPicture(BaseModel):
    """One authority's open incidents; an authority with none has a row of noughts."""

    code: str
    name_en: str
    name_cy: str
    open: int = 0
    """Open real incidents (exercises are in `exercises_open`)."""
    by_category: dict[str, int] = Field(
        default_factory=lambda: {str(int(c)): 0 for c in NcscCategory},
        description="Open real incidents by NCSC category, keyed by its number (1 to 6).",
    )
    by_stage: dict[Stage, int] = Field(default_factory=lambda: dict.fromkeys(OPEN_STAGES, 0))
    unacknowledged: int = 0
    """Escalation chains of open real incidents whose members were asked and nobody has yet
    acknowledged (up to two an incident: the executive and the senior management chain)."""
    clocks_due: int = 0
    """Reporting clocks running: not yet submitted, deadline still ahead."""
    clocks_overdue: int = 0
    """Reporting clocks whose deadline has passed with nothing submitted."""
    next_deadline: datetime | None = None
    """The earliest deadline of a clock still running."""
    exercises_open: int = 0
    """Open exercises, counted apart and in nothing above."""


class NextDeadline(BaseModel):
    """The next reporting deadline in Wales, and whose it is."""

    deadline: datetime
    body: Body
    incident_id: str
    reference: str
    authority_code: str
    authority_name_en: str
    authority_name_cy: str


class NationalPicture(BaseModel):
    generated_at: datetime
    authorities: list[AuthorityPicture]
    """Every authority (or the one asked for), by English name."""
    wales: AuthorityPicture
    """The rows added up (code "WLS")."""
    next_deadline: NextDeadline | None


@dataclass(frozen=True)
class BehindFigure:
    """One incident behind a figure; for a clock, also which body and its deadline."""

    incident: Incident
    authority: Authority
    body: Body | None = None
    deadline: datetime | None = None


def _narrowed(query: Any, chosen: PictureFilter) -> Any:
    """The open incidents the filter lets through (`Incident` is in the query)."""
    query = query.where(col(Incident.stage).in_(OPEN_STAGES))
    if chosen.authority_id is not None:
        query = query.where(Incident.authority_id == chosen.authority_id)
    if chosen.category is not None:
        query = query.where(Incident.category == chosen.category)
    if chosen.stage is not None:
        query = query.where(Incident.stage == chosen.stage)
    if chosen.aware_from is not None:
        query = query.where(col(Incident.aware_at) >= chosen.aware_from)
    if chosen.aware_before is not None:
        query = query.where(col(Incident.aware_at) < chosen.aware_before)
    return query


def _overdue(now: datetime) -> Any:
    """A waiting clock is overdue once the workflow says so, or once its deadline has passed
    (the workflow's timer may fire a moment after the read side is asked)."""
    deadline = col(ObligationRecord.deadline)
    return or_(
        col(ObligationRecord.state) == ObligationState.OVERDUE,
        and_(deadline.is_not(None), deadline <= now),
    )


def _waiting_clocks(query: Any) -> Any:
    return query.where(
        col(ObligationRecord.state).in_(_WAITING_LITERALS),
        col(ObligationRecord.submitted_at).is_(None),
        Incident.exercise == False,  # noqa: E712 (SQL, not Python)
    )


async def _incident_counts(
    chosen: PictureFilter, rows: dict[int, AuthorityPicture], *, session: AsyncSession
) -> None:
    # `Select` itself: sqlmodel's `select` is typed for up to four columns.
    query = _narrowed(
        Select(
            col(Incident.authority_id),
            col(Incident.exercise),
            col(Incident.category),
            col(Incident.stage),
            func.count(),
            func.coalesce(func.sum(col(Incident.awaiting_acknowledgement)), 0),
        ).group_by(
            col(Incident.authority_id),
            col(Incident.exercise),
            col(Incident.category),
            col(Incident.stage),
        ),
        chosen,
    )
    for authority_id, exercise, category, stage, count, awaiting in await session.exec(query):
        row = rows.get(authority_id)
        if row is None:
            continue
        if exercise:
            row.exercises_open += count
            continue
        row.open += count
        row.by_category[str(int(category))] += count
        row.by_stage[stage] += count
        row.unacknowledged += int(awaiting)


async def _clock_counts(
    chosen: PictureFilter,
    rows: dict[int, AuthorityPicture],
    now: datetime,
    *,
    session: AsyncSession,
) -> None:
    overdue = _overdue(now)
    query = _waiting_clocks(
        _narrowed(
            select(
                col(Incident.authority_id),
                func.sum(case((overdue, 0), else_=1)),
                func.sum(case((overdue, 1), else_=0)),
                type_coerce(
                    func.min(case((overdue, None), else_=col(ObligationRecord.deadline))),
                    UtcDateTime,
                ),
            )
            .select_from(ObligationRecord)
            .join(Incident, col(Incident.id) == ObligationRecord.incident_id)
            .group_by(col(Incident.authority_id)),
            chosen,
        )
    )
    for authority_id, due, missed, next_deadline in await session.exec(query):
        row = rows.get(authority_id)
        if row is None:
            continue
        row.clocks_due, row.clocks_overdue = int(due or 0), int(missed or 0)
        row.next_deadline = next_deadline


async def _next_in_wales(
    chosen: PictureFilter, now: datetime, *, session: AsyncSession
) -> NextDeadline | None:
    query = _waiting_clocks(
        _narrowed(
            select(ObligationRecord, Incident, Authority)
            .join(Incident, col(Incident.id) == ObligationRecord.incident_id)
            .join(Authority, col(Authority.id) == Incident.authority_id)
            .where(col(ObligationRecord.deadline) > now, ~_overdue(now)),
            chosen,
        )
    ).order_by(col(ObligationRecord.deadline), col(ObligationRecord.id))
    found = (await session.exec(query.limit(1))).first()
    if found is None:
        return None
    obligation, incident, authority = found
    assert obligation.deadline is not None  # the query asks for a deadline ahead
    return NextDeadline(
        deadline=obligation.deadline,
        body=obligation.body,
        incident_id=incident.id,
        reference=incident.reference,
        authority_code=authority.code,
        authority_name_en=authority.name_en,
        authority_name_cy=authority.name_cy,
    )


def _added_up(rows: Sequence[AuthorityPicture]) -> AuthorityPicture:
    wales = AuthorityPicture(code="WLS", name_en="Wales", name_cy="Cymru")
    for row in rows:
        wales.open += row.open
        wales.unacknowledged += row.unacknowledged
        wales.clocks_due += row.clocks_due
        wales.clocks_overdue += row.clocks_overdue
        wales.exercises_open += row.exercises_open
        for key, count in row.by_category.items():
            wales.by_category[key] += count
        for stage, count in row.by_stage.items():
            wales.by_stage[stage] += count
        if row.next_deadline is not None and (
            wales.next_deadline is None or row.next_deadline < wales.next_deadline
        ):
            wales.next_deadline = row.next_deadline
    return wales


async def national_picture(
    chosen: PictureFilter, *, session: AsyncSession, now: datetime | None = None
) -> NationalPicture:
    """Every authority's open incidents (all of them listed, even with none open), Wales's
    totals, and the next deadline in Wales, as `chosen` narrows them."""
    now = now or datetime.now(UTC)
    listed = select(Authority).order_by(col(Authority.name_en))
    if chosen.authority_id is not None:
        listed = listed.where(Authority.id == chosen.authority_id)
    rows: dict[int, AuthorityPicture] = {
        authority.id: AuthorityPicture(
            code=authority.code, name_en=authority.name_en, name_cy=authority.name_cy
        )
        for authority in await session.exec(listed)
        if authority.id is not None
    }
    await _incident_counts(chosen, rows, session=session)
    await _clock_counts(chosen, rows, now, session=session)
    authorities = list(rows.values())
    return NationalPicture(
        generated_at=now,
        authorities=authorities,
        wales=_added_up(authorities),
        next_deadline=await _next_in_wales(chosen, now, session=session),
    )


async def behind_picture(
    figure: PictureFigure,
    chosen: PictureFilter,
    *,
    limit: int,
    offset: int,
    session: AsyncSession,
    now: datetime | None = None,
) -> tuple[list[BehindFigure], int]:
    """The incidents (or, for clocks, each clock) one figure of the picture counts, a page at
    a time, soonest deadline or most recently known first; and how many there are in all."""
    now = now or datetime.now(UTC)
    if figure in ("due", "overdue"):
        overdue = _overdue(now)
        clocks = _waiting_clocks(
            _narrowed(
                select(ObligationRecord, Incident, Authority)
                .join(Incident, col(Incident.id) == ObligationRecord.incident_id)
                .join(Authority, col(Authority.id) == Incident.authority_id)
                .where(overdue if figure == "overdue" else ~overdue),
                chosen,
            )
        )
        ordered = clocks.order_by(col(ObligationRecord.deadline), col(ObligationRecord.id))
        found = (await session.exec(ordered.limit(limit).offset(offset))).all()
        total = (await session.exec(select(func.count()).select_from(clocks.subquery()))).one()
        return [
            BehindFigure(incident, authority, obligation.body, obligation.deadline)
            for obligation, incident, authority in found
        ], total
    query = _narrowed(
        select(Incident, Authority).join(Authority, col(Authority.id) == Incident.authority_id),
        chosen,
    ).where(Incident.exercise == (figure == "exercises"))
    if figure == "unacknowledged":
        query = query.where(col(Incident.awaiting_acknowledgement) > 0)
    ordered = query.order_by(col(Incident.aware_at).desc(), col(Incident.id))
    rows = (await session.exec(ordered.limit(limit).offset(offset))).all()
    total = (await session.exec(select(func.count()).select_from(query.subquery()))).one()
    return [BehindFigure(incident, authority) for incident, authority in rows], total
