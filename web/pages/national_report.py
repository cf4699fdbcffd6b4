"""The all-Wales report of a review year (`services.all_wales_report`), in the reader's
language: as a page, as CSV, and as a print-ready document for a committee paper (A4, a page
per section, no navigation).

Only for those who read every authority (`Permission.READ_NATIONAL`).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from domain.commitments import Commitment, CommitmentStatus, review_year_of, uk_day
from domain.reviews import Change
from domain.vocabulary import Language, NcscCategory
from runtime.database import read_one_snapshot
from services.all_wales_report import AllWalesReport, AuthorityReport, all_wales_report
from translations import N_, translate
from web.deps import SessionDep
from web.i18n import page_language, time_span
from web.pages.commitments import STATUS_WORDS
from web.pages.common import PageReadsNational, render
from web.pages.reviews import STATES, commitment_words

router = APIRouter(include_in_schema=False)

Year = Annotated[int, Path(ge=2000, le=2199)]

#: How a change since last year reads, and its tag's colour.
CHANGES: dict[Change, tuple[str, str]] = {
    "improved": (N_("Improved"), "govuk-tag--green"),
    "worse": (N_("Worse"), "govuk-tag--red"),
    "unchanged": (N_("Unchanged"), "govuk-tag--grey"),
    "not_compared": (N_("Not compared"), "govuk-tag--grey"),
}


async def _report(year: Year, caller: PageReadsNational, session: SessionDep) -> AllWalesReport:
    """The report of the year in the address, for each of its forms; built only for a caller
    who may read it."""
    # One snapshot: the reviews, the statuses and the figures as one moment left them.
    await read_one_snapshot(session)
    now = datetime.now(UTC)
    return await all_wales_report(year, session=session, today=uk_day(now), now=now)


ReportOfYear = Annotated[AllWalesReport, Depends(_report)]


def _name(row: AuthorityReport, language: Language) -> str:
    return row.name_cy if language is Language.WELSH else row.name_en


def _context(report: AllWalesReport, language: Language) -> dict[str, Any]:
    rows = sorted(report.authorities, key=lambda row: _name(row, language).casefold())
    figures = report.figures
    return {
        "report": report,
        "rows": rows,
        "name_of": lambda row: _name(row, language),
        "commitments": list(Commitment),
        "statuses": list(CommitmentStatus),
        **commitment_words(language),
        "change_words": {
            change: {"text": translate(language, words), "classes": colour}
            for change, (words, colour) in CHANGES.items()
        },
        "state_words": {
            state: translate(language, words) for state, (words, _colour) in STATES.items()
        },
        "categories": list(NcscCategory),
        "acknowledgement": (
            time_span(figures.acknowledgement.median, language)
            if figures.acknowledgement.median is not None
            else None
        ),
        "ncsc_report": (
            time_span(figures.ncsc_report.median, language)
            if figures.ncsc_report.median is not None
            else None
        ),
        "deadlines_met": (
            round(figures.deadlines_met_share * 100)
            if figures.deadlines_met_share is not None
            else None
        ),
        "exercises": sum(row.exercises for row in rows),
        "current": report.year >= review_year_of(uk_day(report.generated_at)),
    }


# The CSV's address is declared before the page's: "/wales/report/2026.csv" would otherwise
# be read as the page of a year called "2026.csv".
@router.get("/wales/report/{year}.csv")
async def report_csv(request: Request, report: ReportOfYear) -> Response:
    language = page_language(request)
    filename = f"all-wales-report-{report.label}-{language.value}.csv"
    return Response(
        as_csv(report, language),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/wales/report/{year}/print")
async def report_print(request: Request, report: ReportOfYear) -> Response:
    language = page_language(request)
    return render(request, "national_report_print.html.j2", **_context(report, language))


@router.get("/wales/report/{year}")
async def report_page(request: Request, report: ReportOfYear) -> Response:
    language = page_language(request)
    return render(
        request, "national_report.html.j2", section="national", **_context(report, language)
    )


def _spreadsheet_safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def as_csv(report: AllWalesReport, language: Language) -> str:
    """One row per council, by name: its review, each commitment's status and change since last
    year, its incidents and its exercises; headings and words in `language`."""

    def words(message: str) -> str:
        return translate(language, message)

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            words(N_("Code")),
            words(N_("Council")),
            words(N_("Review")),
            words(N_("Accepted review")),
            *(
                heading % {"letter": commitment.value}
                for commitment in Commitment
                for heading in (
                    words(N_("Commitment %(letter)s")),
                    words(N_("Commitment %(letter)s since last year")),
                )
            ),
            words(N_("Incidents")),
            words(N_("Exercises")),
        ]
    )
    for row in sorted(report.authorities, key=lambda row: _name(row, language).casefold()):
        cells = {cell.commitment: cell for cell in row.commitments}
        status = {c: words(STATUS_WORDS[cell.status]) for c, cell in cells.items()}
        change = {c: words(CHANGES[cell.change][0]) for c, cell in cells.items()}
        writer.writerow(
            [
                row.code,
                _spreadsheet_safe(_name(row, language)),
                words(STATES[row.review_state][0]),
                words(N_("Yes")) if row.reviewed else words(N_("No")),
                *(
                    value
                    for commitment in Commitment
                    for value in (
                        status.get(commitment, ""),
                        change.get(commitment, ""),
                    )
                ),
                row.incidents,
                row.exercises,
            ]
        )
    return out.getvalue()
