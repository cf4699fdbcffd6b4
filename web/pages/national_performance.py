"""The performance figures of Wales and of each council, by quarter and year of the Welsh local
government financial year (April to March), and the list of the incidents behind any figure,
of the picture or of the performance.

Every number is a link to its incidents (`/wales/incidents?figure=...`), and each incident in
that list links to its own page: its status page for those who read incidents, its audit page
for an auditor. Each chart is followed by a table of the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from urllib.parse import urlencode

from babel.dates import format_timedelta
from fastapi import APIRouter, Request, status
from fastapi.responses import Response
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.access import Permission
from domain.vocabulary import IncidentType, Language, NcscCategory
from models import Authority
from notifications.labels import label
from runtime.database import read_one_snapshot
from services.directory import authorities
from services.national_picture import PICTURE_FIGURES, PictureFigure, behind_picture
from services.performance import (
    DurationFigure,
    Figures,
    Performance,
    Period,
    behind_performance,
    financial_year_of,
    financial_years,
    is_performance_figure,
    parse_period,
    performance,
    period,
)
from translations import N_, translate
from web.charts import Bar, bar_chart
from web.deps import Caller, SessionDep
from web.i18n import page_language, time_span
from web.pages.common import PageReadsNational, render
from web.pages.incident_list import pages_to_show
from web.pages.national_filters import read_filters

router = APIRouter(include_in_schema=False)

#: Incidents a page of the list behind a figure shows.
PAGE_SIZE = 50

#: Each quarter's months, for the tables' headings.
QUARTER_MONTHS = {
    1: N_("April to June"),
    2: N_("July to September"),
    3: N_("October to December"),
    4: N_("January to March"),
}

#: What each list behind a figure is of.
FIGURE_TITLES: dict[str, str] = {
    "open": N_("Open incidents"),
    "exercises": N_("Exercises"),
    "unacknowledged": N_("Open incidents with a chain nobody has acknowledged"),
    "due": N_("Reporting clocks running"),
    "overdue": N_("Reporting clocks overdue"),
    "incidents": N_("Incidents"),
    "acknowledgement": N_("Time to first acknowledgement"),
    "ncsc": N_("Time to report to the NCSC"),
    "ico": N_("Time to report to the ICO"),
    "deadlines": N_("Deadlines passed or submitted"),
    "missed": N_("Deadlines missed"),
}

NOT_A_YEAR = N_("Select a financial year from the list")
NOT_A_COUNCIL = N_("Select a council from the list")
NOT_A_FIGURE = N_("This figure does not exist; go back to the figures and choose one")
NOT_A_PERIOD = N_("Enter a period like 2025-26 or 2025-26-q1, in the years 2000 to 2199")


def _name(each: Any, language: Language) -> str:
    return str(each.name_cy if language is Language.WELSH else each.name_en)


@dataclass(frozen=True)
class Cell:
    """A number in a table, and the list of the incidents behind it (none for a nought)."""

    text: str
    href: str | None = None
    hidden: str = ""
    """Words a screen reader hears after the number, saying what it counts."""


@dataclass(frozen=True)
class FigureRow:
    heading: str
    cells: list[Cell]


class Words:
    """The page's words, in its language."""

    def __init__(self, language: Language) -> None:
        self.language = language

    def __call__(self, message: str, **values: object) -> str:
        return (
            translate(self.language, message) % values
            if values
            else translate(self.language, message)
        )

    def span(self, delta: timedelta | None) -> str:
        """A time taken in words; under a minute in seconds, which `time_span` (whole minutes)
        would call nothing."""
        if delta is None:
            return self(N_("none"))
        if delta < timedelta(minutes=1):
            seconds = timedelta(seconds=round(delta.total_seconds()))
            return format_timedelta(seconds, threshold=1, locale=self.language.value)
        return time_span(delta, self.language)

    def share(self, figures: Figures) -> str:
        if figures.deadlines_met_share is None:
            return self(N_("no deadlines"))
        return self(
            N_("%(share)s%% (%(met)s of %(all)s)"),
            share=round(figures.deadlines_met_share * 100),
            met=figures.deadlines_met,
            all=figures.deadlines,
        )

    def period(self, chosen: Period) -> str:
        if chosen.quarter is None:
            return chosen.key[:7]
        return self(
            N_("Quarter %(quarter)s of %(year)s (%(months)s)"),
            quarter=chosen.quarter,
            year=chosen.key[:7],
            months=self(QUARTER_MONTHS[chosen.quarter]),
        )


