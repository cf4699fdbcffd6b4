"""The annual reviews under /api: an authority's review of a year, its answer, and the central
team's decision; and, for the central team, every authority's review of a year and opening one.

The authority's people (and the central team, and auditors granted it) read its review; the
authority's senior management member or administrator submits it, for their own authority
alone; the central team accepts or returns it, and opens reviews. Another authority, or one
the caller may not read, is a 404. Each request goes to the review's workflow, which records
it on the review's hash-chained record before answering.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response, status
from pydantic import BaseModel, Field, StringConstraints
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from domain.commitments import review_year_label, review_year_of, uk_day
from domain.reviews import (
    AcceptReview,
    CommitmentSnapshot,
    ReturnReview,
    ReviewState,
    SubmitReview,
    year_just_ended,
)
from models import AnnualReview, Authority, ReviewEvent
from runtime.settings import Settings
from services.commitments import commitment_statuses
from services.directory import authorities, authority_by_code
from services.reviews import (
    ReviewNotStarted,
    ReviewRefused,
    ReviewTimings,
    ReviewUnavailable,
    ask_review,
    events_of,
    open_review,
    review_of,
    reviews_in,
    snapshot_of,
)
from web.api.admin import Code
from web.api.responses import COMMON, UPDATE
from web.deps import (
    Caller,
    EditsCommitments,
    ManagesNational,
    ReadsCommitments,
    ReadsNational,
    SessionDep,
    SettingsDep,
    TemporalDep,
    end_reading,
)
from web.operations import OperationError
from web.schemas import Strict
from workflows import AnnualReviewWorkflow

router = APIRouter(prefix="/api", tags=["annual reviews"], responses=COMMON)

#: A review year, by the year it starts in (2026 is April 2026 to March 2027).
Year = Annotated[int, Path(ge=2000, le=2199, description="The review year: 2026 is 2026-27.")]
Statement = Annotated[str, StringConstraints(min_length=1, max_length=4000)]


class SubmissionRequest(Strict):
    statement: Statement = Field(
        description="The authority's statement that the commitments as recorded (each kept up "
        "to date on its own page) are where it stands."
    )


class AcceptanceRequest(Strict):
    note: Annotated[str, StringConstraints(max_length=4000)] | None = None


class ReturnRequest(Strict):
    comments: Statement = Field(description="What the authority must look at again; sent to it.")


class OpenRequest(Strict):
    authority: Annotated[
        str, StringConstraints(min_length=2, max_length=8, pattern=r"^[A-Za-z0-9]+$")
    ]
    year: int = Field(ge=2000, le=2199, strict=True)


class ReviewEventView(BaseModel):
    sequence: int
    kind: str
    occurred_at: datetime
    actor: str
    summary: str
    detail: dict[str, Any]
    hash: str


class ReviewView(BaseModel):
    """An authority's review of a year: where it stands, each commitment (as accepted, or as
    it stands now while the review is open), and its record."""

    authority: str
    year: int
    label: str
    """"2026-27"."""
    state: ReviewState
    opened_by: str
    opened_at: datetime
    due_at: datetime
    overdue: bool
    reminded_at: datetime | None
    submissions: int
    submitted_at: datetime | None
    submitted_by: str | None
    statement: str | None
    returned_at: datetime | None
    comments: str | None
    accepted_at: datetime | None
    accepted_by: str | None
    commitments: list[CommitmentSnapshot]
    """As accepted once the review is accepted; before then, as they stand today."""
    record: list[ReviewEventView]


class ReviewSummary(BaseModel):
    """One authority's review of the year, for the central team's list."""

    authority: str
    name_en: str
    name_cy: str
    year: int
    state: ReviewState | None
    """None: not opened."""
    due_at: datetime | None
    overdue: bool
    submitted_at: datetime | None
    accepted_at: datetime | None


def not_found(code: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"No authority {code}.")


def no_review(authority: Authority, year: int) -> HTTPException:
    return HTTPException(
        status.HTTP_404_NOT_FOUND,
        f"The annual review of {review_year_label(year)} has not been opened for "
        f"{authority.code}. / Nid yw adolygiad blynyddol {review_year_label(year)} wedi'i agor "
        f"ar gyfer {authority.code}.",
    )


async def _readable_authority(
    code: Code, caller: ReadsCommitments, session: SessionDep
) -> Authority:
    """An authority the caller may read; any other is a 404, as if it did not exist."""
    authority = await authority_by_code(code, session=session)
    if authority is None or authority.id is None or not caller.may_read(authority.id):
        raise not_found(code)
    return authority


async def _own_authority(code: Code, caller: EditsCommitments, session: SessionDep) -> Authority:
    """The caller's own authority, checked before the request is read; any other is a 404."""
    authority = await authority_by_code(code, session=session)
    if authority is None or authority.id is None or authority.id != caller.authority_id:
        raise not_found(code)
    return authority


