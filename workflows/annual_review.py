"""AnnualReviewWorkflow: one authority's yearly review of its Concordat commitments.

Read `run` top to bottom: the review opens and the senior management member is asked to
confirm or update each commitment; silence brings a reminder, then, once the review is
overdue, the chief executive and the central team are told. The authority submits; the
central team accepts it, or returns it with comments and the authority submits again. On
acceptance each commitment's status and evidence are kept as the year's answer, and the
review closes.

Everything that happens is one event on the review's hash-chained record, written by one
activity at a time in the order it happened here. The workflow reads time only through
`workflow.now()` and leaves every side effect to activities called by name.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any, NoReturn

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from domain.commitments import review_year_label
    from domain.national_messages import (
        SEND_NATIONAL_MESSAGE,
        NationalMessage,
        NationalMessageKind,
        NationalMessageOutcome,
    )
    from domain.reviews import (
        RECORD_REVIEW_EVENT,
        REVIEW_CONFLICT,
        TAKE_REVIEW_SNAPSHOT,
        AcceptReview,
        CommitmentSnapshot,
        OpenReview,
        ReturnReview,
        ReviewEntry,
        ReviewEventKind,
        ReviewFile,
        ReviewOutcome,
        ReviewRecord,
        ReviewState,
        ReviewStatus,
        SnapshotRequest,
        SubmitReview,
    )
    from domain.vocabulary import MemberRole

SYSTEM_ACTOR = "concordat"

#: Database work is quick and safe to repeat: retry it for as long as the database is away.
DATABASE_ACTIVITY: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(seconds=30)),
}
#: A mail outage delays a message, never loses it; after a day it is recorded as not sent.
MESSAGE_ACTIVITY: dict[str, Any] = {
    "start_to_close_timeout": timedelta(minutes=2),
    "schedule_to_close_timeout": timedelta(hours=24),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(minutes=2)),
}

#: Who is asked, reminded and escalated to (Concordat commitment c names the first).
ANSWERS = [MemberRole.SENIOR_MANAGEMENT_MEMBER]
ESCALATES_TO = [MemberRole.CHIEF_EXECUTIVE, MemberRole.SENIOR_MANAGEMENT_MEMBER]


def _refuse(message: str) -> NoReturn:
    """Refuse a request: a validator's refusal leaves nothing in the history."""
    raise ApplicationError(message, type=REVIEW_CONFLICT, non_retryable=True)


