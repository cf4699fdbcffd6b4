"""Performance figures for the central team: how fast members acknowledge, how fast the NCSC and
the ICO are told, how many deadlines are met, and what kinds of incident there were, for Wales
and for each authority, by quarter and by year.

Periods are the Welsh local government financial year, April to March, in UK time: the year
councils budget and report in. Quarter 1 is April to June, 2 July to September, 3 October to
December, 4 January to March; "2025-26" runs from 1 April 2025 to 31 March 2026. An incident
belongs to the period in which the council became aware of it (`aware_at`), and so do its
acknowledgement and its reports, however late they came.

Exercises are kept out of every statistic (../shared/DOMAIN.md) and counted apart.

How each figure is worked out:
- time to first acknowledgement: `first_acknowledged_at - acknowledgement_requested_at` of each
  incident where both are known;
- time to report to a body: `submitted_at - clock_started_at` of the incident's obligation to
  that body, where both are known;
- median and 90th percentile by linear interpolation between the nearest ranks (as
  PostgreSQL's `percentile_cont`), so the median of an even count is the mean of the middle two;
- deadlines met: obligations with a deadline that has passed or been submitted (a waived or
  never-required one is neither met nor missed), and of those the ones submitted on or before
  their deadline.

Every figure names the incidents behind it (`behind_performance`), by the same rules, so a
number on the page and the list it links to always agree.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import and_, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from domain.clock import UK_TIME, Duration
from domain.obligations import Body, ObligationState
from domain.vocabulary import IncidentType, NcscCategory
from models import Authority, Incident, ObligationRecord

#: The bodies whose time to report is a figure of its own.
REPORTED_TO: tuple[Body, ...] = (Body.NCSC, Body.ICO)
#: The states in which a deadline counts: waived or never required is neither met nor missed.
_COUNTED = (ObligationState.DUE, ObligationState.OVERDUE, ObligationState.SUBMITTED)
#: The earliest and latest financial years asked about (as `domain.clock.uk_moment` bounds
#: incidents' moments).
FIRST_YEAR, LAST_YEAR = 2000, 2199

_PERIOD = re.compile(r"^(\d{4})-(\d{2})(?:-q([1-4]))?$")


class Period(BaseModel):
    """A financial year, or one of its quarters."""

    key: str
    """"2025-26" for the year, "2025-26-q1" for its first quarter (April to June 2025)."""
    financial_year: int
    """The calendar year in which it starts (2025 for 2025-26)."""
    quarter: int | None = None
    starts: datetime
    ends: datetime
    """The moment after its last: 1 April 2026 00:00 UK time for 2025-26."""


def _uk_midnight(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=UK_TIME).astimezone(UTC)


def financial_year_of(moment: datetime) -> int:
    local = moment.astimezone(UK_TIME)
    return local.year if local.month >= 4 else local.year - 1


def year_label(financial_year: int) -> str:
    return f"{financial_year}-{(financial_year + 1) % 100:02d}"


def period(financial_year: int, quarter: int | None = None) -> Period:
    """The year, or its quarter (1 to 4); raises ValueError outside the years served."""
    if not FIRST_YEAR <= financial_year <= LAST_YEAR or quarter not in (None, 1, 2, 3, 4):
        raise ValueError(f"no financial year {financial_year}, quarter {quarter}")
    label = year_label(financial_year)
    if quarter is None:
        return Period(
            key=label,
            financial_year=financial_year,
            starts=_uk_midnight(financial_year, 4),
            ends=_uk_midnight(financial_year + 1, 4),
        )
    month = 4 + 3 * (quarter - 1)
    starts = _uk_midnight(financial_year + (month - 1) // 12, (month - 1) % 12 + 1)
    month += 3
    ends = _uk_midnight(financial_year + (month - 1) // 12, (month - 1) % 12 + 1)
    return Period(
        key=f"{label}-q{quarter}",
        financial_year=financial_year,
        quarter=quarter,
        starts=starts,
        ends=ends,
    )


def parse_period(key: str) -> Period:
    """A period from its key ("2025-26", "2025-26-q3"); raises ValueError for anything else."""
    found = _PERIOD.match(key.strip().lower())
    if found is None:
        raise ValueError(f"{key!r} is not a period like 2025-26 or 2025-26-q1")
    year, following, quarter = int(found[1]), int(found[2]), found[3]
    if following != (year + 1) % 100:
        raise ValueError(f"{key!r} is not a period like 2025-26 or 2025-26-q1")
    return period(year, int(quarter) if quarter else None)


def periods_of(financial_year: int) -> list[Period]:
    """Its four quarters, then the whole year."""
    return [period(financial_year, quarter) for quarter in (1, 2, 3, 4)] + [period(financial_year)]


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """The value `fraction` of the way along `ordered` (sorted, not empty), interpolating
    linearly between the nearest ranks."""
    rank = fraction * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


class DurationFigure(BaseModel):
    count: int
    """How many incidents it is measured over."""
    median: Duration | None = None
    p90: Duration | None = None
    """The 90th percentile: nine in ten took this long or less."""


def duration_figure(seconds: Sequence[float]) -> DurationFigure:
    if not seconds:
        return DurationFigure(count=0)
    ordered = sorted(seconds)
    return DurationFigure(
        count=len(ordered),
        median=timedelta(seconds=percentile(ordered, 0.5)),
        p90=timedelta(seconds=percentile(ordered, 0.9)),
    )


class Figures(BaseModel):
    """The figures of one authority (or Wales) in one period."""

    incidents: int
    """Real incidents the council became aware of in the period."""
    exercises: int
    """Exercises in the period: counted here only, in no other figure."""
    acknowledgement: DurationFigure
    """Time from the first request to acknowledge to the first acknowledgement."""
    ncsc_report: DurationFigure
    ico_report: DurationFigure
    deadlines: int
    """Deadlines passed or submitted (waived and never-required ones are left out)."""
    deadlines_met: int
    deadlines_met_share: float | None = Field(
        default=None, ge=0, le=1, description="deadlines_met / deadlines; none without deadlines."
    )
    by_category: dict[str, int]
    """Real incidents by NCSC category, keyed by its number (1 to 6)."""
    by_type: dict[IncidentType, int]


class PeriodFigures(BaseModel):
    period: Period
    figures: Figures


class AuthorityFigures(BaseModel):
    code: str
    name_en: str
    name_cy: str
    figures: Figures
    """The whole financial year's."""


