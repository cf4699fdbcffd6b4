"""The status page's timeline in the reader's language: each event said again from its detail,
in UK time and with bodies, roles and chains named in Welsh or English; an event whose detail
cannot say it falls back to the recorded English summary."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from temporalio.testing import WorkflowEnvironment

from domain.vocabulary import EventKind, Language
from runtime.database import Database
from runtime.settings import Settings
from tests.support import make_authority, make_user, sign_in, start_incident, wait_for_events
from web.pages.timeline_words import _SENTENCES, event_sentence

WELSH, ENGLISH = Language.WELSH, Language.ENGLISH


@dataclass
class _Event:
    kind: EventKind
    summary: str
    detail: dict[str, Any] = field(default_factory=dict)
    occurred_at: datetime = datetime(2026, 11, 27, 17, 47, tzinfo=UTC)


def _say(event: _Event, language: Language) -> str:
    sentence = event_sentence(event, language)
    assert sentence is not None
    assert "UTC" not in sentence
    return sentence


def test_a_deadline_is_uk_time_in_words_and_the_body_is_named_in_the_language() -> None:
    due = _Event(
        EventKind.OBLIGATION_DUE,
        "Report to the NCSC required by 2026-11-30 17:47 UTC",
        {
            "body": "ncsc",
            "clock_started_at": "2026-11-29T17:47:00+00:00",
            "deadline": "2026-11-30T17:47:00+00:00",
            "owner": "senior_management_member",
        },
    )
    assert _say(due, WELSH) == (
        "Rhaid rhoi gwybod i'r NCSC erbyn Dydd Llun 30 Tachwedd 2026, 17:47 GMT "
        "(yn gyfrifol: aelod o'r uwch reolwyr)"
    )
    assert _say(due, ENGLISH) == (
        "Report to the NCSC required by Monday 30 November 2026, 17:47 GMT "
        "(responsible: senior management member)"
    )


def test_summer_times_are_british_summer_time() -> None:
    submitted = _Event(
        EventKind.OBLIGATION_SUBMITTED,
        "The ico told: reference ICO-0001 (late)",
        {
            "body": "ico",
            "phase": "initial",
            "reference": "ICO-0001",
            "submitted_at": "2026-07-04T13:30:00+00:00",
            "late": True,
        },
    )
    welsh = _say(submitted, WELSH)
    assert "Swyddfa'r Comisiynydd Gwybodaeth (ICO)" in welsh
    assert "Dydd Sadwrn 4 Gorffennaf 2026, 14:30 BST" in welsh
    assert "cyfeirnod ICO-0001; yn hwyr" in welsh
    assert _say(submitted, ENGLISH) == (
        "Initial report submitted to the ICO on Saturday 4 July 2026, 14:30 BST; "
        "reference ICO-0001; late"
    )


def test_a_reminder_takes_its_deadline_from_the_summary_it_was_recorded_with() -> None:
    reminder = _Event(
        EventKind.OBLIGATION_REMINDER,
        "Reminder 2: report to Report Fraud due 2026-11-24 06:13 UTC",
        {"body": "report_fraud", "reminder_number": 2},
    )
    assert _say(reminder, WELSH) == (
        "Nodyn atgoffa 2: rhaid rhoi gwybod i Report Fraud erbyn Dydd Mawrth 24 Tachwedd 2026, "
        "06:13 GMT"
    )


def test_the_escalation_chain_in_both_languages() -> None:
    requested = _Event(
        EventKind.ACKNOWLEDGEMENT_REQUESTED,
        "Acknowledgement requested from Executive Member 4",
        {
            "chain": "executive",
            "level": 1,
            "member_id": 4,
            "name": "Executive Member 4",
            "role": "executive_member",
            "respond_by": "2026-11-21T08:29:12+00:00",
        },
    )
    assert _say(requested, WELSH) == (
        "Gofynnwyd i Executive Member 4 (aelod gweithredol) gydnabod erbyn "
        "Dydd Sadwrn 21 Tachwedd 2026, 08:29 GMT"
    )
    escalated = _Event(
        EventKind.ESCALATED,
        "Escalated to Deputy Executive Member 3: Executive Member 3 did not acknowledge",
        {"chain": "executive", "level": 2, "member_id": 15, "role": "deputy_executive_member"},
    )
    assert _say(escalated, WELSH) == (
        "Uwchgyfeiriwyd at Deputy Executive Member 3 (dirprwy aelod gweithredol) am na chydnabu "
        "Executive Member 3"
    )
    acknowledged = _Event(
        EventKind.ACKNOWLEDGED,
        "Executive Member 1 (executive member) acknowledged",
        {"name": "Executive Member 1", "role": "executive_member", "via": "api", "chains": []},
    )
    assert _say(acknowledged, WELSH) == "Cydnabu Executive Member 1 (aelod gweithredol) drwy'r API"
    assert _say(acknowledged, ENGLISH) == (
        "Executive Member 1 (executive member) acknowledged through the API"
    )
    nobody = _Event(
        EventKind.UNACKNOWLEDGED,
        "Nobody in the senior management chain acknowledged; all are alerted",
        {"chain": "senior_management", "notified_member_ids": [14, 16, 17]},
    )
    assert _say(nobody, WELSH).startswith("Cadwyn yr uwch reolwyr: ni chydnabu neb")


def test_a_message_sent_to_a_body_names_the_body_in_the_language() -> None:
    sent = _Event(
        EventKind.NOTIFICATION_SENT,
        "Sent body notification to the NCSC after 3 attempts",
        {"notification": "body_notification", "role": "reporter", "attempts": 3},
    )
    assert _say(sent, WELSH) == "Anfonwyd hysbysiad i gorff at yr NCSC ar ôl 3 ymgais"
    assert _say(sent, ENGLISH) == "Sent body notification to the NCSC after 3 attempts"


def test_every_kind_of_event_has_words_but_those_shown_as_written() -> None:
    """Notes and corrections are people's own words, shown as they wrote them."""
    assert set(EventKind) - set(_SENTENCES) == {EventKind.NOTE_ADDED, EventKind.CORRECTION}


