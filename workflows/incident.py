"""IncidentWorkflow: one durable process per incident, from detection to closure.

Read `run` top to bottom: it is the council's procedure. The incident is opened and triaged,
the executive member and the senior management member are told at once and must acknowledge,
silence escalates to deputies and then the chief executive, a significant incident is reported
to the NCSC, and the incident is contained, recovered and closed.

Workflow code is replayed: it reads time only through `workflow.now()` and leaves every side
effect (database, templates, SMTP) to activities, called by name so none of that code enters
the sandbox.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from domain.commands import (
        Acknowledge,
        AddNote,
        CloseIncident,
        MarkContained,
        MarkRecovered,
        Reassess,
        RecordSubmission,
        Rejection,
        WaiveObligation,
    )
    from domain.directory import AuthoritySnapshot, MemberContact
    from domain.incident import (
        IncidentCarryover,
        IncidentDetails,
        IncidentOutcome,
        OpenIncident,
    )
    from domain.obligations import (
        Body,
        Obligation,
        ObligationState,
        PersonalDataRisk,
        Submission,
        SubmissionPhase,
    )
    from domain.records import (
        LOAD_AUTHORITY_SNAPSHOT,
        RECIPIENT_REJECTED,
        RECORD_TIMELINE,
        SEND_NOTIFICATION,
        ArchiveRequest,
        IcoDecision,
        IncidentProjection,
        NotificationFacts,
        NotificationReceipt,
        NotificationRequest,
        SnapshotRequest,
        TimelineBatch,
        TimelineEntry,
    )
    from domain.state import Acknowledgement, ChainState, IncidentState
    from domain.vocabulary import Chain, EventKind, NotificationKind, Stage
    from workflows.escalation import EscalationChains
    from workflows.obligations import ObligationClocks

SYSTEM_ACTOR = "concordat"

#: Patch: closure emails quote the record's seal, and the history is archived at closure.
AUDIT_AT_CLOSURE = "audit-at-closure"
#: Patch: a long, quiet incident continues as a new run.
CONTINUE_AS_NEW = "continue-as-new"

# Database work is quick and safe to repeat; retry it for as long as the database is away.
#: How long a timeline batch waits for the emails being sent when its events happened.
GATHER_SENDS = timedelta(seconds=2)

_DATABASE_ACTIVITY = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(seconds=30)),
}
# An SMTP outage delays a message but never loses it; after a day it is reported as failed.
_MAIL_ACTIVITY = {
    "start_to_close_timeout": timedelta(seconds=60),
    "schedule_to_close_timeout": timedelta(hours=24),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(seconds=2),
        maximum_interval=timedelta(minutes=2),
        non_retryable_error_types=[RECIPIENT_REJECTED],
    ),
}


def _reject(message: str, kind: Rejection = Rejection.INVALID) -> ApplicationError:
    return ApplicationError(message, type=kind.value, non_retryable=True)


@workflow.defn
class IncidentWorkflow(EscalationChains, ObligationClocks):
    @workflow.init
    def __init__(self, start: OpenIncident) -> None:
        self._incident: IncidentDetails = start.details
        self._stage = Stage.DETECTED
        self._snapshot: AuthoritySnapshot | None = None
        self._chains = {chain: ChainState(chain=chain) for chain in Chain}
        self._acknowledgements: list[Acknowledgement] = []
        self._told_member_ids: set[int] = set()
        self._obligations = {body: Obligation(body=body) for body in Body}
        self._obligation_starts = dict.fromkeys(Body, 0)
        self._last_reassessment_reason: str | None = None
        self._risk_assessment: tuple[str, str, datetime] | None = None
        """The reason, person and time of the last change to the personal-data risk."""
        self._reassessments_in_flight = 0
        self._ever_personal_data = start.details.personal_data
        self._contained_at = None
        self._recovered_at = None
        self._closed_at = None
        self._closing_summary: str | None = None
        self._sequence = 0
        self._unrecorded: list[TimelineEntry] = []
        self._deliveries: list[asyncio.Task[None]] = []
        self._finished = False
        self._recording = False
        self._closed_sequence: int | None = None
        self._crash: BaseException | None = None
        self._handing_over = False
        self._run = 1
        if start.carryover is not None:
            self._resume(start.carryover)

    def _resume(self, carried: IncidentCarryover) -> None:
        """Take up where the previous run of this incident's workflow handed over."""
        self._snapshot = carried.snapshot
        self._stage = carried.stage
        self._chains = {state.chain: state for state in carried.chains}
        self._acknowledgements = list(carried.acknowledgements)
        self._told_member_ids = set(carried.told_member_ids)
        self._obligations = {o.body: o for o in carried.obligations}
        self._obligation_starts = {Body(b): n for b, n in carried.obligation_starts.items()}
        self._last_reassessment_reason = carried.last_reassessment_reason
        self._risk_assessment = carried.risk_assessment
        self._ever_personal_data = carried.ever_personal_data
        self._contained_at = carried.contained_at
        self._recovered_at = carried.recovered_at
        self._sequence = carried.sequence
        self._run = carried.run + 1

    def _carryover(self) -> IncidentCarryover:
        assert self._snapshot is not None
        return IncidentCarryover(
            snapshot=self._snapshot,
            stage=self._stage,
            chains=list(self._chains.values()),
            acknowledgements=self._acknowledgements,
            told_member_ids=sorted(self._told_member_ids),
            obligations=list(self._obligations.values()),
            obligation_starts={b.value: n for b, n in self._obligation_starts.items()},
            last_reassessment_reason=self._last_reassessment_reason,
            risk_assessment=self._risk_assessment,
            ever_personal_data=self._ever_personal_data,
            contained_at=self._contained_at,
            recovered_at=self._recovered_at,
            sequence=self._sequence,
            run=self._run,
        )

    @workflow.run
    async def run(self, start: OpenIncident) -> IncidentOutcome:
        if start.carryover is not None:
            return await self._continue(start)
        incident = self._incident
        self._record(
            EventKind.OPENED,
            f"Incident {incident.reference} opened: {incident.title}",
            actor=incident.reporter_name,
            category=int(incident.category),
            incident_type=incident.incident_type.value,
            tlp=incident.tlp.value,
            detected_at=incident.detected_at.isoformat(),
            aware_at=incident.aware_at.isoformat(),
        )
        recorder = self._spawn(self._keep_timeline_recorded())
        self._log("incident_started", category=int(incident.category))

        self._snapshot = start.snapshot or await self._take_snapshot()
        self._stage = Stage.TRIAGED
        self._record(
            EventKind.TRIAGED,
            f"Council assessment: category {int(incident.category)}"
            + (", significant" if incident.significant else "")
            + (", personal data involved" if incident.personal_data else "")
            + (" (exercise)" if incident.exercise else ""),
            category=int(incident.category),
            significant=incident.significant,
            personal_data=incident.personal_data,
            personal_data_risk=incident.personal_data_risk,
            exercise=incident.exercise or None,
        )

        self._stage = Stage.NOTIFYING
        escalations = [self._spawn(self._escalate(chain)) for chain in Chain]
        clocks = [self._spawn(self._track_obligation(body)) for body in Body]
        return await self._until_closed(start, recorder, escalations, clocks)

    async def _continue(self, start: OpenIncident) -> IncidentOutcome:
        """A later run: the chains have settled; restart the recorder and the clocks."""
        recorder = self._spawn(self._keep_timeline_recorded())
        self._log("incident_continued", run=self._run)
        clocks = [self._spawn(self._track_obligation(body, resumed=True)) for body in Body]
        return await self._until_closed(start, recorder, [], clocks)

    async def _until_closed(
        self,
        start: OpenIncident,
        recorder: asyncio.Task[None],
        escalations: list[asyncio.Task[None]],
        clocks: list[asyncio.Task[None]],
    ) -> IncidentOutcome:
        incident = self._incident
        may_continue = workflow.patched(CONTINUE_AS_NEW)
        await workflow.wait_condition(
            lambda: (
                self._closed_at is not None
                or self._crash is not None
                or (may_continue and self._time_to_hand_over(start, escalations))
            )
        )
        if self._crash is not None:
            raise self._crash
        if self._closed_at is None:
            await self._hand_over(start, recorder, clocks)
        await asyncio.gather(*escalations, *clocks)
        self._log("incident_closed")
        sealed = workflow.patched(AUDIT_AT_CLOSURE)
        if sealed:
            # The closure email quotes the closure's hash, so it must be recorded first.
            await workflow.wait_condition(lambda: not (self._unrecorded or self._recording))
        self._announce_closure(sealed_at_event=self._closed_sequence if sealed else None)

        await workflow.wait_condition(workflow.all_handlers_finished)
        await asyncio.gather(*self._deliveries)
        self._finished = True
        await recorder
        if sealed:
            await workflow.start_child_workflow(
                "HistoryArchiveWorkflow",
                ArchiveRequest(
                    incident_id=incident.incident_id, workflow_id=workflow.info().workflow_id
                ),
                id=f"{workflow.info().workflow_id}-archive",
                parent_close_policy=ParentClosePolicy.ABANDON,
            )
        return IncidentOutcome(
            incident_id=incident.incident_id,
            reference=incident.reference,
            stage=self._stage,
            closed_at=self._closed_at,
        )

    # ---------------------------------------------------------------- continue-as-new

    def _time_to_hand_over(
        self, start: OpenIncident, escalations: list[asyncio.Task[None]]
    ) -> bool:
        """Continue as a new run when the history is long and the incident is quiet: both
        chains settled, no reassessment being applied, no email waiting to be delivered (an
        SMTP outage must not hold updates off) and the timeline written."""
        quiet = (
            all(task.done() for task in escalations)
            and not self._sending()
            and not (self._reassessments_in_flight or self._unrecorded or self._recording)
        )
        if not quiet:
            return False
        info = workflow.info()
        return (
            info.get_current_history_length() >= start.history_limit
            or info.is_continue_as_new_suggested()
        )

    async def _hand_over(
        self, start: OpenIncident, recorder: asyncio.Task[None], clocks: list[asyncio.Task[None]]
    ) -> None:
        """Stop the clocks, let every update, email and timeline write finish, then continue
        as a new run with everything this one knows. Updates arriving meanwhile are asked to
        try again in a moment; the new run takes them."""
        self._handing_over = True
        for clock in clocks:
            clock.cancel()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await asyncio.gather(*self._deliveries)
        self._finished = True
        await recorder
        self._log("incident_continued_as_new", run=self._run, sequence=self._sequence)
        workflow.continue_as_new(
            OpenIncident(
                details=self._incident,
                history_limit=start.history_limit,
                carryover=self._carryover(),
            )
        )

    # ---------------------------------------------------------------- closure

    def _responsible_members(self) -> list[MemberContact]:
        """The first member named in each chain: the two named under commitment c."""
        found: list[MemberContact] = []
        for chain in Chain:
            member = next((m for _, m in self._directory.chain_levels(chain) if m), None)
            if member is not None and member not in found:
                found.append(member)
        return found

    # ---------------------------------------------------------------- updates

    @workflow.update
    async def acknowledge(self, command: Acknowledge) -> IncidentState:
        member = self._directory.member_by_id(command.member_id)
        assert member is not None and member.role is not None  # checked by the validator
        now = workflow.now()
        self._acknowledgements.append(
            Acknowledgement(
                member_id=command.member_id,
                name=member.name,
                role=member.role,
                at=now,
                via=command.via.value,
            )
        )
        answered = []
        for chain in self._directory.chains_of(command.member_id):
            state = self._chains[chain]
            if state.acknowledged_by is None:
                state.acknowledged_by, state.acknowledged_at = command.member_id, now
                answered.append(chain.value)
        self._record(
            EventKind.ACKNOWLEDGED,
            f"{member.name} ({member.role.value.replace('_', ' ')}) acknowledged",
            actor=command.actor,
            member_id=command.member_id,
            name=member.name,
            role=member.role.value,
            via=command.via.value,
            chains=answered,
        )
        self._log("acknowledged", member_id=command.member_id, chains=answered)
        if all(state.acknowledged_by is not None for state in self._chains.values()):
            self._stage = self._stage.advance(Stage.ACKNOWLEDGED)
        return self.state()

    @acknowledge.validator
    def _validate_acknowledge(self, command: Acknowledge) -> None:
        self._require_open()
        member = self._directory.member_by_id(command.member_id)
        if member is None:
            raise _reject(f"Member {command.member_id} is not in this incident's directory.")
        if not self._directory.chains_of(command.member_id):
            raise _reject(f"{member.name} is not in an escalation chain and cannot acknowledge.")
        if any(a.member_id == command.member_id for a in self._acknowledgements):
            raise _reject(f"{member.name} has already acknowledged.", Rejection.CONFLICT)

    @workflow.update
    async def add_note(self, command: AddNote) -> IncidentState:
        if command.corrects is None:
            self._record(EventKind.NOTE_ADDED, "Note added", actor=command.actor, text=command.text)
        else:
            self._record(
                EventKind.CORRECTION,
                f"Correction to event #{command.corrects}",
                actor=command.actor,
                corrects=command.corrects,
                text=command.text,
            )
        return self.state()

    @add_note.validator
    def _validate_add_note(self, command: AddNote) -> None:
        self._require_open()
        if not command.text.strip():
            raise _reject("A note needs some text.")
        if command.corrects is not None and not 1 <= command.corrects <= self._sequence:
            raise _reject(
                f"There is no event #{command.corrects} to correct: "
                f"the timeline has {self._sequence} events."
            )

    @workflow.update
    async def reassess(self, command: Reassess) -> IncidentState:
        # A reassessment deliberately takes a fresh snapshot of the directory and policy, first,
        # so obligations it starts run on the rules in force now. Closing waits for it.
        self._reassessments_in_flight += 1
        try:
            self._snapshot = await self._take_snapshot()
        finally:
            self._reassessments_in_flight -= 1
        before = self._incident
        changes = self._reassessment_changes(command)
        self._last_reassessment_reason = command.reason
        if "personal_data_risk" in changes:
            self._risk_assessment = (command.reason, command.actor, workflow.now())
        if changes.get("personal_data"):
            self._ever_personal_data = True
        self._incident = before.model_copy(update=changes)
        if _risk_rank(self._incident.personal_data_risk) > _risk_rank(before.personal_data_risk):
            self._reopen_waived_for_higher_risk(command.reason)
        self._record(
            EventKind.REASSESSED,
            "Reassessed: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in changes.items()),
            actor=command.actor,
            reason=command.reason,
            before={k: _plain(getattr(before, k)) for k in changes},
            after={k: _plain(v) for k, v in changes.items()},
        )
        return self.state()

    @reassess.validator
    def _validate_reassess(self, command: Reassess) -> None:
        self._require_open()
        if not self._reassessment_changes(command):
            raise _reject("The reassessment changes nothing: give a new category or flag.")
        if command.breach_aware_at is not None:
            if command.breach_aware_at > workflow.now():
                raise _reject("The time of becoming aware of the breach cannot be in the future.")
            if command.breach_aware_at < self._incident.aware_at:
                raise _reject(
                    "The council became aware of the breach no earlier than of the incident: "
                    "leave breach_aware_at out to use the incident's aware-at time."
                )

    def _reassessment_changes(self, command: Reassess) -> dict[str, Any]:
        proposed = {
            "category": command.category,
            "significant": command.significant,
            "personal_data": command.personal_data,
            "personal_data_risk": command.personal_data_risk,
            "breach_aware_at": command.breach_aware_at,
            "email_compromised": command.email_compromised,
        }
        return {
            field: value
            for field, value in proposed.items()
            if value is not None and value != getattr(self._incident, field)
        }

    @workflow.update
    async def record_submission(self, command: RecordSubmission) -> IncidentState:
        obligation = self._obligations[command.body]
        now = workflow.now()
        submitted_at = command.submitted_at or now
        initial = command.phase is SubmissionPhase.INITIAL
        late = initial and obligation.deadline is not None and submitted_at > obligation.deadline
        obligation.submissions.append(
            Submission(
                phase=command.phase,
                reference=command.reference,
                submitted_at=submitted_at,
                recorded_at=now,
                recorded_by=command.actor,
                summary=command.summary,
                late=late,
                late_reason=command.late_reason,
            )
        )
        if initial:
            obligation.state = ObligationState.SUBMITTED
        self._record(
            EventKind.OBLIGATION_SUBMITTED,
            f"{command.body.label.capitalize()} told"
            + (f": reference {command.reference}" if command.reference else "")
            + (" (follow-up)" if not initial else "")
            + (" (late)" if late else ""),
            actor=command.actor,
            body=command.body.value,
            phase=command.phase.value,
            reference=command.reference,
            submitted_at=submitted_at.isoformat(),
            late=late or None,
            late_reason=command.late_reason,
            summary=command.summary,
        )
        return self.state()

    @record_submission.validator
    def _validate_record_submission(self, command: RecordSubmission) -> None:
        self._require_open()
        obligation = self._obligations[command.body]
        label = command.body.label
        if command.phase is SubmissionPhase.FOLLOW_UP:
            if obligation.state is not ObligationState.SUBMITTED:
                raise _reject(
                    f"Record the initial submission to {label} before a follow-up.",
                    Rejection.CONFLICT,
                )
        elif obligation.state is ObligationState.SUBMITTED:
            raise _reject(
                f"The initial submission to {label} is already recorded; add a follow-up instead.",
                Rejection.CONFLICT,
            )
        elif not obligation.state.open:
            raise _reject(
                f"Reporting to {label} is not required for this incident "
                f"({obligation.state.value.replace('_', ' ')}).",
                Rejection.CONFLICT,
            )
        rule = obligation.rule
        assert rule is not None
        now = workflow.now()
        submitted_at = command.submitted_at or now
        if submitted_at > now:
            raise _reject("The submission time cannot be in the future.")
        if submitted_at < self._incident.detected_at:
            raise _reject("The submission time cannot be before the incident was detected.")
        if rule.reference_required and command.phase is SubmissionPhase.INITIAL:
            if not (command.reference or "").strip():
                raise _reject(f"Give the case reference {label} replied with.")
        late = obligation.deadline is not None and submitted_at > obligation.deadline
        if (
            command.phase is SubmissionPhase.INITIAL
            and late
            and rule.late_reason_required
            and not (command.late_reason or "").strip()
        ):
            raise _reject(
                f"This notification to {label} is late (the deadline was "
                f"{obligation.deadline:%Y-%m-%d %H:%M} UTC): give the reasons for the delay "
                "(UK GDPR Article 33(1))."
            )

    @workflow.update
    async def waive_obligation(self, command: WaiveObligation) -> IncidentState:
        obligation = self._obligations[command.body]
        obligation.state = ObligationState.WAIVED
        obligation.waived_reason = command.reason.strip()
        obligation.waived_by = command.actor
        obligation.waived_at = workflow.now()
        self._record(
            EventKind.OBLIGATION_WAIVED,
            f"Decided not to tell {command.body.label}",
            actor=command.actor,
            body=command.body.value,
            reason=obligation.waived_reason,
        )
        return self.state()

    @waive_obligation.validator
    def _validate_waive_obligation(self, command: WaiveObligation) -> None:
        self._require_open()
        obligation = self._obligations[command.body]
        if not obligation.state.open:
            raise _reject(
                f"Reporting to {command.body.label} is {obligation.state.value.replace('_', ' ')};"
                " there is nothing to waive.",
                Rejection.CONFLICT,
            )
        if len(command.reason.strip()) < 10:
            raise _reject(
                "A decision not to report needs its reason recorded (at least 10 characters)."
            )

    @workflow.update
    async def contain(self, command: MarkContained) -> IncidentState:
        self._contained_at = workflow.now()
        self._stage = self._stage.advance(Stage.CONTAINED)
        self._record(
            EventKind.CONTAINED, "Incident contained", actor=command.actor, note=command.note
        )
        return self.state()

    @contain.validator
    def _validate_contain(self, command: MarkContained) -> None:
        self._require_open()
        if self._contained_at is not None:
            raise _reject("The incident is already marked contained.", Rejection.CONFLICT)

    @workflow.update
    async def recover(self, command: MarkRecovered) -> IncidentState:
        self._recovered_at = workflow.now()
        self._stage = self._stage.advance(Stage.RECOVERED)
        self._record(
            EventKind.RECOVERED, "Services recovered", actor=command.actor, note=command.note
        )
        return self.state()

    @recover.validator
    def _validate_recover(self, command: MarkRecovered) -> None:
        self._require_open()
        if self._contained_at is None:
            raise _reject(
                "Mark the incident contained before marking it recovered.", Rejection.CONFLICT
            )
        if self._recovered_at is not None:
            raise _reject("The incident is already marked recovered.", Rejection.CONFLICT)

    @workflow.update
    async def close(self, command: CloseIncident) -> IncidentState:
        self._closed_at = workflow.now()
        self._closing_summary = command.summary.strip()
        self._stage = Stage.CLOSED
        for state in self._chains.values():
            state.respond_by = None
        self._record(
            EventKind.CLOSED, "Incident closed", actor=command.actor, summary=self._closing_summary
        )
        self._closed_sequence = self._sequence
        return self.state()

    @close.validator
    def _validate_close(self, command: CloseIncident) -> None:
        self._require_open()
        if self._reassessments_in_flight:
            raise _reject(
                "A reassessment is being applied; try again in a moment.", Rejection.NOT_READY
            )
        if len(command.summary.strip()) < 10:
            raise _reject(
                "A closing summary is required: say what happened and what was done "
                "(at least 10 characters)."
            )
        still_open = [o for o in self._obligations.values() if o.state.open]
        if still_open:
            raise _reject(
                "Before closing, record the submission to (or a decision not to tell) "
                + ", ".join(o.body.label for o in still_open)
                + ".",
                Rejection.CONFLICT,
            )

    def _require_open(self) -> None:
        if self._closed_at is not None:
            raise _reject(f"Incident {self._incident.reference} is closed.", Rejection.CLOSED)
        if self._handing_over:
            raise _reject(
                "The incident is moving to a fresh history; try again in a moment.",
                Rejection.NOT_READY,
            )
        if self._snapshot is None:
            raise _reject(
                "The incident is still being opened; try again in a moment.", Rejection.NOT_READY
            )

    # ---------------------------------------------------------------- query

    @workflow.query
    def state(self) -> IncidentState:
        incident = self._incident
        return IncidentState(
            incident_id=incident.incident_id,
            reference=incident.reference,
            authority_code=incident.authority_code,
            stage=self._stage,
            category=incident.category,
            significant=incident.significant,
            personal_data=incident.personal_data,
            personal_data_risk=incident.personal_data_risk,
            exercise=incident.exercise,
            email_compromised=incident.email_compromised,
            chains=[state.model_copy() for state in self._chains.values()],
            acknowledgements=list(self._acknowledgements),
            obligations=[o.model_copy(deep=True) for o in self._obligations.values()],
            contained_at=self._contained_at,
            recovered_at=self._recovered_at,
            closed_at=self._closed_at,
            closing_summary=self._closing_summary,
        )

    # ---------------------------------------------------------------- side effects

    @property
    def _directory(self) -> AuthoritySnapshot:
        assert self._snapshot is not None, "the directory is loaded before anything reads it"
        return self._snapshot

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run part of the incident alongside the rest. A bug in it must not fail silently and
        leave the incident waiting for ever: `run` re-raises it, so the workflow task fails
        visibly (and retries) until a fixed worker replays past it."""
        task = asyncio.create_task(work)
        task.add_done_callback(self._notice_crash)
        return task

    def _notice_crash(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None and self._crash is None:
            self._crash = task.exception()

    async def _take_snapshot(self) -> AuthoritySnapshot:
        return await workflow.execute_activity(
            LOAD_AUTHORITY_SNAPSHOT,
            SnapshotRequest(authority_id=self._incident.authority_id),
            result_type=AuthoritySnapshot,
            **_DATABASE_ACTIVITY,
        )

    def _log(self, event: str, level: int = logging.INFO, **fields: Any) -> None:
        """Log through the workflow logger (silent on replay), identifiers only, never names."""
        workflow.logger.log(
            level,
            event,
            extra={
                "incident_id": self._incident.incident_id,
                "authority": self._incident.authority_code,
                **fields,
            },
        )

    def _record(
        self, kind: EventKind, summary: str, /, actor: str = SYSTEM_ACTOR, **detail: Any
    ) -> None:
        """Queue a timeline event; `_keep_timeline_recorded` writes queued events in order."""
        self._sequence += 1
        self._unrecorded.append(
            TimelineEntry(
                sequence=self._sequence,
                kind=kind,
                occurred_at=workflow.now(),
                actor=actor,
                summary=summary,
                detail={k: v for k, v in detail.items() if v is not None},
            )
        )

    async def _keep_timeline_recorded(self) -> None:
        """Write timeline events in batches, one activity at a time, so order is kept and
        a burst of events costs one round trip rather than one each.

        While emails are being sent, a batch waits for them (up to `GATHER_SENDS`), so an
        incident's opening and its first alerts are written by one activity, not three: on a
        busy server every activity and workflow task is history the server must write.
        """
        while True:
            await workflow.wait_condition(lambda: bool(self._unrecorded) or self._finished)
            if not self._unrecorded:
                return
            if self._sending() and workflow.patched("timeline-gathers-sends"):
                try:
                    await workflow.wait_condition(
                        lambda: not self._sending() or self._finished,
                        timeout=GATHER_SENDS,
                        timeout_summary="timeline/gather-sends",
                    )
                except TimeoutError:
                    pass  # an email is slow (an SMTP outage): record what happened so far
            batch, self._unrecorded = self._unrecorded, []
            self._recording = True
            await workflow.execute_activity(
                RECORD_TIMELINE,
                TimelineBatch(
                    incident_id=self._incident.incident_id,
                    authority_code=self._incident.authority_code,
                    entries=batch,
                    projection=self._projection(),
                ),
                **_DATABASE_ACTIVITY,
            )
            self._recording = False

    def _sending(self) -> bool:
        return not all(delivery.done() for delivery in self._deliveries)

    def _projection(self) -> IncidentProjection:
        return IncidentProjection(
            stage=self._stage,
            category=self._incident.category,
            significant=self._incident.significant,
            personal_data=self._incident.personal_data,
            personal_data_risk=self._incident.personal_data_risk,
            email_compromised=self._incident.email_compromised,
            obligations=[o.model_copy(deep=True) for o in self._obligations.values()],
            ico_decision=self._ico_decision(),
            closed_at=self._closed_at,
        )

    def _ico_decision(self) -> IcoDecision | None:
        """The breach register's record of the ICO decision (UK GDPR Art 33(5))."""
        if not self._incident.personal_data:
            if not self._ever_personal_data:
                return None
            return IcoDecision(
                decision="no_personal_data",
                reason="Reassessed: no personal data involved"
                + (f": {self._last_reassessment_reason}" if self._last_reassessment_reason else ""),
            )
        ico = self._obligations[Body.ICO]
        if ico.state is ObligationState.SUBMITTED and (initial := ico.initial_submission):
            return IcoDecision(
                decision="notified", decided_by=initial.recorded_by, decided_at=initial.submitted_at
            )
        if ico.state is ObligationState.WAIVED:
            return IcoDecision(
                decision="not_notified",
                reason=ico.waived_reason,
                decided_by=ico.waived_by,
                decided_at=ico.waived_at,
            )
        if self._incident.personal_data_risk is PersonalDataRisk.UNLIKELY:
            reason, actor, at = self._risk_assessment or (None, None, None)
            return IcoDecision(
                decision="not_notified",
                reason="Assessed unlikely to result in a risk to people"
                + (f": {reason}" if reason else ""),
                decided_by=actor or self._incident.reporter_name,
                decided_at=at or self._incident.aware_at,
            )
        if ico.state is ObligationState.NOT_REQUIRED and ico.rule is None and self._snapshot:
            rule = self._directory.obligation_rules[Body.ICO]
            if not rule.enabled or not self._incident.assessment.triggers(rule.trigger):
                return IcoDecision(
                    decision="not_notified",
                    reason="The authority's reporting policy does not require it",
                    decided_by="policy",
                )
        return IcoDecision(decision="pending")

    def _facts(self, **facts: Any) -> NotificationFacts:
        previous = facts.pop("previous", None)
        return NotificationFacts(
            authority_name_en=self._directory.name_en,
            authority_name_cy=self._directory.name_cy,
            respond_by=workflow.now() + self._directory.policy.ack_timeout(self._incident.category),
            previous_recipient=previous.name if previous else None,
            closing_summary=self._closing_summary,
            **facts,
        )

    def _send(
        self,
        kind: NotificationKind,
        recipient: MemberContact,
        *,
        key: str,
        facts: NotificationFacts,
        include_acknowledge_link: bool = False,
    ) -> None:
        """Send without waiting: an SMTP outage must never hold up an escalation timer."""
        who = recipient.member_id if recipient.member_id is not None else "reporter"
        request = NotificationRequest(
            idempotency_key=f"{workflow.info().workflow_id}/{key}/{kind.value}/{who}",
            kind=kind,
            recipient=recipient,
            incident=self._incident,
            facts=facts,
            include_acknowledge_link=include_acknowledge_link and recipient.member_id is not None,
        )
        self._deliveries.append(self._spawn(self._deliver(request)))

    async def _deliver(self, request: NotificationRequest) -> None:
        detail = {
            "notification": request.kind.value,
            "member_id": request.recipient.member_id,
            "role": request.recipient.role.value if request.recipient.role else "reporter",
        }
        try:
            receipt = await workflow.execute_activity(
                SEND_NOTIFICATION, request, result_type=NotificationReceipt, **_MAIL_ACTIVITY
            )
        except ActivityError as failure:
            cause = failure.cause.message if failure.cause else str(failure)
            self._record(
                EventKind.NOTIFICATION_FAILED,
                f"Could not deliver {request.kind.label} to {request.recipient.name}: {cause}",
                **detail,
            )
            return
        retried = receipt.attempts > 1
        self._record(
            EventKind.NOTIFICATION_SENT,
            f"Sent {request.kind.label} to {request.recipient.name}"
            + (f" after {receipt.attempts} attempts" if retried else ""),
            message_id=receipt.message_id,
            attempts=receipt.attempts if retried else None,
            last_error=receipt.last_error if retried else None,
            **detail,
        )

    def _announce_closure(self, *, sealed_at_event: int | None) -> None:
        told = {a.member_id for a in self._acknowledgements}
        recipients = [*self._responsible_members()]
        recipients += [
            m for m in self._directory.members if m.member_id in told and m not in recipients
        ]
        for member in recipients:
            self._send(
                NotificationKind.INCIDENT_CLOSED,
                member,
                key="closed",
                facts=self._facts(sealed_at_event=sealed_at_event),
            )


def _risk_rank(risk: PersonalDataRisk | None) -> int:
    order = [PersonalDataRisk.UNLIKELY, PersonalDataRisk.RISK, PersonalDataRisk.HIGH]
    return order.index(risk or PersonalDataRisk.RISK)


def _plain(value: Any) -> Any:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else value
