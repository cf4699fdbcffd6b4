"""Supplier notices: a supplier's own token tells two councils of an incident, each council
triages its copy on its own, and the one that stays silent is escalated after the hour; the
token reaches nothing else; a notice opened as an incident keeps the supplier as the incident's
origin, and one linked to an incident is noted on its timeline; the central team sees each
notice once and makes a campaign of it; and a notice whose clock never started is started by
the repair.

Real servers throughout: Temporal (time-skipping for the hour of silence, the shared dev
server for the rest), the SMTP server whose inbox the tests read, and the database. The pages
and the email import are in `tests/test_supplier_notice_pages.py`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update
from sqlmodel import col, select
from temporalio.testing import WorkflowEnvironment

from domain.access import AccessRole
from domain.national_messages import NationalMessageKind
from domain.supplier_notices import NoticeChannel, NoticeContent, TriageState
from domain.suppliers import SupplierDetails, normalised_name
from domain.vocabulary import EventKind, Language, MemberRole
from models import Incident, NoticeRecipient, SupplierNotice, TimelineEvent
from notifications.national import NationalMessageRenderer
from runtime.database import Database
from runtime.settings import Settings
from services.administration import Actor
from services.notice_clocks import reconcile_unstarted_notices
from services.notice_intake import Receiving, issue_supplier_token, record_notice
from services.suppliers import add_supplier, suppliers_of
from services.timeline import timeline_of
from services.tokens import issue_token
from tests.support import CouncilUnderTest, eventually, make_authority, make_user

NOTICE = {
    "subject": "Unauthorised access to our hosting platform",
    "text": "On 21 November we found an intruder on the platform that hosts your revenues "
    "system. We have contained it and are investigating; change the service account's "
    "password now.",
    "reference": "ACME-SEC-0042",
}


def supplier_name() -> str:
    """A supplier no other test's council holds: councils share the session's database."""
    return f"Acme Hosting {uuid.uuid4().hex[:8]} Ltd"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def council_with(database: Database, name: str) -> CouncilUnderTest:
    """A council with every role named, and the supplier on its register."""
    council = await make_authority(database, reporting=False)
    security = {"kind": "security", "name": "Acme SOC", "email": f"soc@{name.split()[2]}.example"}
    async with database.session() as session:
        await add_supplier(
            council.id,
            SupplierDetails.model_validate({"name": name, "contacts": [security]}),
            actor=Actor("tests"),
            session=session,
        )
    return council


async def supplier_token(database: Database, name: str) -> str:
    async with database.session() as session:
        _, token = await issue_supplier_token(name, session=session)
    return token


async def officer_token(database: Database, council: CouncilUnderTest) -> tuple[str, str]:
    """An on-call officer of the council (told of every notice): their own token and address."""
    user, _ = await make_user(database, council, AccessRole.ON_CALL_OFFICER)
    async with database.session() as session:
        _, token = await issue_token("officer", authority_id=None, user_id=user.id, session=session)
    return token, user.email


async def copies_of(database: Database, notice_id: str) -> dict[int, NoticeRecipient]:
    async with database.session() as session:
        rows = await session.exec(
            select(NoticeRecipient).where(NoticeRecipient.notice_id == notice_id)
        )
        return {row.authority_id: row for row in rows.all()}


async def test_each_council_triages_its_own_copy_and_a_silent_one_escalates_after_the_hour(
    database: Database, settings: Settings, time_skipping: WorkflowEnvironment, mail_server
) -> None:
    from web.app import create_app
    from worker import build_worker

    inbox = mail_server.inbox
    name = supplier_name()
    first, second = await council_with(database, name), await council_with(database, name)
    first_officer, first_address = await officer_token(database, first)
    _, second_address = await officer_token(database, second)
    supplier = await supplier_token(database, name)
    queue = f"notices-{uuid.uuid4()}"
    clock_settings = settings.model_copy(update={"task_queue": queue})
    app = create_app(settings=clock_settings, database=database, temporal=time_skipping.client)
    transport = httpx.ASGITransport(app=app)
    async with (
        build_worker(time_skipping.client, database, clock_settings),
        httpx.AsyncClient(transport=transport, base_url="http://concordat.test") as http,
    ):
        sent = await http.post(
            "/api/supplier-notices",
            json=NOTICE | {"authorities": [first.code, second.code.lower()]},
            headers=bearer(supplier),
        )
        assert sent.status_code == 201, sent.text
        notice = sent.json()
        assert notice["channel"] == "api" and notice["supplier"] == name
        assert [(c["authority"], c["triaged"]) for c in notice["councils"]] == [
            (first.code, False),
            (second.code, False),
        ]
        # A supplier reads no council's workings.
        assert notice["councils"][0]["state"] is None and notice["campaign_id"] is None

        # Each council's on-call side is told at once: its officers and its senior management
        # member, each in their own language.
        senior = second.email(MemberRole.SENIOR_MANAGEMENT_MEMBER)
        for address in (first_address, second_address, senior):
            told = await inbox.wait_for(
                lambda m, to=address: m.to == to and "Supplier notice from" in m.subject
            )
            assert f"/notices/{notice['id']}" in told[0].text()
            assert NOTICE["subject"] in told[0].text()

        # The first council dismisses its copy; a second decision is refused.
        path = f"/api/supplier-notices/{notice['id']}/triage"
        reason = "We moved the revenues system off this platform in 2025."
        dismissed = await http.post(
            path, json={"action": "dismiss", "reason": reason}, headers=bearer(first_officer)
        )
        assert dismissed.status_code == 200, dismissed.text
        assert dismissed.json()["state"] == "dismissed"
        again = await http.post(
            path,
            json={"action": "dismiss", "reason": "Dismissed twice, to be sure."},
            headers=bearer(first_officer),
        )
        assert again.status_code == 409
        assert "already been dismissed by On Call Officer of the test" in again.json()["detail"]
        assert "eisoes wedi'i ddiystyru" in again.json()["detail"]

        # The second stays silent: reminded half way, then its named members are told.
        await time_skipping.sleep(timedelta(minutes=31))
        await inbox.wait_for(lambda m: m.to == second_address and "Reminder" in m.subject)
        await time_skipping.sleep(timedelta(minutes=30))
        executive = second.email(MemberRole.EXECUTIVE_MEMBER)
        escalated = await inbox.wait_for(
            lambda m: m.to == executive and "was not triaged in time" in m.subject
        )
        assert "The senior management member and the executive member are told now" in (
            escalated[0].text()
        )
        await inbox.wait_for(lambda m: m.to == senior and "was not triaged in time" in m.subject)
        # Reminders follow at the escalation policy's pace (category 4's hour) until triaged.
        await time_skipping.sleep(timedelta(minutes=61))
        await inbox.wait_for(
            lambda m: m.to == executive and m.subject.startswith("Overdue: the notice from")
        )
        # The council that triaged is told nothing more.
        first_people = {first_address, *first.emails()}
        late = [
            m.subject
            for m in inbox.messages(lambda m: m.to in first_people)
            if "Reminder" in m.subject or "Overdue" in m.subject
        ]
        assert late == []

        read = await http.get(f"/api/supplier-notices/{notice['id']}", headers=bearer(supplier))
        assert [c["triaged"] for c in read.json()["councils"]] == [True, False]
        second_officer, _ = await officer_token(database, second)
        closing = await http.post(
            path,
            json={"action": "dismiss", "reason": "Checked: none of our services were affected."},
            headers=bearer(second_officer),
        )
        assert closing.status_code == 200, closing.text

    copies = await copies_of(database, notice["id"])
    assert copies[first.id].state is TriageState.DISMISSED
    assert copies[first.id].dismissal_reason == reason and copies[first.id].escalated_at is None
    late_copy = copies[second.id]
    assert late_copy.state is TriageState.DISMISSED
    assert late_copy.reminded_at and late_copy.escalated_at and late_copy.clock_started_at
    assert late_copy.escalated_at - late_copy.clock_started_at >= timedelta(minutes=59)


async def test_a_suppliers_token_tells_only_its_councils_and_reads_only_what_it_sent(
    http: httpx.AsyncClient, database: Database
) -> None:
    name, other_name = supplier_name(), supplier_name()
    council, elsewhere = await council_with(database, name), await make_authority(database)
    await council_with(database, other_name)
    token, other = await supplier_token(database, name), await supplier_token(database, other_name)
    officer, _ = await officer_token(database, council)

    for codes in ([elsewhere.code], ["ZZZ99"], [council.code, elsewhere.code]):
        refused = await http.post(
            "/api/supplier-notices", json=NOTICE | {"authorities": codes}, headers=bearer(token)
        )
        assert refused.status_code == 403, refused.text
        # The same words whether the council exists or not: only the code asked about.
        detail = refused.json()["detail"]
        assert "only to councils that have you on their supplier register" in detail
        assert "ar eu cofrestr cyflenwyr" in detail
    ours = await http.post("/api/supplier-notices", json=NOTICE, headers=bearer(token))
    assert ours.status_code == 201, ours.text
    assert [c["authority"] for c in ours.json()["councils"]] == [council.code]
    theirs = await http.post("/api/supplier-notices", json=NOTICE, headers=bearer(other))
    assert theirs.status_code == 201

    listed = await http.get("/api/supplier-notices", headers=bearer(token))
    assert [n["id"] for n in listed.json()] == [ours.json()["id"]]
    hidden = await http.get(f"/api/supplier-notices/{theirs.json()['id']}", headers=bearer(token))
    assert hidden.status_code == 404 and "No supplier notice" in hidden.json()["detail"]
    # The council reads its copy, and how it stands.
    copy = await http.get(f"/api/supplier-notices/{ours.json()['id']}", headers=bearer(officer))
    assert copy.json()["councils"][0]["state"] == "untriaged"

    incident = (
        await http.post(
            "/api/incidents",
            json={
                "authority": council.code,
                "title": "Slow revenues system",
                "description": "Users report errors.",
                "incident_type": "other",
                "category": 5,
                "detected_at": datetime.now(UTC).isoformat(),
                "reporter_name": "Officer",
                "reporter_email": "officer@example.org",
            },
            headers=bearer(officer),
        )
    ).json()
    forbidden = [
        ("GET", "/api/incidents"),
        ("GET", f"/api/incidents/{incident['id']}"),
        ("GET", f"/api/incidents/{incident['id']}/timeline"),
        ("GET", f"/api/authorities/{council.code}/suppliers"),
        ("GET", "/api/national/supplier-notices"),
        ("GET", "/api/national/suppliers"),
        ("GET", "/api/breaches"),
        ("POST", f"/api/supplier-notices/{ours.json()['id']}/triage"),
        ("POST", "/codec/decode"),
    ]
    for method, path in forbidden:
        answer = await http.request(method, path, json={}, headers=bearer(token))
        assert answer.status_code == 403, (method, path, answer.text)
    # The pages take a signed-in person, never a token: they ask the supplier to sign in.
    for page in ("/incidents", "/notices", f"/notices/{ours.json()['id']}", "/wales/notices"):
        answer = await http.get(page, headers=bearer(token))
        assert answer.status_code == 303 and answer.headers["location"].startswith("/signin")

    async with database.session() as session:
        rows = await session.exec(
            select(SupplierNotice).where(
                col(SupplierNotice.supplier_name).in_([normalised_name(name)])
            )
        )
        (saved,) = rows.all()
    assert saved.channel is NoticeChannel.API and saved.supplier_reference == "ACME-SEC-0042"


async def test_a_notice_opened_as_an_incident_keeps_the_supplier_as_its_origin(
    http: httpx.AsyncClient, database: Database
) -> None:
    name = supplier_name()
    council = await council_with(database, name)
    token = await supplier_token(database, name)
    officer, _ = await officer_token(database, council)
    sent = (await http.post("/api/supplier-notices", json=NOTICE, headers=bearer(token))).json()
    path = f"/api/supplier-notices/{sent['id']}/triage"

    needs_category = await http.post(
        path, json={"action": "open", "incident": {}}, headers=bearer(officer)
    )
    assert needs_category.status_code == 422
    opened = await http.post(
        path, json={"action": "open", "incident": {"category": 4}}, headers=bearer(officer)
    )
    assert opened.status_code == 200, opened.text
    assert opened.json()["state"] == "opened"
    incident_id = opened.json()["incident_id"]
    refused = await http.post(
        path, json={"action": "open", "incident": {"category": 4}}, headers=bearer(officer)
    )
    assert refused.status_code == 409 and "already been opened as an incident" in refused.text

    async with database.session() as session:
        incident = await session.get(Incident, incident_id)
        assert incident is not None and incident.origin is not None
        entry_id = incident.origin["supplier_id"]

    async def opened_event() -> TimelineEvent | None:
        async with database.session() as session:
            events = await timeline_of(incident_id, session=session)
        return next((e for e in events if e.kind == EventKind.OPENED), None)

    event = await eventually(opened_event)
    assert event.detail["origin"] == {
        "supplier_id": entry_id,
        "supplier_name": name,
        "notice_id": sent["id"],
    }
    assert incident.title == f"Supplier notice from {name}: {NOTICE['subject']}"
    assert incident.incident_type.value == "supply_chain"
    assert "ACME-SEC-0042" in incident.description

    # A second notice is linked to that incident: its timeline says which supplier, which notice.
    second = (await http.post("/api/supplier-notices", json=NOTICE, headers=bearer(token))).json()
    linked = await http.post(
        f"/api/supplier-notices/{second['id']}/triage",
        json={"action": "link", "incident_reference": incident.reference.lower()},
        headers=bearer(officer),
    )
    assert linked.status_code == 200, linked.text

    async def note() -> TimelineEvent | None:
        async with database.session() as session:
            events = await timeline_of(incident_id, session=session)
        return next((e for e in events if e.kind == EventKind.NOTE_ADDED), None)

    noted = await eventually(note)
    assert name in noted.detail["text"] and second["id"] in noted.detail["text"]
    assert "ACME-SEC-0042" in noted.detail["text"]


async def test_the_central_team_sees_each_notice_once_and_makes_a_campaign_of_it(
    http: httpx.AsyncClient, database: Database
) -> None:
    name = supplier_name()
    first, second = await council_with(database, name), await council_with(database, name)
    token = await supplier_token(database, name)
    first_officer, _ = await officer_token(database, first)
    centre, _ = await make_user(database, None, AccessRole.CENTRAL_TEAM)
    async with database.session() as session:
        _, central = await issue_token(
            "centre", authority_id=None, user_id=centre.id, session=session
        )
    sent = (await http.post("/api/supplier-notices", json=NOTICE, headers=bearer(token))).json()
    opened = await http.post(
        f"/api/supplier-notices/{sent['id']}/triage",
        json={"action": "open", "incident": {"category": 3, "tlp": "TLP:GREEN"}},
        headers=bearer(first_officer),
    )
    reference = opened.json()["incident_reference"]

    seen = (await http.get("/api/national/supplier-notices", headers=bearer(central))).json()
    (ours,) = [n for n in seen if n["id"] == sent["id"]]
    states = {c["authority"]: (c["state"], c["incident_reference"]) for c in ours["councils"]}
    assert states == {first.code: ("opened", reference), second.code: ("untriaged", None)}

    path = f"/api/national/supplier-notices/{sent['id']}/campaign"
    nameless = await http.post(path, json={}, headers=bearer(central))
    assert nameless.status_code == 422 and "Rhowch enw i'r ymgyrch" in nameless.text
    made = await http.post(
        path, json={"name": f"{name} compromise", "tlp": "TLP:AMBER"}, headers=bearer(central)
    )
    assert made.status_code == 201, made.text
    assert made.json()["linked"] == [reference] and made.json()["not_linked"] == []
    twice = await http.post(path, json={"name": "Again"}, headers=bearer(central))
    assert twice.status_code == 409
    campaign_path = f"/api/campaigns/{made.json()['campaign_id']}"
    campaign = await http.get(campaign_path, headers=bearer(central))
    assert [i["reference"] for i in campaign.json()["incidents"]] == [reference]
    # An incident opened from the notice later is taken into its campaign too.
    second_officer, _ = await officer_token(database, second)
    later = await http.post(
        f"/api/supplier-notices/{sent['id']}/triage",
        json={"action": "open", "incident": {"category": 4}},
        headers=bearer(second_officer),
    )
    assert later.status_code == 200, later.text
    campaign = await http.get(campaign_path, headers=bearer(central))
    assert {i["reference"] for i in campaign.json()["incidents"]} == {
        reference,
        later.json()["incident_reference"],
    }
    # The officers cannot make one.
    assert (
        await http.post(path, json={"name": "x"}, headers=bearer(first_officer))
    ).status_code == 403


async def test_a_notice_whose_clock_never_started_is_started_by_the_repair(
    database: Database, dev_server: WorkflowEnvironment, dev_settings: Settings, dev_worker: None
) -> None:
    name = supplier_name()
    council = await council_with(database, name)
    async with database.session() as session:
        (registered,) = await suppliers_of(council.id, session=session)
        entry = registered.supplier
        notice, _ = await record_notice(
            NoticeContent(subject="Told by telephone", text="Their SOC rang the service desk."),
            supplier_name=normalised_name(name),
            display_name=name,
            channel=NoticeChannel.PAGE,
            councils=[Receiving(council.authority, entry)],
            recorded_by="tests",
            window_minutes=60,
            session=session,
        )
        # Saved before the repair's grace period, and its start never happened.
        await session.exec(
            update(NoticeRecipient)
            .where(col(NoticeRecipient.notice_id) == notice.id)
            .values(created_at=datetime.now(UTC) - timedelta(minutes=10))
        )
        await session.commit()
        started = await reconcile_unstarted_notices(
            session=session,
            temporal=dev_server.client,
            task_queue=dev_settings.task_queue,
            base_url=dev_settings.base_url,
        )
    # The repair starts every clock that never started, other tests' notices among them on
    # this shared database: this notice's is one of them.
    ours = f"supplier-notice-{notice.id}-{council.code}"
    assert ours in started

    async def clock_started() -> bool:
        copies = await copies_of(database, notice.id)
        return copies[council.id].clock_started_at is not None

    assert await eventually(clock_started)
    async with database.session() as session:
        again = await reconcile_unstarted_notices(
            session=session,
            temporal=dev_server.client,
            task_queue=dev_settings.task_queue,
            base_url=dev_settings.base_url,
        )
    assert ours not in again


def test_the_notice_messages_read_in_welsh_and_in_english() -> None:
    renderer = NationalMessageRenderer()
    facts: dict[str, Any] = {
        "supplier": "Acme Hosting Ltd",
        "subject": "Unauthorised access",
        "received_at": "2026-11-21T09:12:00+00:00",
        "due_at": "2026-11-21T10:12:00+00:00",
        "notice_url": "https://concordat.example/notices/1",
    }
    for kind in (
        NationalMessageKind.SUPPLIER_NOTICE_RECEIVED,
        NationalMessageKind.SUPPLIER_NOTICE_REMINDER,
        NationalMessageKind.SUPPLIER_NOTICE_OVERDUE,
    ):
        words = {}
        for language in (Language.ENGLISH, Language.WELSH):
            message = renderer.render(
                kind,
                language=language,
                recipient_name="Siân",
                authority_name_en="Cardiff Council",
                authority_name_cy="Cyngor Caerdydd",
                facts=facts | {"overdue": 1},
            )
            assert "Acme Hosting Ltd" in message.subject and facts["notice_url"] in message.text
            words[language] = message
        assert "Saturday 21 November 2026, 10:12 GMT" in words[Language.ENGLISH].text
        assert "Dydd Sadwrn 21 Tachwedd 2026, 10:12 GMT" in words[Language.WELSH].text
        assert words[Language.WELSH].subject != words[Language.ENGLISH].subject
