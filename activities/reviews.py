"""The annual reviews' side effects: writing a review's record, taking the commitments'
snapshot when a review is accepted, and opening every authority's review once a year.

Each is safe to repeat: an event already written is skipped, a snapshot only reads, and a
review already open is joined, not opened again.
"""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from temporalio import activity

from domain.reviews import (
    OPEN_DUE_REVIEWS,
    RECORD_REVIEW_EVENT,
    TAKE_REVIEW_SNAPSHOT,
    CommitmentSnapshot,
    DueReviews,
    OpenedReviews,
    ReviewRecord,
    SnapshotRequest,
    year_just_ended,
)
from runtime.database import Database
from runtime.settings import Settings
from services.commitments import commitment_statuses
from services.directory import authorities
from services.reviews import ReviewNotStarted, ReviewTimings, open_review, record_review_event

log = structlog.get_logger(__name__)


class ReviewActivities:
    def __init__(self, database: Database, settings: Settings) -> None:
        self._database, self._settings = database, settings

    @activity.defn(name=RECORD_REVIEW_EVENT)
    async def record_review_event(self, record: ReviewRecord) -> None:
        async with self._database.session() as session:
            await record_review_event(record, session=session)
        log.debug(
            "review_event_recorded",
            authority=record.authority_code,
            year=record.year,
            sequence=record.entry.sequence,
            kind=record.entry.kind,
        )

    @activity.defn(name=TAKE_REVIEW_SNAPSHOT)
    async def take_review_snapshot(self, request: SnapshotRequest) -> list[CommitmentSnapshot]:
        async with self._database.reading() as session:
            views = await commitment_statuses(
                request.authority_id, session=session, today=request.on
            )
        # As JSON, dates as ISO strings: the record hashes exactly what it keeps.
        return [CommitmentSnapshot.model_validate(view.model_dump(mode="json")) for view in views]

    @activity.defn(name=OPEN_DUE_REVIEWS)
    async def open_due_reviews(self, due: DueReviews) -> OpenedReviews:
        """Open every authority's review of the year (by default the review year just
        ended); one that cannot be started now is named, and the others still open."""
        settings = self._settings
        year = due.year or year_just_ended(datetime.now(UTC).date())
        timings = ReviewTimings(settings.review_response_days, settings.review_reminder_days)
        result = OpenedReviews(year=year)
        async with self._database.session() as session:
            everyone = await authorities(authority_id=None, session=session)
            for authority in everyone:
                try:
                    await open_review(
                        authority,
                        year,
                        opened_by="Concordat (yearly schedule)",
                        timings=timings,
                        base_url=settings.base_url,
                        session=session,
                        temporal=activity.client(),
                        task_queue=settings.task_queue,
                    )
                except ReviewNotStarted:
                    result.failed.append(authority.code)
                    continue
                result.opened.append(authority.code)
                activity.heartbeat(authority.code)
        log.info("reviews_opened", year=year, opened=len(result.opened), failed=result.failed)
        return result
