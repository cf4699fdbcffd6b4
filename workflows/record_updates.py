"""What every update to an incident passes through, and the updates that only add to its record.

An update is let in only while the incident is open and not handing over, and past
`UPDATE_CEILING` only if the incident must still be able to take it (`_require_open`); every
accepted update answers with the incident's state and is counted (`_answer`), which is how a run
knows when to hand over before Temporal's limit of 2,000.

The updates here move nothing in the council's procedure (that is `IncidentWorkflow`): notes and
corrections, campaign links, amendments to the breach register, evidence and its hand-overs, and
public statements. Each is recorded on the hash-chained timeline by whoever sent it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows import after_alarm
from workflows.process import DATABASE_ACTIVITY, IncidentProcess

with workflow.unsafe.imports_passed_through():
    from domain import rules
    from domain.activity_contracts import AMEND_BREACH_RECORD, BreachAmended, BreachAmendment
    from domain.campaigns import CampaignLink, linked_summary, unlinked_summary
    from domain.commands import AddNote, AmendBreachRecord
    from domain.evidence import AttachEvidence, RecordCustody
    from domain.state import IncidentState
    from domain.statements import PublishStatement, WithdrawStatement, publishable
    from domain.vocabulary import EventKind

#: Temporal takes at most 2,000 updates in a run; past this many, only essential ones.
UPDATE_CEILING = 1_500


def checked(rule: Callable[[], None]) -> None:
    """Apply a rule from `domain.rules`; a refusal rejects the update, leaving no history."""
    try:
        rule()
    except rules.Refusal as refusal:
        raise ApplicationError(
            refusal.message, type=refusal.kind.value, non_retryable=True
        ) from None


class RecordUpdates(IncidentProcess):
    """The gate every update passes, and the updates that add to the record alone."""

    def _start_updates(self) -> None:
        """State of this run only: what the gate and the hand-over need to know."""
        self._amending = asyncio.Lock()
        """One breach register change at a time, so the timeline's order is the entry's."""
        self._amendments_in_flight = 0
        self._handing_over = False
        self._updates = 0
        """Updates this run has accepted: Temporal takes at most 2,000 in one run."""

    # ---------------------------------------------------------------- the gate

    def _require_open(self, *, essential: bool = False) -> None:
        """Every update needs an open incident. Past `UPDATE_CEILING` (a run that cannot hand
        over, because an email is stuck in an SMTP outage), only what the incident must still
        be able to take is let in: acknowledgements, reporting and closing."""
        checked(lambda: rules.check_open(self.file, handing_over=self._handing_over))
        if not essential and self._updates >= UPDATE_CEILING:
            checked(rules.refuse_past_ceiling)

    def _answer(self) -> IncidentState:
        """Every accepted update answers with the incident's state, and is counted."""
        self._updates += 1
        return self.state()

    # ---------------------------------------------------------------- the record

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
        return self._answer()

    @add_note.validator
    def _validate_add_note(self, command: AddNote) -> None:
        self._require_open()
        checked(lambda: rules.check_note(self.file, command))

    @workflow.update
    async def campaign_linked(self, command: CampaignLink) -> IncidentState:
        # Sent again after an answer was lost (the web app cannot tell whether it arrived), it
        # records nothing new: the timeline says it once.
        if not self.file.campaigns.get(command.campaign_id):
            self.file.campaigns[command.campaign_id] = True
            self._record(
                EventKind.CAMPAIGN_LINKED,
                linked_summary(command),
                actor=command.actor,
                campaign_id=command.campaign_id,
                name=command.name,
            )
        return self._answer()

    @campaign_linked.validator
    def _validate_campaign_linked(self, command: CampaignLink) -> None:
        self._require_open()

    @workflow.update
    async def campaign_unlinked(self, command: CampaignLink) -> IncidentState:
        if self.file.campaigns.get(command.campaign_id, True):
            self.file.campaigns[command.campaign_id] = False
            self._record(
                EventKind.CAMPAIGN_UNLINKED,
                unlinked_summary(command),
                actor=command.actor,
                campaign_id=command.campaign_id,
                name=command.name,
            )
        return self._answer()

    @campaign_unlinked.validator
    def _validate_campaign_unlinked(self, command: CampaignLink) -> None:
        self._require_open()

    @workflow.update
    async def amend_breach_record(self, command: AmendBreachRecord) -> IncidentState:
        details = self.file.details
        self._amendments_in_flight += 1  # closing waits for it: nothing changes after the seal
        try:
            async with self._amending:
                amended: BreachAmended = await workflow.execute_activity(
                    AMEND_BREACH_RECORD,
                    BreachAmendment(
                        incident_id=details.incident_id,
                        authority_id=details.authority_id,
                        changes=command.changes,
                    ),
                    result_type=BreachAmended,
                    **DATABASE_ACTIVITY,
                )
        finally:
            self._amendments_in_flight -= 1
        after = command.changes
        self._record(
            EventKind.BREACH_RECORD_AMENDED,
            "Breach register entry amended: " + ", ".join(f.replace("_", " ") for f in after),
            actor=command.actor,
            fields=sorted(after),
            before=amended.before,
            after=after,
        )
        return self._answer()

    @amend_breach_record.validator
    def _validate_amend_breach_record(self, command: AmendBreachRecord) -> None:
        self._require_open()
        checked(lambda: rules.check_breach_amendment(command))

    @workflow.update
    async def attach_evidence(self, command: AttachEvidence) -> IncidentState:
        after_alarm.record_evidence(self.file, self._record, command)
        return self._answer()

    @attach_evidence.validator
    def _validate_attach_evidence(self, command: AttachEvidence) -> None:
        self._require_open()

    @workflow.update
    async def record_custody(self, command: RecordCustody) -> IncidentState:
        after_alarm.record_custody(self._record, command)
        return self._answer()

    @record_custody.validator
    def _validate_record_custody(self, command: RecordCustody) -> None:
        self._require_open()
        after_alarm.check_custody(self.file, command.file_ids)

    @workflow.update
    async def publish_statement(self, command: PublishStatement) -> IncidentState:
        after_alarm.record_statement(self.file, self._record, command)
        return self._answer()

    @publish_statement.validator
    def _validate_publish_statement(self, command: PublishStatement) -> None:
        self._require_open(essential=True)
        reason = publishable(
            command.content, incident_tlp=self.file.details.tlp, statement_tlp=command.tlp
        )
        if reason:
            after_alarm.refuse_unpublishable(reason)

    @workflow.update
    async def withdraw_statement(self, command: WithdrawStatement) -> IncidentState:
        self.file.withdrawn_statements.append(command.statement_id)
        after_alarm.record_withdrawal(self._record, command)
        return self._answer()

    @withdraw_statement.validator
    def _validate_withdraw_statement(self, command: WithdrawStatement) -> None:
        self._require_open(essential=True)
        after_alarm.check_statement(
            self.file,
            command.statement_id,
            withdrawing=True,
            withdrawn=self.file.withdrawn_statements,
        )

    # ---------------------------------------------------------------- query

    @workflow.query
    def state(self) -> IncidentState:
        file, details = self.file, self.file.details
        return IncidentState(
            incident_id=details.incident_id,
            reference=details.reference,
            authority_code=details.authority_code,
            stage=file.stage,
            category=details.category,
            significant=details.significant,
            personal_data=details.personal_data,
            personal_data_risk=details.personal_data_risk,
            exercise=details.exercise,
            email_compromised=details.email_compromised,
            chains=[state.model_copy() for state in file.chains],
            acknowledgements=list(file.acknowledgements),
            obligations=[o.model_copy(deep=True) for o in file.obligations],
            contained_at=file.contained_at,
            recovered_at=file.recovered_at,
            closed_at=file.closed_at,
            closing_summary=file.closing_summary,
        )