class Performance(BaseModel):
    financial_year: int
    label: str
    """"2025-26"."""
    authority_code: str | None
    """The authority asked about; none for Wales."""
    periods: list[PeriodFigures]
    """Quarters 1 to 4, then the whole year."""
    authorities: list[AuthorityFigures]
    """Each authority's year, by English name, when Wales was asked about; otherwise empty."""
    generated_at: datetime


@dataclass
class _Tally:
    incidents: int = 0
    exercises: int = 0
    acknowledgement: list[float] = field(default_factory=list)
    reports: dict[Body, list[float]] = field(default_factory=lambda: {b: [] for b in REPORTED_TO})
    deadlines: int = 0
    met: int = 0
    by_category: Counter[int] = field(default_factory=Counter)
    by_type: Counter[IncidentType] = field(default_factory=Counter)

    def figures(self) -> Figures:
        return Figures(
            incidents=self.incidents,
            exercises=self.exercises,
            acknowledgement=duration_figure(self.acknowledgement),
            ncsc_report=duration_figure(self.reports[Body.NCSC]),
            ico_report=duration_figure(self.reports[Body.ICO]),
            deadlines=self.deadlines,
            deadlines_met=self.met,
            deadlines_met_share=self.met / self.deadlines if self.deadlines else None,
            by_category={str(int(c)): self.by_category[int(c)] for c in NcscCategory},
            by_type={kind: self.by_type[kind] for kind in IncidentType},
        )


def _seconds(later: datetime, earlier: datetime) -> float:
    """A time taken; never below nothing (a time recorded out of order counts as none)."""
    return max((later - earlier).total_seconds(), 0.0)


def deadline_counts(
    state: ObligationState, deadline: datetime | None, submitted_at: datetime | None, now: datetime
) -> bool:
    """Whether a deadline is in the share met: passed, or submitted (and neither waived nor
    never required)."""
    return (
        deadline is not None and state in _COUNTED and (submitted_at is not None or deadline <= now)
    )


def deadline_met(deadline: datetime | None, submitted_at: datetime | None) -> bool:
    return deadline is not None and submitted_at is not None and submitted_at <= deadline


def _in_period(query: Any, chosen: Period, authority_id: int | None) -> Any:
    query = query.where(
        col(Incident.aware_at) >= chosen.starts, col(Incident.aware_at) < chosen.ends
    )
    if authority_id is not None:
        query = query.where(Incident.authority_id == authority_id)
    return query


