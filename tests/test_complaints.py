"""Data-protection complaints (Data (Use and Access) Act 2025): a complaint's clock reminds the
data protection officer, then tells the named members when 30 days pass unacknowledged; an
acknowledgement stops that, and the outcome ends the clock. Through the API and the pages: a
complaint is recorded, acknowledged once, given its outcome once, listed in the breach
register, and never linked to another authority's breach."""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import select
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from domain.complaints import (
    COMPLAINT_INVALID,
    COMPLAINT_REFUSED,
    AcknowledgeComplaint,
    ComplaintChannel,
    ComplaintOutcome,
    ComplaintProgress,
    ComplaintStage,
    RecordOutcome,
    acknowledgement_refusal,
    complaint_workflow_id,
    outcome_refusal,
    stage_of,
    whole_days,
)
from domain.national_messages import NationalMessageKind
from domain.vocabulary import Language, MemberRole
from models import BreachRecord, Complaint
from notifications.national import NationalMessageRenderer
from runtime.database import Database
from runtime.settings import Settings
from services import complaints
from services.complaint_clock import clock_for, reconcile_unstarted_complaints
from services.complaints import ComplaintDetails
from services.tokens import issue_token
from tests.support import (
    CouncilUnderTest,
    MailServer,
    eventually,
    make_authority,
    make_user,
    open_test_incident,
    sign_in,
)
from worker import build_worker
from workflows import ComplaintWorkflow

DPO = MemberRole.DATA_PROTECTION_OFFICER
SENIOR = MemberRole.SENIOR_MANAGEMENT_MEMBER
EXECUTIVE = MemberRole.EXECUTIVE_MEMBER
DAY = timedelta(days=1)


def test_every_complaint_message_reads_in_welsh_and_in_english() -> None:
    renderer = NationalMessageRenderer()
    facts: dict[str, str | int | None] = {
        "reference": "CMP-CDF-2026-0001",
        "received_on": "2026-07-01",
        "acknowledge_by": "2026-07-31",
        "acknowledged_on": "2026-07-20",
        "days_left": 16,
        "days_overdue": 0,
        "days_open": 33,
        "complaint_url": "https://concordat.example/complaints/1",
    }
    kinds = [
        NationalMessageKind.COMPLAINT_REMINDER,
        NationalMessageKind.COMPLAINT_OVERDUE,
        NationalMessageKind.COMPLAINT_OUTCOME_DUE,
    ]
    for kind in kinds:
        english, welsh = (
            renderer.render(
                kind,
                language=language,
                recipient_name="Siân",
                authority_name_en="Cardiff Council",
                authority_name_cy="Cyngor Caerdydd",
                facts=facts,
            )
            for language in (Language.ENGLISH, Language.WELSH)
        )
        assert "CMP-CDF-2026-0001" in english.subject and "CMP-CDF-2026-0001" in welsh.subject
        assert english.subject != welsh.subject and english.text != welsh.text
        assert "https://concordat.example/complaints/1" in welsh.text
    reminder = renderer.render(
        NationalMessageKind.COMPLAINT_REMINDER,
        language=Language.WELSH,
        recipient_name="Siân",
        authority_name_en="Cardiff Council",
        authority_name_cy="Cyngor Caerdydd",
        facts=facts,
    )
    assert "31 Gorffennaf 2026" in reminder.subject and "16 diwrnod" in reminder.text


