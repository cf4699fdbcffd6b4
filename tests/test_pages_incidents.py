"""The pages a council's staff use to report incidents and find them again: the form, its
errors in Welsh and in English, the check of the answers, and the list."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
from sqlmodel import func, select

from domain.obligations import Body, ObligationState
from domain.vocabulary import NcscCategory, Stage
from models import Incident, ObligationRecord
from runtime.database import Database
from tests.incident_form_steps import (
    check_answers,
    confirm,
    form_value,
    hidden_fields,
    moment_fields,
)
from tests.support import CouncilUnderTest, make_authority, make_user, open_test_incident, sign_in
from web.i18n import LANGUAGE_COOKIE


async def _signed_in(http: httpx.AsyncClient, database: Database) -> CouncilUnderTest:
    council = await make_authority(database, reporting=False)
    person, password = await make_user(database, council)
    assert (await sign_in(http, person.email, password)).status_code == 303
    return council


def _answers(council: CouncilUnderTest, **changes: str) -> dict[str, str]:
    detected = datetime.now(UTC) - timedelta(hours=2)
    return {
        "authority": council.code,
        "title": "Denial of service on the council website",
        "description": "Site down since 09:00.\nThe hosting company is looking at it.",
        "incident_type": "denial_of_service",
        "category": "4",
        "personal_data": "no",
        "tlp": "TLP:GREEN",
        "reporter_name": "Siân",
        "reporter_email": "sian@oncall.example",
        **moment_fields("detected_at", detected),
    } | changes


async def _count(database: Database, council: CouncilUnderTest) -> int:
    async with database.session() as session:
        return (
            await session.exec(
                select(func.count())
                .select_from(Incident)
                .where(Incident.authority_id == council.id)
            )
        ).one()


def _summary_links(page: str) -> list[str]:
    summary = page.split('class="govuk-error-summary"')[1].split("</ul>")[0]
    return re.findall(r'href="#([^"]+)"', summary)


async def test_the_forms_errors_name_each_field_by_its_label_in_welsh_and_english(
    http: httpx.AsyncClient, database: Database
) -> None:
    council = await _signed_in(http, database)
    wrong = _answers(
        council,
        title="ab",
        description="",
        category="",
        reporter_email="not an address",
        **{"detected_at-month": ""},
    )

    welsh = await check_answers(http, wrong)
    assert welsh.status_code == 422
    assert "<title>Gwall:" in welsh.text and "Mae problem" in welsh.text
    assert "Rhaid i “Teitl byr” fod yn 3 nod neu fwy" in welsh.text
    assert "Rhowch beth ddigwyddodd" in welsh.text
    assert "Rhaid i “Dyddiad ac amser canfod” gynnwys y mis" in welsh.text

    http.cookies.set(LANGUAGE_COOKIE, "en")
    english = await check_answers(http, wrong)
    assert english.status_code == 422
    text = english.text
    assert "<title>Error: Report a cyber incident" in text and "There is a problem" in text
    assert "Short title must be 3 characters or more" in text
    assert "Enter what happened" in text and "is required" not in text
    assert "Select the NCSC category" in text
    assert "Date and time detected must include the month" in text
    assert "Enter an email address in the correct format, like name@example.com" in text
    # Problems are listed in the form's order, each linked to its field ...
    assert _summary_links(text) == [
        "title",
        "description",
        "category",
        "detected_at-month",
        "reporter_email",
    ]
    # ... and shown beside it, which its input announces; nothing says "reporter_email".
    assert 'id="title-error"' in text and 'aria-describedby="title-hint title-error"' in text
    assert "reporter_email:" not in text and "String should" not in text
    # What was typed is kept.
    assert 'value="not an address"' in text and 'name="detected_at-day"' in text


async def test_checking_the_answers_then_opening_opens_exactly_one_incident(
    http: httpx.AsyncClient, database: Database
) -> None:
    council = await _signed_in(http, database)
    http.cookies.set(LANGUAGE_COOKIE, "en")
    answers = _answers(
        council,
        personal_data="yes",
        personal_data_risk="high",
        **{"exercise": "yes"},
    )
    check = await check_answers(http, answers)
    assert check.status_code == 200, check.text
    assert "Check your answers before opening the incident" in check.text
    assert "Denial of service on the council website" in check.text
    assert "A high risk to people&#39;s rights and freedoms" in check.text
    assert await _count(database, council) == 0  # nothing is opened before the check

    # Change: back to the form with every answer kept, and the same form id.
    kept = hidden_fields(check.text)
    changed = await http.post("/incidents/new/change", data=kept | {"change": "title"})
    assert changed.status_code == 200
    assert 'value="Denial of service on the council website"' in changed.text
    assert form_value(changed.text, "form_id") == kept["form_id"]
    assert re.search(r'value="high" checked', changed.text)

    check = await check_answers(
        http,
        {name: value for name, value in kept.items()}
        | {"title": "Denial of service on the website", "csrf_token": kept["csrf_token"]},
    )
    assert "Denial of service on the website" in check.text
    opened = await confirm(http, check)
    assert opened.status_code == 303 and opened.headers["location"].startswith("/incidents/")
    again = await confirm(http, check)  # a double click
    assert again.headers["location"] == opened.headers["location"]
    assert await _count(database, council) == 1

    http.cookies.set(LANGUAGE_COOKIE, "cy")
    welsh = await check_answers(
        http, answers | {"form_id": "0" * 32, "csrf_token": kept["csrf_token"]}
    )
    assert "Gwiriwch eich atebion cyn agor y digwyddiad" in welsh.text
    assert (await http.get("/incidents/new/check")).headers["location"] == "/incidents/new"


async def test_the_list_filters_sorts_and_pages_and_shows_only_the_readers_council(
    http: httpx.AsyncClient, database: Database
) -> None:
    council = await _signed_in(http, database)
    other = await make_authority(database, reporting=False)
    secret = await open_test_incident(database, other, title="Another council's incident")
    opened = [
        await open_test_incident(
            database,
            council,
            title=f"Phishing wave {number:02d}",
            category=NcscCategory.MODERATE if number % 2 else NcscCategory.SUBSTANTIAL,
            exercise=number == 7,
            detected_at=datetime.now(UTC) - timedelta(hours=30 - number),
        )
        for number in range(27)
    ]
    async with database.session() as session:
        closing = await session.get(Incident, opened[3].id)
        assert closing is not None
        closing.stage, closing.closed_at = Stage.CLOSED, datetime.now(UTC)
        session.add(closing)
        session.add(
            ObligationRecord(
                incident_id=opened[20].id,
                body=Body.NCSC,
                state=ObligationState.DUE,
                deadline=datetime.now(UTC) + timedelta(hours=5),
            )
        )
        await session.commit()
    http.cookies.set(LANGUAGE_COOKIE, "en")

    def rows(page: httpx.Response) -> list[str]:
        assert page.status_code == 200, page.text
        return re.findall(r">(Phishing wave \d\d|Another council&#39;s incident)<", page.text)

    first = await http.get("/incidents")
    assert len(rows(first)) == 25 and rows(first)[0] == "Phishing wave 26"  # newest first
    assert "Report a cyber incident" in first.text and "app-table-scroll" in first.text
    assert 'href="/incidents?page=2"' in first.text
    second = await http.get("/incidents?page=2")
    assert rows(second) == ["Phishing wave 01", "Phishing wave 00"]
    assert secret.reference not in first.text + second.text

    # Another council's code in the filter narrows nothing it may not see.
    assert rows(await http.get(f"/incidents?authority={other.code}"))[0] == "Phishing wave 26"
    by_reference = await http.get("/incidents?sort=reference&page=2")
    assert rows(by_reference) == ["Phishing wave 25", "Phishing wave 26"]
    by_deadline = await http.get("/incidents?sort=deadline")
    assert rows(by_deadline)[0] == "Phishing wave 20"
    closed = await http.get("/incidents?status=closed")
    assert rows(closed) == ["Phishing wave 03"] and "govuk-tag--grey" in closed.text
    exercises = await http.get("/incidents?kind=exercise&category=5")
    assert rows(exercises) == ["Phishing wave 07"]
    moderate = await http.get("/incidents?category=5&status=open&sort=reference")
    assert len(rows(moderate)) == 12 and "page=2" not in moderate.text
    nothing = await http.get("/incidents?stage=recovered")
    assert rows(nothing) == [] and "No incidents match these filters." in nothing.text

    http.cookies.set(LANGUAGE_COOKIE, "cy")
    welsh = await http.get("/incidents?status=open&sort=deadline")
    assert "Adrodd digwyddiad seiber" in welsh.text and "Terfyn amser nesaf" in welsh.text
    assert "selected" in welsh.text.split('name="sort"')[1].split("</select>")[0]
