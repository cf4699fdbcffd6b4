"""The central team's picture of Wales: every council's open incidents, the chains nobody has
acknowledged, the reporting clocks running and overdue, and the next deadline in Wales; with
its exports (CSV and JSON) under the same filters.

Only for those who read every authority (`Permission.READ_NATIONAL`): the central team, and an
auditor granted every authority. Read from the database in one snapshot, never from Temporal.
Every number links to the incidents behind it (`national_performance.behind_figure`).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Literal

import structlog
from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import Response

from domain.vocabulary import Language, NcscCategory
from models import Authority
from runtime.database import read_one_snapshot
from services.directory import authorities
from services.national_picture import OPEN_STAGES, AuthorityPicture, national_picture
from translations import N_, translate
from web.charts import Bar, bar_chart
from web.deps import SessionDep
from web.i18n import page_language
from web.pages import national_performance
from web.pages.common import PageReadsNational, render
from web.pages.national_filters import DAY_CHOICES, read_filters

log = structlog.get_logger(__name__)

router = APIRouter(include_in_schema=False)
router.include_router(national_performance.router)


def council_name(row: AuthorityPicture | Authority, language: Language) -> str:
    return row.name_cy if language is Language.WELSH else row.name_en


@router.get("/wales")
async def wales(request: Request, caller: PageReadsNational, session: SessionDep) -> Response:
    await read_one_snapshot(session)
    language = page_language(request)
    every = await authorities(authority_id=None, session=session)
    chosen = read_filters(request.query_params, every)
    picture = None if chosen.errors else await national_picture(chosen.filter, session=session)
    rows = (
        sorted(picture.authorities, key=lambda row: council_name(row, language).casefold())
        if picture
        else []
    )
    chart = (
        bar_chart(
            [Bar(council_name(row, language), row.open, str(row.open)) for row in rows],
            chart_id="chart-open",
            title=translate(language, N_("Open incidents by council")),
            description=translate(
                language,
                N_(
                    "A bar for each council, as long as its number of open incidents; "
                    "the table after the chart gives the same numbers."
                ),
            ),
            title_shown=False,
        )
        if rows
        else None
    )
    return render(
        request,
        "national.html.j2",
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT if chosen.errors else 200,
        section="national",
        chosen=chosen,
        errors=chosen.messages(language),
        picture=picture,
        rows=rows,
        chart=chart,
        councils=sorted(every, key=lambda each: council_name(each, language).casefold()),
        categories=list(NcscCategory),
        stages=OPEN_STAGES,
        day_choices=DAY_CHOICES,
        council_name=lambda row: council_name(row, language),
        incident_path=national_performance.incident_path(caller),
    )


def _spreadsheet_safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


CSV_COLUMNS: tuple[str, ...] = (
    "code",
    "name_en",
    "name_cy",
    "open",
    *(f"category_{int(category)}" for category in NcscCategory),
    *(f"stage_{stage.value}" for stage in OPEN_STAGES),
    "unacknowledged",
    "clocks_due",
    "clocks_overdue",
    "next_deadline",
    "exercises_open",
)


def _csv_row(row: AuthorityPicture) -> list[str | int]:
    return [
        row.code,
        _spreadsheet_safe(row.name_en),
        _spreadsheet_safe(row.name_cy),
        row.open,
        *(row.by_category[str(int(category))] for category in NcscCategory),
        *(row.by_stage[stage] for stage in OPEN_STAGES),
        row.unacknowledged,
        row.clocks_due,
        row.clocks_overdue,
        row.next_deadline.isoformat() if row.next_deadline else "",
        row.exercises_open,
    ]


@router.get("/wales/export.{kind}")
async def wales_export(
    request: Request,
    kind: Literal["csv", "json"],
    caller: PageReadsNational,
    session: SessionDep,
) -> Response:
    """The picture as a file, under the filters the page was showing: a row per council and
    one for Wales (code WLS)."""
    await read_one_snapshot(session)
    chosen = read_filters(
        request.query_params, await authorities(authority_id=None, session=session)
    )
    if chosen.errors:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, chosen.refusal())
    picture = await national_picture(chosen.filter, session=session)
    log.info(
        "national_picture_exported",
        kind=kind,
        authority=chosen.authority.code if chosen.authority else None,
    )
    stamp = f"{datetime.now(UTC):%Y%m%d-%H%M}"
    headers = {"Content-Disposition": f'attachment; filename="wales-picture-{stamp}.{kind}"'}
    if kind == "json":
        return Response(picture.model_dump_json(), media_type="application/json", headers=headers)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in [*picture.authorities, picture.wales]:
        writer.writerow(_csv_row(row))
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