def test_what_a_complaint_s_clock_refuses() -> None:
    arrived = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    waiting = ComplaintProgress(complaint_id="c")
    by_letter = AcknowledgeComplaint(actor="DPO", how=ComplaintChannel.LETTER)
    now = arrived + 3 * DAY
    assert acknowledgement_refusal(waiting, by_letter, received_at=arrived, now=now) is None
    early = by_letter.model_copy(update={"acknowledged_at": arrived - DAY})
    future = by_letter.model_copy(update={"acknowledged_at": now + DAY})
    for wrong in (early, future):
        refusal = acknowledgement_refusal(waiting, wrong, received_at=arrived, now=now)
        assert refusal is not None and refusal[0] == COMPLAINT_INVALID
    # Before the acknowledgement only a withdrawal is an outcome; reasons are always needed.
    reasons = "The complainant wrote to withdraw it."
    upheld = RecordOutcome(actor="DPO", outcome=ComplaintOutcome.UPHELD, reasons=reasons)
    withdrawn = upheld.model_copy(update={"outcome": ComplaintOutcome.WITHDRAWN})
    refused = outcome_refusal(waiting, upheld)
    assert refused is not None and refused[0] == COMPLAINT_REFUSED
    assert "Record the acknowledgement first" in refused[1]
    assert outcome_refusal(waiting, withdrawn) is None
    terse = outcome_refusal(waiting, withdrawn.model_copy(update={"reasons": "  Gone.   "}))
    assert terse is not None and terse[0] == COMPLAINT_INVALID
    closed = waiting.model_copy(update={"outcome": ComplaintOutcome.WITHDRAWN})
    after = acknowledgement_refusal(closed, by_letter, received_at=arrived, now=now)
    assert after is not None and after[0] == COMPLAINT_REFUSED
    # Where it stands, as read.
    due = arrived + 30 * DAY
    assert stage_of(acknowledge_by=due, acknowledged_at=None, outcome=None, now=now) is (
        ComplaintStage.AWAITING_ACKNOWLEDGEMENT
    )
    late = due + timedelta(minutes=1)
    assert stage_of(acknowledge_by=due, acknowledged_at=None, outcome=None, now=late) is (
        ComplaintStage.ACKNOWLEDGEMENT_OVERDUE
    )
    assert whole_days(due - now) == 27 and whole_days(due - now - timedelta(hours=1)) == 27


# ---------------------------------------------------------------- the clock


async def _recorded(
    database: Database, council: CouncilUnderTest, *, received_at: datetime | None = None
) -> Complaint:
    async with database.session() as session:
        return await complaints.record_complaint(
            council.authority,
            ComplaintDetails(
                received_at=received_at or datetime.now(UTC),
                received_how=ComplaintChannel.EMAIL,
                summary="Says the council shared their benefits file with a neighbour.",
                recorded_by="On-call Officer",
            ),
            acknowledge_within=timedelta(days=30),
            session=session,
        )


async def _row(database: Database, complaint_id: str) -> Complaint:
    async with database.session() as session:
        found = await session.get(Complaint, complaint_id)
        assert found is not None
        return found


def _to(address: str, subject: str) -> Any:
    return lambda mail: mail.to == address and subject in mail.subject


async def _refused(handle: WorkflowHandle, update: str, command: Any) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(update, command, result_type=ComplaintProgress)
    assert isinstance(refused.value.cause, ApplicationError)
    return refused.value.cause


