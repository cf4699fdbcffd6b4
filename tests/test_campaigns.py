"""Campaigns: the central team links incidents of several councils as one attack, follows them
side by side, and each council sees its part only as far as the sharing markings allow.

One world for the module: three councils with an incident each (marked TLP:GREEN, TLP:CLEAR
and TLP:AMBER), opened through the API onto real workflows, and two campaigns over them.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from domain.access import AccessRole
from domain.campaigns import CampaignFacts, LinkedIncident, as_seen_by, link_for_timeline
from domain.vocabulary import NcscCategory, Stage, Tlp
from runtime.database import Database
from services.tokens import issue_token
from tests.support import eventually, make_user, sign_in
from tests.test_api import Officer, officer_for

ENGLISH = {"concordat_language": "en"}


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


@dataclass
class Council:
    officer: Officer
    incident: dict[str, Any]
    title: str
    email: str
    password: str


@dataclass
class World:
    http: httpx.AsyncClient
    database: Database
    central: dict[str, str]
    """The central team's API headers."""
    central_login: tuple[str, str]
    councils: list[Council]
    campaign: dict[str, Any]
    """Marked TLP:AMBER: its name goes to the councils; linking all three councils."""
    restricted: dict[str, Any]
    """Marked TLP:RED: its name stays at the centre; linking the first two councils."""

    async def as_central(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return await self.http.request(method, path, json=body, headers=self.central)

    async def timeline_kinds(self, council: Council, kind: str) -> list[dict[str, Any]]:
        """The council's incident's timeline events of one kind, once there is one."""

        async def found() -> list[dict[str, Any]] | None:
            answer = await council.officer.get(f"/api/incidents/{council.incident['id']}/timeline")
            events = [e for e in answer.json()["events"] if e["kind"] == kind]
            return events or None

        result: list[dict[str, Any]] = await eventually(found)
        return result


async def _running(officer: Officer, incident_id: str) -> None:
    """The workflow has loaded its directory, so it takes updates."""

    async def triaged() -> bool:
        live = (await officer.get(f"/api/incidents/{incident_id}")).json()["live"]
        return bool(live) and live["stage"] != "detected"

    await eventually(triaged)


@pytest.fixture(scope="module")
async def world(web_app: Any, database: Database) -> AsyncIterator[World]:
    transport = httpx.ASGITransport(app=web_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://concordat.test") as http:
        councils = []
        for number, tlp in enumerate(("TLP:GREEN", "TLP:CLEAR", "TLP:AMBER")):
            officer = await officer_for(database, http, reporting=number == 0)
            title = f"Supplier portal breach seen by council {officer.council.code}"
            incident = await officer.open(title=title, tlp=tlp)
            user, password = await make_user(database, officer.council)
            councils.append(Council(officer, incident, title, user.email, password))
        for council in councils:
            await _running(council.officer, council.incident["id"])
        person, password = await make_user(database, None, AccessRole.CENTRAL_TEAM)
        async with database.session() as session:
            _, token = await issue_token(
                "central", authority_id=None, user_id=person.id, session=session
            )
        central = {"Authorization": f"Bearer {token}"}

        async def campaign(name: str, tlp: str, linked: list[Council]) -> dict[str, Any]:
            made = await http.post(
                "/api/campaigns",
                json={"name": name, "tlp": tlp, "note": "Same phishing kit at each council."},
                headers=central,
            )
            assert made.status_code == 201, made.text
            for council in linked:
                answer = await http.post(
                    f"/api/campaigns/{made.json()['id']}/incidents",
                    json={"reference": council.incident["reference"].lower()},
                    headers=central,
                )
                assert answer.status_code == 201, answer.text
            return answer.json()

        shared = await campaign("Supplier portal wave", "TLP:AMBER", councils)
        restricted = await campaign("Operation Hidden Ledger", "TLP:RED", councils[:2])
        yield World(http, database, central, (person.email, password), councils, shared, restricted)


async def test_the_central_team_sees_the_incidents_side_by_side(world: World) -> None:
    first = world.councils[0].officer.council.code

    async def with_clocks() -> dict[str, Any] | None:
        # The first council reports: its clocks reach the read side with its timeline.
        body = (await world.as_central("GET", f"/api/campaigns/{world.campaign['id']}")).json()
        mine = next(i for i in body["incidents"] if i["authority"] == first)
        return body if mine["clocks"] else None

    body = await eventually(with_clocks)
    assert body["name"] == "Supplier portal wave" and body["incident_count"] == 3
    assert {i["reference"] for i in body["incidents"]} == {
        c.incident["reference"] for c in world.councils
    }
    assert {i["authority"] for i in body["incidents"]} == {
        c.officer.council.code for c in world.councils
    }
    reporting = next(i for i in body["incidents"] if i["authority"] == first)
    assert all(c["deadline"] for c in reporting["clocks"] if c["state"] == "due")

    email, password = world.central_login
    world.http.cookies.clear()
    assert (await sign_in(world.http, email, password)).status_code == 303
    world.http.cookies.update(ENGLISH)
    listed = await world.http.get("/wales/campaigns")
    assert listed.status_code == 200 and "Supplier portal wave" in listed.text
    page = await world.http.get(f"/wales/campaigns/{world.campaign['id']}")
    assert page.status_code == 200
    text = _text(page.text)
    for council in world.councils:
        assert council.incident["reference"] in text
        assert council.officer.council.authority.name_en in text
        assert f"/incidents/{council.incident['id']}/unlink" in page.text
    assert "Report Fraud" in text  # the first council's clock, beside the others
    world.http.cookies.clear()


async def test_each_council_sees_its_part_as_far_as_the_markings_allow(world: World) -> None:
    mine, clear, amber = world.councils
    answer = await mine.officer.get(f"/api/incidents/{mine.incident['id']}")
    assert answer.status_code == 200
    shared, restricted = answer.json()["campaigns"]
    assert shared["shared"] and shared["name"] == "Supplier portal wave"
    assert [own["reference"] for own in shared["own"]] == [mine.incident["reference"]]
    # The incident marked CLEAR is described; the one marked AMBER is only counted.
    assert [other["authority"] for other in shared["others"]] == [clear.officer.council.code]
    assert shared["others"][0]["category"] == 4 and shared["others_withheld"] == 1
    # A campaign marked RED keeps its name, and which councils share it, at the centre.
    assert not restricted["shared"] and restricted["name"] is None and restricted["note"] is None
    assert restricted["others"] == [] and restricted["others_withheld"] == 1
    for other in (clear, amber):
        assert other.incident["reference"] not in answer.text and other.title not in answer.text
    assert "Operation Hidden Ledger" not in answer.text

    world.http.cookies.clear()
    assert (await sign_in(world.http, mine.email, mine.password)).status_code == 303
    path = f"/incidents/{mine.incident['id']}"
    welsh = await world.http.get(path)
    words = _text(welsh.text)
    assert "Rhan o ymgyrch" in words and "Supplier portal wave" in words
    assert f"{clear.officer.council.authority.name_cy}: digwyddiad categori 4" in words
    assert "y mae'r tîm canolog yn ei chydlynu" in words
    world.http.cookies.update(ENGLISH)
    english = _text((await world.http.get(path)).text)
    assert "Part of a campaign" in english
    assert f"{clear.officer.council.authority.name_en}: an incident of category 4" in english
    assert "not described because of their sharing markings: 1" in english
    assert "part of a campaign the central team is coordinating" in english
    for other in (clear, amber):
        assert other.incident["reference"] not in english and other.title not in english
    assert "Operation Hidden Ledger" not in english and "See the whole campaign" not in english

    # The campaign pages are the central team's: an officer is refused them, page and API.
    assert (await world.http.get("/wales/campaigns")).status_code == 403
    assert (await world.http.get(f"/wales/campaigns/{world.campaign['id']}")).status_code == 403
    assert (await mine.officer.get("/api/campaigns")).status_code == 403
    world.http.cookies.clear()


async def test_linking_and_unlinking_are_on_each_incidents_timeline(world: World) -> None:
    mine, _, amber = world.councils
    linked = await world.timeline_kinds(mine, "campaign_linked")
    by_campaign = {event["detail"]["campaign_id"]: event for event in linked}
    assert by_campaign[world.campaign["id"]]["detail"]["name"] == "Supplier portal wave"
    hidden = by_campaign[world.restricted["id"]]
    assert "name" not in hidden["detail"] and "Hidden Ledger" not in hidden["summary"]

    path = f"/api/campaigns/{world.campaign['id']}/incidents/{amber.incident['id']}"
    taken_out = await world.as_central("DELETE", path)
    assert taken_out.status_code == 200 and taken_out.json()["incident_count"] == 2
    unlinked = await world.timeline_kinds(amber, "campaign_unlinked")
    assert unlinked[0]["detail"] == {
        "campaign_id": world.campaign["id"],
        "name": "Supplier portal wave",
    }
    assert (
        unlinked[0]["summary"]
        == "Taken out of the campaign “Supplier portal wave” by the central team"
    )
    again = await world.as_central("DELETE", path)
    assert again.status_code == 404 and " / " in again.json()["detail"]
    relinked = await world.as_central(
        "POST",
        f"/api/campaigns/{world.campaign['id']}/incidents",
        {"reference": amber.incident["reference"]},
    )
    assert relinked.status_code == 201 and relinked.json()["incident_count"] == 3


async def test_a_closed_incident_is_sealed_against_linking(world: World) -> None:
    officer = await officer_for(world.database, world.http)
    incident = await officer.open(title="Mailbox rule exfiltration, now closed")
    await _running(officer, incident["id"])
    links = f"/api/campaigns/{world.restricted['id']}/incidents"
    linked = await world.as_central("POST", links, {"reference": incident["reference"]})
    assert linked.status_code == 201
    closed = await officer.post(
        f"/api/incidents/{incident['id']}/close", {"summary": "Rules removed, passwords reset."}
    )
    assert closed.status_code == 200, closed.text

    async def projected() -> bool:
        answer = await officer.get(f"/api/incidents/{incident['id']}")
        return answer.json()["closed_at"] is not None

    await eventually(projected)
    refused = await world.as_central("DELETE", f"{links}/{incident['id']}")
    assert refused.status_code == 409
    assert "sealed" in refused.json()["detail"] and "wedi'i selio" in refused.json()["detail"]
    other = await world.as_central(
        "POST",
        f"/api/campaigns/{world.campaign['id']}/incidents",
        {"reference": incident["reference"]},
    )
    assert other.status_code == 409 and "wedi'i selio" in other.json()["detail"]
    campaign = (await world.as_central("GET", f"/api/campaigns/{world.campaign['id']}")).json()
    assert incident["reference"] not in {i["reference"] for i in campaign["incidents"]}


async def test_bad_input_is_refused_in_both_languages(world: World) -> None:
    links = f"/api/campaigns/{world.campaign['id']}/incidents"
    unknown = await world.as_central("POST", links, {"reference": "XYZ-2026-9999"})
    assert unknown.status_code == 422
    assert unknown.json()["detail"] == (
        "There is no incident with the reference XYZ-2026-9999. / "
        "Nid oes digwyddiad â'r cyfeirnod XYZ-2026-9999."
    )
    twice = await world.as_central(
        "POST", links, {"reference": world.councils[0].incident["reference"]}
    )
    assert twice.status_code == 409
    assert "already part of this campaign" in twice.json()["detail"]
    assert "eisoes yn rhan o'r ymgyrch hon" in twice.json()["detail"]
    for nameless in ({"name": "   "}, {"tlp": "TLP:GREEN"}):
        refused = await world.as_central("POST", "/api/campaigns", nameless)
        assert refused.status_code == 422
        assert "Give the campaign a name. / Rhowch enw i'r ymgyrch." in refused.json()["detail"]
    missing = await world.as_central("GET", "/api/campaigns/999999")
    assert missing.status_code == 404

    # On the pages, each in the reader's language beside its field, and nothing made.
    email, password = world.central_login
    world.http.cookies.clear()
    assert (await sign_in(world.http, email, password)).status_code == 303
    form = await world.http.get("/wales/campaigns/new")
    before = len((await world.as_central("GET", "/api/campaigns")).json())
    welsh = await world.http.post(
        "/wales/campaigns/new",
        data={"csrf_token": _csrf(form.text), "name": "", "tlp": "TLP:AMBER"},
    )
    assert welsh.status_code == 422
    assert "Mae problem" in welsh.text and "Rhowch enw i'r ymgyrch." in _text(welsh.text)
    assert 'href="#name"' in welsh.text
    world.http.cookies.update(ENGLISH)
    page = await world.http.get(f"/wales/campaigns/{world.campaign['id']}")
    english = await world.http.post(
        f"/wales/campaigns/{world.campaign['id']}/incidents",
        data={"csrf_token": _csrf(page.text), "reference": "XYZ-2026-9999"},
    )
    assert english.status_code == 422 and "There is a problem" in english.text
    assert "There is no incident with the reference XYZ-2026-9999." in _text(english.text)
    assert len((await world.as_central("GET", "/api/campaigns")).json()) == before

    made = await world.http.post(
        "/wales/campaigns/new",
        data={"csrf_token": _csrf(form.text), "name": "Invoice fraud wave", "tlp": "TLP:GREEN"},
    )
    assert made.status_code == 303
    landed = await world.http.get(made.headers["location"])
    assert "The campaign Invoice fraud wave has been set up" in _text(landed.text)
    world.http.cookies.clear()


async def test_a_closed_campaign_keeps_its_incidents_and_takes_no_links(world: World) -> None:
    """Its own campaign and a fresh council's incident, so the other tests' world is as it was
    whatever order they run in."""
    officer = await officer_for(world.database, world.http)
    incident = await officer.open(title="Courier invoice fraud", tlp="TLP:GREEN")
    user, password = await make_user(world.database, officer.council)
    await _running(officer, incident["id"])
    made = await world.as_central(
        "POST", "/api/campaigns", {"name": "Courier invoice wave", "tlp": "TLP:AMBER"}
    )
    campaign = made.json()
    path = f"/api/campaigns/{campaign['id']}"
    assert campaign["closed_at"] is None and campaign["closed_by"] is None
    linked = await world.as_central(
        "POST", f"{path}/incidents", {"reference": incident["reference"]}
    )
    assert linked.status_code == 201, linked.text
    hidden = (
        await world.as_central(
            "POST", "/api/campaigns", {"name": "Operation Quiet Courier", "tlp": "TLP:RED"}
        )
    ).json()
    hidden_path = f"/api/campaigns/{hidden['id']}"
    linked = await world.as_central(
        "POST", f"{hidden_path}/incidents", {"reference": incident["reference"]}
    )
    assert linked.status_code == 201, linked.text
    assert (await world.as_central("POST", f"{hidden_path}/closure")).status_code == 200

    # Closing is the central team's: an officer is refused it.
    assert (await officer.post(f"{path}/closure", {})).status_code == 403
    closed = await world.as_central("POST", f"{path}/closure")
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["closed_at"] is not None and body["closed_by"]
    assert [i["reference"] for i in body["incidents"]] == [incident["reference"]]
    again = await world.as_central("POST", f"{path}/closure")
    assert again.status_code == 409
    assert again.json()["detail"] == (
        "This campaign is already closed. / Mae'r ymgyrch hon eisoes ar gau."
    )
    missing = await world.as_central("POST", "/api/campaigns/999999/closure")
    assert missing.status_code == 404 and missing.json()["detail"].startswith("No campaign")

    # No incident is linked into it or taken out, in English and Welsh alike.
    other = world.councils[1].incident
    refused = [
        await world.as_central("POST", f"{path}/incidents", {"reference": other["reference"]}),
        await world.as_central("DELETE", f"{path}/incidents/{incident['id']}"),
    ]
    for answer in refused:
        assert answer.status_code == 409
        assert "This campaign is closed" in answer.json()["detail"]
        assert "Mae'r ymgyrch hon ar gau" in answer.json()["detail"]
    kept = (await world.as_central("GET", path)).json()
    assert kept["incident_count"] == 1 and kept["closed_at"] == body["closed_at"]

    # The council reads that its incident was part of a campaign the central team has closed,
    # and no more of it than the campaign's marking lets it.
    seen = (await officer.get(f"/api/incidents/{incident['id']}")).json()["campaigns"]
    assert [c["name"] for c in seen] == ["Courier invoice wave", None]
    assert all(c["closed_at"] for c in seen)
    world.http.cookies.clear()
    assert (await sign_in(world.http, user.email, password)).status_code == 303
    welsh = _text((await world.http.get(f"/incidents/{incident['id']}")).text)
    assert "Rhan o ymgyrch" in welsh and "Courier invoice wave" in welsh
    assert "yn rhan o'r ymgyrch hon, y mae'r tîm canolog wedi'i chau" in welsh
    world.http.cookies.update(ENGLISH)
    panel = _text((await world.http.get(f"/incidents/{incident['id']}")).text)
    assert "Courier invoice wave" in panel
    assert "This incident was part of this campaign, which the central team has closed." in panel
    assert "The campaign was closed " in panel
    assert "This incident was part of a campaign that the central team has closed." in panel
    assert "Operation Quiet Courier" not in panel
    world.http.cookies.clear()

    # The central team's list and page say it is closed, and when; the page offers reopening.
    email, password = world.central_login
    assert (await sign_in(world.http, email, password)).status_code == 303
    world.http.cookies.update(ENGLISH)
    listed = _text((await world.http.get("/wales/campaigns")).text)
    assert re.search(r"Courier invoice wave Closed \w+ \d+ \w+ \d{4}", listed), listed
    page = await world.http.get(f"/wales/campaigns/{campaign['id']}")
    text = _text(page.text)
    assert "Status Closed" in text and "Date closed" in text
    assert incident["reference"] in text and "Reopen the campaign" in text
    assert "Link the incident" not in text and "/unlink" not in page.text
    reopened = await world.http.post(
        f"/wales/campaigns/{campaign['id']}/reopening", data={"csrf_token": _csrf(page.text)}
    )
    assert reopened.status_code == 303
    landed = _text((await world.http.get(reopened.headers["location"])).text)
    assert "The campaign Courier invoice wave has been reopened" in landed
    assert "Status Open" in landed and "Close the campaign" in landed
    closing = await world.http.post(
        f"/wales/campaigns/{campaign['id']}/closure", data={"csrf_token": _csrf(page.text)}
    )
    assert closing.status_code == 303
    landed = _text((await world.http.get(closing.headers["location"])).text)
    assert "The campaign Courier invoice wave has been closed" in landed
    twice = await world.http.post(
        f"/wales/campaigns/{campaign['id']}/closure", data={"csrf_token": _csrf(page.text)}
    )
    assert twice.status_code == 409 and "This campaign is already closed." in _text(twice.text)
    world.http.cookies.clear()

    # Reopened, it takes links again; reopening an open campaign is refused.
    opened = await world.as_central("DELETE", f"{path}/closure")
    assert opened.status_code == 200 and opened.json()["closed_at"] is None
    assert opened.json()["closed_by"] is None
    not_closed = await world.as_central("DELETE", f"{path}/closure")
    assert not_closed.status_code == 409
    assert "not closed" in not_closed.json()["detail"]
    assert "Nid yw'r ymgyrch hon ar gau" in not_closed.json()["detail"]
    relinked = await world.as_central(
        "POST", f"{path}/incidents", {"reference": other["reference"]}
    )
    assert relinked.status_code == 201 and relinked.json()["incident_count"] == 2
    seen = (await officer.get(f"/api/incidents/{incident['id']}")).json()["campaigns"]
    assert seen[0]["closed_at"] is None


def _linked(authority_id: int, tlp: Tlp) -> LinkedIncident:
    return LinkedIncident(
        incident_id=f"incident-{authority_id}-{tlp.value}",
        reference=f"T{authority_id:05X}-2026-0001",
        authority_id=authority_id,
        authority_code=f"T{authority_id:05X}",
        authority_name_en=f"Council {authority_id}",
        authority_name_cy=f"Cyngor {authority_id}",
        category=NcscCategory.SIGNIFICANT,
        stage=Stage.NOTIFYING,
        tlp=tlp,
    )


def test_the_stricter_of_the_two_markings_decides_what_another_council_reads() -> None:
    incidents = [_linked(1, Tlp.RED), _linked(2, Tlp.CLEAR), _linked(3, Tlp.GREEN)]
    incidents.append(_linked(4, Tlp.AMBER_STRICT))
    for campaign_tlp, described in (
        (Tlp.CLEAR, ["T00002", "T00003"]),
        (Tlp.AMBER, ["T00002", "T00003"]),
        (Tlp.AMBER_STRICT, []),
        (Tlp.RED, []),
    ):
        campaign = CampaignFacts(campaign_id=7, name="Wave", tlp=campaign_tlp, note="Kit")
        seen = as_seen_by(1, campaign, incidents)
        # Its own incident is its own, whatever either marking says.
        assert [own.reference for own in seen.own] == ["T00001-2026-0001"]
        assert [other.authority for other in seen.others] == described
        assert seen.others_withheld == 3 - len(described)
        shared = campaign_tlp in (Tlp.CLEAR, Tlp.AMBER)
        assert (seen.name, seen.note) == (("Wave", "Kit") if shared else (None, None))
        assert link_for_timeline(campaign, "Central").name == ("Wave" if shared else None)
        # Closed, the campaign is said to be closed, and the same markings decide the rest.
        closed = campaign.model_copy(update={"closed_at": datetime(2026, 12, 1, 9, tzinfo=UTC)})
        after = as_seen_by(1, closed, incidents)
        assert after.closed_at == closed.closed_at and seen.closed_at is None
        assert after.model_dump(exclude={"closed_at"}) == seen.model_dump(exclude={"closed_at"})
