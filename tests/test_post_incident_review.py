"""The post-incident review as people use it: its due date across bank holidays, actions whose
clocks remind and escalate, sign-off that waits for every action, follow-ups after closure in
the ICO evidence, and who may do what."""

from __future__ import annotations

import html
import uuid
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.access import AccessRole
from domain.commands import AcknowledgementChannel
from domain.post_incident import (
    AddAction,
    Owner,
    PostIncidentStart,
    post_incident_workflow_id,
)
from domain.vocabulary import EventKind, Language, MemberRole, Stage
from domain.working_days import UK, WorkingCalendar, calendar, end_of_day
from models import Incident
from runtime.database import Database
from runtime.settings import Settings
from services.timeline import timeline_of
from services.tokens import issue_token
from tests.support import (
    CouncilUnderTest,
    MailServer,
    eventually,
    make_authority,
    make_user,
    open_test_incident,
    settle_and_close,
    sign_in,
    start_incident,
    wait_for_events,
)
from web.commands import BY_NAME, Asking
from web.i18n import environment
from web.pages.timeline_words import event_sentence
from web.schemas import CloseRequest
from worker import build_worker
from workflows import PostIncidentWorkflow

SENIOR = MemberRole.SENIOR_MANAGEMENT_MEMBER


# ---------------------------------------------------------------- working days


def test_working_days_skip_christmas_new_year_and_easter() -> None:
    wales = calendar()
    # Closed on the Friday before Christmas 2026: Christmas Day, the substitute Boxing Day
    # (Monday 28th) and New Year's Day are skipped, so 20 working days end three days later
    # than on weekdays alone.
    closed = datetime(2026, 12, 18, 15, 30, tzinfo=UTC)
    due_on, due_at = wales.due(closed, 20)
    assert due_on == date(2027, 1, 20)
    assert WorkingCalendar(frozenset()).due(closed, 20)[0] == date(2027, 1, 15)
    assert due_at == datetime(2027, 1, 21, tzinfo=UK) - timedelta(microseconds=1)
    # Easter 2027: Good Friday (26 March) and Easter Monday (29 March) are not working days.
    assert wales.add(date(2027, 3, 25), 1) == date(2027, 3, 30)
    assert wales.add(date(2027, 3, 25), 20) == date(2027, 4, 26)
    # A day ends at midnight UK time, in summer time too.
    assert end_of_day(date(2027, 4, 26)).astimezone(UTC) == datetime(
        2027, 4, 26, 22, 59, 59, 999999, tzinfo=UTC
    )
    # Reminded at 09:00 UK time five working days before, across the New Year.
    assert wales.reminder(date(2027, 1, 6), 5) == datetime(2026, 12, 29, 9, 0, tzinfo=UK)


def test_the_review_and_its_actions_are_told_in_welsh_on_the_status_page() -> None:
    class Event:
        def __init__(self, kind: EventKind, detail: dict[str, Any]) -> None:
            self.kind, self.summary, self.detail = kind, "as recorded", detail

    owner = {"member_role": "senior_management_member", "user_id": None, "name": "Siân Jones"}
    started = Event(EventKind.REVIEW_STARTED, {"owner": owner, "due_on": "2027-01-20"})
    assert event_sentence(started, Language.WELSH) == (
        "Dechreuwyd yr adolygiad ar ôl digwyddiad: perchennog Siân Jones (aelod o'r uwch "
        "reolwyr), yn ddyledus erbyn Dydd Mercher 20 Ionawr 2027"
    )
    done = Event(EventKind.ACTION_DONE, {"number": 2, "note": "Patched.", "in_time": False})
    assert event_sentence(done, Language.ENGLISH) == (
        "Action 2 done, after its due date. Note: Patched."
    )
    follow_up = Event(
        EventKind.OBLIGATION_SUBMITTED,
        {
            "body": "ico",
            "phase": "follow_up",
            "submitted_at": "2027-01-04T10:00:00+00:00",
            "after_closure": True,
        },
    )
    assert (event_sentence(follow_up, Language.WELSH) or "").endswith("; ar ôl cau")