async def _any_authority(code: Code, caller: ManagesNational, session: SessionDep) -> Authority:
    authority = await authority_by_code(code, session=session)
    if authority is None or authority.id is None:
        raise not_found(code)
    return authority


ReadableAuthority = Annotated[Authority, Depends(_readable_authority)]
OwnAuthority = Annotated[Authority, Depends(_own_authority)]
AnyAuthority = Annotated[Authority, Depends(_any_authority)]


def now() -> datetime:
    """The moment, read once per request for what it shows (overdue or not)."""
    return datetime.now(UTC)


def this_day() -> date:
    """The day it is in Wales: statuses, and review years, turn at midnight UK time."""
    return uk_day(now())


def is_overdue(review: AnnualReview, moment: datetime) -> bool:
    """Past its due date with no answer (a returned review was answered once)."""
    return review.submissions == 0 and review.state == "open" and moment >= review.due_at


async def commitments_of(
    review: AnnualReview | None, authority: Authority, *, session: AsyncSession
) -> list[CommitmentSnapshot]:
    """As accepted, or as they stand today."""
    accepted = snapshot_of(review)
    if accepted is not None:
        return accepted
    assert authority.id is not None
    views = await commitment_statuses(authority.id, session=session, today=this_day())
    return [CommitmentSnapshot.model_validate(view.model_dump(mode="json")) for view in views]


def _event_view(event: ReviewEvent) -> ReviewEventView:
    return ReviewEventView.model_validate(event, from_attributes=True)


async def review_view(
    review: AnnualReview, authority: Authority, *, session: AsyncSession
) -> ReviewView:
    return ReviewView(
        authority=authority.code,
        year=review.year,
        label=review_year_label(review.year),
        state=review.state,
        opened_by=review.opened_by,
        opened_at=review.opened_at,
        due_at=review.due_at,
        overdue=is_overdue(review, now()),
        reminded_at=review.reminded_at,
        submissions=review.submissions,
        submitted_at=review.submitted_at,
        submitted_by=review.submitted_by,
        statement=review.statement,
        returned_at=review.returned_at,
        comments=review.comments,
        accepted_at=review.accepted_at,
        accepted_by=review.accepted_by,
        commitments=await commitments_of(review, authority, session=session),
        record=[_event_view(event) for event in await events_of(review, session=session)],
    )


async def existing_review(
    authority: Authority, year: int, *, session: AsyncSession
) -> AnnualReview:
    assert authority.id is not None
    review = await review_of(authority.id, year, session=session)
    if review is None:
        raise no_review(authority, year)
    return review


async def decide(
    review: AnnualReview,
    update_method: Any,
    command: Any,
    *,
    session: AsyncSession,
    temporal: Client,
) -> AnnualReview:
    """Send the request to the review's workflow, for the API and the pages alike; the review's
    row as the workflow's record left it. A refusal is an `OperationError`."""
    await end_reading(session)
    try:
        await ask_review(review, update_method, command, temporal=temporal)
    except ReviewRefused as refused:
        raise OperationError(refused.status_code, refused.message) from None
    except ReviewUnavailable as unavailable:
        raise OperationError(503, str(unavailable), retry_after=5) from None
    await session.refresh(review)
    return review


async def start_review(
    authority: Authority,
    year: int,
    caller: Caller,
    *,
    settings: Settings,
    session: AsyncSession,
    temporal: Client,
) -> tuple[AnnualReview, bool]:
    """Open the authority's review of `year`, for the API and the pages alike."""
    if year > review_year_of(this_day()):
        raise OperationError(
            422,
            f"{review_year_label(year)} has not begun: a review looks back on a year begun or "
            f"ended. / Nid yw {review_year_label(year)} wedi dechrau: mae adolygiad yn edrych "
            "yn ôl ar flwyddyn sydd wedi dechrau neu orffen.",
        )
    try:
        return await open_review(
            authority,
            year,
            opened_by=caller.name,
            timings=ReviewTimings(settings.review_response_days, settings.review_reminder_days),
            base_url=settings.base_url,
            session=session,
            temporal=temporal,
            task_queue=settings.task_queue,
        )
    except ReviewNotStarted as not_started:
        raise OperationError(503, str(not_started), retry_after=5) from None


# ---------------------------------------------------------------- an authority's review