def behind_link(figure: str, *, period_key: str = "", code: str = "", **filters: str) -> str:
    values = {"figure": figure, "authority": code, "period": period_key} | filters
    return "/wales/incidents?" + urlencode({name: value for name, value in values.items() if value})


def _figure_rows(result: Performance, words: Words) -> list[FigureRow]:
    """The figures by quarter and for the year, each number linking to its incidents."""
    code = result.authority_code or ""

    def row(
        heading: str,
        figure: str,
        shown: Callable[[Figures], str],
        behind: Callable[[Figures], int],
    ) -> FigureRow:
        """A row of the table: `shown` of each period's figures, linking to the incidents
        behind it when `behind` counts any."""
        return FigureRow(
            heading,
            [
                Cell(
                    shown(each.figures),
                    behind_link(figure, period_key=each.period.key, code=code)
                    if behind(each.figures)
                    else None,
                    f"{heading}, {words.period(each.period)}",
                )
                for each in result.periods
            ],
        )

    def missed(figures: Figures) -> int:
        return figures.deadlines - figures.deadlines_met

    rows = [
        row(words(N_("Incidents")), "incidents", lambda f: str(f.incidents), lambda f: f.incidents),
        row(
            words(N_("Exercises (counted in no other figure)")),
            "exercises",
            lambda f: str(f.exercises),
            lambda f: f.exercises,
        ),
    ]

    def timed(
        figure: str, heading: str, measure: Callable[[Figures], DurationFigure]
    ) -> list[FigureRow]:
        """A time's three rows: how many it is measured over, its median, its 90th percentile."""
        name = words(heading)

        def count(figures: Figures) -> int:
            return measure(figures).count

        return [
            row(
                words(N_("%(figure)s: incidents measured"), figure=name),
                figure,
                lambda f: str(count(f)),
                count,
            ),
            row(
                words(N_("%(figure)s: median"), figure=name),
                figure,
                lambda f: words.span(measure(f).median),
                count,
            ),
            row(
                words(N_("%(figure)s: 90th percentile"), figure=name),
                figure,
                lambda f: words.span(measure(f).p90),
                count,
            ),
        ]

    rows += timed(
        "acknowledgement", N_("Time to first acknowledgement"), lambda f: f.acknowledgement
    )
    rows += timed("ncsc", N_("Time to report to the NCSC"), lambda f: f.ncsc_report)
    rows += timed("ico", N_("Time to report to the ICO"), lambda f: f.ico_report)
    rows += [
        row(words(N_("Deadlines met")), "deadlines", words.share, lambda f: f.deadlines),
        row(words(N_("Deadlines missed")), "missed", lambda f: str(missed(f)), missed),
    ]
    return rows


@dataclass(frozen=True)
class Breakdown:
    """A chart of the year's incidents by one thing, and its table (each quarter, the year)."""

    heading: str
    chart: Any
    rows: list[FigureRow]