@pytest.mark.backend("sqlite", reason="the clock is the subject, not the database")
async def test_a_complaint_not_acknowledged_in_30_days_reminds_the_dpo_then_escalates(
    time_skipping: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    mail_server: MailServer,
) -> None:
    council = await make_authority(database, languages={DPO: Language.WELSH})
    complaint = await _recorded(database, council)
    reference, queue = complaint.reference, f"complaints-{uuid.uuid4()}"
    dpo, senior, executive = council.email(DPO), council.email(SENIOR), council.email(EXECUTIVE)
    reminder = f"Nodyn atgoffa: cydnabod cwyn diogelu data {reference}"
    async with build_worker(time_skipping.client, database, settings, task_queue=queue):
        handle = await time_skipping.client.start_workflow(
            ComplaintWorkflow.run,
            clock_for(complaint, council.authority, base_url=settings.base_url),
            id=complaint_workflow_id(complaint.id),
            task_queue=queue,
        )
        started = await eventually(
            lambda: _started(database, complaint.id), timeout=20
        )  # the clock's first step is on the row
        assert started

        # 14, 21 and 28 days after it arrived: the data protection officer, in Welsh.
        await time_skipping.sleep(14 * DAY + timedelta(hours=1))
        (first,) = await mail_server.inbox.wait_for(_to(dpo, reminder))
        assert "16 diwrnod" in first.text() and f"/complaints/{complaint.id}" in first.text()
        assert not mail_server.inbox.messages(lambda m: m.to in (senior, executive))
        await time_skipping.sleep(14 * DAY)
        await mail_server.inbox.wait_for(_to(dpo, reminder), count=3)
        assert not mail_server.inbox.messages(_to(dpo, "Hwyr: cwyn diogelu data"))

        # Day 30 passes unacknowledged: the officer and both named members, each in theirs.
        await time_skipping.sleep(3 * DAY)
        await mail_server.inbox.wait_for(_to(dpo, f"Hwyr: cwyn diogelu data {reference}"))
        for address in (senior, executive):
            (told,) = await mail_server.inbox.wait_for(
                _to(address, f"Overdue: data-protection complaint {reference}")
            )
            assert "Data (Use and Access) Act 2025" in told.text()
        escalated = await eventually(lambda: _escalated(database, complaint.id), timeout=20)
        assert escalated >= complaint.acknowledge_by

        # Acknowledged late, then reminded every 14 days until the outcome ends the clock.
        done = await handle.execute_update(
            ComplaintWorkflow.acknowledge,
            AcknowledgeComplaint(actor="Dr DPO", how=ComplaintChannel.LETTER),
        )
        assert done.acknowledged_at is not None and done.acknowledged_at > escalated
        await time_skipping.sleep(14 * DAY + timedelta(hours=1))
        await mail_server.inbox.wait_for(
            _to(dpo, f"canlyniad cwyn diogelu data {reference} heb ei roi eto")
        )
        await handle.execute_update(
            ComplaintWorkflow.record_outcome,
            RecordOutcome(
                actor="Dr DPO",
                outcome=ComplaintOutcome.PARTLY_UPHELD,
                reasons="The file went to the wrong address; the complainant's other points "
                "were not borne out.",
            ),
        )
        result = await handle.result()
    assert result.outcome is ComplaintOutcome.PARTLY_UPHELD and result.reminders_sent == 4
    row = await _row(database, complaint.id)
    assert row.outcome is ComplaintOutcome.PARTLY_UPHELD and row.outcome_by == "Dr DPO"
    assert row.acknowledged_how is ComplaintChannel.LETTER and row.escalated_at is not None
    # Three reminders, one escalation to three people, one outcome reminder: nothing else.
    sent = mail_server.inbox.messages(lambda m: reference in m.subject)
    assert sorted(m.to for m in sent) == sorted([dpo] * 5 + [senior, executive])


async def _started(database: Database, complaint_id: str) -> bool | None:
    return (await _row(database, complaint_id)).clock_started_at is not None or None


async def _escalated(database: Database, complaint_id: str) -> datetime | None:
    return (await _row(database, complaint_id)).escalated_at


@pytest.mark.backend("sqlite", reason="the clock is the subject, not the database")
async def test_an_acknowledgement_stops_the_overdue_path_and_the_outcome_ends_the_clock(
    time_skipping: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    mail_server: MailServer,
) -> None:
    # No data protection officer named: the senior management member is reminded instead.
    council = await make_authority(database, roles=(SENIOR, EXECUTIVE))
    complaint = await _recorded(database, council)
    reference, queue = complaint.reference, f"complaints-{uuid.uuid4()}"
    senior, executive = council.email(SENIOR), council.email(EXECUTIVE)
    async with build_worker(time_skipping.client, database, settings, task_queue=queue):
        handle = await time_skipping.client.start_workflow(
            ComplaintWorkflow.run,
            clock_for(complaint, council.authority, base_url=settings.base_url),
            id=complaint_workflow_id(complaint.id),
            task_queue=queue,
        )
        await time_skipping.sleep(14 * DAY + timedelta(hours=1))
        (reminded,) = await mail_server.inbox.wait_for(
            _to(senior, f"Reminder: acknowledge data-protection complaint {reference}")
        )
        assert "in 16 days" in " ".join(reminded.text().split())

        acknowledged = await handle.execute_update(
            ComplaintWorkflow.acknowledge,
            AcknowledgeComplaint(actor="Siân Senior", how=ComplaintChannel.EMAIL),
        )
        assert acknowledged.acknowledged_by == "Siân Senior"
        again = await _refused(
            handle,
            "acknowledge",
            AcknowledgeComplaint(actor="Someone else", how=ComplaintChannel.LETTER),
        )
        assert again.type == COMPLAINT_REFUSED
        assert "already acknowledged" in again.message and "Siân Senior" in again.message
        assert "ei chydnabod eisoes" in again.message

        # Past the 30 days: reminded of the outcome 14 days after the acknowledgement, and
        # nobody is reminded to acknowledge it or told it is overdue.
        await time_skipping.sleep(17 * DAY)
        await mail_server.inbox.wait_for(
            _to(senior, f"Reminder: outcome of data-protection complaint {reference}")
        )
        row = await _row(database, complaint.id)
        assert row.acknowledged_at is not None and row.escalated_at is None
        assert len(mail_server.inbox.messages(lambda m: reference in m.subject)) == 2

        short = await _refused(
            handle,
            "record_outcome",
            RecordOutcome(actor="Siân Senior", outcome=ComplaintOutcome.UPHELD, reasons="Yes."),
        )
        assert short.type == COMPLAINT_INVALID and "10 characters" in short.message
        await handle.execute_update(
            ComplaintWorkflow.record_outcome,
            RecordOutcome(
                actor="Siân Senior",
                outcome=ComplaintOutcome.NOT_UPHELD,
                reasons="The records show the letter went to the complainant's own address.",
            ),
        )
        result = await handle.result()
    assert result.outcome is ComplaintOutcome.NOT_UPHELD and result.escalated_at is None
    assert not mail_server.inbox.messages(_to(executive, reference))


