"""Annual reviews: opening one (its row, then its workflow), writing its record, reading it,
and asking its workflow to take the authority's answer or the central team's decision.

The row is written first, then the workflow is started under an id made from the authority
and the year (`domain.reviews.review_workflow_id`), so opening a review twice, from the
schedule, the page, the API or the command line, opens it once. Temporal's own errors stop
here: callers see `ReviewRefused` (the review said no, with a sentence in both languages) and
`ReviewUnavailable` (Temporal cannot be reached).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from audit.review_chain import anchor_of_review, review_event_hash
from domain.reviews import (
    CommitmentSnapshot,
    OpenReview,
    ReviewRecord,
    ReviewStatus,
    review_workflow_id,
)
from models import AnnualReview, Authority, ReviewEvent
from runtime.database import insert_for
from services.timeline import join_authority_chain, storable
from workflows import AnnualReviewWorkflow

log = structlog.get_logger(__name__)


class ReviewChainNotReady(RuntimeError):
    """The review's row or the event before this one is not there yet; the activity retries."""


class ReviewNotStarted(Exception):
    """The review's workflow could not be started. A new row is taken away again when Temporal
    says it did not start; when that cannot be known, opening it again starts it."""


class ReviewRefused(Exception):
    """The review refused a request: the HTTP status it means, and a sentence in both
    languages ("English. / Welsh.")."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code, self.message = status_code, message


class ReviewUnavailable(Exception):
    """Temporal cannot be reached, or the review's workflow is not running."""


@dataclass(frozen=True)
class ReviewTimings:
    """How long an authority has to answer, and when it is reminded (`Settings.review_*`)."""

    response_days: int = 28
    reminder_days: int = 14


# ---------------------------------------------------------------- opening


