"""Public statements: drafted in Welsh and English, published by a named member only when both
languages are whole and the marking allows, sealed on the incident's timeline, and shown on a
public page (served, and exported as static files) with both languages on it.

One world for the module: a council with an officer and its executive member, an incident
marked TLP:AMBER (the default), one marked TLP:CLEAR, and an exercise marked TLP:CLEAR, each
opened through the API onto a real workflow.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from cli.statements import export_public_site
from domain.access import AccessRole
from domain.statements import StatementContent
from domain.vocabulary import MemberRole
from runtime.database import Database
from services.directory import authority_by_code
from services.statements import public_statements
from services.tokens import issue_token
from tests.support import eventually, make_authority, make_user, sign_in
from tests.test_api import Officer, officer_for

ENGLISH = {"concordat_language": "en"}

#: A statement whole in both languages, with one service and what to do instead.
WHOLE: dict[str, Any] = {
    "title_cy": "Taliadau ar-lein ddim ar gael",
    "title_en": "Online payments unavailable",
    "text_cy": "Ni allwch dalu'r dreth gyngor ar-lein heddiw.\n\nRydym yn gweithio i'w adfer.",
    "text_en": "You cannot pay council tax online today.\n\nWe are working to restore it.",
    "services": [
        {
            "name_cy": "Talu'r dreth gyngor",
            "name_en": "Council tax payments",
            "status": "unavailable",
            "alternative_cy": "Ffoniwch 029 2087 2087.",
            "alternative_en": "Ring 029 2087 2087.",
        }
    ],
}


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _article(page: str, statement_id: int) -> str:
    """One statement's part of the public page, as text."""
    found = re.search(rf'<article[^>]*id="statement-{statement_id}">(.*?)</article>', page, re.S)
    assert found is not None, f"statement {statement_id} is not on the page"
    return _text(found.group(1))


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


