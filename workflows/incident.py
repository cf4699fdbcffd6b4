"""IncidentWorkflow: one durable process per incident, from detection to closure.

Read `run` top to bottom: it is the council's procedure. The incident is opened and triaged,
the executive member and the senior management member are told at once and must acknowledge,
silence escalates to deputies and then the chief executive, every body that must be told has
its clock, and the incident is contained, recovered and closed.

Everything the incident knows is in one `IncidentFile` (`self.file`); the rules its requests
must follow are plain functions in `domain.rules`; the machinery of recording and sending is
in `workflows.process`, and the updates that only add to the record (notes, evidence,
statements, campaign links, breach register amendments) are in `workflows.record_updates`.
Workflow code is replayed: it reads time only through `workflow.now()` and leaves every side
effect (database, templates, SMTP) to activities, called by name.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

from workflows.centre import CentreAlerts
from workflows.escalation import EscalationChains
from workflows.obligations import REPORTING_REGIMES, ObligationClocks
from workflows.paging import PAGING_CHANNELS
from workflows.record_updates import RecordUpdates, checked

with workflow.unsafe.imports_passed_through():
    from domain import rules
    from domain.activity_contracts import (
        ArchiveRequest,
        DeliveryReport,
    )
    from domain.commands import (
        Acknowledge,
        CloseIncident,
        MarkContained,
        MarkRecovered,
        Reassess,
        RecordSubmission,
        WaiveObligation,
    )
    from domain.directory import MemberContact
    from domain.incident import IncidentFile, IncidentOutcome, OpenIncident
    from domain.obligations import ObligationState, Submission, SubmissionPhase
    from domain.post_incident import PostIncidentStart, post_incident_workflow_id
    from domain.state import Acknowledgement, IncidentState
    from domain.vocabulary import Chain, EventKind, NotificationKind, Stage

#: Patch: closure emails quote the record's seal, and the history is archived at closure.
AUDIT_AT_CLOSURE = "audit-at-closure"
#: Patch: a long, quiet incident continues as a new run.
CONTINUE_AS_NEW = "continue-as-new"
#: Patch: closing records, for each chain still unanswered, that its escalation stopped.
CLOSURE_STOPS_CHAINS = "closure-stops-chains"
#: Patch: a run hands over in the middle of an escalation, and after `update_limit` updates.
HAND_OVER_ANY_TIME = "hand-over-any-time"
#: Patch: at closure the incident's timeline passes to its post-incident process.
POST_INCIDENT = "post-incident"


@workflow.defn
class IncidentWorkflow(EscalationChains, ObligationClocks, CentreAlerts, RecordUpdates):
    @workflow.init
    def __init__(self, start: OpenIncident) -> None:
        carried = start.carryover
        self.file = (
            carried.resumed() if carried else IncidentFile.opened(start.details, start.snapshot)
        )
        self._start_machinery()
        self._start_paging()
        self._start_updates()
        self._reassessments_in_flight = 0
        self._closed_sequence: int | None = None
        self._review_exercise = False

    @workflow.run
    async def run(self, start: OpenIncident) -> IncidentOutcome:
        self._paging = self._changed(PAGING_CHANNELS)
        if start.carryover is not None:
            return await self._continue(start)
        incident = self.file.details
        self._record(
            EventKind.OPENED,
            f"Incident {incident.reference} opened: {incident.title}",
            actor=incident.opened_by or incident.reporter_name,
            reporter=incident.reporter_name if incident.opened_by else None,
            category=int(incident.category),
            incident_type=incident.incident_type.value,
            tlp=incident.tlp.value,
            detected_at=incident.detected_at.isoformat(),
            aware_at=incident.aware_at.isoformat(),
            **({"origin": incident.origin.model_dump(mode="json")} if incident.origin else {}),
        )
        recorder = self._spawn(self._keep_timeline_recorded())
        self._log("incident_started", category=int(incident.category))

        self.file.snapshot = start.snapshot or await self._take_snapshot()
        self.file.stage = Stage.TRIAGED
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

        self.file.stage = Stage.NOTIFYING
        self._alert_centre()
        if self._paging:
            self._broadcast(NotificationKind.ACKNOWLEDGEMENT_REQUEST, key="opened")
        escalations = [self._spawn(self._escalate(chain)) for chain in Chain]
        if self._changed(REPORTING_REGIMES):
            self._take_regime_bodies()
        clocks = [self._spawn(self._track_obligation(o.body)) for o in self.file.obligations]
        return await self._until_closed(start, recorder, escalations, clocks)

    async def _continue(self, start: OpenIncident) -> IncidentOutcome:
        """A later run: every chain and clock carries on where the previous run left it."""
        recorder = self._spawn(self._keep_timeline_recorded())
        self._log("incident_continued", run=self.file.run)
        escalations = [self._spawn(self._escalate(chain, resumed=True)) for chain in Chain]
        clocks = [
            self._spawn(self._track_obligation(o.body, resumed=True)) for o in self.file.obligations
        ]
        return await self._until_closed(start, recorder, escalations, clocks)

    async def _until_closed(
        self,
        start: OpenIncident,
        recorder: asyncio.Task[None],
        escalations: list[asyncio.Task[None]],
        clocks: list[asyncio.Task[None]],
    ) -> IncidentOutcome:
        may_continue = self._changed(CONTINUE_AS_NEW)
        any_time = may_continue and self._changed(HAND_OVER_ANY_TIME)
        await workflow.wait_condition(
            lambda: (
                self.file.closed
                or self._crash is not None
                or (may_continue and self._time_to_hand_over(start, escalations, any_time))
            )
        )
        if self._crash is not None:
            raise self._crash
        if not self.file.closed:
            await self._hand_over(start, recorder, [*escalations, *clocks])
        await asyncio.gather(*escalations, *clocks)
        self._log("incident_closed")
        sealed = self._changed(AUDIT_AT_CLOSURE)
        if sealed:
            # The closure email quotes the closure's hash, so it must be recorded first.
            await workflow.wait_condition(self._timeline_written)
        self._announce_closure(sealed_at_event=self._closed_sequence if sealed else None)
        await self._finish(recorder)
        if self._changed(POST_INCIDENT):
            await self._hand_to_post_incident()
        if sealed:
            await self._archive_history()
        return IncidentOutcome(
            incident_id=self.file.details.incident_id,
            reference=self.file.details.reference,
            stage=self.file.stage,
            closed_at=self.file.closed_at,
        )

    # ---------------------------------------------------------------- hand-over and closure

    def _time_to_hand_over(
        self, start: OpenIncident, escalations: list[asyncio.Task[None]], any_time: bool
    ) -> bool:
        """Continue as a new run well before Temporal's limits on a run's events, size and
        updates, at a quiet moment: no reassessment being applied, no email waiting to be
        delivered and the timeline written. Escalations are handed over mid-wait (before
        `HAND_OVER_ANY_TIME`, a run waited for both chains to settle, so a flood of updates
        during a long escalation could exhaust Temporal's 2,000 and freeze the incident)."""
        quiet = (
            (any_time or all(task.done() for task in escalations))
            and not self._sending()
            and not self._following_up()
            and not self._reassessments_in_flight
            and not self._amendments_in_flight
            and self._timeline_written()
        )
        if not quiet:
            return False
        info = workflow.info()
        return (
            info.get_current_history_length() >= start.history_limit
            or info.is_continue_as_new_suggested()
            or (any_time and self._updates >= start.update_limit)
        )

    async def _hand_over(
        self, start: OpenIncident, recorder: asyncio.Task[None], waits: list[asyncio.Task[None]]
    ) -> None:
        """Stop the chains' and clocks' waits, let every update, email and timeline write
        finish, then continue as a new run with the incident's file, which knows where each
        wait was. Updates arriving meanwhile are asked to try again in a moment; the new run
        takes them."""
        self._handing_over = True
        self.file.handed_over_at = workflow.now()
        for wait in waits:
            wait.cancel()
        await self._finish(recorder)
        self._log("incident_continued_as_new", run=self.file.run, sequence=self.file.sequence)
        workflow.continue_as_new(
            start.model_copy(
                update={"details": self.file.details, "snapshot": None, "carryover": self.file}
            )
        )

    async def _finish(self, recorder: asyncio.Task[None]) -> None:
        """Let every update, email and timeline write of this run complete."""
        await workflow.wait_condition(workflow.all_handlers_finished)
        await asyncio.gather(*self._follow_ups)  # they end once closed, and may send first
        await asyncio.gather(*self._deliveries)
        self._finished = True
        await recorder

    async def _archive_history(self) -> None:
        """Keep the closed incident's history beyond the server's retention period."""
        workflow_id = workflow.info().workflow_id
        await workflow.start_child_workflow(
            "HistoryArchiveWorkflow",
            ArchiveRequest(incident_id=self.file.details.incident_id, workflow_id=workflow_id),
            id=f"{workflow_id}-archive",
            parent_close_policy=ParentClosePolicy.ABANDON,
        )

    async def _hand_to_post_incident(self) -> None:
        """Start the process that holds the timeline from now on and runs the review: it
        outlives this workflow, and waits for it to finish before it writes."""
        workflow_id = workflow.info().workflow_id
        details = self.file.details
        try:
            await workflow.start_child_workflow(
                "PostIncidentWorkflow",
                PostIncidentStart(
                    incident_id=details.incident_id,
                    incident_workflow_id=workflow_id,
                    review_wanted=not details.exercise or self._review_exercise,
                ),
                id=post_incident_workflow_id(workflow_id),
                parent_close_policy=ParentClosePolicy.ABANDON,
            )
        except WorkflowAlreadyStartedError:
            # Evidence sent the moment it closed started it (it waits for this run to finish
            # before it writes); it is told that the incident wants its review.
            if not details.exercise or self._review_exercise:
                await workflow.get_external_workflow_handle(
                    post_incident_workflow_id(workflow_id)
                ).signal("review_wanted")

    def _responsible_members(self) -> list[MemberContact]:
        """The first member named in each chain: the two named under commitment c."""
        found: list[MemberContact] = []
        for chain in Chain:
            member = next((m for _, m in self._directory.chain_levels(chain) if m), None)
            if member is not None and member not in found:
                found.append(member)
        return found

    def _announce_closure(self, *, sealed_at_event: int | None) -> None:
        told = {a.member_id for a in self.file.acknowledgements}
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
        if self._paging:
            self._broadcast(NotificationKind.INCIDENT_CLOSED, key="closed")

    # ---------------------------------------------------------------- signals

    @workflow.signal
    def delivery_reported(self, report: DeliveryReport) -> None:
        """A channel's receipt for one of the incident's messages (GOV.UK Notify's callback,
        passed on by the web app): delivered, or failed, which moves the page on at once."""
        self._take_outcome(report.idempotency_key, report.outcome)

    # ---------------------------------------------------------------- updates

    @workflow.update
    async def acknowledge(self, command: Acknowledge) -> IncidentState:
        known = self._directory.member_by_id(command.member_id)
        assert known is not None and known.role is not None  # checked by the validator
        member = known.model_copy(update={"name": command.member_name or known.name})
        now = workflow.now()
        self.file.acknowledgements.append(
            Acknowledgement(
                member_id=command.member_id,
                name=member.name,
                role=known.role,
                at=now,
                via=command.via.value,
            )
        )
        answered = []
        for chain in self._directory.chains_of(command.member_id):
            state = self.file.chain(chain)
            if state.acknowledged_by is None:
                state.acknowledged_by, state.acknowledged_at = command.member_id, now
                answered.append(chain.value)
        self._record(
            EventKind.ACKNOWLEDGED,
            f"{member.name} ({known.role.value.replace('_', ' ')}) acknowledged",
            actor=command.actor,
            member_id=command.member_id,
            name=member.name,
            role=known.role.value,
            via=command.via.value,
            chains=answered,
        )
        self._log("acknowledged", member_id=command.member_id, chains=answered)
        if all(state.acknowledged_by is not None for state in self.file.chains):
            self.file.stage = self.file.stage.advance(Stage.ACKNOWLEDGED)
        return self._answer()

    @acknowledge.validator
    def _validate_acknowledge(self, command: Acknowledge) -> None:
        self._require_open(essential=True)
        checked(lambda: rules.check_acknowledge(self.file, command))

    @workflow.update
    async def reassess(self, command: Reassess) -> IncidentState:
        # A reassessment deliberately takes a fresh snapshot of the directory and policy, first,
        # so obligations it starts run on the rules in force now. Closing waits for it.
        self._reassessments_in_flight += 1
        try:
            self.file.snapshot = await self._take_snapshot()
        finally:
            self._reassessments_in_flight -= 1
        before = self.file.details
        changes = rules.reassessment_changes(before, command)
        self.file.last_reassessment_reason = command.reason
        if "personal_data_risk" in changes:
            self.file.risk_assessment = (command.reason, command.actor, workflow.now())
        if changes.get("personal_data"):
            self.file.ever_personal_data = True
        self.file.details = before.model_copy(update=changes)
        if rules.risk_raised(before.personal_data_risk, self.file.details.personal_data_risk):
            self._reopen_waived_for_higher_risk(command.reason)
        self._record(
            EventKind.REASSESSED,
            "Reassessed: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in changes.items()),
            actor=command.actor,
            reason=command.reason,
            before={k: _plain(getattr(before, k)) for k in changes},
            after={k: _plain(v) for k, v in changes.items()},
        )
        self._alert_centre()
        return self._answer()

    @reassess.validator
    def _validate_reassess(self, command: Reassess) -> None:
        self._require_open()
        checked(lambda: rules.check_reassess(self.file, command, now=workflow.now()))

    @workflow.update
    async def record_submission(self, command: RecordSubmission) -> IncidentState:
        obligation = self.file.obligation(command.body)
        now = workflow.now()
        submitted_at = command.submitted_at or now
        initial = command.phase is SubmissionPhase.INITIAL
        late = rules.submission_is_late(self.file, command, now=now)
        stage = rules.submitted_stage(obligation, command) if initial else None
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
                stage=stage.key if stage else None,
                copied_to=command.copied_to,
            )
        )
        if stage is not None:
            stage.submitted_at, stage.late = submitted_at, late
            self._settle_stages(obligation)
        elif initial:
            obligation.state = ObligationState.SUBMITTED
        stage_rule = obligation.rule.stage(stage.key) if stage and obligation.rule else None
        self._record(
            EventKind.OBLIGATION_SUBMITTED,
            f"{rules.sentence_start(self._body_name(obligation))} told"
            + (f" ({stage_rule.name.en})" if stage_rule else "")
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
            **({"stage": stage.key} if stage else {}),
            **({"copied_to": [str(b) for b in command.copied_to]} if command.copied_to else {}),
        )
        return self._answer()

    @record_submission.validator
    def _validate_record_submission(self, command: RecordSubmission) -> None:
        self._require_open(essential=True)
        checked(lambda: rules.check_submission(self.file, command, now=workflow.now()))

    @workflow.update
    async def waive_obligation(self, command: WaiveObligation) -> IncidentState:
        obligation = self.file.obligation(command.body)
        obligation.state = ObligationState.WAIVED
        obligation.waived_reason = command.reason.strip()
        obligation.waived_by = command.actor
        obligation.waived_at = workflow.now()
        self._record(
            EventKind.OBLIGATION_WAIVED,
            f"Decided not to tell {self._body_name(obligation)}",
            actor=command.actor,
            body=command.body.value,
            reason=obligation.waived_reason,
        )
        return self._answer()

    @waive_obligation.validator
    def _validate_waive_obligation(self, command: WaiveObligation) -> None:
        self._require_open(essential=True)
        checked(lambda: rules.check_waiver(self.file, command))

    @workflow.update
    async def contain(self, command: MarkContained) -> IncidentState:
        self.file.contained_at = workflow.now()
        self.file.stage = self.file.stage.advance(Stage.CONTAINED)
        self._record(
            EventKind.CONTAINED, "Incident contained", actor=command.actor, note=command.note
        )
        return self._answer()

    @contain.validator
    def _validate_contain(self, command: MarkContained) -> None:
        self._require_open()
        checked(lambda: rules.check_contain(self.file))

    @workflow.update
    async def recover(self, command: MarkRecovered) -> IncidentState:
        self.file.recovered_at = workflow.now()
        self.file.stage = self.file.stage.advance(Stage.RECOVERED)
        self._record(
            EventKind.RECOVERED, "Services recovered", actor=command.actor, note=command.note
        )
        return self._answer()

    @recover.validator
    def _validate_recover(self, command: MarkRecovered) -> None:
        self._require_open()
        checked(lambda: rules.check_recover(self.file))

    @workflow.update
    async def close(self, command: CloseIncident) -> IncidentState:
        self.file.closed_at = workflow.now()
        self.file.closing_summary = command.summary.strip()
        self._review_exercise = command.review_exercise
        self.file.stage = Stage.CLOSED
        for state in self.file.chains:
            state.respond_by = None
        self._record(
            EventKind.CLOSED,
            "Incident closed",
            actor=command.actor,
            summary=self.file.closing_summary,
        )
        if self._changed(CLOSURE_STOPS_CHAINS):
            self._stop_unanswered_chains()
        self._closed_sequence = self.file.sequence
        return self._answer()

    @close.validator
    def _validate_close(self, command: CloseIncident) -> None:
        self._require_open(essential=True)
        if self._reassessments_in_flight:
            checked(rules.refuse_while_reassessing)
        if self._amendments_in_flight:
            checked(rules.refuse_while_amending)
        checked(lambda: rules.check_close(self.file, command))


def _plain(value: object) -> object:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else value