async def open_review(
    authority: Authority,
    year: int,
    *,
    opened_by: str,
    timings: ReviewTimings,
    base_url: str,
    session: AsyncSession,
    temporal: Client,
    task_queue: str,
) -> tuple[AnnualReview, bool]:
    """Open the authority's review of `year`: its row, then its workflow. Returns the row and
    whether it is new; a review already open (or closed) is returned as it is, its workflow
    started if an earlier attempt did not. Raises `ReviewNotStarted`."""
    assert authority.id is not None
    review, created = await _row_for(authority, year, opened_by, timings, session=session)
    opening = OpenReview(
        authority_id=authority.id,
        authority_code=authority.code,
        year=year,
        opened_by=review.opened_by,
        opened_at=review.opened_at,
        remind_at=(
            review.opened_at + timedelta(days=timings.reminder_days)
            if timings.reminder_days < timings.response_days
            else None
        ),
        due_at=review.due_at,
        review_url=f"{base_url.rstrip('/')}/reviews/{authority.code}/{year}",
    )
    await session.commit()  # no transaction held across the call to Temporal
    bound = log.bind(authority=authority.code, year=year, workflow_id=review.workflow_id)
    try:
        await temporal.start_workflow(
            AnnualReviewWorkflow.run,
            opening,
            id=review.workflow_id,
            task_queue=task_queue,
            # A retried open joins the running review; an accepted one is never reopened.
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        pass
    except Exception as error:  # unreachable, timed out, refused: the start is unknown
        bound.error("review_start_failed", error=type(error).__name__, new=created)
        started = await _workflow_exists(review.workflow_id, temporal=temporal)
        if started:  # the start reached the server although its answer did not reach us
            return review, created
        if created and started is False:
            await _withdraw(review, session=session)
        # Whether it started cannot be known now: the row stays, and opening it again (by
        # hand or by the schedule) starts it, once.
        raise ReviewNotStarted(
            "The review could not be started. Try again in a moment. / "
            "Nid oedd modd dechrau'r adolygiad. Rhowch gynnig arall arni mewn munud."
        ) from error
    if created:
        bound.info("review_opened")
    return review, created


async def _row_for(
    authority: Authority,
    year: int,
    opened_by: str,
    timings: ReviewTimings,
    *,
    session: AsyncSession,
) -> tuple[AnnualReview, bool]:
    assert authority.id is not None
    found = await review_of(authority.id, year, session=session)
    if found is not None:
        return found, False
    opened_at = datetime.now(UTC)
    review = AnnualReview(
        authority_id=authority.id,
        year=year,
        workflow_id=review_workflow_id(authority.code, year),
        opened_by=opened_by[:200],
        opened_at=opened_at,
        due_at=opened_at + timedelta(days=timings.response_days),
    )
    session.add(review)
    try:
        await session.commit()
    except IntegrityError:  # opened at the same moment by somebody else: theirs it is
        await session.rollback()
        found = await review_of(authority.id, year, session=session)
        assert found is not None
        return found, False
    await session.refresh(review)
    return review, True


async def _workflow_exists(workflow_id: str, *, temporal: Client) -> bool | None:
    """True or False when Temporal can say whether the workflow exists; None when it cannot."""
    try:
        await temporal.get_workflow_handle(workflow_id).describe()
    except RPCError as error:
        return False if error.status == RPCStatusCode.NOT_FOUND else None
    except Exception:  # the server is unreachable: nothing can be known
        return None
    return True


async def _withdraw(review: AnnualReview, *, session: AsyncSession) -> None:
    """Remove a row whose workflow never started (it has no record yet)."""
    await session.exec(
        delete(AnnualReview).where(
            col(AnnualReview.id) == review.id, col(AnnualReview.last_event_sequence) == 0
        )
    )
    await session.commit()


# ---------------------------------------------------------------- the record


async def record_review_event(record: ReviewRecord, *, session: AsyncSession) -> None:
    """Append the event to the review's record, hashed onto the one before it, and bring the
    review's row up to date. Safe to repeat: an event already recorded is skipped, and the row
    only moves forward."""
    review = await review_of(record.authority_id, record.year, session=session)
    if review is None or review.id is None:
        raise ReviewChainNotReady(f"review {record.authority_code} {record.year} has no row")
    entry = record.entry
    previous_hash = await _hash_before(review, entry.sequence, session=session)
    row: dict[str, Any] = {
        "review_id": review.id,
        "authority_id": record.authority_id,
        "year": record.year,
        "sequence": entry.sequence,
        "kind": entry.kind,
        "occurred_at": entry.occurred_at,
        "actor": storable(entry.actor)[:200],
        "summary": storable(entry.summary)[:1000],
        "detail": json.loads(storable(json.dumps(entry.detail, default=str))),
        "recorded_at": datetime.now(UTC),
        "previous_hash": previous_hash,
    }
    row["hash"] = review_event_hash(
        previous_hash=previous_hash,
        authority_id=row["authority_id"],
        year=row["year"],
        sequence=row["sequence"],
        kind=row["kind"],
        occurred_at=row["occurred_at"],
        actor=row["actor"],
        summary=row["summary"],
        detail=row["detail"],
    )
    statement = insert_for(session)(ReviewEvent).on_conflict_do_nothing(
        index_elements=["review_id", "sequence"]
    )
    await session.exec(statement, params=[row])
    status = record.status
    await session.exec(
        update(AnnualReview)
        .where(
            col(AnnualReview.id) == review.id,
            col(AnnualReview.last_event_sequence) < entry.sequence,
        )
        .values(
            **status.model_dump(exclude={"snapshot", "statement", "comments"}),
            statement=storable(status.statement) if status.statement else None,
            comments=storable(status.comments) if status.comments else None,
            snapshot=(
                [item.model_dump(mode="json") for item in status.snapshot]
                if status.snapshot is not None
                else None
            ),
            last_event_sequence=entry.sequence,
        )
    )
    await session.commit()


async def _hash_before(review: AnnualReview, sequence: int, *, session: AsyncSession) -> str:
    """The link the event at `sequence` hangs from: the event before it, or for the first the
    review's anchor (made now, linking it to the authority's previous review)."""
    if sequence > 1:
        previous = (
            await session.exec(
                select(ReviewEvent.hash).where(
                    ReviewEvent.review_id == review.id, ReviewEvent.sequence == sequence - 1
                )
            )
        ).first()
        if previous is None:
            raise ReviewChainNotReady(f"event {sequence - 1} of review {review.id} is missing")
        return previous
    if review.anchor is not None:
        return review.anchor
    return await join_authority_chain(review, anchor_of_review, session=session)


# ---------------------------------------------------------------- reading


async def review_of(authority_id: int, year: int, *, session: AsyncSession) -> AnnualReview | None:
    return (
        await session.exec(
            select(AnnualReview).where(
                AnnualReview.authority_id == authority_id, AnnualReview.year == year
            )
        )
    ).first()


async def reviews_in(year: int, *, session: AsyncSession) -> dict[int, AnnualReview]:
    """Every authority's review of the year, by authority."""
    rows = (await session.exec(select(AnnualReview).where(AnnualReview.year == year))).all()
    return {row.authority_id: row for row in rows}


async def events_of(review: AnnualReview, *, session: AsyncSession) -> list[ReviewEvent]:
    return list(
        (
            await session.exec(
                select(ReviewEvent)
                .where(ReviewEvent.review_id == review.id)
                .order_by(col(ReviewEvent.sequence))
            )
        ).all()
    )


def status_of(review: AnnualReview) -> ReviewStatus:
    """The row as the workflow's answer reads."""
    return ReviewStatus.model_validate(
        {name: getattr(review, name) for name in ReviewStatus.model_fields}
    )


def snapshot_of(review: AnnualReview | None) -> list[CommitmentSnapshot] | None:
    """The accepted answer of a review, or None when it has none."""
    if review is None or review.state != "accepted" or review.snapshot is None:
        return None
    return [CommitmentSnapshot.model_validate(item) for item in review.snapshot]


# ---------------------------------------------------------------- asking the workflow


async def ask_review(
    review: AnnualReview, update_method: Any, command: Any, *, temporal: Client
) -> ReviewStatus:
    """Send `command` to the review's workflow update; the review as it then stands."""
    bound = log.bind(authority_id=review.authority_id, year=review.year)
    if review.state == "accepted":
        raise ReviewRefused(409, _CLOSED)
    handle = temporal.get_workflow_handle_for(AnnualReviewWorkflow.run, review.workflow_id)
    try:
        answer: ReviewStatus = await handle.execute_update(update_method, command)
    except WorkflowUpdateFailedError as failure:
        cause = failure.cause
        if not isinstance(cause, ApplicationError):
            raise
        bound.info("review_update_rejected", update=update_method.__name__, reason=cause.type)
        raise ReviewRefused(409, cause.message) from None
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise ReviewUnavailable(_NOT_RUNNING) from None
        bound.error("review_update_failed", update=update_method.__name__, error=error.status.name)
        raise ReviewUnavailable(_UNAVAILABLE) from error
    return answer


_CLOSED = (
    "The review has been accepted and is closed. / Mae'r adolygiad wedi'i dderbyn ac mae ar gau."
)
_NOT_RUNNING = (
    "The review is not running yet; try again in a moment. / "
    "Nid yw'r adolygiad yn rhedeg eto; rhowch gynnig arall arni mewn munud."
)
_UNAVAILABLE = (
    "The workflow service is unavailable; try again in a moment. / "
    "Nid yw'r gwasanaeth llif gwaith ar gael; rhowch gynnig arall arni mewn munud."
)
