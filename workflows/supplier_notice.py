"""SupplierNoticeWorkflow: one council's triage clock for one supplier notice.

Read `run` top to bottom. The council's on-call side (its on-call officers and the senior
management member) is told at once, and reminded half way through the triage window. When the
window has passed with no decision, the senior management member and the executive member are
told too, and everyone is reminded at the escalation policy's pace until someone decides: link
the notice to an open incident, open an incident from it, or dismiss it with a reason. The
decision reaches the clock as an update (`triage`), which is refused if the notice was triaged
already; the clock writes the decision to the database, says so on a linked incident's
timeline, and ends. A notice never disappears untriaged: the clock keeps reminding, continuing
as a new run before its history grows long.

The window, the people and the pace were copied into the clock when it started
(`domain.supplier_notices.NoticeClock`), so changing them never moves a running clock. Time is
read only through `workflow.now()`; messages and database writes are activities called by name.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any, NoReturn

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from domain.national_messages import (
        SEND_NATIONAL_MESSAGE,
        NationalMessage,
        NationalMessageKind,
        NationalMessageOutcome,
    )
    from domain.supplier_notices import (
        NOTE_NOTICE_ON_INCIDENT,
        NOTICE_TRIAGED,
        RECORD_NOTICE_PROGRESS,
        RECORD_NOTICE_TRIAGE,
        IncidentNote,
        NoticeClock,
        NoticeProgress,
        Triage,
        TriageOutcome,
        TriageRecord,
        TriageState,
        already_triaged,
        link_note,
    )
    from domain.vocabulary import MemberRole

#: Database work is quick and safe to repeat: retried for as long as the database is away.
DATABASE_ACTIVITY: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(seconds=30)),
}
#: A mail outage delays a message, never loses it; after a day it is given up.
MESSAGE_ACTIVITY: dict[str, Any] = {
    "start_to_close_timeout": timedelta(minutes=2),
    "schedule_to_close_timeout": timedelta(hours=24),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(minutes=2)),
}
#: The note on a linked incident waits out a Temporal or database outage for a day; a closed
#: incident refuses it at once (its record is sealed).
NOTE_ACTIVITY: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "schedule_to_close_timeout": timedelta(hours=24),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(minutes=1)),
}

#: Who is told while the window runs, and who once it has passed (with the on-call officers).
ON_CALL = [MemberRole.SENIOR_MANAGEMENT_MEMBER]
ESCALATED = [MemberRole.SENIOR_MANAGEMENT_MEMBER, MemberRole.EXECUTIVE_MEMBER]


def _refuse(message: str) -> NoReturn:
    """Refuse a triage: from the validator, it leaves nothing in the history."""
    raise ApplicationError(message, type=NOTICE_TRIAGED, non_retryable=True)


@workflow.defn
class SupplierNoticeWorkflow:
    @workflow.init
    def __init__(self, clock: NoticeClock) -> None:
        self.clock = clock.model_copy()
        self.outcome: TriageOutcome | None = None
        self._triage: Triage | None = None
        self._sends: list[asyncio.Task[None]] = []

    @workflow.run
    async def run(self, clock: NoticeClock) -> TriageOutcome:
        clock = self.clock
        if not clock.told:
            await self._progress(started_at=workflow.now())
            clock.told = True
            if self.outcome is None:
                self._send(NationalMessageKind.SUPPLIER_NOTICE_RECEIVED, ON_CALL, key="received")

        if not clock.reminded:
            clock.reminded = True
            # A clock started after the half-way point (a repaired start) does not remind at
            # once: the message it has just sent says the same.
            if clock.remind_at > workflow.now() and not await self._triaged_by(clock.remind_at):
                await self._progress(reminded_at=workflow.now())
                self._send(
                    NationalMessageKind.SUPPLIER_NOTICE_REMINDER, ON_CALL, key="reminder", overdue=0
                )

        if clock.escalated_at is None and not await self._triaged_by(clock.due_at):
            clock.escalated_at = workflow.now()
            await self._progress(escalated_at=clock.escalated_at)
            self._send(NationalMessageKind.SUPPLIER_NOTICE_OVERDUE, ESCALATED, key="overdue")
            self._log("supplier_notice_escalated")

        every = timedelta(minutes=clock.reminder_every_minutes)
        while self.outcome is None:
            if workflow.info().is_continue_as_new_suggested():
                await self._hand_over()
            assert clock.escalated_at is not None
            # The next reminder on the pace; any missed while the clock could not run (a long
            # outage) are not sent late in a burst.
            behind = (workflow.now() - clock.escalated_at) // every
            number = max(clock.reminders_after_escalation, behind) + 1
            if not await self._triaged_by(clock.escalated_at + every * number):
                clock.reminders_after_escalation = number
                self._send(
                    NationalMessageKind.SUPPLIER_NOTICE_REMINDER,
                    ESCALATED,
                    key=f"overdue-reminder-{number}",
                    overdue=1,
                    reminder_number=number,
                )

        await workflow.wait_condition(workflow.all_handlers_finished)
        triage = self._triage
        if triage is not None and triage.state is TriageState.LINKED:
            await self._note_on_incident(triage)
        await asyncio.gather(*self._sends)
        assert self.outcome is not None
        self._log("supplier_notice_triaged", state=self.outcome.state.value)
        return self.outcome

    # ---------------------------------------------------------------- the council decides

    @workflow.update
    async def triage(self, triage: Triage) -> TriageOutcome:
        self._refuse_if_triaged()
        outcome = TriageOutcome(
            state=triage.state,
            triaged_by=triage.actor,
            triaged_at=workflow.now(),
            incident_id=triage.incident_id,
            reason=triage.reason,
        )
        self.outcome, self._triage = outcome, triage  # at once: a second triage is refused
        await workflow.execute_activity(
            RECORD_NOTICE_TRIAGE,
            TriageRecord(
                recipient_id=self.clock.recipient_id, triage=triage, triaged_at=outcome.triaged_at
            ),
            **DATABASE_ACTIVITY,
        )
        return outcome

    @triage.validator
    def _validate_triage(self, triage: Triage) -> None:
        self._refuse_if_triaged()

    @workflow.query
    def decision(self) -> TriageOutcome | None:
        return self.outcome

    def _refuse_if_triaged(self) -> None:
        """Checked by the validator, and again by the handler: two triages in one workflow
        task both pass their validators before either handler runs."""
        if self.outcome is not None:
            _refuse(already_triaged(self.outcome.state, self.outcome.triaged_by))

    # ---------------------------------------------------------------- waiting

    async def _triaged_by(self, moment: datetime) -> bool:
        """Whether the notice is triaged before `moment` (at once if it already is, or if the
        moment has passed)."""
        wait = moment - workflow.now()
        if self.outcome is not None or wait <= timedelta(0):
            return self.outcome is not None
        try:
            await workflow.wait_condition(
                lambda: self.outcome is not None,
                timeout=wait,
                timeout_summary="supplier-notice/untriaged",
            )
        except TimeoutError:
            return False
        return True

    async def _hand_over(self) -> None:
        """Continue as a new run with what this one did, once nothing is in flight."""
        await workflow.wait_condition(workflow.all_handlers_finished)
        await asyncio.gather(*self._sends)
        if self.outcome is None:
            workflow.continue_as_new(self.clock)

    # ---------------------------------------------------------------- the database

    async def _progress(self, **moments: datetime) -> None:
        await workflow.execute_activity(
            RECORD_NOTICE_PROGRESS,
            NoticeProgress(recipient_id=self.clock.recipient_id, **moments),
            **DATABASE_ACTIVITY,
        )

    async def _note_on_incident(self, triage: Triage) -> None:
        """Say on the linked incident's timeline which supplier's notice was linked to it."""
        assert triage.incident_id is not None
        clock = self.clock
        note = IncidentNote(
            incident_id=triage.incident_id,
            text=link_note(
                clock.supplier_name, clock.subject, clock.notice_id, clock.supplier_reference
            ),
            actor=triage.actor,
        )
        try:
            await workflow.execute_activity(NOTE_NOTICE_ON_INCIDENT, note, **NOTE_ACTIVITY)
        except ActivityError as failure:
            cause = (
                failure.cause.message if isinstance(failure.cause, FailureError) else str(failure)
            )
            self._log("supplier_notice_note_failed", cause=cause)

    # ---------------------------------------------------------------- messages

    def _send(
        self,
        kind: NationalMessageKind,
        roles: list[MemberRole],
        *,
        key: str,
        **facts: str | int | None,
    ) -> None:
        """Send without waiting: a slow mail server must never hold up the clock."""
        clock = self.clock
        message = NationalMessage(
            idempotency_key=f"supplier-notice:{clock.recipient_id}:{key}",
            kind=kind,
            authority_code=clock.authority_code,
            to_roles=roles,
            to_users=clock.officer_ids,
            facts={
                "supplier": clock.supplier_name,
                "subject": clock.subject,
                "received_at": clock.received_at.isoformat(),
                "due_at": clock.due_at.isoformat(),
                "notice_url": clock.notice_url,
                **facts,
            },
        )

        async def deliver() -> None:
            try:
                await workflow.execute_activity(
                    SEND_NATIONAL_MESSAGE,
                    message,
                    result_type=NationalMessageOutcome,
                    **MESSAGE_ACTIVITY,
                )
            except ActivityError:
                self._log("supplier_notice_message_not_sent", message=kind.value)

        self._sends.append(asyncio.create_task(deliver()))

    def _log(self, event: str, **fields: Any) -> None:
        """Through the workflow logger (silent on replay), identifiers only."""
        workflow.logger.info(
            event,
            extra={
                "notice_id": self.clock.notice_id,
                "recipient_id": self.clock.recipient_id,
                "authority": self.clock.authority_code,
                "workflow_id": workflow.info().workflow_id,
                **fields,
            },
        )