def _breakdown(
    result: Performance,
    words: Words,
    *,
    chart_id: str,
    heading: str,
    keys: list[tuple[str, str, str]],
    count: Any,
) -> Breakdown:
    """`keys`: (figure, the key `count(figures, key)` reads, its label) for each bar."""
    code = result.authority_code or ""
    year = result.periods[-1]
    bars = [
        Bar(text, count(year.figures, key), str(count(year.figures, key))) for _, key, text in keys
    ]
    rows = [
        FigureRow(
            text,
            [
                Cell(
                    str(count(each.figures, key)),
                    behind_link(figure, period_key=each.period.key, code=code)
                    if count(each.figures, key)
                    else None,
                    f"{text}, {words.period(each.period)}",
                )
                for each in result.periods
            ],
        )
        for figure, key, text in keys
    ]
    chart = bar_chart(
        bars,
        chart_id=chart_id,
        title=f"{heading}, {year.period.key}",
        description=words(
            N_(
                "A bar for each, as long as its number of incidents in the year; the table "
                "after the chart gives the same numbers, with each quarter's."
            )
        ),
    )
    return Breakdown(heading, chart, rows)


def _councils(result: Performance, words: Words) -> tuple[Any, list[list[Cell]]]:
    """Each council's year: a chart of the share of deadlines met, and a table."""
    year = result.periods[-1].period
    ordered = sorted(result.authorities, key=lambda each: _name(each, words.language).casefold())
    bars = [
        Bar(
            _name(each, words.language),
            (each.figures.deadlines_met_share or 0.0) * 100,
            words.share(each.figures),
        )
        for each in ordered
    ]
    chart = bar_chart(
        bars,
        chart_id="chart-councils",
        title=words(N_("Deadlines met by council, %(year)s"), year=year.key),
        description=words(
            N_(
                "A bar for each council, as long as its share of deadlines met in the year; "
                "the table after the chart gives the same numbers."
            )
        ),
        most=100,
    )
    table = []
    for each in ordered:
        figures, name = each.figures, _name(each, words.language)
        table.append(
            [
                Cell(
                    name, f"/wales/performance?authority={each.code}&year={result.financial_year}"
                ),
                Cell(
                    str(figures.incidents),
                    behind_link("incidents", period_key=year.key, code=each.code)
                    if figures.incidents
                    else None,
                    f"{words(N_('incidents'))}, {name}",
                ),
                Cell(
                    words.span(figures.acknowledgement.median),
                    behind_link("acknowledgement", period_key=year.key, code=each.code)
                    if figures.acknowledgement.count
                    else None,
                    f"{words(N_('Time to first acknowledgement'))}, {name}",
                ),
                Cell(
                    words.share(figures),
                    behind_link("deadlines", period_key=year.key, code=each.code)
                    if figures.deadlines
                    else None,
                    f"{words(N_('deadlines met'))}, {name}",
                ),
            ]
        )
    return chart, table


@router.get("/wales/performance")
async def wales_performance(
    request: Request, caller: PageReadsNational, session: SessionDep
) -> Response:
    await read_one_snapshot(session)
    words = Words(page_language(request))
    every = await authorities(authority_id=None, session=session)
    years = await financial_years(session=session)
    text = {
        name: str(request.query_params.get(name) or "").strip()[:20]
        for name in ("authority", "year")
    }
    errors: dict[str, str] = {}
    chosen: Authority | None = None
    if text["authority"]:
        chosen = next((a for a in every if a.code == text["authority"].upper()), None)
        if chosen is None:
            errors["filter-authority"] = words(NOT_A_COUNCIL)
    year = financial_year_of(datetime.now(UTC))
    if text["year"]:
        if text["year"].isdigit() and int(text["year"]) in years:
            year = int(text["year"])
        else:
            errors["filter-year"] = words(NOT_A_YEAR)
    result = None if errors else await performance(year, authority=chosen, session=session)
    context: dict[str, Any] = {"figure_rows": [], "breakdowns": [], "councils": None}
    if result is not None:
        context["figure_rows"] = _figure_rows(result, words)
        context["breakdowns"] = [
            _breakdown(
                result,
                words,
                chart_id="chart-categories",
                heading=words(N_("Incidents by NCSC category")),
                keys=[
                    (f"category-{int(c)}", str(int(c)), f"{int(c)}: {label(c, words.language)}")
                    for c in NcscCategory
                ],
                count=lambda figures, key: figures.by_category[key],
            ),
            _breakdown(
                result,
                words,
                chart_id="chart-types",
                heading=words(N_("Incidents by type")),
                keys=[
                    (f"type-{kind.value}", kind.value, label(kind, words.language))
                    for kind in IncidentType
                ],
                count=lambda figures, key: figures.by_type[IncidentType(key)],
            ),
        ]
        if chosen is None:
            context["councils_chart"], context["councils"] = _councils(result, words)
    return render(
        request,
        "national_performance.html.j2",
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT if errors else 200,
        section="national",
        errors=errors,
        chosen=text,
        result=result,
        authority=chosen,
        authority_name=_name(chosen, words.language) if chosen else None,
        years=years,
        year_label=lambda y: f"{y}-{(y + 1) % 100:02d}",
        councils_list=sorted(every, key=lambda each: _name(each, words.language).casefold()),
        quarter_months={q: words(m) for q, m in QUARTER_MONTHS.items()},
        **context,
    )


