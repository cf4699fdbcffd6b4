"""The API and pages end to end: HTTP in, a real workflow on the dev server, real mail out."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import func, select

from domain.access import AccessRole
from domain.vocabulary import Language, MemberRole, Stage
from models import Incident, User
from runtime.database import Database
from services.administration import changes_of
from services.directory import effective_policy, members_of, name_member
from services.tokens import issue_token
from tests.support import (
    CouncilUnderTest,
    MailServer,
    eventually,
    make_authority,
    make_user,
    sign_in,
)

NOW = datetime.now(UTC)


def report(authority: str, **overrides: Any) -> dict[str, Any]:
    return {
        "authority": authority,
        "title": "Phishing led to a compromised mailbox",
        "description": "A finance officer entered credentials on a fake login page.",
        "incident_type": "account_compromise",
        "category": 4,
        "detected_at": (datetime.now(UTC) - timedelta(minutes=30)).isoformat(),
        "reporter_name": "Rhys On-call",
        "reporter_email": "rhys@oncall.example",
    } | overrides


class Officer:
    """An API caller bound to one authority."""

    def __init__(self, http: httpx.AsyncClient, token: str, council: CouncilUnderTest) -> None:
        self.http, self.token, self.council = http, token, council

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def post(self, path: str, body: dict[str, Any], **headers: str) -> httpx.Response:
        return await self.http.post(path, json=body, headers=self.headers | headers)

    async def get(self, path: str) -> httpx.Response:
        return await self.http.get(path, headers=self.headers)

    async def open(self, **overrides: Any) -> dict[str, Any]:
        response = await self.post("/api/incidents", report(self.council.code, **overrides))
        assert response.status_code == 201, response.text
        return response.json()


async def officer_for(
    database: Database, http: httpx.AsyncClient, *, reporting: bool = False, **options: Any
) -> Officer:
    """An officer of a fresh council; its reporting obligations are off unless asked for."""
    council = await make_authority(database, reporting=reporting, **options)
    async with database.session() as session:
        _, token = await issue_token(
            f"officer of {council.code}", authority_id=council.id, session=session
        )
    return Officer(http, token, council)


async def count_incidents(database: Database, council: CouncilUnderTest) -> int:
    async with database.session() as session:
        return (
            await session.exec(
                select(func.count())
                .select_from(Incident)
                .where(Incident.authority_id == council.id)
            )
        ).one()


async def test_opening_an_incident_emails_both_named_members(
    http: httpx.AsyncClient, database: Database, mail_server: MailServer
) -> None:
    languages = {
        MemberRole.EXECUTIVE_MEMBER: Language.WELSH,
        MemberRole.SENIOR_MANAGEMENT_MEMBER: Language.UNKNOWN,
    }
    officer = await officer_for(database, http, languages=languages)
    created = await officer.open()
    assert created["reference"] == f"{officer.council.code}-{NOW.year}-0001"
    assert created["workflow_id"] == f"incident-{created['id']}"

    mails = await mail_server.inbox.wait_for(
        lambda m: m.to.endswith(officer.council.domain), count=2
    )
    assert {m.to for m in mails} == {
        officer.council.email(MemberRole.EXECUTIVE_MEMBER),
        officer.council.email(MemberRole.SENIOR_MANAGEMENT_MEMBER),
    }
    by_role = {m.to.split("@")[0]: m for m in mails}
    welsh, both = by_role["executive_member"], by_role["senior_management_member"]
    prefix = f"[TLP:AMBER] {created['reference']} "
    assert welsh.subject == prefix + "Categori 4: cydnabyddwch y digwyddiad seiber hwn"
    assert "Annwyl" in welsh.text() and "Dear" not in welsh.text()
    assert both.subject == prefix + (
        "Categori 4: cydnabyddwch y digwyddiad seiber hwn / "
        "Category 4: acknowledge this cyber incident"
    )
    assert both.text().index("Annwyl") < both.text().index("Dear")
    assert both.message["Content-Language"] == "cy, en"

    async def notifying() -> dict[str, Any] | None:
        body = (await officer.get(f"/api/incidents/{created['id']}")).json()
        return body if body["live"] and body["live"]["stage"] != Stage.DETECTED else None

    view = await eventually(notifying)
    assert [chain["level"] for chain in view["live"]["chains"]] == [1, 1]

    async def recorded() -> dict[str, Any] | None:
        # The live stage moves before the timeline's first batch is committed.
        body = (await officer.get(f"/api/incidents/{created['id']}/timeline")).json()
        return body if len(body["events"]) >= 2 else None

    timeline = await eventually(recorded)
    assert [event["kind"] for event in timeline["events"]][:2] == ["opened", "triaged"]
    assert timeline["chain"]["intact"] and timeline["chain"]["seal"].startswith(
        created["reference"] + "#"
    )
    second = await officer.open()
    assert second["reference"].endswith("-0002")


async def test_a_retried_create_returns_the_same_incident(
    http: httpx.AsyncClient, database: Database
) -> None:
    officer = await officer_for(database, http)
    body = report(officer.council.code)
    first = await officer.post("/api/incidents", body, **{"Idempotency-Key": "retry-1"})
    again = await officer.post("/api/incidents", body, **{"Idempotency-Key": "retry-1"})
    assert first.status_code == 201 and again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert await count_incidents(database, officer.council) == 1

    different = await officer.post(
        "/api/incidents", body | {"title": "Something else"}, **{"Idempotency-Key": "retry-1"}
    )
    assert different.status_code == 422
    assert "already used for a different incident" in different.json()["detail"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"title": ""}, "title", "at least 3 characters"),
        ({"category": 7}, "category", "1, 2, 3, 4, 5 or 6"),
        ({"incident_type": "alien_invasion"}, "incident_type", "ransomware"),
        (
            {"detected_at": (NOW + timedelta(hours=2)).isoformat()},
            "request",
            "detected_at is in the future",
        ),
        ({"detected_at": "2026-11-21T10:00:00"}, "detected_at", "timezone"),
        ({"reporter_email": "not-an-address"}, "reporter_email", "email address"),
        ({"title": "Two\r\nBcc: victim@example.org"}, "title", "pattern"),
        ({"unexpected": 1}, "unexpected", "Extra inputs"),
        ({"description": "nul\u0000byte"}, "description", "NUL"),
        ({"detected_at": "0001-01-01T00:00:00+14:00"}, "detected_at", "2000 or later"),
    ],
)
async def test_invalid_reports_are_refused_with_a_reason_and_nothing_is_saved(
    http: httpx.AsyncClient, database: Database, change: dict[str, Any], field: str, message: str
) -> None:
    officer = await officer_for(database, http)
    response = await officer.post("/api/incidents", report(officer.council.code, **change))
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert any(e["field"] == field and message in e["message"] for e in errors), errors
    assert await count_incidents(database, officer.council) == 0


async def test_callers_need_a_token_and_see_only_their_own_authority(
    http: httpx.AsyncClient, database: Database
) -> None:
    officer = await officer_for(database, http)
    neighbour = await officer_for(database, http)
    created = await officer.open()

    anonymous = await http.post("/api/incidents", json=report(officer.council.code))
    assert anonymous.status_code == 401
    assert (
        await http.get("/api/incidents", headers={"Authorization": "Bearer cnc_wrong"})
    ).status_code == 401

    assert (await neighbour.get(f"/api/incidents/{created['id']}")).status_code == 404
    assert (await neighbour.get(f"/api/incidents/{created['id']}/timeline")).status_code == 404
    refused = await neighbour.post(f"/api/incidents/{created['id']}/notes", {"text": "hello"})
    assert refused.status_code == 404
    assert created["id"] not in [i["id"] for i in (await neighbour.get("/api/incidents")).json()]
    wrong_authority = await neighbour.post("/api/incidents", report(officer.council.code))
    assert wrong_authority.status_code == 422
    assert (await officer.get("/api/incidents/no-such-incident")).status_code == 404


async def test_the_incident_moves_through_its_stages_and_a_closed_one_refuses_changes(
    http: httpx.AsyncClient, database: Database
) -> None:
    officer = await officer_for(database, http, reporting=True)
    created = await officer.open()
    path = f"/api/incidents/{created['id']}"

    async def ready() -> bool:
        live = (await officer.get(path)).json()["live"]
        return bool(live) and live["stage"] not in (Stage.DETECTED, Stage.TRIAGED)

    await eventually(ready)
    executive = officer.council.members[MemberRole.EXECUTIVE_MEMBER]
    acknowledged = await officer.post(f"{path}/acknowledge", {"member_id": executive})
    assert acknowledged.status_code == 200
    assert acknowledged.json()["acknowledgements"][0]["member_id"] == executive
    assert (await officer.post(f"{path}/acknowledge", {"member_id": executive})).status_code == 409

    assert (await officer.post(f"{path}/recover", {})).status_code == 409  # not contained yet
    assert (await officer.post(f"{path}/contain", {"note": "Mailbox isolated"})).json()[
        "stage"
    ] == "contained"
    assert (await officer.post(f"{path}/contain", {})).status_code == 409
    assert (await officer.post(f"{path}/recover", {})).json()["stage"] == "recovered"
    ncsc = await officer.post(f"{path}/ncsc-report", {"reference": "X"})
    assert ncsc.status_code == 409 and "not required" in ncsc.json()["detail"]
    short = await officer.post(f"{path}/close", {"summary": "done"})
    assert short.status_code == 422 and "closing summary is required" in short.json()["detail"]
    summary = {"summary": "Passwords reset, mailbox rules removed."}
    # Cybercrime below the national threshold: Report Fraud must be told before closing.
    refused = await officer.post(f"{path}/close", summary)
    assert refused.status_code == 409 and "Report Fraud" in refused.json()["detail"]
    told = await officer.post(
        f"{path}/obligations/report_fraud/submissions", {"reference": "NFRC-2611-0042"}
    )
    assert told.status_code == 200
    closed = await officer.post(
        f"{path}/close", {"summary": "Passwords reset, mailbox rules removed."}
    )
    assert closed.json()["stage"] == "closed"

    async def recorded_closed() -> bool:
        return (await officer.get(path)).json()["stage"] == "closed"

    await eventually(recorded_closed)
    late = await officer.post(f"{path}/notes", {"text": "One more thing"})
    assert late.status_code == 409 and "is closed" in late.json()["detail"]


async def test_a_member_acknowledges_from_the_link_in_their_email(
    http: httpx.AsyncClient, database: Database, mail_server: MailServer
) -> None:
    officer = await officer_for(database, http)
    created = await officer.open()
    address = officer.council.email(MemberRole.SENIOR_MANAGEMENT_MEMBER)
    [mail] = await mail_server.inbox.wait_for(lambda m: m.to == address)
    link = re.search(r"http://concordat\.test(/ack/\S+)", mail.text())
    assert link is not None
    assert link.group(1) in mail.html()

    page = await http.get(link.group(1))
    assert page.status_code == 200 and "I acknowledge this incident" in page.text
    done = await http.post(link.group(1))
    assert done.status_code == 200 and "Your acknowledgement of" in done.text
    assert "govuk-panel" in done.text
    view = (await officer.get(f"/api/incidents/{created['id']}")).json()
    [ack] = view["live"]["acknowledgements"]
    assert ack["member_id"] == officer.council.members[MemberRole.SENIOR_MANAGEMENT_MEMBER]
    assert ack["via"] == "email_link"
    # A used link is not an error: the page says when it was used and that it stands.
    again = await http.get(link.group(1))
    assert again.status_code == 200 and "already acknowledged" in again.text
    assert (
        "govuk-error-summary" not in again.text and "I acknowledge this incident" not in again.text
    )
    replayed = await http.post(link.group(1))
    assert replayed.status_code == 200 and "already acknowledged" in replayed.text
    view = (await officer.get(f"/api/incidents/{created['id']}")).json()
    assert len(view["live"]["acknowledgements"]) == 1

    # An altered link names nobody, so its page is in Welsh unless this browser chose English.
    tampered = await http.get(link.group(1)[:-3] + "abc")
    assert tampered.status_code == 400 and "ddolen gydnabod hon yn ddilys" in tampered.text

    # The role changes hands: the previous holder's link no longer acknowledges for it.
    async with database.session() as session:
        await name_member(
            officer.council.id,
            MemberRole.SENIOR_MANAGEMENT_MEMBER,
            name="New Director",
            work_email=f"new.director@{officer.council.domain}",
            session=session,
        )
    stale = await http.get(link.group(1))
    # The new holder's language is not recorded yet: Welsh.
    assert stale.status_code == 403 and "oedd yn y rôl o'r blaen" in stale.text


async def test_an_officer_opens_an_incident_through_the_form(
    http: httpx.AsyncClient, database: Database, mail_server: MailServer
) -> None:
    from tests.incident_form_steps import confirm, moment_fields

    officer = await officer_for(database, http)
    assert (await http.get("/incidents/new")).status_code == 303
    person, password = await make_user(database, officer.council)

    # Pages are in Welsh until someone chooses otherwise; the refusal is in the page's language.
    wrong = await sign_in(http, person.email, "not the password at all", next="/incidents/new")
    assert (
        wrong.status_code == 401 and "yn cyfateb" in wrong.text and "do not match" not in wrong.text
    )
    http.cookies.set("concordat_language", "en")
    wrong = await sign_in(http, person.email, "not the password at all", next="/incidents/new")
    assert (
        wrong.status_code == 401 and "do not match" in wrong.text and "yn cyfateb" not in wrong.text
    )
    http.cookies.delete("concordat_language")
    signed_in = await sign_in(http, person.email, password, next="/incidents/new")
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/incidents/new"

    form = await http.get("/incidents/new")
    assert form.status_code == 200 and "Adrodd digwyddiad seiber" in form.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    form_id = re.search(r'name="form_id" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    fields = {
        "csrf_token": csrf,
        "form_id": form_id,
        "authority": officer.council.code,
        "title": "Denial of service on the council website",
        "description": "Site down since 09:00.",
        "incident_type": "denial_of_service",
        "category": "4",
        **moment_fields("detected_at", "2026-11-20T09:00"),
        "reporter_name": "Siân",
        "reporter_email": "sian@oncall.example",
        "tlp": "TLP:GREEN",
    }
    invalid = await http.post("/incidents/new", data=fields | {"reporter_email": "nope"})
    assert invalid.status_code == 422
    assert "Rhowch gyfeiriad e-bost yn y fformat cywir" in invalid.text
    assert (
        await http.post("/incidents/new", data=fields | {"csrf_token": "forged"})
    ).status_code == 403

    checked = await http.post("/incidents/new", data=fields)
    assert checked.status_code == 200 and "Gwiriwch eich atebion" in checked.text
    submitted = await confirm(http, checked)
    assert submitted.status_code == 303
    resubmitted = await confirm(http, checked)  # a double click
    assert resubmitted.headers["location"] == submitted.headers["location"]
    page = await http.get(submitted.headers["location"])
    assert f"{officer.council.code}-" in page.text and "Denial of service" in page.text
    await mail_server.inbox.wait_for(lambda m: m.to.endswith(officer.council.domain), count=2)
    assert await count_incidents(database, officer.council) == 1


async def test_a_page_session_ends_when_the_user_is_disabled(
    http: httpx.AsyncClient, database: Database
) -> None:
    officer = await officer_for(database, http)
    person, password = await make_user(database, officer.council)
    await sign_in(http, person.email, password)
    assert (await http.get("/incidents")).status_code == 200
    async with database.session() as session:
        stored = await session.get(User, person.id)
        assert stored is not None
        stored.disabled_at = datetime.now(UTC)
        session.add(stored)
        await session.commit()
    ended = await http.get("/incidents")
    assert ended.status_code == 303 and ended.headers["location"].startswith("/signin")
    http.cookies.clear()


async def test_health_says_only_that_the_process_answers(http: httpx.AsyncClient) -> None:
    """Liveness; the dependencies are /readyz's (tests/test_readiness.py)."""
    response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_oversized_and_out_of_range_requests_are_refused(
    http: httpx.AsyncClient, database: Database
) -> None:
    officer = await officer_for(database, http)
    response = await officer.post(
        "/api/incidents", report(officer.council.code, description="x" * 2_000_000)
    )
    assert response.status_code == 413

    async def chunks():  # no Content-Length: a chunked upload
        for _ in range(40):
            yield b"x" * 65536

    chunked = await http.post("/api/incidents", content=chunks(), headers=officer.headers)
    assert chunked.status_code == 413
    assert (await officer.get("/api/incidents?offset=9223372036854775808")).status_code == 422
    assert (await officer.get("/api/incidents/%00")).status_code == 404