def _message(**detail: Any) -> dict[str, Any]:
    """A message event's detail as the workflow records it, to Ann Jones by text."""
    return {
        "notification": "acknowledgement_request",
        "member_id": 7,
        "role": "executive_member",
        "channel": "sms",
    } | detail


def test_a_message_on_each_channel_in_both_languages() -> None:
    by_text = _Event(
        EventKind.NOTIFICATION_SENT, "Sent acknowledgement request to Ann Jones by text", _message()
    )
    assert _say(by_text, ENGLISH) == "Sent acknowledgement request to Ann Jones by text"
    assert _say(by_text, WELSH) == (
        "Anfonwyd cais am gydnabyddiaeth at Ann Jones drwy neges destun"
    )
    retried = _Event(
        EventKind.NOTIFICATION_SENT,
        "Sent escalation to Ann Jones by Notify email after 2 attempts",
        _message(notification="escalation", channel="notify_email", attempts=2),
    )
    assert _say(retried, ENGLISH) == "Sent escalation to Ann Jones by Notify email after 2 attempts"
    assert _say(retried, WELSH) == (
        "Anfonwyd uwchgyfeiriad at Ann Jones drwy e-bost Notify ar ôl 2 ymgais"
    )
    by_email = _Event(
        EventKind.NOTIFICATION_SENT,
        "Sent acknowledgement request to Ann Jones",
        _message(channel=None),
    )
    assert _say(by_email, WELSH) == "Anfonwyd cais am gydnabyddiaeth at Ann Jones"
    teams = {"member_id": None, "role": "teams", "channel": "teams"}
    card = _Event(
        EventKind.NOTIFICATION_SENT,
        "Sent acknowledgement request to the Teams channel by Teams",
        _message(**teams),
    )
    assert _say(card, ENGLISH) == "Sent acknowledgement request to the Teams channel"
    assert _say(card, WELSH) == "Anfonwyd cais am gydnabyddiaeth i sianel Teams"
    retried_card = _Event(
        EventKind.NOTIFICATION_SENT,
        "Sent escalation to the Teams channel by Teams after 3 attempts",
        _message(notification="escalation", attempts=3, **teams),
    )
    assert _say(retried_card, ENGLISH) == ("Sent escalation to the Teams channel after 3 attempts")
    assert _say(retried_card, WELSH) == "Anfonwyd uwchgyfeiriad i sianel Teams ar ôl 3 ymgais"