async def performance(
    financial_year: int,
    *,
    authority: Authority | None,
    session: AsyncSession,
    now: datetime | None = None,
) -> Performance:
    """The figures of one financial year for Wales (`authority` None, with each authority's
    year beside them) or for one authority."""
    now = now or datetime.now(UTC)
    quarters = periods_of(financial_year)
    year = quarters.pop()
    authority_id = authority.id if authority is not None else None

    def quarter_of(moment: datetime) -> int:
        return next(q.quarter or 0 for q in quarters if moment < q.ends)

    tallies: dict[tuple[int | None, int], _Tally] = {}

    def tallies_for(owner: int, moment: datetime) -> list[_Tally]:
        """The quarter's and the year's, for Wales (None) and the incident's authority."""
        quarter = quarter_of(moment)
        found = []
        for key in ((None, quarter), (None, 0), (owner, quarter), (owner, 0)):
            tally = tallies.get(key)
            if tally is None:
                tally = tallies[key] = _Tally()
            found.append(tally)
        return found

    # `Select` itself: sqlmodel's `select` is typed for up to four columns.
    incidents = _in_period(
        Select(
            col(Incident.authority_id),
            col(Incident.aware_at),
            col(Incident.exercise),
            col(Incident.category),
            col(Incident.incident_type),
            col(Incident.acknowledgement_requested_at),
            col(Incident.first_acknowledged_at),
        ),
        year,
        authority_id,
    )
    for owner, aware_at, exercise, category, kind, asked, acknowledged in await session.exec(
        incidents
    ):
        for tally in tallies_for(owner, aware_at):
            if exercise:
                tally.exercises += 1
                continue
            tally.incidents += 1
            tally.by_category[int(category)] += 1
            tally.by_type[kind] += 1
            if asked is not None and acknowledged is not None:
                tally.acknowledgement.append(_seconds(acknowledged, asked))

    clocks = _in_period(
        Select(
            col(Incident.authority_id),
            col(Incident.aware_at),
            col(ObligationRecord.body),
            col(ObligationRecord.state),
            col(ObligationRecord.clock_started_at),
            col(ObligationRecord.deadline),
            col(ObligationRecord.submitted_at),
        )
        .select_from(ObligationRecord)
        .join(Incident, col(Incident.id) == ObligationRecord.incident_id)
        .where(
            Incident.exercise == False,  # noqa: E712 (SQL, not Python)
            or_(
                col(ObligationRecord.body).in_(REPORTED_TO),
                col(ObligationRecord.deadline).is_not(None),
            ),
        ),
        year,
        authority_id,
    )
    for owner, aware_at, body, state, started, deadline, submitted in await session.exec(clocks):
        for tally in tallies_for(owner, aware_at):
            if body in REPORTED_TO and started is not None and submitted is not None:
                tally.reports[body].append(_seconds(submitted, started))
            if deadline_counts(state, deadline, submitted, now):
                tally.deadlines += 1
                tally.met += deadline_met(deadline, submitted)

    def figures(scope: int | None, when: int) -> Figures:
        return tallies.get((scope, when), _Tally()).figures()

    scope = authority_id
    listed: list[AuthorityFigures] = []
    if authority is None:
        everyone = await session.exec(select(Authority).order_by(col(Authority.name_en)))
        listed = [
            AuthorityFigures(
                code=each.code,
                name_en=each.name_en,
                name_cy=each.name_cy,
                figures=figures(each.id, 0),
            )
            for each in everyone
        ]
    return Performance(
        financial_year=financial_year,
        label=year_label(financial_year),
        authority_code=authority.code if authority is not None else None,
        periods=[
            PeriodFigures(period=each, figures=figures(scope, each.quarter or 0))
            for each in [*quarters, year]
        ],
        authorities=listed,
        generated_at=now,
    )


async def financial_years(*, session: AsyncSession, now: datetime | None = None) -> list[int]:
    """The financial years there are incidents in, up to this one, newest first."""
    current = financial_year_of(now or datetime.now(UTC))
    earliest = (await session.exec(select(func.min(col(Incident.aware_at))))).one()
    first = financial_year_of(earliest) if earliest is not None else current
    return list(range(current, max(first, FIRST_YEAR, current - 20) - 1, -1))


# ---------------------------------------------------------------- the incidents behind a figure

#: The figures that are counts or times of incidents; categories and types follow as
#: "category-3" and "type-ransomware".
PERFORMANCE_FIGURES: tuple[str, ...] = (
    "incidents",
    "exercises",
    "acknowledgement",
    "ncsc",
    "ico",
    "deadlines",
    "missed",
)