@dataclass
class World:
    web_app: Any
    http: httpx.AsyncClient
    database: Database
    officer: Officer
    member: dict[str, str]
    """The executive member's API headers: a named member, who approves statements."""
    member_login: tuple[str, str]
    officer_login: tuple[str, str]
    amber: dict[str, Any]
    clear: dict[str, Any]
    exercise: dict[str, Any]

    @property
    def code(self) -> str:
        return self.officer.council.code

    def browser(self, *, english: bool = False) -> httpx.AsyncClient:
        """A browser of its own, with its own cookies; `english` has chosen English."""
        transport = httpx.ASGITransport(app=self.web_app)
        return httpx.AsyncClient(
            transport=transport,
            base_url="http://concordat.test",
            cookies=ENGLISH if english else None,
        )

    async def draft(self, incident: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        made = await self.officer.post(f"/api/incidents/{incident['id']}/statements", body)
        assert made.status_code == 201, made.text
        result: dict[str, Any] = made.json()
        return result

    async def publish(
        self, incident: dict[str, Any], statement: dict[str, Any], body: Any = None
    ) -> httpx.Response:
        return await self.http.post(
            f"/api/incidents/{incident['id']}/statements/{statement['id']}/publish",
            json=body,
            headers=self.member,
        )

    async def published_events(self, incident: dict[str, Any]) -> list[dict[str, Any]]:
        answer = await self.officer.get(f"/api/incidents/{incident['id']}/timeline")
        assert answer.status_code == 200, answer.text
        return [e for e in answer.json()["events"] if e["kind"] == "statement_published"]


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
        officer = await officer_for(database, http)
        amber = await officer.open(title="Revenues system encrypted")
        clear = await officer.open(title="Payments portal down", tlp="TLP:CLEAR")
        exercise = await officer.open(title="Exercise Cadarn", tlp="TLP:CLEAR", exercise=True)
        member, member_password = await make_user(
            database,
            officer.council,
            AccessRole.RESPONSIBLE_MEMBER,
            member_role=MemberRole.EXECUTIVE_MEMBER,
            name="Cllr Eleri Morgan",
        )
        someone, officer_password = await make_user(database, officer.council)
        async with database.session() as session:
            _, token = await issue_token(
                "member", authority_id=None, user_id=member.id, session=session
            )
        for incident in (amber, clear, exercise):
            await _running(officer, incident["id"])
        yield World(
            web_app,
            http,
            database,
            officer,
            {"Authorization": f"Bearer {token}"},
            (member.email, member_password),
            (someone.email, officer_password),
            amber,
            clear,
            exercise,
        )


async def test_a_statement_in_english_only_cannot_be_published(world: World) -> None:
    english_only = {k: v for k, v in WHOLE.items() if not k.endswith("_cy")} | {"services": []}
    statement = await world.draft(world.clear, english_only)
    assert statement["missing_languages"] == ["cy"]

    refused = await world.publish(world.clear, statement)
    assert refused.status_code == 409, refused.text
    assert "Welsh and English at once" in refused.json()["detail"]
    assert "Gymraeg ac yn Saesneg" in refused.json()["detail"]

    # A service named in English alone is refused too, once the texts are whole.
    half_named = WHOLE | {"services": [WHOLE["services"][0] | {"name_cy": ""}]}
    replaced = await world.officer.http.put(
        f"/api/incidents/{world.clear['id']}/statements/{statement['id']}",
        json=half_named,
        headers=world.officer.headers,
    )
    assert replaced.status_code == 200, replaced.text
    refused = await world.publish(world.clear, statement)
    assert refused.status_code == 409 and "in Welsh and in English" in refused.text

    shown = await world.officer.get(
        f"/api/incidents/{world.clear['id']}/statements/{statement['id']}"
    )
    assert shown.json()["versions"] == []
    assert not [
        e
        for e in await world.published_events(world.clear)
        if e["detail"]["statement_id"] == statement["id"]
    ]


async def test_an_amber_incidents_statement_is_published_once_the_approver_marks_it_clear(
    world: World,
) -> None:
    statement = await world.draft(world.amber, WHOLE)
    assert statement["tlp"] == "TLP:AMBER"  # as its incident is marked

    refused = await world.publish(world.amber, statement)
    assert refused.status_code == 409, refused.text
    assert "TLP:CLEAR" in refused.json()["detail"]

    as_officer = await world.officer.post(
        f"/api/incidents/{world.amber['id']}/statements/{statement['id']}/publish",
        {"tlp": "TLP:CLEAR"},
    )
    assert as_officer.status_code == 403, as_officer.text

    published = await world.publish(world.amber, statement, {"tlp": "TLP:CLEAR"})
    assert published.status_code == 200, published.text
    answer = published.json()
    assert answer["tlp"] == "TLP:CLEAR"
    [version] = answer["versions"]
    assert version["version"] == 1 and version["tlp"] == "TLP:CLEAR"
    assert version["approver"] == (
        "Cllr Eleri Morgan, executive member / Cllr Eleri Morgan, aelod gweithredol"
    )
    assert version["published_by"] == "Cllr Eleri Morgan"

    again = await world.publish(world.amber, statement)
    assert again.status_code == 409 and "already says" in again.json()["detail"]


async def test_every_version_is_sealed_on_the_timeline_as_the_public_page_shows_it(
    world: World,
) -> None:
    statement = await world.draft(world.clear, WHOLE)
    first = await world.publish(world.clear, statement)
    assert first.status_code == 200, first.text
    update = WHOLE | {
        "text_cy": "Mae taliadau ar-lein yn gweithio eto.",
        "text_en": "Online payments work again.",
        "services": [WHOLE["services"][0] | {"status": "restored"}],
    }
    path = f"/api/incidents/{world.clear['id']}/statements/{statement['id']}"
    saved = await world.officer.http.put(path, json=update, headers=world.officer.headers)
    assert saved.status_code == 200
    second = await world.publish(world.clear, statement)
    assert [v["version"] for v in second.json()["versions"]] == [2, 1]

    events = [
        e
        for e in await world.published_events(world.clear)
        if e["detail"]["statement_id"] == statement["id"]
    ]
    assert [e["detail"]["version"] for e in events] == [1, 2]
    for event, version in zip(events, reversed(second.json()["versions"]), strict=True):
        sealed = StatementContent.model_validate(event["detail"]["content"])
        assert (
            event["detail"]["content_sha256"] == sealed.content_hash() == version["content_sha256"]
        )
        assert event["detail"]["content"] == version["content"]

    public = _article((await world.http.get(f"/public/{world.code}")).text, statement["id"])
    latest = StatementContent.model_validate(events[-1]["detail"]["content"])
    for words in (latest.title_cy, latest.title_en, latest.text_cy, latest.text_en):
        assert words in public
    assert "Restored" in public and "Wedi'i adfer" in public
    assert WHOLE["text_en"].split("\n")[0] not in public  # the first version is replaced

    # The status page tells the timeline in the reader's language.
    async with world.browser(english=True) as browser:
        await sign_in(browser, *world.officer_login)
        status_page = await browser.get(f"/incidents/{world.clear['id']}")
    told = _text(status_page.text)
    assert (
        f"Public statement “{WHOLE['title_en']}” published (version 2), approved by "
        f"Cllr Eleri Morgan, executive member; SHA-256 {events[-1]['detail']['content_sha256']}"
    ) in told


async def test_the_public_page_shows_published_statements_only_in_both_languages(
    world: World,
) -> None:
    await world.draft(  # drafted only: never on the public page
        world.clear, WHOLE | {"title_en": "Still a draft", "title_cy": "Drafft o hyd"}
    )
    withdrawn = await world.draft(
        world.clear, WHOLE | {"title_en": "Libraries shut", "title_cy": "Llyfrgelloedd ar gau"}
    )
    shown = await world.draft(
        world.clear, WHOLE | {"title_en": "Bins collected late", "title_cy": "Biniau'n hwyr"}
    )
    practice = await world.draft(
        world.exercise, WHOLE | {"title_en": "Exercise statement", "title_cy": "Datganiad ymarfer"}
    )
    for incident, statement in (
        (world.clear, withdrawn),
        (world.clear, shown),
        (world.exercise, practice),
    ):
        answer = await world.publish(incident, statement)
        assert answer.status_code == 200, answer.text
    taken_off = await world.http.post(
        f"/api/incidents/{world.clear['id']}/statements/{withdrawn['id']}/withdraw",
        json={"reason": "The libraries are open again."},
        headers=world.member,
    )
    assert taken_off.status_code == 200 and taken_off.json()["withdrawn_at"], taken_off.text

    welsh_first = (await world.http.get(f"/public/{world.code}")).text
    assert '<html lang="cy"' in welsh_first
    text = _text(welsh_first)
    assert text.index("Biniau'n hwyr") < text.index("Bins collected late")
    for hidden in ("Still a draft", "Libraries shut", "Exercise statement", "Datganiad ymarfer"):
        assert hidden not in text
    async with world.browser(english=True) as reader:
        english_first = (await reader.get(f"/public/{world.code}")).text
    assert '<html lang="en"' in english_first
    text = _text(english_first)
    assert text.index("Bins collected late") < text.index("Biniau'n hwyr")

    # An authority with nothing published says so, in both languages; an unknown code is a 404.
    council = await make_authority(world.database)
    quiet = _text((await world.http.get(f"/public/{council.code.lower()}")).text)
    assert "There are no statements about the council's services" in quiet
    assert "Nid oes datganiadau am wasanaethau'r cyngor" in quiet
    missing = await world.http.get("/public/ZZZ99", headers={"Accept": "text/html"})
    assert missing.status_code == 404
    said = _text(missing.text)
    assert "Page not found" in said and "Heb ddod o hyd i'r dudalen" in said


async def test_the_exported_static_page_reads_in_both_languages_from_its_own_files(
    world: World, tmp_path: Path
) -> None:
    statement = await world.draft(
        world.clear, WHOLE | {"title_en": "Parking permits", "title_cy": "Trwyddedau parcio"}
    )
    assert (await world.publish(world.clear, statement)).status_code == 200
    async with world.database.session() as session:
        authority = await authority_by_code(world.code, session=session)
        assert authority is not None and authority.id is not None
        statements = await public_statements(authority.id, session=session)

    first, again = tmp_path / "first", tmp_path / "again"
    export_public_site(authority, statements, first)
    export_public_site(authority, statements, again)

    welsh, english = (first / "index.html").read_text(), (first / "en" / "index.html").read_text()
    assert '<html lang="cy"' in welsh and '<html lang="en"' in english
    for page in (welsh, english):
        assert "Trwyddedau parcio" in page and "Parking permits" in page
    assert _text(welsh).index("Trwyddedau parcio") < _text(welsh).index("Parking permits")
    assert _text(english).index("Parking permits") < _text(english).index("Trwyddedau parcio")

    for page_path in (first / "index.html", first / "en" / "index.html"):
        links = re.findall(r'(?:href|src)="([^"#]+)"', page_path.read_text())
        assert links, "the page links to its stylesheet and icons"
        for link in links:
            assert not link.startswith(("/", "http:", "https:", "//")), link
            assert (page_path.parent / link).resolve().is_file(), link
    stylesheet = first / "assets" / "concordat.min.css"
    for link in re.findall(r'url\("?([^")]+)"?\)', stylesheet.read_text()):
        assert not link.startswith(("/", "http")), link
        assert link.startswith("data:") or (stylesheet.parent / link).is_file(), link

    exported = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert exported == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for name in exported:
        assert (first / name).read_bytes() == (again / name).read_bytes()


async def test_a_statement_is_drafted_and_published_through_the_pages(world: World) -> None:
    async with world.browser(english=True) as officer, world.browser(english=True) as member:
        await sign_in(officer, *world.officer_login)
        base = f"/incidents/{world.clear['id']}/statements"
        listing = await officer.get(base)
        assert listing.status_code == 200
        empty = await officer.post(base, data={"csrf_token": _csrf(listing.text)})
        assert empty.status_code == 422
        assert "Give the statement a title, in Welsh or English" in empty.text

        started = await officer.post(
            base,
            data={"csrf_token": _csrf(listing.text), "title_cy": "Canolfan hamdden ar gau"},
        )
        assert started.status_code == 303
        page_path = started.headers["location"]
        draft_page = await officer.get(page_path)
        assert "Save the draft" in draft_page.text
        assert "Publish the statement" not in draft_page.text  # an officer does not approve
        welsh_field = draft_page.text.index('id="title_cy"')
        assert welsh_field < draft_page.text.index('id="title_en"')  # Welsh first

        saved = await officer.post(
            page_path,
            data={
                "csrf_token": _csrf(draft_page.text),
                "title_cy": "Canolfan hamdden ar gau",
                "title_en": "Leisure centre closed",
                "text_cy": "Mae'r ganolfan ar gau heddiw.",
                "text_en": "The centre is closed today.",
                "tlp": "TLP:CLEAR",
                "services-0-name_cy": "Nofio",
                "services-0-name_en": "Swimming",
                "services-0-status": "disrupted",
                "services-0-alternative_cy": "",
                "services-0-alternative_en": "",
                "services-1-name_cy": "",
                "services-1-name_en": "",
                "services-1-status": "unavailable",
            },
        )
        assert saved.status_code == 303, saved.text

        await sign_in(member, *world.member_login)
        approving = await member.get(page_path)
        assert "Publish the statement" in approving.text
        published = await member.post(
            page_path + "/publish", data={"csrf_token": _csrf(approving.text)}
        )
        assert published.status_code == 303, published.text
        after = _text((await member.get(page_path)).text)
        assert "The statement has been published" in after
        assert "Version 1" in after and "Cllr Eleri Morgan, executive member" in after
        sha256 = re.search(r"\b[0-9a-f]{64}\b", after)
        assert sha256 is not None
        public = _text((await world.http.get(f"/public/{world.code}")).text)
        assert "Leisure centre closed" in public and "Nofio" in public


async def test_bad_requests_are_refused_in_both_languages_with_nothing_made(world: World) -> None:
    base = f"/api/incidents/{world.clear['id']}/statements"
    before = len((await world.officer.get(base)).json())
    for body, words in (
        ({}, "Rhowch deitl"),
        ({"title_en": "Two\nlines"}, "on one line"),
        ({"title_cy": "x" * 201}, "200 nod neu lai"),
        ({"title_en": "Bins", "services": [{"name_en": "Bins"}]}, "Rhowch statws"),
        ({"title_en": 5}, "must be text"),
    ):
        refused = await world.officer.post(base, body)
        assert refused.status_code == 422, refused.text
        assert words in refused.text and " / " in refused.json()["detail"]
    assert len((await world.officer.get(base)).json()) == before

    statement = await world.draft(world.clear, {"title_en": "Not yet published"})
    refused = await world.http.post(
        f"{base}/{statement['id']}/withdraw", json={"reason": "Wrong"}, headers=world.member
    )
    assert refused.status_code == 409 and "Nid yw'r datganiad hwn wedi'i gyhoeddi" in refused.text
    no_reason = await world.http.post(
        f"{base}/{statement['id']}/withdraw", json={"reason": " "}, headers=world.member
    )
    assert no_reason.status_code == 422 and "Dywedwch pam" in no_reason.text
    elsewhere = await world.officer.get(
        f"/api/incidents/{world.amber['id']}/statements/{statement['id']}"
    )
    assert elsewhere.status_code == 404


async def test_a_statement_is_published_after_the_incident_is_closed(world: World) -> None:
    """After closure the incident's post-incident process holds its timeline, and takes it."""
    incident = await world.officer.open(title="Website defaced", tlp="TLP:CLEAR")
    await _running(world.officer, incident["id"])
    closing = await world.officer.post(
        f"/api/incidents/{incident['id']}/close", {"summary": "Site restored from backup."}
    )
    assert closing.status_code == 200, closing.text

    async def closed() -> bool:
        answer = await world.officer.get(f"/api/incidents/{incident['id']}")
        return answer.json()["closed_at"] is not None

    await eventually(closed)
    statement = await world.draft(incident, WHOLE | {"title_en": "Website back"})
    published = await world.publish(incident, statement)
    assert published.status_code == 200, published.text
    assert [v["version"] for v in published.json()["versions"]] == [1]
    [event] = [
        e
        for e in await world.published_events(incident)
        if e["detail"]["statement_id"] == statement["id"]
    ]
    assert event["detail"]["content_sha256"] == published.json()["versions"][0]["content_sha256"]