def test_a_message_that_failed_on_a_channel_in_both_languages() -> None:
    failed = _Event(
        EventKind.NOTIFICATION_FAILED,
        "Could not deliver escalation to Ann Jones by text: 400 ValidationError: phone_number",
        _message(notification="escalation"),
    )
    assert _say(failed, ENGLISH) == "Could not deliver escalation to Ann Jones by text"
    assert _say(failed, WELSH) == "Ni fu modd danfon uwchgyfeiriad at Ann Jones drwy neges destun"
    card = _Event(
        EventKind.NOTIFICATION_FAILED,
        "Could not deliver escalation to the Teams channel by Teams: 502 Bad Gateway",
        _message(notification="escalation", member_id=None, role="teams", channel="teams"),
    )
    assert _say(card, ENGLISH) == "Could not deliver escalation to the Teams channel"
    assert _say(card, WELSH) == "Ni fu modd danfon uwchgyfeiriad i sianel Teams"


def test_delivery_receipts_in_both_languages() -> None:
    delivered = _Event(
        EventKind.NOTIFICATION_DELIVERED,
        "Delivered acknowledgement request to Ann Jones by text",
        _message(),
    )
    assert _say(delivered, ENGLISH) == "Delivered acknowledgement request to Ann Jones by text"
    assert _say(delivered, WELSH) == (
        "Danfonwyd cais am gydnabyddiaeth at Ann Jones drwy neges destun"
    )
    by_notify = _Event(
        EventKind.NOTIFICATION_DELIVERED,
        "Delivered escalation to Ann Jones by Notify email",
        _message(notification="escalation", channel="notify_email"),
    )
    assert _say(by_notify, WELSH) == "Danfonwyd uwchgyfeiriad at Ann Jones drwy e-bost Notify"

    failure = _Event(
        EventKind.NOTIFICATION_UNDELIVERED,
        "Not delivered: acknowledgement request to Ann Jones by text (permanent failure)",
        _message(outcome="permanent-failure"),
    )
    assert _say(failure, ENGLISH) == (
        "Not delivered: acknowledgement request to Ann Jones by text (permanent failure)"
    )
    assert _say(failure, WELSH) == (
        "Heb gyrraedd: cais am gydnabyddiaeth at Ann Jones drwy neges destun (methiant parhaol)"
    )
    for outcome, english, welsh in (
        ("temporary-failure", "temporary failure", "methiant dros dro"),
        ("technical-failure", "technical failure", "methiant technegol"),
    ):
        other = _Event(
            EventKind.NOTIFICATION_UNDELIVERED,
            f"Not delivered: acknowledgement request to Ann Jones by text ({english})",
            _message(outcome=outcome),
        )
        assert _say(other, ENGLISH).endswith(f"({english})")
        assert _say(other, WELSH).endswith(f"({welsh})")

    for why, english, welsh in (
        ("no delivery within 5 minutes", "5 minutes", "5 munud"),
        ("no delivery within 1 minute", "1 minute", "1 munud"),
        ("no delivery within 90 seconds", "1 minute 30 seconds", "1 munud 30 eiliad"),
    ):
        timed_out = _Event(
            EventKind.NOTIFICATION_UNDELIVERED,
            f"Not delivered: acknowledgement request to Ann Jones ({why})",
            _message(channel=None, outcome="timed-out"),
        )
        assert _say(timed_out, ENGLISH) == (
            f"Not delivered: acknowledgement request to Ann Jones (no delivery within {english})"
        )
        assert _say(timed_out, WELSH) == (
            f"Heb gyrraedd: cais am gydnabyddiaeth at Ann Jones (dim danfoniad o fewn {welsh})"
        )


def test_a_member_unreachable_on_every_channel_in_both_languages() -> None:
    unreachable = _Event(
        EventKind.MEMBER_UNREACHABLE,
        "Ann Jones could not be reached on any channel",
        {"member_id": 7, "role": "executive_member", "channels": ["email", "sms", "notify_email"]},
    )
    assert _say(unreachable, ENGLISH) == (
        "Ann Jones (executive member) could not be reached on any channel: tried email "
        "(council mail), text message, email through GOV.UK Notify"
    )
    assert _say(unreachable, WELSH) == (
        "Methwyd cyrraedd Ann Jones (aelod gweithredol) ar unrhyw sianel: rhoddwyd cynnig ar "
        "e-bost (post y cyngor), neges destun, e-bost drwy GOV.UK Notify"
    )


