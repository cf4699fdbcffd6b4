"""The incident's rules as plain functions: no workflow, no server, just the Concordat's logic."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain import rules
from domain.commands import (
    Acknowledge,
    AddNote,
    CloseIncident,
    Reassess,
    RecordSubmission,
    Rejection,
    WaiveObligation,
)
from domain.directory import AuthoritySnapshot
from domain.incident import IncidentFile
from domain.obligations import Body, ObligationState, PersonalDataRisk
from domain.policy import EscalationPolicy
from domain.vocabulary import Language, NcscCategory
from notifications.labels import label
from regimes.shipped import NATIONAL_RULES
from tests.support import incident_details
from web.i18n import in_language

DETECTED = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
NOW = DETECTED + timedelta(days=1)


def _file(**details: object) -> IncidentFile:
    incident = incident_details(
        DETECTED,
        reference="CDF-2026-0001",
        category=NcscCategory.MODERATE,
        reporter_name="Duty officer",
        **details,
    )
    file = IncidentFile.opened(incident)
    file.snapshot = AuthoritySnapshot(
        authority_id=1,
        code="CDF",
        name_en="Cardiff",
        name_cy="Caerdydd",
        members=[],
        policy=EscalationPolicy(),
        taken_at=DETECTED,
    )
    return file


def _due(file: IncidentFile, body: Body, deadline: datetime) -> None:
    obligation = file.obligation(body)
    obligation.state, obligation.rule, obligation.deadline = (
        ObligationState.DUE,
        NATIONAL_RULES[body],
        deadline,
    )


def _refusal(rule: Callable[..., None], *args: object, **kwargs: object) -> rules.Refusal:
    with pytest.raises(rules.Refusal) as refused:
        rule(*args, **kwargs)
    return refused.value


def test_proper_names_keep_their_capitals_at_the_start_of_a_sentence() -> None:
    assert rules.sentence_start(Body.NCSC.label) == "The NCSC"
    assert rules.sentence_start(Body.CYMRUSOC.label) == "CymruSOC"
    assert rules.sentence_start(Body.WELSH_GOVERNMENT.label).startswith("The Welsh Government")


def test_a_closed_incident_refuses_everything_and_says_which() -> None:
    file = _file()
    file.closed_at = NOW
    refusal = _refusal(rules.check_open, file)
    assert refusal.kind is Rejection.CLOSED
    assert "CDF-2026-0001" in refusal.message


def test_an_incident_handing_over_asks_to_try_again() -> None:
    assert _refusal(rules.check_open, _file(), handing_over=True).kind is Rejection.HANDING_OVER


def test_closing_is_refused_while_any_body_is_still_waiting_to_be_told() -> None:
    file = _file()
    _due(file, Body.WELSH_GOVERNMENT, NOW)
    _due(file, Body.POLICE, NOW)
    refusal = _refusal(rules.check_close, file, CloseIncident(summary="x" * 20, actor="o"))
    assert refusal.kind is Rejection.CONFLICT
    assert "Welsh Government Cyber Resilience Unit" in refusal.message
    assert "police" in refusal.message
    file.obligation(Body.WELSH_GOVERNMENT).state = ObligationState.WAIVED
    file.obligation(Body.POLICE).state = ObligationState.SUBMITTED
    rules.check_close(file, CloseIncident(summary="x" * 20, actor="o"))


def test_a_short_closing_summary_is_refused() -> None:
    assert _refusal(rules.check_close, _file(), CloseIncident(summary="done", actor="o"))


def test_a_correction_must_name_an_event_that_exists() -> None:
    file = _file()
    file.sequence = 3
    rules.check_note(file, AddNote(text="wrong time", actor="o", corrects=3))
    assert (
        "has 3 events"
        in _refusal(
            rules.check_note, file, AddNote(text="wrong time", actor="o", corrects=4)
        ).message
    )


def test_a_reassessment_changes_only_what_differs() -> None:
    file = _file()
    command = Reassess(
        category=NcscCategory.MODERATE, significant=True, reason="Wider impact", actor="o"
    )
    assert rules.reassessment_changes(file.details, command) == {"significant": True}
    same = Reassess(category=NcscCategory.MODERATE, reason="No change", actor="o")
    assert _refusal(rules.check_reassess, file, same, now=NOW)


def test_breach_awareness_cannot_come_before_the_incident_or_after_now() -> None:
    file = _file()
    early = Reassess(
        personal_data=True, breach_aware_at=DETECTED - timedelta(hours=1), reason="r", actor="o"
    )
    assert "no earlier" in _refusal(rules.check_reassess, file, early, now=NOW).message
    later = Reassess(
        personal_data=True, breach_aware_at=NOW + timedelta(hours=1), reason="r", actor="o"
    )
    assert "future" in _refusal(rules.check_reassess, file, later, now=NOW).message


def test_raising_the_risk_is_told_apart_from_lowering_it() -> None:
    assert rules.risk_raised(PersonalDataRisk.UNLIKELY, PersonalDataRisk.HIGH)
    assert rules.risk_raised(None, PersonalDataRisk.HIGH)
    assert not rules.risk_raised(PersonalDataRisk.HIGH, PersonalDataRisk.RISK)
    assert not rules.risk_raised(None, PersonalDataRisk.RISK)


def test_a_late_ico_notification_needs_its_reasons() -> None:
    file = _file(personal_data=True)
    _due(file, Body.ICO, DETECTED + timedelta(hours=72))
    late = RecordSubmission(
        body=Body.ICO, reference="ICO-1", actor="dpo", submitted_at=NOW + timedelta(days=3)
    )
    refusal = _refusal(rules.check_submission, file, late, now=NOW + timedelta(days=4))
    assert "Article 33(1)" in refusal.message
    explained = late.model_copy(update={"late_reason": "The DPO was on leave"})
    rules.check_submission(file, explained, now=NOW + timedelta(days=4))
    assert rules.submission_is_late(file, explained, now=NOW + timedelta(days=4))


def test_a_submission_cannot_predate_detection_or_be_in_the_future() -> None:
    file = _file()
    _due(file, Body.NCSC, NOW + timedelta(days=1))
    before = RecordSubmission(
        body=Body.NCSC, reference="N-1", actor="o", submitted_at=DETECTED - timedelta(minutes=1)
    )
    assert "before the incident" in _refusal(rules.check_submission, file, before, now=NOW).message
    future = RecordSubmission(
        body=Body.NCSC, reference="N-1", actor="o", submitted_at=NOW + timedelta(minutes=1)
    )
    assert "future" in _refusal(rules.check_submission, file, future, now=NOW).message


def test_a_waiver_needs_an_open_obligation_and_a_reason() -> None:
    file = _file()
    waiver = WaiveObligation(body=Body.POLICE, reason="Told by telephone", actor="o")
    assert _refusal(rules.check_waiver, file, waiver).kind is Rejection.CONFLICT
    _due(file, Body.POLICE, NOW)
    rules.check_waiver(file, waiver)
    short = waiver.model_copy(update={"reason": "phoned"})
    assert "10 characters" in _refusal(rules.check_waiver, file, short).message


def test_recovery_comes_after_containment() -> None:
    file = _file()
    assert _refusal(rules.check_recover, file).kind is Rejection.CONFLICT
    file.contained_at = NOW
    rules.check_recover(file)
    assert "already" in _refusal(rules.check_contain, file).message


def test_the_ico_decision_follows_the_breach_record() -> None:
    assert rules.ico_decision(_file()) is None
    file = _file(personal_data=True, personal_data_risk=PersonalDataRisk.UNLIKELY)
    decision = rules.ico_decision(file)
    assert decision is not None and decision.decision == "not_notified"
    assert decision.decided_by == "Duty officer"
    file = _file(personal_data=True)
    _due(file, Body.ICO, NOW)
    pending = rules.ico_decision(file)
    assert pending is not None and pending.decision == "pending"
    file.obligation(Body.ICO).state = ObligationState.WAIVED
    file.obligation(Body.ICO).waived_reason = "No risk to people"
    decision = rules.ico_decision(file)
    assert decision is not None and decision.reason == "No risk to people"
    file.details = file.details.model_copy(update={"personal_data": False})
    file.last_reassessment_reason = "Only test data"
    decision = rules.ico_decision(file)
    assert decision is not None and decision.decision == "no_personal_data"
    assert decision.reason is not None and "Only test data" in decision.reason


def _representative_refusals() -> list[rules.Refusal]:
    closed = _file()
    closed.closed_at = NOW
    file = _file(personal_data=True)
    _due(file, Body.ICO, DETECTED + timedelta(hours=72))
    _due(file, Body.POLICE, NOW)
    late = RecordSubmission(
        body=Body.ICO, reference="ICO-1", actor="dpo", submitted_at=NOW + timedelta(days=3)
    )
    contained = _file()
    contained.contained_at = NOW
    return [
        _refusal(rules.check_open, closed),
        _refusal(rules.check_open, _file(), handing_over=True),
        _refusal(rules.check_acknowledge, file, Acknowledge(member_id=99, actor="o")),
        _refusal(rules.check_note, file, AddNote(text="wrong", actor="o", corrects=4)),
        _refusal(
            rules.check_reassess,
            file,
            Reassess(category=NcscCategory.MODERATE, reason="No change", actor="o"),
            now=NOW,
        ),
        _refusal(rules.check_submission, file, late, now=NOW + timedelta(days=4)),
        _refusal(
            rules.check_submission,
            file,
            RecordSubmission(body=Body.NCSC, reference="N-1", actor="o"),
            now=NOW,
        ),
        _refusal(
            rules.check_submission,
            file,
            RecordSubmission(body=Body.ICO, actor="o", submitted_at=NOW),
            now=NOW,
        ),
        _refusal(
            rules.check_waiver, file, WaiveObligation(body=Body.NCSC, reason="x" * 20, actor="o")
        ),
        _refusal(rules.check_contain, contained),
        _refusal(rules.check_recover, _file()),
        _refusal(rules.refuse_past_ceiling),
        _refusal(rules.check_close, file, CloseIncident(summary="x" * 20, actor="o")),
    ]


def test_every_refusal_is_written_in_english_and_in_welsh() -> None:
    for refusal in _representative_refusals():
        halves = refusal.message.split(" / ")
        assert len(halves) == 2 and all(half.strip() for half in halves), refusal.message
        english, welsh = halves
        assert in_language(refusal.message, Language.ENGLISH) == english
        assert in_language(refusal.message, Language.WELSH) == welsh
        assert english != welsh


def test_a_refusal_names_bodies_and_moments_in_the_readers_language() -> None:
    refusals = _representative_refusals()
    late = next(r for r in refusals if "Article 33(1)" in r.message)
    assert "24 November 2026, 09:00 GMT" in in_language(late.message, Language.ENGLISH)
    welsh = in_language(late.message, Language.WELSH)
    assert "24 Tachwedd 2026, 09:00 GMT" in welsh and "Erthygl 33(1)" in welsh
    assert label(Body.ICO, Language.WELSH) in welsh
    closing = in_language(refusals[-1].message, Language.WELSH)
    assert label(Body.POLICE, Language.WELSH) in closing
    assert label(Body.ICO, Language.WELSH) in closing
    waiver = in_language(refusals[8].message, Language.WELSH)
    assert "i'r NCSC" in waiver and "yr NCSC" not in waiver


def test_refusals_give_uk_time_as_the_councils_clock_does() -> None:
    uk = ZoneInfo("Europe/London")
    for year in (2026, 2027, 2031):
        for month, day in ((3, 24), (10, 24)):
            start = datetime(year, month, day, tzinfo=UTC)
            for hours in range(0, 24 * 8, 1):
                moment = start + timedelta(hours=hours, minutes=7)
                local = moment.astimezone(uk)
                assert rules.uk_words(moment) == (
                    f"{local.day} {local:%B %Y, %H:%M} {local.tzname()}"
                ), moment
    assert rules.uk_words(datetime(2026, 7, 4, 13, 30, tzinfo=UTC), welsh=True) == (
        "4 Gorffennaf 2026, 14:30 BST"
    )