@dataclass(frozen=True)
class Listed:
    """One row of the list behind a figure, ready to show."""

    incident: Any
    authority_name: str
    body: Any = None
    deadline: datetime | None = None
    submitted_at: datetime | None = None
    taken: timedelta | None = None
    met: bool | None = None
    chains: int | None = None


@dataclass
class Behind:
    """The list behind a figure, as the page shows it."""

    scope: str
    """Wales, or the council."""
    back: str
    """The page the figure is on, as it was."""
    keep: dict[str, str]
    """The query the list's pages keep."""
    rows: list[Listed] = field(default_factory=list)
    total: int = 0
    columns: str = "incident"
    """What the table shows beside each incident: "clock", "chains", "taken" or "deadline"."""
    when: str = ""
    errors: dict[str, str] = field(default_factory=dict)


async def _behind_picture(
    figure: PictureFigure,
    params: Mapping[str, str],
    every: list[Authority],
    page: int,
    words: Words,
    session: AsyncSession,
) -> Behind:
    chosen = read_filters(params, every)
    behind = Behind(
        scope=_name(chosen.authority, words.language) if chosen.authority else words(N_("Wales")),
        back="/wales" + (f"?{chosen.query()}" if chosen.narrowed else ""),
        keep={"figure": figure} | {name: value for name, value in chosen.text.items() if value},
        errors=chosen.messages(words.language),
    )
    if behind.errors:
        return behind
    found, behind.total = await behind_picture(
        figure, chosen.filter, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, session=session
    )
    behind.columns = {"due": "clock", "overdue": "clock", "unacknowledged": "chains"}.get(
        figure, "incident"
    )
    behind.rows = [
        Listed(
            each.incident,
            _name(each.authority, words.language),
            body=each.body,
            deadline=each.deadline,
            chains=each.incident.awaiting_acknowledgement,
        )
        for each in found
    ]
    return behind


async def _behind_performance(
    figure: str,
    params: Mapping[str, str],
    every: list[Authority],
    page: int,
    words: Words,
    session: AsyncSession,
) -> Behind:
    code = str(params.get("authority") or "").strip()[:20]
    authority = next((a for a in every if a.code == code.upper()), None) if code else None
    errors = {"filter-authority": words(NOT_A_COUNCIL)} if code and authority is None else {}
    this_year = period(financial_year_of(datetime.now(UTC)))
    try:
        chosen = parse_period(str(params.get("period") or this_year.key)[:20])
    except ValueError:
        errors["filter-period"] = words(NOT_A_PERIOD)
        chosen = this_year
    behind = Behind(
        scope=_name(authority, words.language) if authority else words(N_("Wales")),
        back="/wales/performance?"
        + urlencode(
            {"authority": code, "year": chosen.financial_year}
            if code
            else {"year": chosen.financial_year}
        ),
        keep={"figure": figure, "authority": code, "period": chosen.key},
        when=words.period(chosen),
        errors=errors,
    )
    if errors:
        return behind
    found, behind.total = await behind_performance(
        figure,
        chosen,
        authority_id=authority.id if authority else None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
        session=session,
    )
    behind.columns = (
        "taken"
        if figure in ("acknowledgement", "ncsc", "ico")
        else "deadline"
        if figure in ("deadlines", "missed")
        else "incident"
    )
    behind.rows = [
        Listed(
            each.incident,
            _name(each.authority, words.language),
            body=each.body,
            deadline=each.deadline,
            submitted_at=each.submitted_at,
            taken=each.taken,
            met=each.met,
        )
        for each in found
    ]
    return behind


