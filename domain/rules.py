"""The rules an incident's requests must follow, as plain functions of its file.

The workflow's update validators call these and turn a `Refusal` into Temporal's rejection, so
the rules are tested here without a workflow (tests/test_rules.py) and read as the Concordat's
own procedure: who may acknowledge, what a reassessment may change, when the ICO must be told.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
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
from domain.obligations import (
    Body,
    Obligation,
    ObligationState,
    PersonalDataRisk,
    StageProgress,
    SubmissionPhase,
)


class Refusal(Exception):
    """A request the incident cannot take, in a sentence for the person who sent it: written
    "English. / Welsh." (see `in_both`), as the API gives it and a page picks one half."""

    def __init__(self, message: str, kind: Rejection = Rejection.INVALID) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


def in_both(english: str, welsh: str) -> str:
    """A message in both languages, as the API gives it: "English. / Welsh."."""
    return f"{english} / {welsh}"


#: "Try again in a moment", ending a refusal that a moment's wait will lift.
_AGAIN = "try again in a moment."
_AGAIN_CY = "rhowch gynnig arall arni mewn munud."

_MONTHS = (
    "January February March April May June July August September October November December"
).split()
_MONTHS_CY = (
    "Ionawr Chwefror Mawrth Ebrill Mai Mehefin Gorffennaf Awst Medi Hydref Tachwedd Rhagfyr"
).split()


def _last_sunday(year: int, month: int) -> datetime:
    """01:00 UTC on the last Sunday of March or October (both have 31 days)."""
    last = date(year, month, 31)
    day = last - timedelta(days=(last.weekday() + 1) % 7)
    return datetime(day.year, day.month, day.day, 1, tzinfo=UTC)


def uk_words(moment: datetime, *, welsh: bool = False) -> str:
    """A moment in UK time as a person reads it: "30 November 2026, 17:47 GMT",
    "30 Tachwedd 2026, 17:47 GMT". British Summer Time runs from 01:00 UTC on the last Sunday
    of March to 01:00 UTC on the last Sunday of October (the Summer Time Order 2002); worked
    out here by date arithmetic alone, as the workflow's update validators call it."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    summer = _last_sunday(moment.year, 3) <= moment < _last_sunday(moment.year, 10)
    local = moment + timedelta(hours=1) if summer else moment
    month = (_MONTHS_CY if welsh else _MONTHS)[local.month - 1]
    return f"{local.day} {month} {local.year}, {local:%H:%M} {'BST' if summer else 'GMT'}"


def _to(body: Body) -> str:
    """ "i" and the body's Welsh name, joined to its article: "i'r NCSC", "i CymruSOC"."""
    name = body.welsh_label
    for article in ("yr ", "y "):
        if name.startswith(article):
            return f"i'r {name.removeprefix(article)}"
    return f"i {name}"


#: An obligation's state, as a refusal names it in Welsh (the English names its value).
_STATE_CY: dict[ObligationState, str] = {
    ObligationState.NOT_REQUIRED: "dim angen",
    ObligationState.DUE: "yn ddyledus",
    ObligationState.OVERDUE: "yn hwyr",
    ObligationState.SUBMITTED: "wedi'i gyflwyno",
    ObligationState.WAIVED: "wedi'i hepgor",
}


#: Why there is nothing to waive, in Welsh: an obligation that is not open, by its state.
_NOTHING_TO_WAIVE: dict[ObligationState, str] = {
    ObligationState.NOT_REQUIRED: "Nid oes angen rhoi gwybod {to}",
    ObligationState.SUBMITTED: "Rhoddwyd gwybod {to} eisoes",
    ObligationState.WAIVED: "Penderfynwyd eisoes peidio â rhoi gwybod {to}",
}


def closed_message(reference: str) -> str:
    """What a request to a closed incident is told."""
    return in_both(f"Incident {reference} is closed.", f"Mae digwyddiad {reference} ar gau.")


