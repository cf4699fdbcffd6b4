"""/api/national: the national picture and the performance figures, for the central team (and
an auditor granted every authority). Read from the database only, in one snapshot."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

import structlog
from fastapi import APIRouter, HTTPException, Query, status

from domain.vocabulary import NcscCategory, Stage
from runtime.database import read_one_snapshot
from services.directory import authorities, authority_by_code
from services.national_picture import NationalPicture, national_picture
from services.performance import (
    FIRST_YEAR,
    LAST_YEAR,
    Performance,
    financial_year_of,
    performance,
)
from web.api.responses import COMMON
from web.deps import ReadsNational, SessionDep
from web.pages.national_filters import MOST_DAYS, read_filters

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/api/national", tags=["national"], responses=COMMON)

Code = Annotated[
    str | None,
    Query(
        min_length=2,
        max_length=8,
        pattern=r"^[A-Za-z0-9]+$",
        description="One authority's code (CDF); every authority if absent.",
    ),
]


def _no_authority(code: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"No authority {code}. / Dim awdurdod {code}.")


@router.get("/picture", response_model=NationalPicture)
async def picture(
    caller: ReadsNational,
    session: SessionDep,
    authority: Code = None,
    category: Annotated[NcscCategory | None, Query(description="NCSC category, 1 to 6.")] = None,
    stage: Annotated[
        Stage | None, Query(description="A stage of an open incident (not closed).")
    ] = None,
    days: Annotated[
        int | None,
        Query(
            ge=1,
            le=MOST_DAYS,
            description="Incidents the council became aware of in the last so many days.",
        ),
    ] = None,
    from_: Annotated[
        date | None,
        Query(alias="from", description="... or on or after this date (UK time)."),
    ] = None,
    to: Annotated[date | None, Query(description="... and on or before this date.")] = None,
) -> NationalPicture:
    """Every authority's open incidents by category and by stage, chains nobody has
    acknowledged, reporting clocks running and overdue, and the next deadline in Wales.
    Exercises are counted apart (`exercises_open`) and in no other figure."""
    await read_one_snapshot(session)
    every = await authorities(authority_id=None, session=session)
    given = {
        "authority": authority or "",
        "category": str(int(category)) if category is not None else "",
        "stage": stage.value if stage is not None else "",
        "days": str(days) if days is not None else "",
        "from": from_.isoformat() if from_ is not None else "",
        "to": to.isoformat() if to is not None else "",
    }
    chosen = read_filters(given, every)
    if "authority" in chosen.errors and authority is not None:
        raise _no_authority(authority)
    if chosen.errors:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, chosen.refusal())
    return await national_picture(chosen.filter, session=session)


@router.get("/performance", response_model=Performance)
async def performance_figures(
    caller: ReadsNational,
    session: SessionDep,
    authority: Code = None,
    year: Annotated[
        int | None,
        Query(
            ge=FIRST_YEAR,
            le=LAST_YEAR,
            description="The financial year (April to March) by the year it starts in: 2025 "
            "for 2025-26. This one if absent.",
        ),
    ] = None,
) -> Performance:
    """Time to first acknowledgement, time to report to the NCSC and the ICO (median and 90th
    percentile), the share of deadlines met, and incidents by category and by type, for each
    quarter of a financial year and the whole year; for Wales with each authority's year, or
    for one authority. Exercises are counted apart and in no other figure."""
    await read_one_snapshot(session)
    chosen = None
    if authority is not None:
        chosen = await authority_by_code(authority.upper(), session=session)
        if chosen is None:
            raise _no_authority(authority)
    financial_year = year if year is not None else financial_year_of(datetime.now(UTC))
    return await performance(financial_year, authority=chosen, session=session)