def test_closing_an_exercise_can_ask_for_its_review() -> None:
    form = environment(Language.ENGLISH).from_string(
        '{% from "incident_action_forms.html.j2" import action_form with context %}'
        '{{ action_form("close", {}, {}) }}'
    )
    for exercise in (True, False):
        shown = form.render(
            incident=SimpleNamespace(id="i-1", exercise=exercise), now=None, csrf_token="t"
        )
        assert ('name="review_exercise"' in shown) is exercise
    close = BY_NAME["close"]
    asking = Asking("officer", AcknowledgementChannel.API)
    asked = close.command(CloseRequest(summary="Exercise over.", review_exercise=True), asking)
    assert asked.model_dump()["review_exercise"] is True
    assert (
        close.command(CloseRequest(summary="Exercise over."), asking).model_dump()[
            "review_exercise"
        ]
        is False
    )


# ---------------------------------------------------------------- through the API and pages


async def _token(database: Database, user_id: int | None) -> dict[str, str]:
    async with database.session() as session:
        _, token = await issue_token("tests", authority_id=None, user_id=user_id, session=session)
    return {"Authorization": f"Bearer {token}"}


async def _row(database: Database, incident_id: str) -> Incident:
    async with database.session() as session:
        found = await session.get(Incident, incident_id)
        assert found is not None
        return found


async def test_a_review_from_closure_to_sign_off_with_a_follow_up_to_the_ico(
    dev_server: WorkflowEnvironment,
    database: Database,
    dev_settings: Settings,
    http: httpx.AsyncClient,
) -> None:
    council = await make_authority(database)
    officer, officer_password = await make_user(database, council)
    senior, senior_password = await make_user(
        database, council, AccessRole.RESPONSIBLE_MEMBER, member_role=SENIOR, name="Siân Senior"
    )
    stranger, _ = await make_user(database, await make_authority(database))
    as_officer = await _token(database, officer.id)
    as_senior = await _token(database, senior.id)
    as_stranger = await _token(database, stranger.id)

    handle = await start_incident(
        dev_server.client, database, council, dev_settings.task_queue, personal_data=True
    )
    incident_id = handle.id.removeprefix("incident-")
    await wait_for_events(database, handle, EventKind.TRIAGED)
    await settle_and_close(handle, "Contained; the payroll file was recalled.")
    await handle.result()
    (started,) = await wait_for_events(database, handle, EventKind.REVIEW_STARTED)

    # Due 20 working days after closure, Welsh bank holidays skipped.
    closed_at = (await _row(database, incident_id)).closed_at
    assert closed_at is not None
    assert started.detail["due_on"] == calendar().due(closed_at, 20)[0].isoformat()

    review = f"/api/incidents/{incident_id}/review"
    shown = await http.get(review, headers=as_officer)
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["status"] == "open" and body["owner"]["member_role"] == SENIOR.value
    assert body["due_on"] == started.detail["due_on"]
    assert [m["what"] for m in body["key_moments"]][-1] == "closed"

    # Another authority's officer does not learn the incident exists; an officer may not sign.
    for method, path in (("GET", review), ("POST", f"{review}/actions")):
        hidden = await http.request(method, path, headers=as_stranger, json={})
        assert hidden.status_code == 404, hidden.text
    refused = await http.post(f"{review}/sign-off", headers=as_officer, json={})
    assert refused.status_code == 403

    found = await http.put(review, headers=as_officer, json={"root_cause": "A phished password."})
    assert found.status_code == 200 and found.json()["root_cause"] == "A phished password."
    due = (datetime.now(UK) + timedelta(days=14)).date()
    added = await http.post(
        f"{review}/actions",
        headers=as_officer,
        json={"title": "Phishing-resistant sign-in for payroll", "due_on": due.isoformat()},
    )
    assert added.status_code == 200, added.text
    (action,) = added.json()["actions"]
    assert action["state"] == "open" and action["owner"]["member_role"] == SENIOR.value

    # The page's forms: every problem at once, in the reader's language; the findings with the
    # commitments ticked.
    await sign_in(http, officer.email, officer_password)
    page = await http.get(f"/incidents/{incident_id}/review")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    wrong = await http.post(
        f"/incidents/{incident_id}/review/actions",
        data={"csrf_token": csrf, "title": "", "due_on": "31/01/2027"},
    )
    assert wrong.status_code == 422
    said = html.unescape(wrong.text)
    assert "Rhowch beth sydd i'w wneud" in said
    assert "Rhaid i'r dyddiad dyledus fod yn ddyddiad go iawn" in said
    saved = await http.post(
        f"/incidents/{incident_id}/review/findings",
        data={"csrf_token": csrf, "root_cause": "A phished password.", "commitment_g": "yes"},
    )
    assert saved.status_code == 303
    http.cookies.clear()
    assert (await http.get(review, headers=as_officer)).json()["commitments"] == ["g"]

    while_open = await http.post(f"{review}/sign-off", headers=as_senior, json={})
    assert while_open.status_code == 409
    assert "Actions 1 are still open" in while_open.json()["detail"]
    assert "yn dal ar agor" in while_open.json()["detail"]

    completed = await http.post(
        f"{review}/actions/1/done", headers=as_officer, json={"note": "Security keys issued."}
    )
    assert completed.status_code == 200, completed.text
    assert completed.json()["actions"][0]["done_in_time"] is True
    signed = await http.post(f"{review}/sign-off", headers=as_senior, json={"note": "Agreed."})
    assert signed.status_code == 200, signed.text
    assert signed.json()["status"] == "signed_off"
    assert signed.json()["signed_off_by"] == "Siân Senior"

    # Art 33(4): the rest of the facts to the ICO, after closure, in the ICO evidence.
    followed = await http.post(
        f"/api/incidents/{incident_id}/follow-ups",
        headers=as_officer,
        json={"body": "ico", "summary": "1,204 records, not 300.", "reference": "ICO-77"},
    )
    assert followed.status_code == 201, followed.text

    async def in_the_evidence() -> list[dict[str, Any]]:
        entry = await http.get(f"/api/incidents/{incident_id}/breach", headers=as_officer)
        assert entry.status_code == 200, entry.text
        return [s for s in entry.json()["ico_submissions"] if s["after_closure"]]

    (late,) = await eventually(in_the_evidence, timeout=20)
    assert late["phase"] == "follow_up" and late["reference"] == "ICO-77"
    assert late["summary"] == "1,204 records, not 300."

    # The senior management member's page: the review signed off, the follow-up on the
    # status page's breach section, the report and the lessons list.
    await sign_in(http, senior.email, senior_password)
    await http.get("/language/en")
    page = await http.get(f"/incidents/{incident_id}/review")
    assert page.status_code == 200
    assert "Phishing-resistant sign-in" in page.text and "Security keys issued." in page.text
    assert "Signed off" in page.text and "Siân Senior" in page.text
    assert 'action="/incidents/' not in page.text.split("Follow-ups after closure")[0]
    status_page = await http.get(f"/incidents/{incident_id}")
    assert "What the ICO was told" in status_page.text and "ICO-77" in status_page.text
    report = await http.get(f"/incidents/{incident_id}/review/report/print")
    assert report.status_code == 200 and "A phished password." in report.text
    lessons = await http.get(f"/lessons/{council.code}")
    assert lessons.status_code == 200 and "A phished password." in lessons.text
    http.cookies.clear()
    figures = await http.get(f"/api/authorities/{council.code}/lessons", headers=as_officer)
    assert figures.json()["figures"] == {
        "open": 0,
        "overdue": 0,
        "done": 1,
        "done_in_time": 1,
        "risk_accepted": 0,
        "total": 1,
    }