@pytest.mark.parametrize("not_a_count", [True, "2", 2.5])
async def test_a_policy_count_must_be_a_number(
    http: httpx.AsyncClient, database: Database, not_a_count: Any
) -> None:
    """JSON true is not the number 1, nor is "2" the number 2: the policy keeps what it had."""
    council = await make_authority(database)
    async with database.session() as session:
        _, token = await issue_token(
            "administrator",
            authority_id=council.id,
            role=AccessRole.AUTHORITY_ADMIN,
            session=session,
        )
    admin = Officer(http, token, council)
    policy = f"/api/authorities/{council.code}/policy"

    refused = await http.put(
        policy, json={"reminders_before_escalation": not_a_count}, headers=admin.headers
    )
    assert refused.status_code == 422, refused.text
    kept = await http.put(policy, json={"reminders_before_escalation": 2}, headers=admin.headers)
    assert kept.status_code == 200 and kept.json()["reminders_before_escalation"] == 2


async def _administrator_of(database: Database, http: httpx.AsyncClient) -> Officer:
    council = await make_authority(database, roles=(MemberRole.EXECUTIVE_MEMBER,))
    async with database.session() as session:
        _, token = await issue_token(
            "administrator",
            authority_id=council.id,
            role=AccessRole.AUTHORITY_ADMIN,
            session=session,
        )
    return Officer(http, token, council)


