"""The central team's picture of Wales: each council's open incidents, the chains nobody has
acknowledged, the reporting clocks running and overdue, the next deadline in Wales; its filters,
its exports, and who may see it. Exercises are counted apart and never as real.

Incidents are written straight into the read side (as the workflows keep it), became aware of in
March 2001 so that a window on that month sees these alone, whatever else the run has opened.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from domain.access import AccessRole
from domain.obligations import Body, ObligationState
from domain.vocabulary import IncidentType, NcscCategory, Stage, Tlp
from models import Incident, ObligationRecord
from runtime.database import Database
from services.tokens import issue_token
from tests.support import CouncilUnderTest, make_authority, make_user, sign_in
from web.i18n import LANGUAGE_COOKIE

_numbers = itertools.count(1)

MARCH_2001 = datetime(2001, 3, 10, 12, 0, tzinfo=UTC)
WINDOW = {"from": "2001-03-01", "to": "2001-03-31"}


async def seed_incident(
    database: Database,
    council: CouncilUnderTest,
    *,
    aware_at: datetime,
    category: int = 4,
    stage: Stage = Stage.NOTIFYING,
    exercise: bool = False,
    incident_type: IncidentType = IncidentType.PHISHING,
    awaiting: int = 0,
    requested_at: datetime | None = None,
    acknowledged_at: datetime | None = None,
) -> Incident:
    """An incident as the read side holds it once its workflow has recorded some events (so
    the reconciliation leaves it be)."""
    incident_id, number = str(uuid.uuid4()), next(_numbers)
    incident = Incident(
        id=incident_id,
        authority_id=council.id,
        reference=f"{council.code}-{aware_at.year}-{number:04d}",
        year=aware_at.year,
        number=number,
        workflow_id=f"incident-{incident_id}",
        title="Seeded for the national figures",
        description="Written straight into the read side.",
        incident_type=incident_type,
        category=NcscCategory(category),
        exercise=exercise,
        tlp=Tlp.AMBER,
        detected_at=aware_at,
        aware_at=aware_at,
        reporter_name="Seed",
        reporter_email="seed@national.example",
        opened_by="tests",
        stage=stage,
        closed_at=aware_at + timedelta(days=2) if stage is Stage.CLOSED else None,
        awaiting_acknowledgement=awaiting,
        acknowledgement_requested_at=requested_at,
        first_acknowledged_at=acknowledged_at,
        last_event_sequence=1,
    )
    async with database.session() as session:
        session.add(incident)
        await session.commit()
    return incident


async def seed_clock(
    database: Database,
    incident: Incident,
    body: Body,
    state: ObligationState,
    *,
    started: datetime | None = None,
    deadline: datetime | None = None,
    submitted: datetime | None = None,
) -> None:
    async with database.session() as session:
        session.add(
            ObligationRecord(
                incident_id=incident.id,
                body=body,
                state=state,
                clock_started_at=started,
                deadline=deadline,
                submitted_at=submitted,
            )
        )
        await session.commit()


@dataclass
class Wales:
    a: CouncilUnderTest
    b: CouncilUnderTest
    c: CouncilUnderTest
    incidents: dict[str, Incident]
    token: str
    email: str
    password: str


@pytest.fixture(scope="module")
async def wales(database: Database) -> Wales:
    """Three councils: A with two open incidents (one waiting on both chains with a clock due,
    one with its ICO clock overdue), a closed one and an open exercise whose clock is the
    soonest of all; B with an open incident whose ICO clock is due next in Wales, and one
    known in May; C with none."""
    now = datetime.now(UTC)
    a, b, c = [await make_authority(database, roles=(), reporting=False) for _ in range(3)]
    made = {
        "a1": await seed_incident(database, a, aware_at=MARCH_2001, category=3, awaiting=2),
        "a2": await seed_incident(
            database, a, aware_at=MARCH_2001, category=4, stage=Stage.REPORTING
        ),
        "a3": await seed_incident(database, a, aware_at=MARCH_2001, category=2, stage=Stage.CLOSED),
        "a4": await seed_incident(
            database,
            a,
            aware_at=MARCH_2001,
            category=1,
            stage=Stage.DETECTED,
            exercise=True,
            awaiting=2,
        ),
        "b1": await seed_incident(
            database, b, aware_at=MARCH_2001, category=3, stage=Stage.CONTAINED
        ),
        "b2": await seed_incident(
            database,
            b,
            aware_at=datetime(2001, 5, 20, tzinfo=UTC),
            category=5,
            stage=Stage.TRIAGED,
        ),
    }
    await seed_clock(
        database, made["a1"], Body.NCSC, ObligationState.DUE, deadline=now + timedelta(hours=3)
    )
    await seed_clock(
        database, made["a2"], Body.ICO, ObligationState.OVERDUE, deadline=now - timedelta(hours=2)
    )
    await seed_clock(
        database, made["a4"], Body.NCSC, ObligationState.DUE, deadline=now + timedelta(hours=1)
    )
    await seed_clock(
        database, made["b1"], Body.ICO, ObligationState.DUE, deadline=now + timedelta(hours=2)
    )
    central, password = await make_user(database, None, AccessRole.CENTRAL_TEAM)
    async with database.session() as session:
        _, token = await issue_token(
            "central team", authority_id=None, user_id=central.id, session=session
        )
    return Wales(a, b, c, made, token, central.email, password)


def _rows(picture: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["code"]: row for row in picture["authorities"]}


async def test_every_council_has_a_row_and_an_exercise_counts_only_as_an_exercise(
    http: httpx.AsyncClient, wales: Wales
) -> None:
    headers = {"Authorization": f"Bearer {wales.token}"}
    answer = await http.get("/api/national/picture", headers=headers)
    assert answer.status_code == 200, answer.text
    rows = _rows(answer.json())
    assert {wales.a.code, wales.b.code, wales.c.code, "CDF", "WRX"} <= set(rows)

    a = rows[wales.a.code]
    assert a["open"] == 2 and a["exercises_open"] == 1
    assert a["by_category"] == {"1": 0, "2": 0, "3": 1, "4": 1, "5": 0, "6": 0}
    assert a["by_stage"]["notifying"] == 1 and a["by_stage"]["reporting"] == 1
    assert a["by_stage"]["detected"] == 0 and "closed" not in a["by_stage"]
    # The exercise's two waiting chains and its sooner clock are in no real figure.
    assert a["unacknowledged"] == 2
    assert (a["clocks_due"], a["clocks_overdue"]) == (1, 1)
    # A's next deadline is its real clock (three hours away), not the exercise's (one hour).
    assert datetime.fromisoformat(a["next_deadline"]) > datetime.now(UTC) + timedelta(hours=2)
    assert rows[wales.c.code] == rows[wales.c.code] | {
        "open": 0,
        "unacknowledged": 0,
        "clocks_due": 0,
        "clocks_overdue": 0,
        "next_deadline": None,
        "exercises_open": 0,
    }
    assert rows[wales.b.code]["open"] == 2

    # Within March 2001, the next deadline in Wales is B's ICO clock, not the exercise's.
    window = await http.get("/api/national/picture", params=WINDOW, headers=headers)
    picture = window.json()
    assert _rows(picture)[wales.b.code]["open"] == 1
    # Wales is the councils added up (whatever else the run has opened in March 2001).
    every = picture["authorities"]
    for figure in ("open", "unacknowledged", "clocks_due", "clocks_overdue", "exercises_open"):
        assert picture["wales"][figure] == sum(row[figure] for row in every), figure
    soonest = picture["next_deadline"]
    assert soonest["reference"] == wales.incidents["b1"].reference
    assert (soonest["body"], soonest["authority_code"]) == ("ico", wales.b.code)


async def test_the_filters_narrow_the_counts_and_bad_ones_are_refused_in_both_languages(
    http: httpx.AsyncClient, wales: Wales
) -> None:
    headers = {"Authorization": f"Bearer {wales.token}"}

    async def rows(**params: str) -> dict[str, dict[str, Any]]:
        answer = await http.get("/api/national/picture", params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        return _rows(answer.json())

    by_category = await rows(category="3")
    assert by_category[wales.a.code]["open"] == 1 and by_category[wales.b.code]["open"] == 1
    assert by_category[wales.a.code]["clocks_overdue"] == 0  # a2 is category 4
    by_stage = await rows(stage="reporting")
    assert by_stage[wales.a.code]["open"] == 1 and by_stage[wales.b.code]["open"] == 0
    assert list(await rows(authority=wales.b.code.lower())) == [wales.b.code]
    recent = await rows(days="30")
    assert recent[wales.a.code]["open"] == 0 and recent[wales.a.code]["exercises_open"] == 0

    backwards = await http.get(
        "/api/national/picture", params={"from": "2001-03-31", "to": "2001-03-01"}, headers=headers
    )
    assert backwards.status_code == 422
    assert "same as or after the first date" in backwards.json()["detail"]
    assert " / " in backwards.json()["detail"]  # and in Welsh
    both = await http.get(
        "/api/national/picture", params={"days": "7", "from": "2001-03-01"}, headers=headers
    )
    assert both.status_code == 422
    closed = await http.get("/api/national/picture", params={"stage": "closed"}, headers=headers)
    assert closed.status_code == 422
    unknown = await http.get("/api/national/picture", params={"authority": "ZZZZ"}, headers=headers)
    assert unknown.status_code == 404 and unknown.json()["detail"].startswith("No authority")


def _row_cells(page: str, table: str, code: str) -> list[str]:
    """The text of each cell in a council's row of one of the page's tables."""
    body = page.split(f'id="{table}"')[1].split("</table>")[0]
    row = body.split(f'data-code="{code}"')[1].split("</tr>")[0]
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
    return [
        re.sub(r"<span class=\"govuk-visually-hidden\">.*?</span>|<[^>]+>", "", c).strip()
        for c in cells
    ]


async def test_the_page_shows_each_council_and_the_next_deadline_and_links_to_the_incidents(
    http: httpx.AsyncClient, wales: Wales
) -> None:
    assert (await sign_in(http, wales.email, wales.password)).status_code == 303
    welsh = await http.get("/wales", params=WINDOW)
    assert welsh.status_code == 200, welsh.text
    assert 'lang="cy"' in welsh.text and "Y darlun cenedlaethol" in welsh.text
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in welsh.text and 'role="img"' in welsh.text

    http.cookies.set(LANGUAGE_COOKIE, "en")
    page = await http.get("/wales", params=WINDOW)
    text = page.text
    assert "The national picture" in text and 'href="/wales" aria-current="true"' in text
    # Council, open, chains nobody acknowledged, running, overdue, next deadline, exercises.
    a = _row_cells(text, "councils", wales.a.code)
    assert a[1:5] == ["2", "2", "1", "1"] and a[6] == "1"
    assert _row_cells(text, "councils", wales.c.code)[1:5] == ["0", "0", "0", "0"]
    assert _row_cells(text, "categories", wales.a.code)[1:] == ["0", "0", "1", "1", "0", "0"]
    wales_row = _row_cells(text, "councils", "WLS")
    assert wales_row[0] == "Wales" and int(wales_row[1]) >= 3
    soonest = text.split('id="next-deadline"')[1].split("</dd>")[0]
    assert wales.incidents["b1"].reference in soonest and "The ICO" in soonest

    # The overdue clock's number leads to its incident, which leads to its own page.
    link = re.search(
        r'href="(/wales/incidents\?[^"]*figure=overdue[^"]*authority=' + wales.a.code + r'[^"]*)"',
        text.replace("&amp;", "&"),
    )
    assert link is not None, "the overdue count links to its incidents"
    behind = await http.get(link.group(1))
    assert behind.status_code == 200 and "Reporting clocks overdue" in behind.text
    assert f'href="/incidents/{wales.incidents["a2"].id}"' in behind.text
    assert wales.incidents["a1"].reference not in behind.text

    wrong = await http.get("/wales", params={"to": "31/03/2001", "days": "x"})
    assert wrong.status_code == 422 and "There is a problem" in wrong.text
    assert 'href="#filter-to"' in wrong.text and 'href="#filter-days"' in wrong.text


async def test_the_csv_export_has_the_pictures_rows_under_its_filters(
    http: httpx.AsyncClient, wales: Wales
) -> None:
    assert (await sign_in(http, wales.email, wales.password)).status_code == 303
    answer = await http.get("/wales/export.csv", params=WINDOW | {"category": "3"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = {row["code"]: row for row in csv.DictReader(io.StringIO(answer.text))}
    assert rows[wales.a.code]["open"] == "1" and rows[wales.a.code]["category_3"] == "1"
    assert rows[wales.a.code]["clocks_due"] == "1" and rows[wales.a.code]["exercises_open"] == "0"
    assert rows[wales.b.code]["open"] == "1" and rows[wales.c.code]["open"] == "0"
    councils = [row for code, row in rows.items() if code != "WLS"]
    assert int(rows["WLS"]["open"]) == sum(int(row["open"]) for row in councils)
    as_json = await http.get("/wales/export.json", params={"authority": wales.a.code})
    assert [row["code"] for row in as_json.json()["authorities"]] == [wales.a.code]
    refused = await http.get("/wales/export.csv", params={"days": "0"})
    assert refused.status_code == 422


async def test_an_auditor_sees_wales_only_when_granted_every_authority(
    web_app: Any, database: Database, wales: Wales
) -> None:
    everywhere, password = await make_user(database, None, AccessRole.AUDITOR, all_authorities=True)
    one, one_password = await make_user(database, None, AccessRole.AUDITOR, grants=[wales.a.id])
    for person, secret, expected in ((everywhere, password, 200), (one, one_password, 403)):
        transport = httpx.ASGITransport(app=web_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://concordat.test") as page:
            assert (await sign_in(page, person.email, secret)).status_code == 303
            answer = await page.get("/wales/incidents", params={"figure": "overdue"} | WINDOW)
            assert answer.status_code == expected, answer.text
            if expected == 200:
                # An auditor reads timelines, not incidents: each leads to its audit page.
                assert f'href="/audit/incidents/{wales.incidents["a2"].id}"' in answer.text