async def test_before_closure_a_follow_up_is_pointed_to_the_obligation(
    database: Database, http: httpx.AsyncClient
) -> None:
    council = await make_authority(database)
    officer, _ = await make_user(database, council)
    incident = await open_test_incident(database, council, personal_data=True)
    answer = await http.post(
        f"/api/incidents/{incident.id}/follow-ups",
        headers=await _token(database, officer.id),
        json={"body": "ico", "summary": "More facts."},
    )
    assert answer.status_code == 409
    detail = answer.json()["detail"]
    assert f"/api/incidents/{incident.id}/obligations/ico/submissions" in detail
    assert "yn dal ar agor" in detail
    review = await http.post(
        f"/api/incidents/{incident.id}/review/start", headers=await _token(database, officer.id)
    )
    assert review.status_code == 409 and "once the incident is closed" in review.json()["detail"]


async def test_a_review_is_started_by_hand_for_an_incident_closed_without_one(
    database: Database, http: httpx.AsyncClient, dev_settings: Settings
) -> None:
    """An exercise, or an incident closed before reviews began: the start button on the page,
    and the review due 20 working days from today."""
    council = await make_authority(database)
    officer, password = await make_user(database, council)
    incident = await _closed_row(database, council)
    await sign_in(http, officer.email, password)
    await http.get("/language/en")
    page = await http.get(f"/incidents/{incident.id}/review")
    assert "No review has started for this incident" in page.text
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    due = calendar().due(datetime.now(UTC), dev_settings.post_incident_review_days)[0]
    started = await http.post(f"/incidents/{incident.id}/review/start", data={"csrf_token": csrf})
    assert started.status_code == 303, started.text
    page = await http.get(f"/incidents/{incident.id}/review")
    assert "The post-incident review has started." in page.text
    assert "Save the findings" in page.text
    http.cookies.clear()
    review = await http.get(
        f"/api/incidents/{incident.id}/review", headers=await _token(database, officer.id)
    )
    assert review.json()["status"] == "open"
    assert review.json()["due_on"] == due.isoformat()


