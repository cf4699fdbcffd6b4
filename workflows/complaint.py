"""ComplaintWorkflow: one data-protection complaint's clock, from its arrival to its outcome.

Read `run` top to bottom. While the complaint is unacknowledged, the data protection officer is
reminded at each of the clock's reminder points (14, 21 and 28 days after it arrived, unless
the input says otherwise), or, when nobody holds that role, the senior management member. When
the acknowledgement deadline passes without one, the data protection officer, the senior
management member and the executive member are told, once. After the acknowledgement, the
officer is reminded every so often (14 days) that the outcome is still to be given, until it is
recorded with its reasons; then the clock ends.

The acknowledgement and the outcome reach it as updates, checked by their validators (so a
refused request leaves nothing in the history); each is written to the complaint's row by an
idempotent activity before the update answers. Messages go out without holding the clock up,
at most once each, through the messages about an authority (`SEND_NATIONAL_MESSAGE`), in each
recipient's language. Time is read only through `workflow.now()`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, NoReturn

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows.process import DATABASE_ACTIVITY

with workflow.unsafe.imports_passed_through():
    from domain.commitments import uk_day
    from domain.complaints import (
        ESCALATED_TO,
        RECORD_COMPLAINT,
        REMINDED,
        REMINDED_INSTEAD,
        AcknowledgeComplaint,
        ComplaintClock,
        ComplaintProgress,
        RecordOutcome,
        acknowledgement_refusal,
        outcome_refusal,
        whole_days,
    )
    from domain.national_messages import (
        SEND_NATIONAL_MESSAGE,
        NationalMessage,
        NationalMessageKind,
        NationalMessageOutcome,
    )
    from domain.vocabulary import MemberRole

#: A message about the complaint: sent at most once per key, retried through a mail outage.
MESSAGE_ACTIVITY: dict[str, Any] = {
    "start_to_close_timeout": timedelta(minutes=2),
    "schedule_to_close_timeout": timedelta(hours=24),
}


def _refuse(refusal: tuple[str, str]) -> NoReturn:
    kind, message = refusal
    raise ApplicationError(message, type=kind, non_retryable=True)


@workflow.defn
class ComplaintWorkflow:
    @workflow.init
    def __init__(self, clock: ComplaintClock) -> None:
        self.clock = clock
        self.progress = ComplaintProgress(complaint_id=clock.complaint_id)
        self._sending: list[asyncio.Task[None]] = []

    @workflow.run
    async def run(self, clock: ComplaintClock) -> ComplaintProgress:
        self.progress.clock_started_at = workflow.now()
        await self._write()
        await self._until_acknowledged()
        await self._until_outcome()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await asyncio.gather(*self._sending)
        return self.progress

    # ---------------------------------------------------------------- the clock

    def _acknowledged(self) -> bool:
        return self.progress.acknowledged_at is not None or self._closed()

    def _closed(self) -> bool:
        return self.progress.outcome is not None

    async def _met_before(self, moment: datetime, met: Callable[[], bool], summary: str) -> bool:
        """Wait until `met` or `moment`, whichever comes first; whether it was met."""
        if met():
            return True
        wait = moment - workflow.now()
        if wait <= timedelta(0):
            return False
        try:
            await workflow.wait_condition(met, timeout=wait, timeout_summary=summary)
        except TimeoutError:
            return met()
        return True

    async def _until_acknowledged(self) -> None:
        """Remind at each point before the deadline; at the deadline, escalate once; then wait
        for the acknowledgement (or an outcome: a withdrawn complaint)."""
        clock, started = self.clock, workflow.now()
        for number, after in enumerate(sorted(clock.reminders_after), start=1):
            at = clock.received_at + after
            if at >= clock.acknowledge_by:
                break
            if at < started:
                continue  # passed before the clock started: the next point tells them
            if await self._met_before(at, self._acknowledged, f"complaint/reminder-{number}"):
                return
            self.progress.reminders_sent += 1
            self._tell(
                NationalMessageKind.COMPLAINT_REMINDER,
                f"reminder-{number}",
                [REMINDED],
                instead=REMINDED_INSTEAD,
                days_left=whole_days(clock.acknowledge_by - workflow.now()),
            )
        if await self._met_before(clock.acknowledge_by, self._acknowledged, "complaint/deadline"):
            return
        self.progress.escalated_at = workflow.now()
        await self._write()
        self._tell(
            NationalMessageKind.COMPLAINT_OVERDUE,
            "overdue",
            list(ESCALATED_TO),
            days_overdue=whole_days(workflow.now() - clock.acknowledge_by),
        )
        workflow.logger.info("complaint acknowledgement overdue: named members told")
        await workflow.wait_condition(self._acknowledged)

    async def _until_outcome(self) -> None:
        """Remind every `outcome_reminder_every` from the acknowledgement until the outcome is
        recorded (points already past when it was acknowledged are skipped)."""
        if self._closed():
            return
        acknowledged_at = self.progress.acknowledged_at
        assert acknowledged_at is not None
        every, number = self.clock.outcome_reminder_every, 1
        while acknowledged_at + every * number <= workflow.now():
            number += 1
        while True:
            at = acknowledged_at + every * number
            if await self._met_before(at, self._closed, f"complaint/outcome-{number}"):
                return
            self.progress.reminders_sent += 1
            self._tell(
                NationalMessageKind.COMPLAINT_OUTCOME_DUE,
                f"outcome-{number}",
                [REMINDED],
                instead=REMINDED_INSTEAD,
                acknowledged_on=uk_day(acknowledged_at).isoformat(),
                days_open=whole_days(workflow.now() - self.clock.received_at),
            )
            number += 1

    # ---------------------------------------------------------------- recording and sending

    async def _write(self) -> None:
        """Write what the clock has recorded to the complaint's row (set fields only)."""
        await workflow.execute_activity(
            RECORD_COMPLAINT, self.progress.model_copy(), **DATABASE_ACTIVITY
        )

    def _tell(
        self,
        kind: NationalMessageKind,
        key: str,
        roles: list[MemberRole],
        *,
        instead: MemberRole | None = None,
        **facts: str | int | None,
    ) -> None:
        """Send a message about the complaint without waiting for it; once per key. With
        `instead`, a role nobody holds is replaced by that one."""
        clock = self.clock
        message = NationalMessage(
            idempotency_key=f"complaint/{clock.complaint_id}/{key}",
            kind=kind,
            authority_code=clock.authority_code,
            to_roles=roles,
            facts={
                "reference": clock.reference,
                "received_on": uk_day(clock.received_at).isoformat(),
                "acknowledge_by": uk_day(clock.acknowledge_by).isoformat(),
                "complaint_url": clock.complaint_url,
                **facts,
            },
        )

        async def send() -> None:
            told: NationalMessageOutcome = await workflow.execute_activity(
                SEND_NATIONAL_MESSAGE,
                message,
                result_type=NationalMessageOutcome,
                **MESSAGE_ACTIVITY,
            )
            if instead is not None and told.missing_roles and instead not in roles:
                await workflow.execute_activity(
                    SEND_NATIONAL_MESSAGE,
                    message.model_copy(
                        update={
                            "idempotency_key": f"{message.idempotency_key}/instead",
                            "to_roles": [instead],
                        }
                    ),
                    result_type=NationalMessageOutcome,
                    **MESSAGE_ACTIVITY,
                )

        self._sending.append(asyncio.create_task(send()))

    # ---------------------------------------------------------------- requests

    @workflow.update
    async def acknowledge(self, command: AcknowledgeComplaint) -> ComplaintProgress:
        self._check_acknowledgement(command)
        self.progress.acknowledged_at = command.acknowledged_at or workflow.now()
        self.progress.acknowledged_by = command.actor
        self.progress.acknowledged_how = command.how
        await self._write()
        return self.progress.model_copy()

    @acknowledge.validator
    def _validate_acknowledge(self, command: AcknowledgeComplaint) -> None:
        self._check_acknowledgement(command)

    def _check_acknowledgement(self, command: AcknowledgeComplaint) -> None:
        refusal = acknowledgement_refusal(
            self.progress, command, received_at=self.clock.received_at, now=workflow.now()
        )
        if refusal is not None:
            _refuse(refusal)

    @workflow.update
    async def record_outcome(self, command: RecordOutcome) -> ComplaintProgress:
        self._check_outcome(command)
        self.progress.outcome = command.outcome
        self.progress.outcome_reasons = command.reasons.strip()
        self.progress.outcome_at = workflow.now()
        self.progress.outcome_by = command.actor
        await self._write()
        return self.progress.model_copy()

    @record_outcome.validator
    def _validate_record_outcome(self, command: RecordOutcome) -> None:
        self._check_outcome(command)

    def _check_outcome(self, command: RecordOutcome) -> None:
        refusal = outcome_refusal(self.progress, command)
        if refusal is not None:
            _refuse(refusal)

    # ---------------------------------------------------------------- query

    @workflow.query
    def state(self) -> ComplaintProgress:
        return self.progress.model_copy()
