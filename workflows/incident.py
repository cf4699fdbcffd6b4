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
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.commands import (
        Acknowledge,
        AddNote,
        CloseIncident,
        MarkContained,
        MarkRecovered,
        Reassess,
        RecordNcscReference,
        Rejection,
    )
    from domain.directory import AuthoritySnapshot, MemberContact
    from domain.incident import IncidentDetails, IncidentOutcome, OpenIncident
    from domain.records import (
        LOAD_AUTHORITY_SNAPSHOT,
        RECIPIENT_REJECTED,
        RECORD_TIMELINE,
        SEND_NOTIFICATION,
        IncidentProjection,
        NotificationFacts,
        NotificationReceipt,
        NotificationRequest,
        SnapshotRequest,
        TimelineBatch,
        TimelineEntry,
    )
    from domain.state import Acknowledgement, ChainState, IncidentState, NcscStep
    from domain.vocabulary import Chain, EventKind, Language, NotificationKind, Stage

SYSTEM_ACTOR = "concordat"

# Database work is quick and safe to repeat; retry it for as long as the database is away.
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
class IncidentWorkflow:
    @workflow.init
    def __init__(self, start: OpenIncident) -> None:
        self._incident: IncidentDetails = start.details
        self._stage = Stage.DETECTED
        self._snapshot: AuthoritySnapshot | None = None
        self._chains = {chain: ChainState(chain=chain) for chain in Chain}
        self._acknowledgements: list[Acknowledgement] = []
        self._told_member_ids: set[int] = set()
        self._ncsc: NcscStep | None = None
        self._ncsc_steps_opened = 0
        self._contained_at = None
        self._recovered_at = None
        self._closed_at = None
        self._closing_summary: str | None = None
        self._sequence = 0
        self._unrecorded: list[TimelineEntry] = []
        self._deliveries: list[asyncio.Task[None]] = []
        self._finished = False

    @workflow.run
    async def run(self, start: OpenIncident) -> IncidentOutcome:
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
        recorder = asyncio.create_task(self._keep_timeline_recorded())
        self._log("incident_started", category=int(incident.category))

        self._snapshot = await self._take_snapshot()
        self._stage = Stage.TRIAGED
        self._record(
            EventKind.TRIAGED,
            f"Council assessment: category {int(incident.category)}; "
            + ("NCSC report required" if incident.ncsc_report_required else "no NCSC report"),
            category=int(incident.category),
            significant=incident.significant,
            personal_data=incident.personal_data,
        )

        self._stage = Stage.NOTIFYING
        escalations = [asyncio.create_task(self._escalate(chain)) for chain in Chain]
        reporting = asyncio.create_task(self._report_to_ncsc())

        await workflow.wait_condition(lambda: self._closed_at is not None)
        await asyncio.gather(*escalations, reporting)
        self._log("incident_closed")
        self._announce_closure()

        await workflow.wait_condition(workflow.all_handlers_finished)
        await asyncio.gather(*self._deliveries)
        self._finished = True
        await recorder
        return IncidentOutcome(
            incident_id=incident.incident_id,
            reference=incident.reference,
            stage=self._stage,
            closed_at=self._closed_at,
            ncsc_reference=self._ncsc.reference if self._ncsc else None,
        )

    # ---------------------------------------------------------------- escalation

    async def _escalate(self, chain: Chain) -> None:
        """Tell each level of the chain in turn until somebody in it acknowledges."""
        state = self._chains[chain]
        previous: MemberContact | None = None
        for level, (role, member) in enumerate(self._directory.chain_levels(chain), start=1):
            if self._chain_settled(chain):
                return
            if member is None:
                self._record(
                    EventKind.LEVEL_SKIPPED,
                    f"No {role.value.replace('_', ' ')} is named; {chain.value} chain moves on",
                    chain=chain.value,
                    level=level,
                    role=role.value,
                )
                continue
            state.level = level
            self._log("chain_level_reached", chain=chain.value, level=level, role=role.value)
            state.notified_member_ids.append(member.member_id)  # type: ignore[arg-type]
            first = previous is None
            # The chief executive heads both chains; one email answers for both.
            already_told = member.member_id in self._told_member_ids
            self._told_member_ids.add(member.member_id)  # type: ignore[arg-type]
            self._record(
                EventKind.ACKNOWLEDGEMENT_REQUESTED if first else EventKind.ESCALATED,
                (
                    f"Acknowledgement requested from {member.name}"
                    if first
                    else f"Escalated to {member.name}: {previous.name} did not acknowledge"
                ),  # type: ignore[union-attr]
                chain=chain.value,
                level=level,
                member_id=member.member_id,
                role=role.value,
                already_told=already_told or None,
            )
            if not already_told:
                self._send(
                    NotificationKind.ACKNOWLEDGEMENT_REQUEST
                    if first
                    else NotificationKind.ESCALATION,
                    member,
                    key=f"{chain.value}/level-{level}",
                    facts=self._facts(chain=chain, level=level, previous=previous),
                    include_acknowledge_link=True,
                )
            if await self._await_acknowledgement(chain, f"level-{level}"):
                return
            reminders = self._directory.policy.reminders_before_escalation if first else 0
            for number in range(1, reminders + 1):
                self._record(
                    EventKind.REMINDER_SENT,
                    f"Reminder {number} sent to {member.name}",
                    chain=chain.value,
                    level=level,
                    member_id=member.member_id,
                )
                self._send(
                    NotificationKind.ACKNOWLEDGEMENT_REMINDER,
                    member,
                    key=f"{chain.value}/level-{level}/reminder-{number}",
                    facts=self._facts(chain=chain, level=level, reminder_number=number),
                    include_acknowledge_link=True,
                )
                if await self._await_acknowledgement(chain, f"level-{level}-reminder-{number}"):
                    return
            previous = member

        if self._chain_settled(chain):
            return
        state.unacknowledged = True
        state.respond_by = None
        self._record(
            EventKind.UNACKNOWLEDGED,
            f"Nobody in the {chain.value.replace('_', ' ')} chain acknowledged; all are alerted",
            chain=chain.value,
            notified_member_ids=list(state.notified_member_ids),
        )
        self._log("escalation_exhausted", logging.WARNING, chain=chain.value)
        for person in self._everyone_to_alert():
            self._send(
                NotificationKind.UNACKNOWLEDGED_ALERT,
                person,
                key=f"{chain.value}/unacknowledged",
                facts=self._facts(chain=chain),
                include_acknowledge_link=person.member_id in state.notified_member_ids,
            )

    async def _await_acknowledgement(self, chain: Chain, step: str) -> bool:
        timeout = self._directory.policy.ack_timeout(self._incident.category)
        self._chains[chain].respond_by = workflow.now() + timeout
        try:
            await workflow.wait_condition(
                lambda: self._chain_settled(chain),
                timeout=timeout,
                timeout_summary=f"ack-timeout/{chain.value}/{step}",
            )
        except TimeoutError:
            # An acknowledgement in the same instant as the timer still counts.
            if not self._chain_settled(chain):
                return False
        self._chains[chain].respond_by = None
        return True

    def _chain_settled(self, chain: Chain) -> bool:
        return self._chains[chain].acknowledged_by is not None or self._closed_at is not None

    def _everyone_to_alert(self) -> list[MemberContact]:
        """The whole directory and the reporting officer: the last level failed, so be loud."""
        reporter = MemberContact(
            member_id=None,
            role=None,
            name=self._incident.reporter_name,
            email=self._incident.reporter_email,
            language=Language.UNKNOWN,
        )
        return [*self._directory.members, reporter]

    # ---------------------------------------------------------------- NCSC reporting

    async def _report_to_ncsc(self) -> None:
        """Concordat commitment g: a significant incident is reported to the NCSC.

        The step opens whenever the assessment makes the incident significant (at opening or
        on reassessment), and closes when the NCSC's case reference is recorded.
        """
        while True:
            await workflow.wait_condition(
                lambda: self._incident.ncsc_report_required or self._closed_at is not None
            )
            if self._closed_at is not None:
                return
            self._ncsc_steps_opened += 1
            self._log("ncsc_step_opened", category=int(self._incident.category))
            step = NcscStep(opened_at=workflow.now())
            self._ncsc = step
            self._stage = self._stage.advance(Stage.REPORTING)
            self._record(
                EventKind.NCSC_STEP_OPENED,
                "NCSC report required: draft sent to the responsible members",
                category=int(self._incident.category),
                significant=self._incident.significant,
            )
            step_key = f"ncsc/{self._ncsc_steps_opened}"
            for member in self._responsible_members():
                self._send(
                    NotificationKind.NCSC_DRAFT_REPORT,
                    member,
                    key=f"{step_key}/draft",
                    facts=self._facts(ncsc_opened_at=step.opened_at),
                )
            await self._chase_ncsc_reference(step, step_key)
            if step.reference is not None or self._closed_at is not None:
                return
            step.withdrawn_at = workflow.now()
            self._record(
                EventKind.NCSC_STEP_WITHDRAWN,
                "NCSC report no longer required after reassessment",
                category=int(self._incident.category),
            )

    async def _chase_ncsc_reference(self, step: NcscStep, step_key: str) -> None:
        """Remind the responsible members on the policy's schedule until the step ends."""

        def step_ended() -> bool:
            return (
                step.reference is not None
                or not self._incident.ncsc_report_required
                or self._closed_at is not None
            )

        while True:
            try:
                await workflow.wait_condition(
                    step_ended,
                    timeout=self._directory.policy.ncsc_reminder_delay(step.reminders_sent + 1),
                    timeout_summary=f"{step_key}/reminder-{step.reminders_sent + 1}",
                )
                return
            except TimeoutError:
                if step_ended():
                    return
                step.reminders_sent += 1
                self._record(
                    EventKind.NCSC_REMINDER,
                    f"NCSC case reference still not recorded: reminder {step.reminders_sent}",
                    reminder_number=step.reminders_sent,
                )
                for member in self._responsible_members():
                    self._send(
                        NotificationKind.NCSC_REMINDER,
                        member,
                        key=f"{step_key}/reminder-{step.reminders_sent}",
                        facts=self._facts(
                            ncsc_opened_at=step.opened_at, reminder_number=step.reminders_sent
                        ),
                    )

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
        self._record(EventKind.NOTE_ADDED, "Note added", actor=command.actor, text=command.text)
        return self.state()

    @add_note.validator
    def _validate_add_note(self, command: AddNote) -> None:
        self._require_open()
        if not command.text.strip():
            raise _reject("A note needs some text.")

    @workflow.update
    async def reassess(self, command: Reassess) -> IncidentState:
        before = self._incident
        changes = self._reassessment_changes(command)
        self._incident = before.model_copy(update=changes)
        self._record(
            EventKind.REASSESSED,
            "Reassessed: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in changes.items()),
            actor=command.actor,
            reason=command.reason,
            before={k: _plain(getattr(before, k)) for k in changes},
            after={k: _plain(v) for k, v in changes.items()},
        )
        # A reassessment deliberately takes a fresh snapshot of the directory and policy.
        self._snapshot = await self._take_snapshot()
        return self.state()

    @reassess.validator
    def _validate_reassess(self, command: Reassess) -> None:
        self._require_open()
        if not self._reassessment_changes(command):
            raise _reject("The reassessment changes nothing: give a new category or flag.")

    def _reassessment_changes(self, command: Reassess) -> dict[str, Any]:
        proposed = {
            "category": command.category,
            "significant": command.significant,
            "personal_data": command.personal_data,
        }
        return {
            field: value
            for field, value in proposed.items()
            if value is not None and value != getattr(self._incident, field)
        }

    @workflow.update
    async def record_ncsc_reference(self, command: RecordNcscReference) -> IncidentState:
        step = self._ncsc
        assert step is not None
        step.reference = command.reference.strip()
        step.reported_at = command.reported_at or workflow.now()
        step.recorded_by = command.actor
        self._record(
            EventKind.NCSC_REPORTED,
            f"Reported to the NCSC: case reference {step.reference}",
            actor=command.actor,
            reference=step.reference,
            reported_at=step.reported_at.isoformat(),
        )
        return self.state()

    @record_ncsc_reference.validator
    def _validate_record_ncsc_reference(self, command: RecordNcscReference) -> None:
        self._require_open()
        if not command.reference.strip():
            raise _reject("The NCSC case reference cannot be blank.")
        step = self._ncsc
        if step is None or step.withdrawn_at is not None or not self._incident.ncsc_report_required:
            raise _reject(
                "No NCSC report is open for this incident: reassess it as category 1-3 or "
                "significant first.",
                Rejection.CONFLICT,
            )
        if step.reference is not None:
            raise _reject(
                f"The NCSC case reference {step.reference} is already recorded.", Rejection.CONFLICT
            )
        if command.reported_at is not None and command.reported_at > workflow.now():
            raise _reject("The time reported to the NCSC cannot be in the future.")

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
        return self.state()

    @close.validator
    def _validate_close(self, command: CloseIncident) -> None:
        self._require_open()
        if len(command.summary.strip()) < 10:
            raise _reject(
                "A closing summary is required: say what happened and what was done "
                "(at least 10 characters)."
            )
        if self._incident.ncsc_report_required and (
            self._ncsc is None or self._ncsc.reference is None
        ):
            raise _reject(
                "This is a significant incident: record the NCSC case reference before closing it.",
                Rejection.CONFLICT,
            )

    def _require_open(self) -> None:
        if self._closed_at is not None:
            raise _reject(f"Incident {self._incident.reference} is closed.", Rejection.CLOSED)
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
            chains=[state.model_copy() for state in self._chains.values()],
            acknowledgements=list(self._acknowledgements),
            ncsc=self._ncsc.model_copy() if self._ncsc else None,
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
        a burst of events costs one round trip rather than one each."""
        while True:
            await workflow.wait_condition(lambda: bool(self._unrecorded) or self._finished)
            if not self._unrecorded:
                return
            batch, self._unrecorded = self._unrecorded, []
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

    def _projection(self) -> IncidentProjection:
        return IncidentProjection(
            stage=self._stage,
            category=self._incident.category,
            significant=self._incident.significant,
            personal_data=self._incident.personal_data,
            ncsc_reference=self._ncsc.reference if self._ncsc else None,
            closed_at=self._closed_at,
        )

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
        self._deliveries.append(asyncio.create_task(self._deliver(request)))

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
        self._record(
            EventKind.NOTIFICATION_SENT,
            f"Sent {request.kind.label} to {request.recipient.name}",
            message_id=receipt.message_id,
            **detail,
        )

    def _announce_closure(self) -> None:
        told = {a.member_id for a in self._acknowledgements}
        recipients = [*self._responsible_members()]
        recipients += [
            m for m in self._directory.members if m.member_id in told and m not in recipients
        ]
        for member in recipients:
            self._send(NotificationKind.INCIDENT_CLOSED, member, key="closed", facts=self._facts())


def _plain(value: Any) -> Any:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else value