# ---------------------------------------------------------------- the clocks


async def _closed_row(database: Database, council: CouncilUnderTest) -> Incident:
    """A closed incident as the post-incident process finds it (no workflow of its own)."""
    row = await open_test_incident(database, council, title="Payroll phishing")
    async with database.session() as session:
        found = await session.get(Incident, row.id)
        assert found is not None
        found.closed_at, found.stage = datetime.now(UTC), Stage.CLOSED
        session.add(found)
        await session.commit()
        await session.refresh(found)
    return found


def _to(address: str, subject: str) -> Any:
    return lambda mail: mail.to == address and subject in mail.subject


async def _kinds(database: Database, incident_id: str) -> list[EventKind]:
    async with database.session() as session:
        return [e.kind for e in await timeline_of(incident_id, session=session)]


@pytest.mark.backend("sqlite", reason="the process's clocks are the subject, not the database")
async def test_an_overdue_action_reminds_its_owner_then_escalates_and_the_chief_executive_is_told(
    time_skipping: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    mail_server: MailServer,
) -> None:
    council = await make_authority(database)
    owner, _ = await make_user(database, council, name="Owain Owner")
    assert owner.id is not None
    incident = await _closed_row(database, council)
    queue = f"post-incident-{uuid.uuid4()}"
    senior, chief = council.email(SENIOR), council.email(MemberRole.CHIEF_EXECUTIVE)
    async with build_worker(time_skipping.client, database, settings, task_queue=queue):
        handle: WorkflowHandle = await time_skipping.client.start_workflow(
            PostIncidentWorkflow.run,
            PostIncidentStart(
                incident_id=incident.id,
                incident_workflow_id=incident.workflow_id,
                review_wanted=True,
            ),
            id=post_incident_workflow_id(incident.workflow_id),
            task_queue=queue,
        )
        now = datetime.now(UTC)
        await handle.execute_update(
            PostIncidentWorkflow.add_action,
            AddAction(
                title="Train payroll staff on phishing",
                owner=Owner(user_id=owner.id, name=owner.name),
                due_on=now.astimezone(UK).date(),
                due_at=now + timedelta(hours=1),
                actor="officer",
            ),
        )

        await time_skipping.sleep(timedelta(hours=2))
        reference = incident.reference
        await mail_server.inbox.wait_for(
            _to(owner.email, f"Overdue: action 1 from the review of {reference}")
        )
        assert not mail_server.inbox.messages(_to(senior, "Still open: action 1"))
        await time_skipping.sleep(timedelta(days=settings.review_action_escalation_days))
        (escalated,) = await mail_server.inbox.wait_for(_to(senior, "Still open: action 1"))
        assert reference in escalated.subject

        # The review itself, 20 working days after closure: overdue, the chief executive told.
        await time_skipping.sleep(timedelta(days=30))
        await mail_server.inbox.wait_for(
            _to(chief, f"Overdue: post-incident review of {reference}")
        )

        async def recorded() -> list[EventKind] | None:
            kinds = await _kinds(database, incident.id)
            return kinds if EventKind.REVIEW_OVERDUE in kinds else None

        kinds = await eventually(recorded, timeout=20)
    assert kinds.index(EventKind.ACTION_REMINDED) < kinds.index(EventKind.ACTION_ESCALATED)
    assert kinds.index(EventKind.REVIEW_REMINDED) < kinds.index(EventKind.REVIEW_OVERDUE)