def is_performance_figure(figure: str) -> bool:
    if figure in PERFORMANCE_FIGURES:
        return True
    kind, _, value = figure.partition("-")
    if kind == "category":
        return value in {str(int(c)) for c in NcscCategory}
    return kind == "type" and value in {t.value for t in IncidentType}


@dataclass(frozen=True)
class BehindPerformance:
    """One incident behind a figure (for a clock, one of its obligations), and its part in it."""

    incident: Incident
    authority: Authority
    body: Body | None = None
    taken: timedelta | None = None
    """Its time to acknowledge, or to report to `body`."""
    deadline: datetime | None = None
    submitted_at: datetime | None = None
    met: bool | None = None


def _counted_deadline(now: datetime) -> Any:
    deadline, submitted = col(ObligationRecord.deadline), col(ObligationRecord.submitted_at)
    return and_(
        deadline.is_not(None),
        col(ObligationRecord.state).in_(_COUNTED),
        or_(submitted.is_not(None), deadline <= now),
    )


def _missed() -> Any:
    submitted = col(ObligationRecord.submitted_at)
    return or_(submitted.is_(None), submitted > col(ObligationRecord.deadline))


async def behind_performance(
    figure: str,
    chosen: Period,
    *,
    authority_id: int | None,
    limit: int,
    offset: int,
    session: AsyncSession,
    now: datetime | None = None,
) -> tuple[list[BehindPerformance], int]:
    """The incidents one figure counts in one period, most recently known first, a page at a
    time; and how many in all. `figure` must satisfy `is_performance_figure`."""
    if not is_performance_figure(figure):
        raise ValueError(f"no figure {figure!r}")
    now = now or datetime.now(UTC)
    with_obligation = figure in ("ncsc", "ico", "deadlines", "missed")
    base = (
        select(Incident, Authority, ObligationRecord)
        .select_from(ObligationRecord)
        .join(Incident, col(Incident.id) == ObligationRecord.incident_id)
        if with_obligation
        else select(Incident, Authority)
    )
    query = _in_period(
        base.join(Authority, col(Authority.id) == Incident.authority_id), chosen, authority_id
    ).where(Incident.exercise == (figure == "exercises"))
    kind, _, value = figure.partition("-")
    if figure == "acknowledgement":
        query = query.where(
            col(Incident.acknowledgement_requested_at).is_not(None),
            col(Incident.first_acknowledged_at).is_not(None),
        )
    elif figure in ("ncsc", "ico"):
        query = query.where(
            col(ObligationRecord.body) == Body(figure),
            col(ObligationRecord.clock_started_at).is_not(None),
            col(ObligationRecord.submitted_at).is_not(None),
        )
    elif figure in ("deadlines", "missed"):
        query = query.where(_counted_deadline(now))
        if figure == "missed":
            query = query.where(_missed())
    elif kind == "category":
        query = query.where(Incident.category == NcscCategory(int(value)))
    elif kind == "type":
        query = query.where(Incident.incident_type == IncidentType(value))
    ordering = [col(Incident.aware_at).desc(), col(Incident.id)]
    if with_obligation:
        ordering.append(col(ObligationRecord.body))
    rows = (await session.exec(query.order_by(*ordering).limit(limit).offset(offset))).all()
    total = (await session.exec(select(func.count()).select_from(query.subquery()))).one()
    return [_behind(figure, row) for row in rows], total


def _behind(figure: str, row: Any) -> BehindPerformance:
    incident, authority = row[0], row[1]
    if figure == "acknowledgement":
        asked, acknowledged = incident.acknowledgement_requested_at, incident.first_acknowledged_at
        return BehindPerformance(
            incident,
            authority,
            taken=timedelta(seconds=_seconds(acknowledged, asked)),
        )
    if len(row) < 3:
        return BehindPerformance(incident, authority)
    obligation: ObligationRecord = row[2]
    started, submitted = obligation.clock_started_at, obligation.submitted_at
    return BehindPerformance(
        incident,
        authority,
        body=obligation.body,
        taken=timedelta(seconds=_seconds(submitted, started))
        if started is not None and submitted is not None
        else None,
        deadline=obligation.deadline,
        submitted_at=submitted,
        met=deadline_met(obligation.deadline, submitted)
        if figure in ("deadlines", "missed")
        else None,
    )