@router.get("/wales/incidents")
async def behind_figure(
    request: Request, caller: PageReadsNational, session: SessionDep
) -> Response:
    """The incidents behind one figure: of the picture (with its filters), or of the
    performance (with its period)."""
    await read_one_snapshot(session)
    words = Words(page_language(request))
    params = request.query_params
    figure = str(params.get("figure") or "open").strip()[:40]
    page_text = str(params.get("page") or "1")
    page = int(page_text) if page_text.isdigit() and 0 < int(page_text) < 100_000 else 1
    every = await authorities(authority_id=None, session=session)
    # A period makes it a figure of the performance ("exercises" is one of both).
    if figure in PICTURE_FIGURES and not params.get("period"):
        behind = await _behind_picture(
            cast(PictureFigure, figure), params, every, page, words, session
        )
    elif is_performance_figure(figure):
        behind = await _behind_performance(figure, params, every, page, words, session)
    else:
        behind = Behind(
            scope=words(N_("Wales")),
            back="/wales",
            keep={},
            errors={"figure": words(NOT_A_FIGURE)},
        )
    return render(
        request,
        "national_incidents.html.j2",
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT if behind.errors else 200,
        section="national",
        errors=behind.errors,
        title=_figure_title(figure, words),
        scope=behind.scope,
        when=behind.when,
        back=behind.back,
        columns=behind.columns,
        rows=behind.rows,
        total=behind.total,
        first=(page - 1) * PAGE_SIZE + 1,
        pagination=_pagination(behind.keep, page, behind.total),
        incident_path=incident_path(caller),
    )


def _figure_title(figure: str, words: Words) -> str:
    if figure in FIGURE_TITLES:
        return words(FIGURE_TITLES[figure])
    kind, _, value = figure.partition("-")
    if kind == "category" and value in {str(int(c)) for c in NcscCategory}:
        category = NcscCategory(int(value))
        return words(
            N_("Category %(number)s: %(name)s"),
            number=value,
            name=label(category, words.language),
        )
    if kind == "type" and value in {t.value for t in IncidentType}:
        return words(
            N_("Incidents of type: %(type)s"), type=label(IncidentType(value), words.language)
        )
    return words(N_("Incidents"))


def incident_path(caller: Caller) -> str:
    """Where an incident in the list leads: its status page, or for an auditor (who reads
    timelines, not incidents) its audit page."""
    return "/incidents/" if caller.can(Permission.READ_INCIDENTS) else "/audit/incidents/"


def _pagination(keep: dict[str, str], page: int, total: int) -> dict[str, Any] | None:
    last = max(math.ceil(total / PAGE_SIZE), 1)
    if last == 1:
        return None

    def link(number: int) -> str:
        return "/wales/incidents?" + urlencode(keep | ({"page": str(number)} if number > 1 else {}))

    return {
        "items": [
            {"ellipsis": True}
            if number is None
            else {"number": number, "href": link(number), "current": number == page}
            for number in pages_to_show(page, last)
        ],
        "previous": {"href": link(page - 1)} if page > 1 else None,
        "next": {"href": link(page + 1)} if page < last else None,
    }