def test_a_message_summary_in_another_form_falls_back_to_the_recorded_one() -> None:
    """The channel in the detail must be the one the summary names."""
    wrong_channel = _Event(
        EventKind.NOTIFICATION_SENT, "Sent acknowledgement request to Ann Jones", _message()
    )
    assert event_sentence(wrong_channel, WELSH) is None
    no_outcome = _Event(
        EventKind.NOTIFICATION_UNDELIVERED,
        "Not delivered: acknowledgement request to Ann Jones by text (permanent failure)",
        _message(),
    )
    assert event_sentence(no_outcome, WELSH) is None
    not_a_person = _Event(
        EventKind.NOTIFICATION_SENT,
        "Sent acknowledgement request to Ann Jones by Teams",
        _message(channel="teams"),
    )
    assert event_sentence(not_a_person, ENGLISH) is None


def test_opening_and_assessment_in_welsh() -> None:
    opened = _Event(
        EventKind.OPENED,
        "Incident T1-2026-0001 opened: Ransomware on the revenues file server",
        {
            "category": 4,
            "incident_type": "ransomware",
            "tlp": "TLP:AMBER",
            "detected_at": "2026-11-21T07:09:11+00:00",
            "aware_at": "2026-11-21T07:19:11+00:00",
        },
    )
    welsh = _say(opened, WELSH)
    assert welsh.startswith("Agorwyd y digwyddiad: meddalwedd wystlo, categori 4")
    assert "Dydd Sadwrn 21 Tachwedd 2026, 07:19 GMT" in welsh
    reassessed = _Event(
        EventKind.REASSESSED,
        "Reassessed: category 3",
        {"reason": "Wider impact found", "before": {"category": 5}, "after": {"category": 3}},
    )
    assert _say(reassessed, WELSH) == (
        "Ailaseswyd: newidiwyd y categori o 5 i 3. Rheswm: Wider impact found"
    )
    assert _say(_Event(EventKind.CLOSED, "Incident closed"), WELSH) == "Caewyd y digwyddiad"


def test_without_the_detail_it_needs_the_recorded_summary_stands() -> None:
    older = _Event(EventKind.OBLIGATION_DUE, "Report to the NCSC required by 2026-11-30 17:47 UTC")
    assert event_sentence(older, WELSH) is None
    unknown_body = _Event(
        EventKind.OBLIGATION_OVERDUE,
        "Deadline missed",
        {"body": "somewhere", "deadline": "2026-11-30T17:47:00+00:00"},
    )
    assert event_sentence(unknown_body, ENGLISH) is None
    reworded = _Event(
        EventKind.REMINDER_SENT, "A reminder went out", {"chain": "executive", "level": 1}
    )
    assert event_sentence(reworded, WELSH) is None
    # A note is shown in its own words, as written.
    assert event_sentence(_Event(EventKind.NOTE_ADDED, "Note added", {"text": "Hi"}), WELSH) is None


async def test_the_welsh_status_page_timeline_has_no_english_summary_or_utc(
    dev_server: WorkflowEnvironment,
    database: Database,
    dev_settings: Settings,
    http: httpx.AsyncClient,
) -> None:
    council = await make_authority(database)
    handle = await start_incident(dev_server.client, database, council, dev_settings.task_queue)
    (due,) = await wait_for_events(database, handle, EventKind.OBLIGATION_DUE)
    http.cookies.clear()
    officer, password = await make_user(database, council)
    await sign_in(http, officer.email, password)

    page = await http.get(f"/incidents/{handle.id.removeprefix('incident-')}")
    assert page.status_code == 200
    timeline = page.text.split('id="status-timeline"')[1]
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", timeline)).split())
    assert "UTC" not in text
    assert 'lang="en"' not in timeline
    assert due.summary not in text
    assert _say(_Event(due.kind, due.summary, due.detail), WELSH) in text
    assert "Rhaid rhoi gwybod i Report Fraud erbyn Dydd" in text
