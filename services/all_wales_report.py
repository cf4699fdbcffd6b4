"""The all-Wales report of a review year: where each authority stands on the Concordat's
commitments, what changed since the year before, the year's performance figures, and the
exercises each authority held.

An authority's statuses are its accepted review's snapshot: what the central team accepted as
the year's answer. An authority without an accepted review shows its statuses as they are now,
marked unreviewed. The change is against the previous year's accepted snapshot; without one,
nothing is compared. Figures are `services.performance`'s for the same April-March year, so the
report and the central team's performance pages agree.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import cast

from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.commitments import Commitment, CommitmentStatus, CommitmentView, review_year_label
from domain.reviews import Change, CommitmentSnapshot, ReviewState, change_between
from services.commitments import all_authorities_statuses
from services.directory import authorities
from services.performance import Figures, performance
from services.reviews import reviews_in, snapshot_of


class CommitmentCell(BaseModel):
    commitment: Commitment
    status: CommitmentStatus
    previous: CommitmentStatus | None = None
    """Last year's accepted status, if there is one."""
    change: Change = "not_compared"


class AuthorityReport(BaseModel):
    code: str
    name_en: str
    name_cy: str
    reviewed: bool
    """Its statuses are its accepted review's; otherwise they are as they are now."""
    review_state: ReviewState | None
    """Where the year's review stands; None when none was opened."""
    accepted_at: datetime | None = None
    commitments: list[CommitmentCell]
    incidents: int
    exercises: int
    """Exercises held in the year (kept out of every other figure)."""


class CommitmentTally(BaseModel):
    """How many authorities stand where on one commitment."""

    commitment: Commitment
    counts: dict[CommitmentStatus, int]


class AllWalesReport(BaseModel):
    year: int
    label: str
    """"2026-27"."""
    authorities: list[AuthorityReport]
    """By English name; the pages sort them by the reader's language."""
    tallies: list[CommitmentTally]
    reviewed: int
    """Authorities whose review of the year was accepted."""
    figures: Figures
    """Wales's figures for the year."""
    generated_at: datetime


async def all_wales_report(
    year: int, *, session: AsyncSession, today: date, now: datetime
) -> AllWalesReport:
    everyone = await authorities(authority_id=None, session=session)
    this_year = await reviews_in(year, session=session)
    last_year = await reviews_in(year - 1, session=session)
    unreviewed = [a for a in everyone if snapshot_of(this_year.get(a.id or 0)) is None]
    current = await all_authorities_statuses(session=session, today=today) if unreviewed else {}
    wales = await performance(year, authority=None, session=session, now=now)
    figures_of = {row.code: row.figures for row in wales.authorities}
    rows = []
    for authority in everyone:
        assert authority.id is not None
        review = this_year.get(authority.id)
        accepted = snapshot_of(review)
        before = snapshot_of(last_year.get(authority.id)) or []
        previous = {item.commitment: item.status for item in before}
        standing = accepted or _as_snapshot(current.get(authority.id, []))
        figures = figures_of.get(authority.code)
        rows.append(
            AuthorityReport(
                code=authority.code,
                name_en=authority.name_en,
                name_cy=authority.name_cy,
                reviewed=accepted is not None,
                review_state=cast(ReviewState, review.state) if review is not None else None,
                accepted_at=review.accepted_at if accepted is not None and review else None,
                commitments=[
                    CommitmentCell(
                        commitment=item.commitment,
                        status=item.status,
                        previous=previous.get(item.commitment),
                        change=change_between(previous.get(item.commitment), item.status),
                    )
                    for item in standing
                ],
                incidents=figures.incidents if figures else 0,
                exercises=figures.exercises if figures else 0,
            )
        )
    return AllWalesReport(
        year=year,
        label=review_year_label(year),
        authorities=rows,
        tallies=[
            CommitmentTally(
                commitment=commitment,
                counts={
                    status: sum(
                        1
                        for row in rows
                        for cell in row.commitments
                        if cell.commitment is commitment and cell.status is status
                    )
                    for status in CommitmentStatus
                },
            )
            for commitment in Commitment
        ],
        reviewed=sum(1 for row in rows if row.reviewed),
        figures=next(each.figures for each in wales.periods if each.period.quarter is None),
        generated_at=now,
    )


def _as_snapshot(views: list[CommitmentView]) -> list[CommitmentSnapshot]:
    return [CommitmentSnapshot.model_validate(view.model_dump(mode="json")) for view in views]