@workflow.defn
class AnnualReviewWorkflow:
    @workflow.init
    def __init__(self, opening: OpenReview) -> None:
        self.file = ReviewFile(opening=opening)
        self._writing = asyncio.Lock()
        """One record write at a time, so the record's order is the order things happened."""
        self._sends: list[asyncio.Task[None]] = []

    @workflow.run
    async def run(self, opening: OpenReview) -> ReviewOutcome:
        year = review_year_label(opening.year)
        await self._record(
            "opened",
            f"Annual review of {year} opened; due {opening.due_at.date().isoformat()}",
            actor=opening.opened_by,
            due_at=opening.due_at.isoformat(),
        )
        self._send(NationalMessageKind.REVIEW_OPENED, ANSWERS, key="opened")

        if opening.remind_at is not None and not await self._answered_by(opening.remind_at):
            self.file.status.reminded_at = workflow.now()
            sent = await self._tell(NationalMessageKind.REVIEW_REMINDER, ANSWERS, key="reminder")
            await self._record("reminder_sent", "Reminder sent: the review is unanswered", **sent)

        if not await self._answered_by(opening.due_at):
            self.file.status.overdue_at = workflow.now()
            sent = await self._tell(
                NationalMessageKind.REVIEW_OVERDUE, ESCALATES_TO, key="overdue", to_centre=True
            )
            await self._record(
                "escalated",
                "Overdue: escalated to the chief executive and the central team",
                **sent,
            )

        await workflow.wait_condition(lambda: self.file.status.state == "accepted")
        await workflow.wait_condition(workflow.all_handlers_finished)
        await asyncio.gather(*self._sends)
        status = self.file.status
        assert status.accepted_at is not None
        return ReviewOutcome(
            authority_code=opening.authority_code,
            year=opening.year,
            accepted_at=status.accepted_at,
            submissions=status.submissions,
        )

    # ---------------------------------------------------------------- the authority answers

    @workflow.update
    async def submit(self, submission: SubmitReview) -> ReviewStatus:
        self._require("open", "returned", doing="submitted")
        status = self.file.status
        status.state = "submitted"
        status.submissions += 1
        status.submitted_at, status.submitted_by = workflow.now(), submission.actor
        status.statement = submission.statement
        await self._record(
            "submitted",
            f"Submitted by {submission.actor}"
            + (f" (answer {status.submissions})" if status.submissions > 1 else ""),
            actor=submission.actor,
            statement=submission.statement,
        )
        self._send(
            NationalMessageKind.REVIEW_SUBMITTED,
            [],
            key=f"submitted-{status.submissions}",
            to_centre=True,
        )
        return self.status()

    @submit.validator
    def _validate_submit(self, submission: SubmitReview) -> None:
        self._require("open", "returned", doing="submitted")

    # ---------------------------------------------------------------- the centre decides

    @workflow.update
    async def return_review(self, returned: ReturnReview) -> ReviewStatus:
        self._require("submitted", doing="returned")
        status = self.file.status
        status.state = "returned"
        status.returned_at, status.returned_by = workflow.now(), returned.actor
        status.comments = returned.comments
        await self._record(
            "returned",
            f"Returned to the authority by {returned.actor}",
            actor=returned.actor,
            comments=returned.comments,
        )
        self._send(
            NationalMessageKind.REVIEW_RETURNED,
            ANSWERS,
            key=f"returned-{status.submissions}",
            comments=returned.comments,
        )
        return self.status()

    @return_review.validator
    def _validate_return(self, returned: ReturnReview) -> None:
        self._require("submitted", doing="returned")

    @workflow.update
    async def accept(self, acceptance: AcceptReview) -> ReviewStatus:
        self._require("submitted", doing="accepted")
        status = self.file.status
        status.state = "accepted"  # at once, so that nothing else is taken meanwhile
        opening = self.file.opening
        accepted_at = workflow.now()
        snapshot: list[CommitmentSnapshot] = await workflow.execute_activity(
            TAKE_REVIEW_SNAPSHOT,
            SnapshotRequest(authority_id=opening.authority_id, on=accepted_at.date()),
            result_type=list[CommitmentSnapshot],
            **DATABASE_ACTIVITY,
        )
        status.accepted_at, status.accepted_by = accepted_at, acceptance.actor
        status.snapshot = snapshot
        await self._record(
            "accepted",
            f"Accepted by {acceptance.actor}: the review is closed",
            actor=acceptance.actor,
            note=acceptance.note,
            snapshot=[item.model_dump(mode="json") for item in snapshot],
        )
        self._send(NationalMessageKind.REVIEW_ACCEPTED, ANSWERS, key="accepted")
        return self.status()

    @accept.validator
    def _validate_accept(self, acceptance: AcceptReview) -> None:
        self._require("submitted", doing="accepted")

    @workflow.query
    def status(self) -> ReviewStatus:
        return self.file.status.model_copy(deep=True)

    def _require(self, *states: ReviewState, doing: str) -> None:
        """Checked by the validator, and again by the handler: two requests in one workflow
        task both pass their validators before either handler runs."""
        state = self.file.status.state
        if state not in states:
            _refuse(
                f"The review is {state}; it cannot be {doing} now. / "
                f"{_WELSH_STATE[state]}; ni ellir {_WELSH_DOING[doing]} nawr."
            )

    # ---------------------------------------------------------------- waiting

    async def _answered_by(self, moment: datetime) -> bool:
        """Whether the authority answered before `moment` (at once if it already has)."""
        if self.file.status.submissions:
            return True
        wait = max(moment - workflow.now(), timedelta(seconds=1))
        try:
            await workflow.wait_condition(
                lambda: self.file.status.submissions > 0,
                timeout=wait,
                timeout_summary="review/unanswered",
            )
        except TimeoutError:
            return False
        return True

    # ---------------------------------------------------------------- the record

    async def _record(
        self, kind: ReviewEventKind, summary: str, /, actor: str = SYSTEM_ACTOR, **detail: Any
    ) -> None:
        """Append an event to the review's record and bring the read side up to date; returns
        once it is written, so a request's answer and the pages agree."""
        opening = self.file.opening
        async with self._writing:
            entry = ReviewEntry(
                sequence=self.file.recorded + 1,
                kind=kind,
                occurred_at=workflow.now(),
                actor=actor,
                summary=summary,
                detail={k: v for k, v in detail.items() if v is not None},
            )
            await workflow.execute_activity(
                RECORD_REVIEW_EVENT,
                ReviewRecord(
                    authority_id=opening.authority_id,
                    authority_code=opening.authority_code,
                    year=opening.year,
                    entry=entry,
                    status=self.status(),
                ),
                **DATABASE_ACTIVITY,
            )
            self.file.recorded = entry.sequence

    # ---------------------------------------------------------------- messages

    def _message(
        self,
        kind: NationalMessageKind,
        roles: list[MemberRole],
        *,
        key: str,
        to_centre: bool = False,
        **facts: str | int | None,
    ) -> NationalMessage:
        opening = self.file.opening
        return NationalMessage(
            idempotency_key=f"{workflow.info().workflow_id}/{key}",
            kind=kind,
            authority_code=opening.authority_code,
            to_roles=roles,
            to_centre=to_centre,
            facts={
                "year": opening.year,
                "year_label": review_year_label(opening.year),
                "due_on": opening.due_at.date().isoformat(),
                "review_url": opening.review_url,
                **facts,
            },
        )

    async def _tell(
        self,
        kind: NationalMessageKind,
        roles: list[MemberRole],
        *,
        key: str,
        to_centre: bool = False,
        **facts: str | int | None,
    ) -> dict[str, Any]:
        """Send and wait: what the record says of it (how many were told, which roles nobody
        holds, or why nothing went)."""
        message = self._message(kind, roles, key=key, to_centre=to_centre, **facts)
        try:
            outcome: NationalMessageOutcome = await workflow.execute_activity(
                SEND_NATIONAL_MESSAGE,
                message,
                result_type=NationalMessageOutcome,
                **MESSAGE_ACTIVITY,
            )
        except ActivityError as failure:
            cause = (
                failure.cause.message if isinstance(failure.cause, FailureError) else str(failure)
            )
            return {"message": kind.value, "not_sent": cause}
        return {
            "message": kind.value,
            "sent": outcome.sent + outcome.already_sent,
            "to_roles": [role.value for role in roles] or None,
            "to_centre": to_centre or None,
            "missing_roles": [role.value for role in outcome.missing_roles] or None,
        }

    def _send(
        self,
        kind: NationalMessageKind,
        roles: list[MemberRole],
        *,
        key: str,
        to_centre: bool = False,
        **facts: str | int | None,
    ) -> None:
        """Send without waiting: a slow mail server must never hold up the person who asked."""

        async def deliver() -> None:
            await self._tell(kind, roles, key=key, to_centre=to_centre, **facts)

        self._sends.append(asyncio.create_task(deliver()))


#: How the refusals read in Welsh.
_WELSH_STATE: dict[str, str] = {
    "open": "Mae'r adolygiad ar agor",
    "submitted": "Mae'r adolygiad wedi'i gyflwyno",
    "returned": "Mae'r adolygiad wedi'i ddychwelyd",
    "accepted": "Mae'r adolygiad wedi'i dderbyn",
}
_WELSH_DOING: dict[str, str] = {
    "submitted": "ei gyflwyno",
    "returned": "ei ddychwelyd",
    "accepted": "ei dderbyn",
}