async def _answer(
    authority: Authority,
    year: int,
    update_method: Any,
    command: Callable[[], BaseModel],
    *,
    session: AsyncSession,
    temporal: Client,
) -> ReviewView:
    """Send a request to the authority's review of `year` and show the review as it then
    stands. The request is made (`command`) only once the review is known to exist, so asking
    of a review never opened is a 404 whatever the request's text."""
    review = await existing_review(authority, year, session=session)
    review = await decide(review, update_method, command(), session=session, temporal=temporal)
    return await review_view(review, authority, session=session)


@router.get("/authorities/{code}/reviews/{year}", response_model=ReviewView)
async def get_review(year: Year, authority: ReadableAuthority, session: SessionDep) -> ReviewView:
    """The authority's review of the year: where it stands, each commitment and its record."""
    review = await existing_review(authority, year, session=session)
    return await review_view(review, authority, session=session)


@router.post(
    "/authorities/{code}/reviews/{year}/submission",
    response_model=ReviewView,
    responses=UPDATE,
)
async def submit_review(
    year: Year,
    submission: SubmissionRequest,
    authority: OwnAuthority,
    caller: EditsCommitments,
    session: SessionDep,
    temporal: TemporalDep,
) -> ReviewView:
    """Submit the authority's answer: the commitments as recorded now (each updated on its own
    address first), with a statement. A returned review is submitted again the same way."""
    return await _answer(
        authority,
        year,
        AnnualReviewWorkflow.submit,
        lambda: SubmitReview(actor=caller.name, statement=submission.statement),
        session=session,
        temporal=temporal,
    )


@router.post(
    "/authorities/{code}/reviews/{year}/acceptance",
    response_model=ReviewView,
    responses=UPDATE,
)
async def accept_review(
    year: Year,
    acceptance: AcceptanceRequest,
    authority: AnyAuthority,
    caller: ManagesNational,
    session: SessionDep,
    temporal: TemporalDep,
) -> ReviewView:
    """Accept a submitted review: each commitment's status and evidence are kept as the year's
    answer (the all-Wales report's), and the review closes."""
    return await _answer(
        authority,
        year,
        AnnualReviewWorkflow.accept,
        lambda: AcceptReview(actor=caller.name, note=acceptance.note or None),
        session=session,
        temporal=temporal,
    )


@router.post(
    "/authorities/{code}/reviews/{year}/return",
    response_model=ReviewView,
    responses=UPDATE,
)
async def return_review(
    year: Year,
    returned: ReturnRequest,
    authority: AnyAuthority,
    caller: ManagesNational,
    session: SessionDep,
    temporal: TemporalDep,
) -> ReviewView:
    """Return a submitted review to the authority with comments; it is told, and submits
    again."""
    return await _answer(
        authority,
        year,
        AnnualReviewWorkflow.return_review,
        lambda: ReturnReview(actor=caller.name, comments=returned.comments),
        session=session,
        temporal=temporal,
    )


# ---------------------------------------------------------------- every authority's


async def summaries(year: int, *, session: AsyncSession) -> list[ReviewSummary]:
    every = await authorities(authority_id=None, session=session)
    found = await reviews_in(year, session=session)
    moment = now()
    listed = []
    for authority in every:
        review = found.get(authority.id or 0)
        listed.append(
            ReviewSummary(
                authority=authority.code,
                name_en=authority.name_en,
                name_cy=authority.name_cy,
                year=year,
                state=review.state if review else None,
                due_at=review.due_at if review else None,
                overdue=is_overdue(review, moment) if review else False,
                submitted_at=review.submitted_at if review else None,
                accepted_at=review.accepted_at if review else None,
            )
        )
    return listed


@router.get("/national/reviews", response_model=list[ReviewSummary])
async def list_reviews(
    caller: ReadsNational,
    session: SessionDep,
    year: Annotated[int | None, Query(ge=2000, le=2199)] = None,
) -> list[ReviewSummary]:
    """Every authority's review of the year (by default the review year just ended), opened
    or not."""
    return await summaries(year or year_just_ended(this_day()), session=session)


@router.post(
    "/national/reviews",
    response_model=ReviewView,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": ReviewView, "description": "Already open: the review as it is."},
        **UPDATE,
    },
)
async def open_one(
    opening: OpenRequest,
    caller: ManagesNational,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    response: Response,
) -> ReviewView:
    """Open an authority's review of a year now, rather than waiting for the yearly schedule;
    one already open (or accepted) is answered as it is, with 200."""
    authority = await authority_by_code(opening.authority, session=session)
    if authority is None or authority.id is None:
        raise OperationError(
            422,
            f"Unknown authority code {opening.authority!r}. / "
            f"Cod awdurdod anhysbys {opening.authority!r}.",
        )
    review, created = await start_review(
        authority, opening.year, caller, settings=settings, session=session, temporal=temporal
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return await review_view(review, authority, session=session)