def check_open(file: IncidentFile, *, handing_over: bool = False) -> None:
    """Every request needs an open incident whose run is taking requests."""
    if file.closed:
        raise Refusal(closed_message(file.details.reference), Rejection.CLOSED)
    if handing_over:
        raise Refusal(
            in_both(
                f"The incident is moving to a fresh history; {_AGAIN}",
                f"Mae'r digwyddiad yn symud i hanes newydd; {_AGAIN_CY}",
            ),
            Rejection.HANDING_OVER,
        )
    if file.snapshot is None:
        raise Refusal(
            in_both(
                f"The incident is still being opened; {_AGAIN}",
                f"Mae'r digwyddiad yn dal i gael ei agor; {_AGAIN_CY}",
            ),
            Rejection.NOT_READY,
        )


def check_acknowledge(file: IncidentFile, command: Acknowledge) -> None:
    member = file.directory.member_by_id(command.member_id)
    if member is None:
        raise Refusal(
            in_both(
                f"Member {command.member_id} is not in this incident's directory.",
                f"Nid yw aelod {command.member_id} yng nghyfeiriadur y digwyddiad hwn.",
            )
        )
    if not file.directory.chains_of(command.member_id):
        raise Refusal(
            in_both(
                f"{member.name} is not in an escalation chain and cannot acknowledge.",
                f"Nid yw {member.name} mewn cadwyn uwchgyfeirio, felly ni all gydnabod.",
            )
        )
    if any(a.member_id == command.member_id for a in file.acknowledgements):
        raise Refusal(
            in_both(
                f"{member.name} has already acknowledged.",
                f"Mae {member.name} wedi cydnabod eisoes.",
            ),
            Rejection.CONFLICT,
        )


