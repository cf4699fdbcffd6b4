"""The rules an incident's requests must follow, as plain functions of its file.

The workflow's update validators call these and turn a `Refusal` into Temporal's rejection, so
the rules are tested here without a workflow (tests/test_rules.py) and read as the Concordat's
own procedure: who may acknowledge, what a reassessment may change, when the ICO must be told.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.activity_contracts import IcoDecision
from domain.commands import (
    Acknowledge,
    AddNote,
    AmendBreachRecord,
    CloseIncident,
    Reassess,
    RecordSubmission,
    Rejection,
    WaiveObligation,
)
from domain.incident import IncidentDetails, IncidentFile
from domain.obligations import Body, ObligationState, PersonalDataRisk, SubmissionPhase


class Refusal(Exception):
    """A request the incident cannot take, in a sentence for the person who sent it."""

    def __init__(self, message: str, kind: Rejection = Rejection.INVALID) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


def check_open(file: IncidentFile, *, handing_over: bool = False) -> None:
    """Every request needs an open incident whose run is taking requests."""
    if file.closed:
        raise Refusal(f"Incident {file.details.reference} is closed.", Rejection.CLOSED)
    if handing_over:
        raise Refusal(
            "The incident is moving to a fresh history; try again in a moment.",
            Rejection.HANDING_OVER,
        )
    if file.snapshot is None:
        raise Refusal(
            "The incident is still being opened; try again in a moment.", Rejection.NOT_READY
        )


def check_acknowledge(file: IncidentFile, command: Acknowledge) -> None:
    member = file.directory.member_by_id(command.member_id)
    if member is None:
        raise Refusal(f"Member {command.member_id} is not in this incident's directory.")
    if not file.directory.chains_of(command.member_id):
        raise Refusal(f"{member.name} is not in an escalation chain and cannot acknowledge.")
    if any(a.member_id == command.member_id for a in file.acknowledgements):
        raise Refusal(f"{member.name} has already acknowledged.", Rejection.CONFLICT)


def check_note(file: IncidentFile, command: AddNote) -> None:
    if not command.text.strip():
        raise Refusal("A note needs some text.")
    if command.corrects is not None and not 1 <= command.corrects <= file.sequence:
        raise Refusal(
            f"There is no event #{command.corrects} to correct: "
            f"the timeline has {file.sequence} events."
        )


def reassessment_changes(details: IncidentDetails, command: Reassess) -> dict[str, Any]:
    """The fields a reassessment changes: those given that differ from the current ones."""
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
        if value is not None and value != getattr(details, field)
    }


def check_reassess(file: IncidentFile, command: Reassess, *, now: datetime) -> None:
    if not reassessment_changes(file.details, command):
        raise Refusal("The reassessment changes nothing: give a new category or flag.")
    if command.breach_aware_at is not None:
        if command.breach_aware_at > now:
            raise Refusal("The time of becoming aware of the breach cannot be in the future.")
        if command.breach_aware_at < file.details.aware_at:
            raise Refusal(
                "The council became aware of the breach no earlier than of the incident: "
                "leave breach_aware_at out to use the incident's aware-at time."
            )


def risk_raised(before: PersonalDataRisk | None, after: PersonalDataRisk | None) -> bool:
    """Whether a reassessment raised the personal-data risk (no assessment counts as a risk)."""
    order = [PersonalDataRisk.UNLIKELY, PersonalDataRisk.RISK, PersonalDataRisk.HIGH]
    return order.index(after or PersonalDataRisk.RISK) > order.index(
        before or PersonalDataRisk.RISK
    )


def submission_is_late(file: IncidentFile, command: RecordSubmission, *, now: datetime) -> bool:
    """Only an initial submission can be late: follow-ups add to one already made."""
    deadline = file.obligation(command.body).deadline
    submitted_at = command.submitted_at or now
    return (
        command.phase is SubmissionPhase.INITIAL
        and deadline is not None
        and submitted_at > deadline
    )


def check_submission(file: IncidentFile, command: RecordSubmission, *, now: datetime) -> None:
    obligation = file.obligation(command.body)
    label = command.body.label
    if command.phase is SubmissionPhase.FOLLOW_UP:
        if obligation.state is not ObligationState.SUBMITTED:
            raise Refusal(
                f"Record the initial submission to {label} before a follow-up.",
                Rejection.CONFLICT,
            )
    elif obligation.state is ObligationState.SUBMITTED:
        raise Refusal(
            f"The initial submission to {label} is already recorded; add a follow-up instead.",
            Rejection.CONFLICT,
        )
    elif not obligation.state.open:
        raise Refusal(
            f"Reporting to {label} is not required for this incident "
            f"({obligation.state.value.replace('_', ' ')}).",
            Rejection.CONFLICT,
        )
    rule = obligation.rule
    assert rule is not None, "an obligation that was ever due keeps the rule it started with"
    submitted_at = command.submitted_at or now
    if submitted_at > now:
        raise Refusal("The submission time cannot be in the future.")
    if submitted_at < file.details.detected_at:
        raise Refusal("The submission time cannot be before the incident was detected.")
    if rule.reference_required and command.phase is SubmissionPhase.INITIAL:
        if not (command.reference or "").strip():
            raise Refusal(f"Give the case reference {label} replied with.")
    late = obligation.deadline is not None and submitted_at > obligation.deadline
    if (
        command.phase is SubmissionPhase.INITIAL
        and late
        and rule.late_reason_required
        and not (command.late_reason or "").strip()
    ):
        raise Refusal(
            f"This notification to {label} is late (the deadline was "
            f"{obligation.deadline:%Y-%m-%d %H:%M} UTC): give the reasons for the delay "
            "(UK GDPR Article 33(1))."
        )


def check_waiver(file: IncidentFile, command: WaiveObligation) -> None:
    obligation = file.obligation(command.body)
    if not obligation.state.open:
        raise Refusal(
            f"Reporting to {command.body.label} is {obligation.state.value.replace('_', ' ')};"
            " there is nothing to waive.",
            Rejection.CONFLICT,
        )
    if len(command.reason.strip()) < 10:
        raise Refusal(
            "A decision not to report needs its reason recorded (at least 10 characters)."
        )


def check_breach_amendment(command: AmendBreachRecord) -> None:
    if not command.changes:
        raise Refusal("The change to the breach register gives no field to change.")


def check_contain(file: IncidentFile) -> None:
    if file.contained_at is not None:
        raise Refusal("The incident is already marked contained.", Rejection.CONFLICT)


def check_recover(file: IncidentFile) -> None:
    if file.contained_at is None:
        raise Refusal(
            "Mark the incident contained before marking it recovered.", Rejection.CONFLICT
        )
    if file.recovered_at is not None:
        raise Refusal("The incident is already marked recovered.", Rejection.CONFLICT)


def refuse_while_reassessing() -> None:
    """Closing waits for a reassessment being applied: it may start a reporting clock."""
    raise Refusal("A reassessment is being applied; try again in a moment.", Rejection.NOT_READY)


def refuse_while_amending() -> None:
    """Closing seals the record: a breach register change still being saved comes first."""
    raise Refusal(
        "A change to the breach register is being saved; try again in a moment.",
        Rejection.NOT_READY,
    )


def refuse_past_ceiling() -> None:
    raise Refusal(
        "The incident cannot take more notes or changes until its messages are delivered; "
        "acknowledgements, reporting and closing still go through.",
        Rejection.NOT_READY,
    )


def check_close(file: IncidentFile, command: CloseIncident) -> None:
    if len(command.summary.strip()) < 10:
        raise Refusal(
            "A closing summary is required: say what happened and what was done "
            "(at least 10 characters)."
        )
    still_open = [o for o in file.obligations if o.state.open]
    if still_open:
        raise Refusal(
            "Before closing, record the submission to (or a decision not to tell) "
            + ", ".join(o.body.label for o in still_open)
            + ".",
            Rejection.CONFLICT,
        )


def sentence_start(text: str) -> str:
    """Upper-case the first letter only: "the NCSC" becomes "The NCSC", never "The ncsc"."""
    return text[:1].upper() + text[1:]


def ico_decision(file: IncidentFile) -> IcoDecision | None:
    """The breach register's record of the ICO decision (UK GDPR Art 33(5)): notified, not
    notified and why, or pending; None for an incident that never involved personal data."""
    details = file.details
    if not details.personal_data:
        if not file.ever_personal_data:
            return None
        reason = file.last_reassessment_reason
        return IcoDecision(
            decision="no_personal_data",
            reason="Reassessed: no personal data involved" + (f": {reason}" if reason else ""),
        )
    ico = file.obligation(Body.ICO)
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
    if details.personal_data_risk is PersonalDataRisk.UNLIKELY:
        reason, actor, at = file.risk_assessment or (None, None, None)
        return IcoDecision(
            decision="not_notified",
            reason="Assessed unlikely to result in a risk to people"
            + (f": {reason}" if reason else ""),
            decided_by=actor or details.reporter_name,
            decided_at=at or details.aware_at,
        )
    if ico.state is ObligationState.NOT_REQUIRED and ico.rule is None and file.snapshot:
        rule = file.snapshot.obligation_rules[Body.ICO]
        if not rule.enabled or not details.assessment.triggers(rule.trigger):
            return IcoDecision(
                decision="not_notified",
                reason="The authority's reporting policy does not require it",
                decided_by="policy",
            )
    return IcoDecision(decision="pending")
