"""PostIncidentWorkflow: an incident's record after closure, and the review that learns from it.

Read `run` top to bottom. The process takes over the incident's timeline once the incident's
own workflow has finished (so the two never write it at once), and from then on it is the one
writer: evidence, hand-overs, public statements and follow-ups to regulators are recorded here,
on the same hash chain. Unless the incident was an exercise, the review starts: the senior
management member owns it, it is due a number of working days after closure, its owner is
reminded before then, and when it is overdue the chief executive is told. Each action has its
own clock: overdue, its owner is reminded; still open days later, the senior management member
is told. The review is signed off once no action is open.

It runs for as long as the incident's record may grow, as an entity that sleeps between
requests, and continues as a new run, with its file, before its history grows long. Time is
read only through `workflow.now()`; messages and database writes are activities called by name.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any, NoReturn

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows import after_alarm
from workflows.process import DATABASE_ACTIVITY

with workflow.unsafe.imports_passed_through():
    from domain import rules
    from domain.activity_contracts import RECORD_TIMELINE, TimelineBatch, TimelineEntry
    from domain.commands import RecordSubmission, Rejection
    from domain.evidence import AttachEvidence, RecordCustody
    from domain.national_messages import (
        SEND_NATIONAL_MESSAGE,
        NationalMessage,
        NationalMessageKind,
    )
    from domain.obligations import SubmissionPhase
    from domain.post_incident import (
        REVIEW_REFUSED,
        TAKE_OVER_TIMELINE,
        AcceptActionRisk,
        ActionState,
        AddAction,
        CompleteAction,
        NameReviewOwner,
        Owner,
        PostIncidentFile,
        PostIncidentStart,
        PostIncidentState,
        Review,
        ReviewAction,
        ReviewStatus,
        SignOffReview,
        StartReview,
        TakeOver,
        TakeOverRequest,
        UpdateReview,
    )
    from domain.statements import PublishStatement, WithdrawStatement, publishable
    from domain.vocabulary import EventKind, MemberRole

SYSTEM_ACTOR = "concordat"

#: A message about the review: sent at most once per key, retried through a mail outage.
MESSAGE_ACTIVITY: dict[str, Any] = {
    "start_to_close_timeout": timedelta(minutes=2),
    "schedule_to_close_timeout": timedelta(hours=24),
}


def _refuse(message: str) -> NoReturn:
    """Refuse a request: from a validator, it leaves nothing in the history."""
    raise ApplicationError(message, type=REVIEW_REFUSED, non_retryable=True)


@workflow.defn
class PostIncidentWorkflow:
    @workflow.init
    def __init__(self, start: PostIncidentStart) -> None:
        carried = start.carryover
        self.file = (
            carried.model_copy(update={"run": carried.run + 1})
            if carried is not None
            else PostIncidentFile(
                incident_id=start.incident_id, incident_workflow_id=start.incident_workflow_id
            )
        )
        self._unrecorded: list[TimelineEntry] = []
        self._recording = False
        self._finished = False
        self._changed = False
        """Set by every request that may move a deadline: the clock looks again."""
        self._sending: list[asyncio.Task[None]] = []
        self._handing_over = False

    @workflow.run
    async def run(self, start: PostIncidentStart) -> None:
        if not self.file.ready:
            taken: TakeOver = await workflow.execute_activity(
                TAKE_OVER_TIMELINE,
                TakeOverRequest(
                    incident_id=start.incident_id,
                    incident_workflow_id=start.incident_workflow_id,
                    review_wanted=start.review_wanted,
                ),
                result_type=TakeOver,
                **DATABASE_ACTIVITY,  # it waits a moment for the incident to finish, then retries
            )
            self._take_over(taken)
            if start.review_wanted and self.file.review is None:
                self._start_review(
                    SYSTEM_ACTOR,
                    due_on=taken.due_on,
                    due_at=taken.due_at,
                    remind_at=taken.remind_at,
                )
        recorder = asyncio.create_task(self._keep_recorded())
        clock = asyncio.create_task(self._keep_time())
        await workflow.wait_condition(lambda: self._time_to_hand_over(start))
        self._handing_over = True
        clock.cancel()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await asyncio.gather(*self._sending)
        self._finished = True
        await recorder
        workflow.continue_as_new(start.model_copy(update={"carryover": self.file}))

    # ---------------------------------------------------------------- taking over

    def _take_over(self, taken: TakeOver) -> None:
        """Continue the incident's timeline where its workflow left it."""
        self.file.taken_over = taken
        self.file.sequence = taken.sequence
        self.file.evidence_ids = list(taken.evidence_ids)
        self.file.statement_versions = dict(taken.statement_versions)

    @property
    def _taken(self) -> TakeOver:
        assert self.file.taken_over is not None, "requests wait until the timeline is taken over"
        return self.file.taken_over

    def _start_review(
        self, actor: str, *, due_on: date, due_at: datetime, remind_at: datetime
    ) -> None:
        taken = self._taken
        review = Review(
            owner=taken.owner,
            started_at=workflow.now(),
            due_on=due_on,
            due_at=due_at,
            remind_at=remind_at,
        )
        self.file.review = review
        self._record(
            EventKind.REVIEW_STARTED,
            f"Post-incident review started, owned by the {taken.owner.describes()}, "
            f"due {review.due_on.isoformat()}",
            actor=actor,
            owner=taken.owner.model_dump(mode="json"),
            due_on=review.due_on.isoformat(),
        )
        self._message(
            NationalMessageKind.INCIDENT_REVIEW_STARTED,
            "started",
            to=[review.owner],
            due_on=review.due_on.isoformat(),
        )
        self._changed = True

    # ---------------------------------------------------------------- the clock

    async def _keep_time(self) -> None:
        """Wait for the next moment something falls due, send what it asks, and look again
        whenever a request may have moved a deadline."""
        while True:
            now = workflow.now()
            self._fire_due(now)
            self._changed = False
            due = self._next_due()
            if due is None:
                await workflow.wait_condition(lambda: self._changed)
                continue
            try:
                await workflow.wait_condition(
                    lambda: self._changed,
                    timeout=max(due - now, timedelta(seconds=1)),
                    timeout_summary="post-incident/next-due",
                )
            except TimeoutError:
                pass

    def _next_due(self) -> datetime | None:
        review = self.file.review
        if review is None or review.status is ReviewStatus.SIGNED_OFF:
            return None
        moments: list[datetime] = []
        if review.reminded_at is None:
            moments.append(review.remind_at)
        if review.overdue_at is None:
            moments.append(review.due_at)
        escalation = timedelta(days=self._taken.timings.action_escalation_days)
        for action in review.open_actions:
            if action.reminded_at is None:
                moments.append(action.due_at)
            elif action.escalated_at is None:
                moments.append(action.reminded_at + escalation)
        return min(moments, default=None)

    def _fire_due(self, now: datetime) -> None:
        review = self.file.review
        if review is None or review.status is ReviewStatus.SIGNED_OFF:
            return
        if review.reminded_at is None and now >= review.remind_at and now < review.due_at:
            review.reminded_at = now
            self._record(EventKind.REVIEW_REMINDED, "Review owner reminded: the review is due")
            self._message(
                NationalMessageKind.INCIDENT_REVIEW_REMINDER,
                "reminder",
                to=[review.owner],
                due_on=review.due_on.isoformat(),
            )
        if review.overdue_at is None and now >= review.due_at:
            review.overdue_at = now
            review.reminded_at = review.reminded_at or now
            self._record(
                EventKind.REVIEW_OVERDUE,
                "Review overdue: the chief executive and the senior management member told",
            )
            self._message(
                NationalMessageKind.INCIDENT_REVIEW_OVERDUE,
                "overdue",
                to=[review.owner],
                roles=[MemberRole.CHIEF_EXECUTIVE, MemberRole.SENIOR_MANAGEMENT_MEMBER],
                due_on=review.due_on.isoformat(),
            )
        escalation = timedelta(days=self._taken.timings.action_escalation_days)
        for action in review.open_actions:
            if action.reminded_at is None and now >= action.due_at:
                action.reminded_at = now
                self._record(
                    EventKind.ACTION_REMINDED,
                    f"Action {action.number} overdue: its owner reminded",
                    number=action.number,
                )
                self._message(
                    NationalMessageKind.ACTION_OVERDUE,
                    f"action-{action.number}-overdue",
                    to=[action.owner],
                    action=action.number,
                    due_on=action.due_on.isoformat(),
                )
            elif (
                action.reminded_at is not None
                and action.escalated_at is None
                and now >= action.reminded_at + escalation
            ):
                action.escalated_at = now
                self._record(
                    EventKind.ACTION_ESCALATED,
                    f"Action {action.number} still open: the senior management member told",
                    number=action.number,
                )
                self._message(
                    NationalMessageKind.ACTION_ESCALATED,
                    f"action-{action.number}-escalated",
                    to=[action.owner],
                    roles=[MemberRole.SENIOR_MANAGEMENT_MEMBER],
                    action=action.number,
                    due_on=action.due_on.isoformat(),
                )

    # ---------------------------------------------------------------- recording and sending

    def _record(
        self, kind: EventKind, summary: str, /, actor: str = SYSTEM_ACTOR, **detail: Any
    ) -> None:
        self.file.sequence += 1
        self._unrecorded.append(
            TimelineEntry(
                sequence=self.file.sequence,
                kind=kind,
                occurred_at=workflow.now(),
                actor=actor,
                summary=summary,
                detail={k: v for k, v in detail.items() if v is not None},
            )
        )

    async def _keep_recorded(self) -> None:
        """Write events in order, one batch at a time, with the review as it now stands."""
        while True:
            await workflow.wait_condition(lambda: bool(self._unrecorded) or self._finished)
            if not self._unrecorded:
                return
            batch, self._unrecorded = self._unrecorded, []
            self._recording = True
            await workflow.execute_activity(
                RECORD_TIMELINE,
                TimelineBatch(
                    incident_id=self.file.incident_id,
                    authority_code=self._taken.authority_code,
                    entries=batch,
                    projection=None,
                    review=self.file.review,
                ),
                **DATABASE_ACTIVITY,
            )
            self._recording = False

    def _timeline_written(self) -> bool:
        return not (self._unrecorded or self._recording)

    def _message(
        self,
        kind: NationalMessageKind,
        key: str,
        *,
        to: list[Owner],
        roles: list[MemberRole] | None = None,
        **facts: str | int | None,
    ) -> None:
        """Send a message about the review without waiting for it; once per key."""
        taken = self._taken
        to_roles = [o.member_role for o in to if o.member_role is not None] + (roles or [])
        message = NationalMessage(
            idempotency_key=f"post-incident/{self.file.incident_id}/{key}",
            kind=kind,
            authority_code=taken.authority_code,
            to_roles=list(dict.fromkeys(to_roles)),
            to_users=[o.user_id for o in to if o.user_id is not None],
            facts={
                "reference": taken.reference,
                "review_url": f"{taken.base_url}/incidents/{self.file.incident_id}/review",
                **facts,
            },
        )

        async def send() -> None:
            await workflow.execute_activity(SEND_NATIONAL_MESSAGE, message, **MESSAGE_ACTIVITY)

        self._sending.append(asyncio.create_task(send()))

    def _time_to_hand_over(self, start: PostIncidentStart) -> bool:
        quiet = (
            self.file.ready
            and self._timeline_written()
            and all(task.done() for task in self._sending)
            and workflow.all_handlers_finished()
        )
        if not quiet:
            return False
        info = workflow.info()
        return (
            info.get_current_history_length() >= start.history_limit
            or info.is_continue_as_new_suggested()
        )

    # ---------------------------------------------------------------- requests

    async def _ready(self) -> None:
        """Requests sent before the timeline is taken over wait for it (a moment at most)."""
        await workflow.wait_condition(lambda: self.file.ready)

    def _answer(self) -> PostIncidentState:
        self._changed = True
        return self.state()

    def _check_not_handing_over(self) -> None:
        if self._handing_over:
            raise ApplicationError(
                "Moving to a fresh run; try again in a moment.",
                type=Rejection.HANDING_OVER.value,
                non_retryable=True,
            )

    def _open_review(self) -> Review:
        review = self.file.review
        if review is None:
            _refuse(
                "This incident has no post-incident review. / "
                "Nid oes adolygiad ar ôl digwyddiad i'r digwyddiad hwn."
            )
        if review.status is ReviewStatus.SIGNED_OFF:
            _refuse(
                "The review is signed off; it no longer changes. / "
                "Mae'r adolygiad wedi'i gymeradwyo; nid yw'n newid mwyach."
            )
        return review

    def _open_action(self, number: int) -> ReviewAction:
        action = self._open_review().action(number)
        if action is None:
            _refuse(f"There is no action {number}. / Nid oes cam gweithredu {number}.")
        if not action.open:
            _refuse(
                f"Action {number} is already closed. / Mae cam gweithredu {number} eisoes "
                "wedi'i gau."
            )
        return action

    @workflow.update
    async def attach_evidence(self, command: AttachEvidence) -> PostIncidentState:
        await self._ready()
        after_alarm.record_evidence(self.file, self._record, command)
        return self._answer()

    @attach_evidence.validator
    def _validate_attach_evidence(self, command: AttachEvidence) -> None:
        self._check_not_handing_over()

    @workflow.update
    async def record_custody(self, command: RecordCustody) -> PostIncidentState:
        await self._ready()
        after_alarm.check_custody(self.file, command.file_ids)
        after_alarm.record_custody(self._record, command)
        return self._answer()

    @record_custody.validator
    def _validate_record_custody(self, command: RecordCustody) -> None:
        self._check_not_handing_over()
        if self.file.ready:
            after_alarm.check_custody(self.file, command.file_ids)

    @workflow.update
    async def publish_statement(self, command: PublishStatement) -> PostIncidentState:
        await self._ready()
        self._check_publishable(command)
        after_alarm.record_statement(self.file, self._record, command)
        return self._answer()

    @publish_statement.validator
    def _validate_publish_statement(self, command: PublishStatement) -> None:
        self._check_not_handing_over()
        if self.file.ready:
            self._check_publishable(command)

    def _check_publishable(self, command: PublishStatement) -> None:
        reason = publishable(
            command.content, incident_tlp=self._taken.tlp, statement_tlp=command.tlp
        )
        if reason:
            after_alarm.refuse_unpublishable(reason)

    @workflow.update
    async def withdraw_statement(self, command: WithdrawStatement) -> PostIncidentState:
        await self._ready()
        self._check_withdrawal(command)
        self.file.withdrawn_statements.append(command.statement_id)
        after_alarm.record_withdrawal(self._record, command)
        return self._answer()

    @withdraw_statement.validator
    def _validate_withdraw_statement(self, command: WithdrawStatement) -> None:
        self._check_not_handing_over()
        if self.file.ready:
            self._check_withdrawal(command)

    def _check_withdrawal(self, command: WithdrawStatement) -> None:
        after_alarm.check_statement(
            self.file,
            command.statement_id,
            withdrawing=True,
            withdrawn=self.file.withdrawn_statements,
        )

    @workflow.update
    async def record_follow_up(self, command: RecordSubmission) -> PostIncidentState:
        """A follow-up to a regulator after closure (UK GDPR Art 33(4): the ICO is given the
        rest of the facts as they become known), recorded as the incident's own submissions
        are, so the ICO evidence shows it."""
        await self._ready()
        self._check_follow_up(command)
        submitted_at = command.submitted_at or workflow.now()
        self._record(
            EventKind.OBLIGATION_SUBMITTED,
            f"{rules.sentence_start(command.body.name_in(welsh=False, at=workflow.now()))} told"
            + (f": reference {command.reference}" if command.reference else "")
            + " (follow-up after closure)",
            actor=command.actor,
            body=command.body.value,
            phase=SubmissionPhase.FOLLOW_UP.value,
            reference=command.reference,
            submitted_at=submitted_at.isoformat(),
            summary=command.summary,
            after_closure=True,
        )
        return self._answer()

    @record_follow_up.validator
    def _validate_record_follow_up(self, command: RecordSubmission) -> None:
        self._check_not_handing_over()
        self._check_follow_up(command)

    def _check_follow_up(self, command: RecordSubmission) -> None:
        if command.phase is not SubmissionPhase.FOLLOW_UP:
            _refuse(
                "After closure only follow-ups are recorded; the first report was due while "
                "the incident was open. / Ar ôl cau, dim ond adroddiadau dilynol a gofnodir; "
                "roedd yr adroddiad cyntaf yn ddyledus tra oedd y digwyddiad ar agor."
            )
        if not (command.summary or "").strip():
            _refuse(
                "Say what the follow-up told them. / Dywedwch beth a ddywedodd yr adroddiad "
                "dilynol wrthynt."
            )

    @workflow.signal
    async def review_wanted(self) -> None:
        """From the incident's workflow, when a request after closure started this process
        before it could: the review starts as if it had."""
        await self._ready()
        if self.file.review is None:
            taken = self._taken
            self._start_review(
                SYSTEM_ACTOR, due_on=taken.due_on, due_at=taken.due_at, remind_at=taken.remind_at
            )

    @workflow.update
    async def start_review(self, command: StartReview) -> PostIncidentState:
        await self._ready()
        if self.file.review is None:
            self._start_review(
                command.actor,
                due_on=command.due_on,
                due_at=command.due_at,
                remind_at=command.remind_at,
            )
        return self._answer()

    @start_review.validator
    def _validate_start_review(self, command: StartReview) -> None:
        self._check_not_handing_over()

    @workflow.update
    async def name_review_owner(self, command: NameReviewOwner) -> PostIncidentState:
        await self._ready()
        review = self._open_review()
        review.owner = command.owner
        self._record(
            EventKind.REVIEW_OWNER_NAMED,
            f"Review owner named: the {command.owner.describes()}",
            actor=command.actor,
            owner=command.owner.model_dump(mode="json"),
        )
        self._message(
            NationalMessageKind.INCIDENT_REVIEW_STARTED,
            f"owner-{command.owner.describes()}",
            to=[command.owner],
            due_on=review.due_on.isoformat(),
        )
        return self._answer()

    @name_review_owner.validator
    def _validate_name_review_owner(self, command: NameReviewOwner) -> None:
        self._check_not_handing_over()
        if self.file.ready:
            self._open_review()

    @workflow.update
    async def update_review(self, command: UpdateReview) -> PostIncidentState:
        await self._ready()
        review = self._open_review()
        changes = command.model_dump(exclude={"actor"}, exclude_none=True)
        changed = {k: v for k, v in changes.items() if getattr(review, k) != v}
        for field, value in changed.items():
            setattr(review, field, value)
        if changed:
            self._record(
                EventKind.REVIEW_UPDATED,
                "Review updated: " + ", ".join(k.replace("_", " ") for k in changed),
                actor=command.actor,
                changes=changed,
            )
        return self._answer()

    @update_review.validator
    def _validate_update_review(self, command: UpdateReview) -> None:
        self._check_not_handing_over()
        if self.file.ready:
            self._open_review()

    @workflow.update
    async def add_action(self, command: AddAction) -> PostIncidentState:
        await self._ready()
        review = self._open_review()
        action = ReviewAction(
            number=len(review.actions) + 1,
            title=command.title.strip(),
            owner=command.owner,
            due_on=command.due_on,
            due_at=command.due_at,
            added_at=workflow.now(),
            added_by=command.actor,
        )
        review.actions.append(action)
        self._record(
            EventKind.ACTION_ADDED,
            f"Action {action.number} added, owned by the {action.owner.describes()}, "
            f"due {action.due_on.isoformat()}",
            actor=command.actor,
            number=action.number,
            title=action.title,
            owner=action.owner.model_dump(mode="json"),
            due_on=action.due_on.isoformat(),
        )
        return self._answer()

    @add_action.validator
    def _validate_add_action(self, command: AddAction) -> None:
        self._check_not_handing_over()
        if self.file.ready:
            self._open_review()

    @workflow.update
    async def complete_action(self, command: CompleteAction) -> PostIncidentState:
        await self._ready()
        action = self._open_action(command.number)
        self._close_action(action, ActionState.DONE, command.actor)
        action.done_note = command.note.strip()
        self._record(
            EventKind.ACTION_DONE,
            f"Action {action.number} done" + ("" if action.done_in_time else " (late)"),
            actor=command.actor,
            number=action.number,
            note=action.done_note,
            in_time=action.done_in_time,
        )
        return self._answer()

    @complete_action.validator
    def _validate_complete_action(self, command: CompleteAction) -> None:
        self._check_not_handing_over()
        if self.file.ready:
            self._open_action(command.number)

    @workflow.update
    async def accept_action_risk(self, command: AcceptActionRisk) -> PostIncidentState:
        await self._ready()
        action = self._open_action(command.number)
        self._close_action(action, ActionState.RISK_ACCEPTED, command.actor)
        action.risk_reason = command.reason.strip()
        self._record(
            EventKind.ACTION_RISK_ACCEPTED,
            f"Action {action.number} not to be done: its risk accepted",
            actor=command.actor,
            number=action.number,
            reason=action.risk_reason,
        )
        return self._answer()

    @accept_action_risk.validator
    def _validate_accept_action_risk(self, command: AcceptActionRisk) -> None:
        self._check_not_handing_over()
        if self.file.ready:
            self._open_action(command.number)

    def _close_action(self, action: ReviewAction, state: ActionState, actor: str) -> None:
        action.state = state
        action.closed_at = workflow.now()
        action.closed_by = actor

    @workflow.update
    async def sign_off_review(self, command: SignOffReview) -> PostIncidentState:
        await self._ready()
        review = self._check_sign_off()
        review.status = ReviewStatus.SIGNED_OFF
        review.signed_off_at = workflow.now()
        review.signed_off_by = command.actor
        review.sign_off_note = command.note
        self._record(
            EventKind.REVIEW_SIGNED_OFF,
            "Post-incident review signed off by the senior management member",
            actor=command.actor,
            note=command.note,
            actions=len(review.actions),
        )
        return self._answer()

    @sign_off_review.validator
    def _validate_sign_off_review(self, command: SignOffReview) -> None:
        self._check_not_handing_over()
        if self.file.ready:
            self._check_sign_off()

    def _check_sign_off(self) -> Review:
        review = self._open_review()
        still_open = [str(a.number) for a in review.open_actions]
        if still_open:
            _refuse(
                f"Actions {', '.join(still_open)} are still open: each must be done, or its "
                "risk accepted with a reason, before the review is signed off. / Mae camau "
                f"gweithredu {', '.join(still_open)} yn dal ar agor: rhaid cwblhau pob un, neu "
                "dderbyn ei risg gyda rheswm, cyn cymeradwyo'r adolygiad."
            )
        if not review.root_cause.strip():
            _refuse(
                "Record the root cause before the review is signed off. / Cofnodwch yr achos "
                "sylfaenol cyn cymeradwyo'r adolygiad."
            )
        return review

    # ---------------------------------------------------------------- query

    @workflow.query
    def state(self) -> PostIncidentState:
        return PostIncidentState(
            incident_id=self.file.incident_id,
            ready=self.file.ready,
            review=self.file.review.model_copy(deep=True) if self.file.review else None,
            sequence=self.file.sequence,
        )