def check_note(file: IncidentFile, command: AddNote) -> None:
    if not command.text.strip():
        raise Refusal(in_both("A note needs some text.", "Rhaid i nodyn gynnwys testun."))
    if command.corrects is not None and not 1 <= command.corrects <= file.sequence:
        raise Refusal(
            in_both(
                f"There is no event #{command.corrects} to correct: "
                f"the timeline has {file.sequence} events.",
                f"Nid oes digwyddiad #{command.corrects} i'w gywiro: "
                f"mae {file.sequence} digwyddiad ar y llinell amser.",
            )
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
        raise Refusal(
            in_both(
                "The reassessment changes nothing: give a new category or flag.",
                "Nid yw'r ailasesiad yn newid dim: rhowch gategori newydd neu newidiwch un o'r "
                "atebion ie neu na.",
            )
        )
    if command.breach_aware_at is not None:
        if command.breach_aware_at > now:
            raise Refusal(
                in_both(
                    "The time of becoming aware of the breach cannot be in the future.",
                    "Ni all yr amser y daeth y cyngor yn ymwybodol o'r achos o dorri data fod "
                    "yn y dyfodol.",
                )
            )
        if command.breach_aware_at < file.details.aware_at:
            raise Refusal(
                in_both(
                    "The council became aware of the breach no earlier than of the incident: "
                    "leave breach_aware_at out to use the incident's aware-at time.",
                    "Ni all y cyngor fod wedi dod yn ymwybodol o'r achos o dorri data cyn dod "
                    "yn ymwybodol o'r digwyddiad: gadewch breach_aware_at allan i ddefnyddio'r "
                    "amser y daeth yn ymwybodol o'r digwyddiad.",
                )
            )


def risk_raised(before: PersonalDataRisk | None, after: PersonalDataRisk | None) -> bool:
    """Whether a reassessment raised the personal-data risk (no assessment counts as a risk)."""
    order = [PersonalDataRisk.UNLIKELY, PersonalDataRisk.RISK, PersonalDataRisk.HIGH]
    return order.index(after or PersonalDataRisk.RISK) > order.index(
        before or PersonalDataRisk.RISK
    )


def submitted_stage(obligation: Obligation, command: RecordSubmission) -> StageProgress | None:
    """The stage a submission makes: the one named, or the next one waiting (None for a report
    in one stage)."""
    if not obligation.stages:
        return None
    if command.stage is not None:
        return obligation.stage(command.stage)
    return obligation.next_stage


def submission_is_late(file: IncidentFile, command: RecordSubmission, *, now: datetime) -> bool:
    """Only an initial submission can be late: follow-ups add to one already made. A stage is
    late against its own deadline."""
    obligation = file.obligation(command.body)
    stage = submitted_stage(obligation, command)
    deadline = stage.deadline if stage is not None else obligation.deadline
    submitted_at = command.submitted_at or now
    return (
        command.phase is SubmissionPhase.INITIAL
        and deadline is not None
        and submitted_at > deadline
    )


def check_body_known(file: IncidentFile, body: Body) -> None:
    """A body the incident's regime does not list is a mistake in the request, not a state."""
    if all(o.body != body for o in file.obligations):
        known = ", ".join(o.body.value for o in file.obligations)
        raise Refusal(
            in_both(
                f"This incident reports to no body {body.value!r}: its bodies are {known}.",
                f"Nid yw'r digwyddiad hwn yn rhoi gwybod i gorff {body.value!r}: ei gyrff yw "
                f"{known}.",
            )
        )


def check_submission(file: IncidentFile, command: RecordSubmission, *, now: datetime) -> None:
    check_body_known(file, command.body)
    obligation = file.obligation(command.body)
    label, to = command.body.label, _to(command.body)
    if obligation.stages and command.phase is SubmissionPhase.INITIAL and obligation.state.open:
        _check_stage_submission(file, obligation, command, now=now)
        return
    if command.stage is not None and not obligation.stages:
        raise Refusal(
            in_both(
                f"Reporting to {label} is not in stages: leave the stage out.",
                f"Nid yw rhoi gwybod {to} fesul cam: gadewch y cam allan.",
            )
        )
    if command.phase is SubmissionPhase.FOLLOW_UP:
        if obligation.state is not ObligationState.SUBMITTED:
            raise Refusal(
                in_both(
                    f"Record the initial submission to {label} before a follow-up.",
                    f"Cofnodwch y cyflwyniad cychwynnol {to} cyn cyflwyniad dilynol.",
                ),
                Rejection.CONFLICT,
            )
    elif obligation.state is ObligationState.SUBMITTED:
        raise Refusal(
            in_both(
                f"The initial submission to {label} is already recorded; add a follow-up instead.",
                f"Mae'r cyflwyniad cychwynnol {to} wedi'i gofnodi eisoes; "
                "ychwanegwch gyflwyniad dilynol yn lle hynny.",
            ),
            Rejection.CONFLICT,
        )
    elif not obligation.state.open:
        raise Refusal(
            in_both(
                f"Reporting to {label} is not required for this incident "
                f"({obligation.state.value.replace('_', ' ')}).",
                f"Nid oes angen rhoi gwybod {to} am y digwyddiad hwn "
                f"({_STATE_CY[obligation.state]}).",
            ),
            Rejection.CONFLICT,
        )
    rule = obligation.rule
    assert rule is not None, "an obligation that was ever due keeps the rule it started with"
    submitted_at = _check_submitted_at(file, command, now=now)
    if rule.reference_required and command.phase is SubmissionPhase.INITIAL:
        if not (command.reference or "").strip():
            raise Refusal(
                in_both(
                    f"Give the case reference {label} replied with.",
                    f"Rhowch y cyfeirnod achos o ateb {command.body.welsh_label}.",
                )
            )
    deadline = obligation.deadline
    if (
        command.phase is SubmissionPhase.INITIAL
        and deadline is not None
        and submitted_at > deadline
        and rule.late_reason_required
        and not (command.late_reason or "").strip()
    ):
        raise Refusal(
            in_both(
                f"This notification to {label} is late (the deadline was "
                f"{uk_words(deadline)}): give the reasons for the delay "
                "(UK GDPR Article 33(1)).",
                f"Mae'r hysbysiad hwn {to} yn hwyr (y terfyn amser oedd "
                f"{uk_words(deadline, welsh=True)}): rhowch y rhesymau dros yr oedi "
                "(Erthygl 33(1) GDPR y DU).",
            )
        )


def _check_submitted_at(
    file: IncidentFile, command: RecordSubmission, *, now: datetime
) -> datetime:
    submitted_at = command.submitted_at or now
    if submitted_at > now:
        raise Refusal(
            in_both(
                "The submission time cannot be in the future.",
                "Ni all amser y cyflwyniad fod yn y dyfodol.",
            )
        )
    if submitted_at < file.details.detected_at:
        raise Refusal(
            in_both(
                "The submission time cannot be before the incident was detected.",
                "Ni all amser y cyflwyniad fod cyn i'r digwyddiad gael ei ganfod.",
            )
        )
    return submitted_at


def _check_stage_submission(
    file: IncidentFile, obligation: Obligation, command: RecordSubmission, *, now: datetime
) -> None:
    """One stage of a staged report: it must exist and wait, and say what its stage requires
    (a reference, the reasons it is late, the bodies told at the same time)."""
    rule = obligation.rule
    assert rule is not None, "a staged obligation keeps the rule it started with"
    label, to = command.body.label, _to(command.body)
    progress = submitted_stage(obligation, command)
    stage = rule.stage(progress.key) if progress is not None else None
    if progress is None or stage is None:
        stages = ", ".join(s.key for s in obligation.stages)
        raise Refusal(
            in_both(
                f"Reporting to {label} has no stage {command.stage!r}: its stages are {stages}.",
                f"Nid oes cam {command.stage!r} wrth roi gwybod {to}: y camau yw {stages}.",
            )
        )
    if progress.submitted_at is not None:
        raise Refusal(
            in_both(
                f"The {stage.name.en} to {label} is already recorded.",
                f"Mae'r {stage.name.cy} {to} wedi'i gofnodi eisoes.",
            ),
            Rejection.CONFLICT,
        )
    submitted_at = _check_submitted_at(file, command, now=now)
    if stage.reference_required and not (command.reference or "").strip():
        raise Refusal(
            in_both(
                f"Give the case reference {label} replied with to the {stage.name.en}.",
                f"Rhowch y cyfeirnod achos o ateb {command.body.welsh_label} i'r {stage.name.cy}.",
            )
        )
    missing = [body for body in stage.copy_to if body not in command.copied_to]
    if missing:
        names = ", ".join(body.label for body in missing)
        names_cy = ", ".join(body.welsh_label for body in missing)
        raise Refusal(
            in_both(
                f"The {stage.name.en} to {label} must be sent to {names} at the same time: "
                "confirm that it was (copied_to).",
                f"Rhaid anfon y {stage.name.cy} {to} at {names_cy} ar yr un pryd: cadarnhewch "
                "iddo gael ei anfon (copied_to).",
            )
        )
    if (
        submitted_at > progress.deadline
        and (stage.late_reason_required or rule.late_reason_required)
        and not (command.late_reason or "").strip()
    ):
        raise Refusal(
            in_both(
                f"The {stage.name.en} to {label} is late (the deadline was "
                f"{uk_words(progress.deadline)}): give the reasons for the delay.",
                f"Mae'r {stage.name.cy} {to} yn hwyr (y terfyn amser oedd "
                f"{uk_words(progress.deadline, welsh=True)}): rhowch y rhesymau dros yr oedi.",
            )
        )


def check_waiver(file: IncidentFile, command: WaiveObligation) -> None:
    check_body_known(file, command.body)
    obligation = file.obligation(command.body)
    if not obligation.state.open:
        raise Refusal(
            in_both(
                f"Reporting to {command.body.label} is "
                f"{obligation.state.value.replace('_', ' ')}; there is nothing to waive.",
                f"{_NOTHING_TO_WAIVE[obligation.state].format(to=_to(command.body))}; "
                "nid oes dim i'w hepgor.",
            ),
            Rejection.CONFLICT,
        )
    if len(command.reason.strip()) < 10:
        raise Refusal(
            in_both(
                "A decision not to report needs its reason recorded (at least 10 characters).",
                "Rhaid cofnodi'r rheswm dros benderfynu peidio â rhoi gwybod (o leiaf 10 nod).",
            )
        )


def check_breach_amendment(command: AmendBreachRecord) -> None:
    if not command.changes:
        raise Refusal(
            in_both(
                "The change to the breach register gives no field to change.",
                "Nid yw'r newid i'r gofrestr torri data yn nodi unrhyw faes i'w newid.",
            )
        )


def check_contain(file: IncidentFile) -> None:
    if file.contained_at is not None:
        raise Refusal(
            in_both(
                "The incident is already marked contained.",
                "Mae'r digwyddiad wedi'i nodi fel un wedi'i gyfyngu eisoes.",
            ),
            Rejection.CONFLICT,
        )


def check_recover(file: IncidentFile) -> None:
    if file.contained_at is None:
        raise Refusal(
            in_both(
                "Mark the incident contained before marking it recovered.",
                "Nodwch fod y digwyddiad wedi'i gyfyngu cyn nodi ei fod wedi'i adfer.",
            ),
            Rejection.CONFLICT,
        )
    if file.recovered_at is not None:
        raise Refusal(
            in_both(
                "The incident is already marked recovered.",
                "Mae'r digwyddiad wedi'i nodi fel un wedi'i adfer eisoes.",
            ),
            Rejection.CONFLICT,
        )


def refuse_while_reassessing() -> None:
    """Closing waits for a reassessment being applied: it may start a reporting clock."""
    raise Refusal(
        in_both(
            f"A reassessment is being applied; {_AGAIN}",
            f"Mae ailasesiad yn cael ei gymhwyso; {_AGAIN_CY}",
        ),
        Rejection.NOT_READY,
    )


def refuse_while_amending() -> None:
    """Closing seals the record: a breach register change still being saved comes first."""
    raise Refusal(
        in_both(
            f"A change to the breach register is being saved; {_AGAIN}",
            f"Mae newid i'r gofrestr torri data yn cael ei gadw; {_AGAIN_CY}",
        ),
        Rejection.NOT_READY,
    )


def refuse_past_ceiling() -> None:
    raise Refusal(
        in_both(
            "The incident cannot take more notes or changes until its messages are delivered; "
            "acknowledgements, reporting and closing still go through.",
            "Ni all y digwyddiad dderbyn rhagor o nodiadau na newidiadau nes i'w negeseuon "
            "gael eu danfon; mae modd cydnabod, rhoi gwybod i gyrff a chau'r digwyddiad o hyd.",
        ),
        Rejection.NOT_READY,
    )


def check_close(file: IncidentFile, command: CloseIncident) -> None:
    if len(command.summary.strip()) < 10:
        raise Refusal(
            in_both(
                "A closing summary is required: say what happened and what was done "
                "(at least 10 characters).",
                "Mae angen crynodeb cau: dywedwch beth ddigwyddodd a beth a wnaed "
                "(o leiaf 10 nod).",
            )
        )
    still_open = [o.body for o in file.obligations if o.state.open]
    if still_open:
        raise Refusal(
            in_both(
                "Before closing, record the submission to (or a decision not to tell) "
                + ", ".join(body.label for body in still_open)
                + ".",
                "Cyn cau, cofnodwch gyflwyniad i'r canlynol, neu benderfyniad i beidio â dweud "
                "wrthynt: " + ", ".join(body.welsh_label for body in still_open) + ".",
            ),
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
        rule = file.snapshot.obligation_rules.get(Body.ICO)
        if rule is None or not rule.enabled or not details.assessment.triggers(rule.trigger):
            return IcoDecision(
                decision="not_notified",
                reason="The authority's reporting policy does not require it",
                decided_by="policy",
            )
    return IcoDecision(decision="pending")