async def test_a_member_s_mobile_is_kept_as_e164_and_anything_else_refused(
    http: httpx.AsyncClient, database: Database
) -> None:
    admin = await _administrator_of(database, http)
    path = f"/api/authorities/{admin.council.code}/members/executive_member"
    member = {
        "name": "Cllr Rhian Jones",
        "work_email": admin.council.email(MemberRole.EXECUTIVE_MEMBER),
        "language": "cy",
    }

    landline = await http.put(
        path, json=member | {"mobile": "029 2087 2087"}, headers=admin.headers
    )
    assert landline.status_code == 422, landline.text
    refusal = landline.json()["detail"]
    assert "Enter a UK mobile number, like 07700 900123 or +44 7700 900123" in refusal
    assert "Rhowch rif ffôn symudol yn y DU" in refusal

    saved = await http.put(path, json=member | {"mobile": "07700 900123"}, headers=admin.headers)
    assert saved.status_code == 200, saved.text
    assert saved.json()["mobile"] == "+447700900123"
    listed = await admin.get(f"/api/authorities/{admin.council.code}/members")
    assert [m["mobile"] for m in listed.json()] == ["+447700900123"]
    async with database.session() as session:
        (stored,) = await members_of(admin.council.id, session=session)
        (change,) = await changes_of(admin.council.id, session=session)
    assert stored.mobile == "+447700900123"
    assert change.changes["mobile"] == [None, "+447700900123"]

    cleared = await http.put(path, json=member, headers=admin.headers)
    assert cleared.status_code == 200 and cleared.json()["mobile"] is None


