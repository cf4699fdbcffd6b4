"""Reporting through the API: drafts, submissions, waivers, the breach register, scorecards."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from domain.clock import UK_TIME
from domain.obligations import Body
from domain.vocabulary import MemberRole
from models import ReportingRuleOverride
from runtime.database import Database
from services import directory
from tests.incident_form_steps import report_through_the_form
from tests.support import eventually, make_user, sign_in
from tests.test_api import Officer, officer_for, report


async def personal_data_officer(database: Database, http: httpx.AsyncClient) -> Officer:
    officer = await officer_for(database, http)
    async with database.session() as session:
        for body in (Body.ICO, Body.NCSC):
            await directory.set_reporting_rule(
                officer.council.id,
                ReportingRuleOverride(authority_id=officer.council.id, body=body, enabled=True),
                session=session,
            )
    return officer


async def opened(officer: Officer, **overrides: Any) -> str:
    created = await officer.open(**overrides)
    path = f"/api/incidents/{created['id']}"

    async def running() -> bool:
        live = (await officer.get(path)).json()["live"]
        return bool(live) and live["stage"] not in ("detected", "triaged")

    await eventually(running)
    return path


async def test_the_ncsc_draft_uses_the_uncompromised_contact_and_the_ico_draft_the_register(
    http: httpx.AsyncClient, database: Database
) -> None:
    officer = await personal_data_officer(database, http)
    async with database.session() as session:
        with pytest.raises(ValueError, match="council's own mail domain"):
            await directory.set_ncsc_contact(
                officer.council.id, f"soc@{officer.council.domain}", session=session
            )
        await directory.set_ncsc_contact(
            officer.council.id, "cyber-incidents@backup.example", session=session
        )
    path = await opened(officer, category=3, personal_data=True)

    ncsc = await officer.get(f"{path}/obligations/ncsc/draft")
    assert ncsc.status_code == 200 and ncsc.headers["content-type"].startswith("text/plain")
    assert "4. Your contact details\n   cyber-incidents@backup.example" in ncsc.text

    register = await officer.http.put(
        f"{path}/breach",
        json={
            "data_subject_categories": "Council tax payers",
            "approximate_data_subjects": 1200,
            "remedial_action": "Passwords reset; mailbox rule removed",
        },
        headers=officer.headers,
    )
    assert register.status_code == 200 and register.json()["ico_decision"] == "pending"
    huge = await officer.http.put(
        f"{path}/breach", json={"approximate_records": 5_000_000_000}, headers=officer.headers
    )
    assert huge.status_code == 200 and huge.json()["approximate_records"] == 5_000_000_000
    ico = await officer.get(f"{path}/obligations/ico/draft?format=html")
    assert ico.headers["content-type"].startswith("text/html")
    assert "Council tax payers" in ico.text and "1200" in ico.text
    assert "Passwords reset; mailbox rule removed" in ico.text
    assert (await officer.get(f"{path}/obligations/ico/draft?format=pdf")).status_code == 422


async def test_submissions_and_waivers_through_the_api_settle_every_obligation(
    http: httpx.AsyncClient, database: Database
) -> None:
    officer = await personal_data_officer(database, http)
    path = await opened(officer, category=3, personal_data=True)

    obligations = {o["body"]: o for o in (await officer.get(f"{path}/obligations")).json()}
    assert obligations["ncsc"]["state"] == "due" and obligations["ico"]["state"] == "due"
    assert obligations["insurer"]["state"] == "not_required"

    missing_reference = await officer.post(f"{path}/obligations/ico/submissions", {})
    assert (
        missing_reference.status_code == 422
        and "case reference" in missing_reference.json()["detail"]
    )
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert (
        await officer.post(
            f"{path}/obligations/ico/submissions", {"reference": "IC-1", "submitted_at": future}
        )
    ).status_code == 422
    told = await officer.post(f"{path}/obligations/ico/submissions", {"reference": "IC-1"})
    assert told.status_code == 200
    assert (
        await officer.post(f"{path}/obligations/ico/submissions", {"reference": "IC-2"})
    ).status_code == 409
    follow_up = await officer.post(
        f"{path}/obligations/ico/submissions", {"phase": "follow_up", "summary": "Final numbers"}
    )
    assert follow_up.status_code == 200
    assert (
        await officer.post(
            f"{path}/obligations/insurer/waiver", {"reason": "Not insured for cyber"}
        )
    ).status_code == 409
    assert (
        await officer.post(f"{path}/obligations/ncsc/waiver", {"reason": "short"})
    ).status_code == 422
    waived = await officer.post(
        f"{path}/obligations/ncsc/waiver", {"reason": "The NCSC was told by CymruSOC on our behalf"}
    )
    assert waived.status_code == 200
    assert (
        await officer.post(f"{path}/obligations/nobody/waiver", {"reason": "x" * 20})
    ).status_code == 422

    closed = await officer.post(f"{path}/close", {"summary": "Contained and reported to the ICO."})
    assert closed.status_code == 200 and closed.json()["stage"] == "closed"


async def test_the_breach_register_lists_every_breach_and_keeps_exercises_apart(
    http: httpx.AsyncClient, database: Database
) -> None:
    officer = await personal_data_officer(database, http)
    real = await opened(officer, personal_data=True)
    exercise = await opened(officer, personal_data=True, exercise=True)
    await opened(officer)  # no personal data: not a breach

    async def both_recorded() -> list[dict[str, Any]] | None:
        entries = (await officer.get("/api/breaches?include_exercises=true")).json()
        return entries if len(entries) == 2 else None

    entries = await eventually(both_recorded)
    assert {e["exercise"] for e in entries} == {True, False}
    real_only = (await officer.get("/api/breaches")).json()
    assert [e["incident_id"] for e in real_only] == [real.rsplit("/", 1)[1]]
    assert exercise.rsplit("/", 1)[1] not in [e["incident_id"] for e in real_only]
    listed = (await officer.get("/api/incidents?exercise=false")).json()
    assert all(not i["exercise"] for i in listed) and len(listed) == 2


async def test_the_scorecard_shows_deadlines_and_acknowledgement_times(
    http: httpx.AsyncClient, database: Database
) -> None:
    officer = await personal_data_officer(database, http)
    path = await opened(officer, personal_data=True, exercise=True)
    executive = officer.council.members[MemberRole.EXECUTIVE_MEMBER]
    await officer.post(f"{path}/acknowledge", {"member_id": executive})
    await officer.post(f"{path}/obligations/ico/submissions", {"reference": "IC-9"})
    card = (await officer.get(f"{path}/scorecard")).json()
    assert card["exercise"] is True
    [ico] = [d for d in card["deadlines"] if d["body"] == "ico"]
    assert ico["met"] is True
    chains = {a["chain"]: a for a in card["acknowledgements"]}
    assert chains["executive"]["time_to_acknowledge"] is not None
    assert chains["senior_management"]["acknowledged_at"] is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"aware_at": (datetime.now(UTC) + timedelta(hours=3)).isoformat()},
            "aware_at is in the future",
        ),
        ({"personal_data": True, "personal_data_risk": "unlikely"}, "reassess"),
        ({"personal_data_risk": "high"}, "only for incidents involving personal data"),
    ],
)
async def test_assessments_that_cannot_be_right_are_refused(
    http: httpx.AsyncClient, database: Database, change: dict[str, Any], message: str
) -> None:
    officer = await officer_for(database, http)
    response = await officer.post("/api/incidents", report(officer.council.code, **change))
    assert response.status_code == 422 and message in response.json()["detail"]


async def test_another_authority_cannot_see_or_settle_obligations(
    http: httpx.AsyncClient, database: Database
) -> None:
    officer = await personal_data_officer(database, http)
    neighbour = await officer_for(database, http)
    path = await opened(officer, personal_data=True)
    for attempt in (
        neighbour.get(f"{path}/obligations"),
        neighbour.get(f"{path}/obligations/ico/draft"),
        neighbour.get(f"{path}/breach"),
        neighbour.get(f"{path}/scorecard"),
        neighbour.post(f"{path}/obligations/ico/submissions", {"reference": "IC-1"}),
        neighbour.post(f"{path}/obligations/ico/waiver", {"reason": "Nothing to see here at all"}),
    ):
        assert (await attempt).status_code == 404
    assert (await neighbour.get("/api/breaches")).json() == []


def _an_hour_ago() -> str:
    """A datetime-local value: UK time an hour ago, so the ICO's 72 hours are still running."""
    return (datetime.now(UK_TIME) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


async def test_an_officer_runs_an_exercise_from_the_pages(
    http: httpx.AsyncClient, database: Database
) -> None:
    officer = await personal_data_officer(database, http)
    person, password = await make_user(database, officer.council)
    await sign_in(http, person.email, password)
    http.cookies.set("concordat_language", "en")
    form = await http.get("/incidents/new")
    fields = {
        "csrf_token": _csrf(form),
        "authority": officer.council.code,
        "title": "Exercise: lost laptop",
        "description": "A laptop with case files left on a train.",
        "incident_type": "data_loss",
        "category": "5",
        "detected_at": _an_hour_ago(),
        "reporter_name": "Siân",
        "reporter_email": "sian@oncall.example",
        "personal_data": "yes",
        "personal_data_risk": "high",
        "exercise": "yes",
    }
    opened = await report_through_the_form(http, fields)
    assert opened.status_code == 303
    status_path = opened.headers["location"]

    async def running() -> httpx.Response | None:
        page = await http.get(status_path)
        return page if "Record a submission to" in page.text else None

    page = await eventually(running)
    assert "EXERCISE" in page.text and "Breach register" in page.text
    assert "Exercise scorecard" in page.text
    told = await http.post(
        f"{status_path}/actions/submission",
        data={"csrf_token": _csrf(page), "body": "ico", "phase": "initial", "reference": "IC-77"},
    )
    assert told.status_code == 303
    wrong = await http.post(
        f"{status_path}/actions/waiver",
        data={"csrf_token": _csrf(page), "body": "nobody", "reason": "A reason long enough"},
    )
    assert wrong.status_code == 422
    saved = await http.post(
        f"{status_path}/breach",
        data={
            "csrf_token": _csrf(page),
            "facts": "Laptop left on the 08:10",
            "approximate_data_subjects": "40",
        },
    )
    assert saved.status_code == 303
    page = await http.get(status_path)
    assert "IC-77" in page.text and "Laptop left on the 08:10" in page.text
    draft_link = re.search(
        r'href="(/incidents/[^"]+/obligations/ico/draft\?format=html)"', page.text
    )
    assert draft_link is not None
    draft = await http.get(draft_link.group(1))
    assert draft.status_code == 200 and "Article 33" in draft.text and "EXERCISE" in draft.text


async def test_left_out_aware_at_is_detected_at_so_the_icos_72_hours_start_at_detection(
    http: httpx.AsyncClient, database: Database
) -> None:
    officer = await personal_data_officer(database, http)
    # Reported two days after it was detected (the README's example is eight).
    detected = (datetime.now(UTC) - timedelta(days=2)).replace(microsecond=0)
    path = await opened(officer, personal_data=True, detected_at=detected.isoformat())

    view = (await officer.get(path)).json()
    assert datetime.fromisoformat(view["aware_at"]) == detected
    ico = {o["body"]: o for o in (await officer.get(f"{path}/obligations")).json()}["ico"]
    assert ico["state"] == "due"
    assert datetime.fromisoformat(ico["deadline"]) == detected + timedelta(hours=72)

    # A later aware-at is a choice the officer makes, and the clock follows it.
    aware = detected + timedelta(hours=30)
    later = await opened(
        officer,
        personal_data=True,
        detected_at=detected.isoformat(),
        aware_at=aware.isoformat(),
    )
    ico = {o["body"]: o for o in (await officer.get(f"{later}/obligations")).json()}["ico"]
    assert datetime.fromisoformat(ico["deadline"]) == aware + timedelta(hours=72)


async def test_the_form_says_an_empty_aware_at_is_the_time_of_detection(
    http: httpx.AsyncClient, database: Database
) -> None:
    officer = await officer_for(database, http)
    person, password = await make_user(database, officer.council)
    await sign_in(http, person.email, password)
    welsh = await http.get("/incidents/new")
    assert "dyma'r amser y canfuwyd y digwyddiad" in html.unescape(welsh.text)
    http.cookies.set("concordat_language", "en")
    form = await http.get("/incidents/new")
    assert "Left empty, it is the time the incident was detected" in form.text
    opened = await report_through_the_form(
        http,
        {
            "csrf_token": _csrf(form),
            "authority": officer.council.code,
            "title": "Mailbox rule forwarding invoices",
            "description": "A rule forwarded every invoice to an outside address.",
            "incident_type": "account_compromise",
            "category": "4",
            "detected_at": "2026-11-20T09:00",
            "aware_at": "",
            "reporter_name": "Siân",
            "reporter_email": "sian@oncall.example",
        },
    )
    assert opened.status_code == 303
    incident = (await officer.get("/api" + opened.headers["location"])).json()
    # 09:00 in Cardiff in November is 09:00 UTC.
    assert datetime.fromisoformat(incident["aware_at"]) == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