# ---------------------------------------------------------------- the API and the pages


async def _token(database: Database, user_id: int | None) -> dict[str, str]:
    async with database.session() as session:
        _, token = await issue_token("tests", authority_id=None, user_id=user_id, session=session)
    return {"Authorization": f"Bearer {token}"}


async def _breach_entry(database: Database, council: CouncilUnderTest) -> int:
    incident = await open_test_incident(database, council, personal_data=True)
    async with database.session() as session:
        entry = BreachRecord(
            authority_id=council.id, incident_id=incident.id, facts="Payroll file misdirected."
        )
        session.add(entry)
        await session.commit()
        await session.refresh(entry)
    assert entry.id is not None
    return entry.id


async def _complaint_count(database: Database) -> int:
    async with database.session() as session:
        return (await session.exec(select(func.count()).select_from(Complaint))).one()


async def test_a_complaint_through_the_api_acknowledged_once_then_given_its_outcome(
    database: Database, http: httpx.AsyncClient
) -> None:
    council, other = await make_authority(database), await make_authority(database)
    officer, _ = await make_user(database, council)
    stranger, _ = await make_user(database, other)
    as_officer, as_stranger = (
        await _token(database, officer.id),
        await _token(database, stranger.id),
    )
    own_breach, their_breach = (
        await _breach_entry(database, council),
        await _breach_entry(database, other),
    )
    received = datetime.now(UTC) - timedelta(days=2, hours=1)
    complaint = {
        "received_at": received.isoformat(),
        "received_how": "online_form",
        "summary": "Says their payroll details were sent to another employee.",
    }

    # Another authority's breach entry: refused in both languages, and nothing recorded.
    before = await _complaint_count(database)
    refused = await http.post(
        "/api/complaints", headers=as_officer, json=complaint | {"breach_record_id": their_breach}
    )
    assert refused.status_code == 422, refused.text
    assert f"no entry {their_breach}" in refused.json()["detail"]
    assert "Nid oes cofnod" in refused.json()["detail"]
    assert await _complaint_count(database) == before

    made = await http.post(
        "/api/complaints", headers=as_officer, json=complaint | {"breach_record_id": own_breach}
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert (
        body["reference"].startswith(f"CMP-{council.code}-") and body["authority"] == council.code
    )
    assert body["stage"] == "awaiting_acknowledgement" and body["days_left"] == 28
    assert body["breach"]["breach_record_id"] == own_breach
    path = f"/api/complaints/{body['id']}"

    listed = await http.get("/api/complaints", headers=as_officer)
    assert [c["id"] for c in listed.json()] == [body["id"]]
    assert (await http.get(path, headers=as_stranger)).status_code == 404
    hidden = await http.post(f"{path}/acknowledgement", headers=as_stranger, json={"how": "email"})
    assert hidden.status_code == 404
    assert (await http.get("/api/complaints", headers=as_stranger)).json() == []

    # Its clock is running: the acknowledgement reaches it and is on the row when it answers.
    async def acknowledged() -> httpx.Response | None:
        answer = await http.post(
            f"{path}/acknowledgement", headers=as_officer, json={"how": "email"}
        )
        return None if answer.status_code == 503 else answer

    first = await eventually(acknowledged, timeout=20)
    assert first.status_code == 200, first.text
    assert first.json()["stage"] == "investigating" and first.json()["acknowledged_late"] is False
    assert first.json()["days_left"] is None
    again = await http.post(f"{path}/acknowledgement", headers=as_officer, json={"how": "letter"})
    assert again.status_code == 409
    assert "already acknowledged" in again.json()["detail"]

    short = await http.post(
        f"{path}/outcome", headers=as_officer, json={"outcome": "upheld", "reasons": "Yes"}
    )
    assert short.status_code == 422
    given = await http.post(
        f"{path}/outcome",
        headers=as_officer,
        json={"outcome": "upheld", "reasons": "The payslip was emailed to the wrong colleague."},
    )
    assert given.status_code == 200, given.text
    assert given.json()["stage"] == "closed" and given.json()["outcome_by"] == officer.name
    twice = await http.post(
        f"{path}/outcome",
        headers=as_officer,
        json={"outcome": "not_upheld", "reasons": "Changed our minds about it entirely."},
    )
    assert twice.status_code == 409 and "already recorded" in twice.json()["detail"]


async def test_the_pages_record_a_complaint_and_show_it_in_the_breach_register(
    database: Database, http: httpx.AsyncClient
) -> None:
    council = await make_authority(database)
    officer, password = await make_user(database, council)
    breach = await _breach_entry(database, council)
    await sign_in(http, officer.email, password)
    await http.get("/language/en")

    form = await http.get("/complaints/new")
    assert form.status_code == 200
    csrf = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    wrong = await http.post("/complaints/new", data={"csrf_token": csrf, "summary": ""})
    assert wrong.status_code == 422
    said = html.unescape(wrong.text)
    assert "Select how the complaint arrived" in said and "Enter what it is about" in said

    arrived = (datetime.now(UTC) - timedelta(days=3)).astimezone(UTC)
    recorded = await http.post(
        "/complaints/new",
        data={
            "csrf_token": csrf,
            "received_at": arrived.strftime("%Y-%m-%dT%H:%M"),
            "received_how": "letter",
            "summary": "Complains that CCTV footage of them was shared with a neighbour.",
            "breach_record_id": str(breach),
        },
    )
    assert recorded.status_code == 303, recorded.text
    page = await http.get(recorded.headers["location"])
    shown = html.unescape(page.text)
    assert "has been recorded; its clock has started" in shown
    assert "left to acknowledge it" in shown and "Record the acknowledgement" in shown
    found = re.search(rf"CMP-{council.code}-\d{{4}}-\d{{4}}", shown)
    assert found is not None
    reference = found.group(0)

    register = await http.get("/breaches")
    assert register.status_code == 200
    assert reference in register.text and "To be acknowledged" in register.text

    # In Welsh, acknowledged through its form.
    await http.get("/language/cy")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]

    async def acknowledged() -> httpx.Response | None:
        answer = await http.post(
            recorded.headers["location"] + "/acknowledgement",
            data={"csrf_token": csrf, "how": "email"},
        )
        return None if answer.status_code == 503 else answer

    done = await eventually(acknowledged, timeout=20)
    assert done.status_code == 303, done.text
    page = await http.get(done.headers["location"])
    welsh = html.unescape(page.text)
    assert "Wedi'i chydnabod; mae ei chanlyniad eto i'w roi." in welsh
    assert "Cofnodi'r gydnabyddiaeth" not in welsh and "Cofnodi'r canlyniad" in welsh


async def test_a_complaint_recorded_without_its_clock_is_started_by_the_repair(
    database: Database,
    dev_server: WorkflowEnvironment,
    dev_settings: Settings,
    dev_worker: None,
) -> None:
    council = await make_authority(database)
    complaint = await _recorded(database, council)
    async with database.session() as session:
        row = await session.get(Complaint, complaint.id)
        assert row is not None
        row.created_at = datetime.now(UTC) - timedelta(minutes=10)
        session.add(row)
        await session.commit()

    async def repair() -> list[str]:
        async with database.session() as session:
            return await reconcile_unstarted_complaints(
                session=session,
                temporal=dev_server.client,
                task_queue=dev_settings.task_queue,
                base_url=dev_settings.base_url,
            )

    assert complaint.reference in await repair()
    assert await eventually(lambda: _started(database, complaint.id), timeout=20)
    assert complaint.reference not in await repair()