async def test_the_channel_plan_and_delivery_timeout_through_the_api(
    http: httpx.AsyncClient, database: Database
) -> None:
    admin = await _administrator_of(database, http)
    policy = f"/api/authorities/{admin.council.code}/policy"
    both, email = ["email", "sms"], ["email"]
    plan = {
        "category_1_3": {"first": both, "reminder": both, "escalation": both},
        "category_4": {"first": both, "reminder": both, "escalation": both},
        "category_5_6": {"first": email, "reminder": email, "escalation": ["notify_email"]},
    }

    untouched = await http.put(policy, json={}, headers=admin.headers)
    assert untouched.status_code == 200, untouched.text
    assert untouched.json()["channels"] is None
    in_effect = untouched.json()["in_effect"]
    assert in_effect["delivery_timeout_seconds"] == 300
    assert in_effect["channels"]["category_4"]["first"] == ["email"]  # the national plan

    for refused in (
        {
            "channels": plan
            | {"category_4": {"first": ["teams"], "reminder": both, "escalation": both}}
        },
        {"channels": plan | {"category_4": {"first": [], "reminder": both, "escalation": both}}},
        {"delivery_timeout_seconds": 10},
        {"delivery_timeout_seconds": "300"},
    ):
        answer = await http.put(policy, json=refused, headers=admin.headers)
        assert answer.status_code == 422, (refused, answer.text)

    saved = await http.put(
        policy, json={"channels": plan, "delivery_timeout_seconds": 90}, headers=admin.headers
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["channels"] == plan
    assert saved.json()["delivery_timeout_seconds"] == 90
    assert saved.json()["in_effect"]["channels"] == plan
    assert saved.json()["in_effect"]["delivery_timeout_seconds"] == 90
    assert saved.json()["in_effect"]["reminders_before_escalation"] == 1

    # Timings alone keep the plan.
    kept = await http.put(policy, json={"reminders_before_escalation": 2}, headers=admin.headers)
    assert kept.status_code == 200 and kept.json()["in_effect"]["channels"] == plan
    async with database.session() as session:
        effective = await effective_policy(admin.council.id, session=session)
        changes = await changes_of(admin.council.id, session=session)
    assert effective.channels.model_dump(mode="json") == plan
    assert effective.delivery_timeout == timedelta(seconds=90)
    assert [c.subject for c in changes] == ["policy", "policy"]
    assert changes[1].changes == {
        "delivery_timeout_seconds": [None, 90],
        "channels.category_4.first": [["email"], ["email", "sms"]],
        "channels.category_5_6.escalation": [["email"], ["notify_email"]],
    }
