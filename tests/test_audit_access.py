"""Auditors read the timelines of the authorities granted to them, and change nothing."""

from __future__ import annotations

import httpx

from domain.access import AccessRole
from domain.vocabulary import EventKind
from runtime.database import Database
from services.tokens import issue_token
from tests.support import eventually, make_user, sign_in
from tests.test_api import Officer, officer_for


async def _auditor(
    database: Database, http: httpx.AsyncClient, *grants: Officer, name: str = "Internal audit"
) -> Officer:
    async with database.session() as session:
        _, token = await issue_token(
            name,
            authority_id=None,
            role=AccessRole.AUDITOR,
            grants=[officer.council.id for officer in grants],
            all_authorities=not grants,
            session=session,
        )
    return Officer(http, token, grants[0].council if grants else None)  # type: ignore[arg-type]


async def _opened_with_requests(officer: Officer) -> dict:
    created = await officer.open()

    async def requested() -> dict | None:
        body = (await officer.get(f"/api/incidents/{created['id']}/timeline")).json()
        kinds = [e["kind"] for e in body["events"]]
        return body if kinds.count(EventKind.ACKNOWLEDGEMENT_REQUESTED) == 2 else None

    await eventually(requested)
    return created


async def test_an_auditor_reads_granted_timelines_only_and_changes_nothing(
    http: httpx.AsyncClient, database: Database
) -> None:
    cardiff = await officer_for(database, http)
    swansea = await officer_for(database, http)
    granted = await _opened_with_requests(cardiff)
    other = await swansea.open()
    auditor = await _auditor(database, http, cardiff)

    listed = [i["id"] for i in (await auditor.get("/api/incidents")).json()]
    assert granted["id"] in listed and other["id"] not in listed

    # History is never edited: a mistake is corrected by a later event that names it.
    path = f"/api/incidents/{granted['id']}/notes"
    noted = await cardiff.post(path, {"text": "Backups last ran on Monday"})
    assert noted.status_code == 200

    async def noted_event() -> int | None:
        events = (await cardiff.get(f"/api/incidents/{granted['id']}/timeline")).json()["events"]
        return next((e["sequence"] for e in events if e["kind"] == "note_added"), None)

    mistaken = await eventually(noted_event)
    corrected = await cardiff.post(path, {"text": "Backups ran on Sunday", "corrects": mistaken})
    assert corrected.status_code == 200
    nowhere = await cardiff.post(path, {"text": "x", "corrects": 9999})
    assert nowhere.status_code == 422 and "no event #9999" in nowhere.text

    async def with_correction() -> dict | None:
        body = (await auditor.get(f"/api/incidents/{granted['id']}/timeline")).json()
        return body if any(e["kind"] == "correction" for e in body["events"]) else None

    body = await eventually(with_correction)
    assert body["reference"] == granted["reference"] and body["chain"]["intact"]
    opened_at = body["events"][0]["occurred_at"]
    correction = next(e for e in body["events"] if e["kind"] == "correction")
    assert correction["detail"]["corrects"] == mistaken
    assert any(e["sequence"] == mistaken and e["kind"] == "note_added" for e in body["events"])
    assert all(len(event["hash"]) == 64 for event in body["events"])

    # Existence of another authority's incident is not revealed.
    assert (await auditor.get(f"/api/incidents/{other['id']}/timeline")).status_code == 404
    # Read-only: every change, and the officer's live view, is refused.
    for path, payload in (
        ("/api/incidents", {"title": "x"}),
        (f"/api/incidents/{granted['id']}/notes", {"text": "an auditor's note"}),
        (f"/api/incidents/{granted['id']}/close", {"summary": "closed by an auditor"}),
    ):
        assert (await auditor.post(path, payload)).status_code == 403, path
    assert (await auditor.get(f"/api/incidents/{granted['id']}")).status_code == 403

    # The state at a moment, from the same timeline.
    later = (
        await auditor.http.get(
            f"/api/incidents/{granted['id']}/timeline",
            params={"as_of": opened_at},
            headers=auditor.headers,
        )
    ).json()["as_of"]
    # Opened, assessed and the first alerts all happen in the workflow's first instant.
    at_opening = [e for e in body["events"] if e["occurred_at"] == opened_at]
    assert later["events"] == len(at_opening) >= 1
    kinds = {e["kind"] for e in at_opening}
    expected = (
        "notifying"
        if "acknowledgement_requested" in kinds
        else "triaged"
        if "triaged" in kinds
        else "detected"
    )
    assert later["stage"] == expected
    before = (
        await auditor.http.get(
            f"/api/incidents/{granted['id']}/timeline",
            params={"as_of": "2001-01-01T00:00:00+00:00"},
            headers=auditor.headers,
        )
    ).json()["as_of"]
    assert before["events"] == 0 and before["stage"] is None
    for nonsense in ("soon", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-05:00"):
        refused = await auditor.http.get(
            f"/api/incidents/{granted['id']}/timeline",
            params={"as_of": nonsense},
            headers=auditor.headers,
        )
        assert refused.status_code == 422, nonsense

    # An auditor whose grants were all taken away reads nothing, rather than everything.
    async with database.session() as session:
        _, bare = await issue_token(
            "Former auditor", authority_id=None, role=AccessRole.AUDITOR, session=session
        )
    former = Officer(http, bare, cardiff.council)
    assert (await former.get("/api/incidents")).json() == []
    assert (await former.get(f"/api/incidents/{granted['id']}/timeline")).status_code == 404


async def test_an_auditor_of_every_authority_sees_all_and_uses_the_audit_pages(
    http: httpx.AsyncClient, database: Database
) -> None:
    officer = await officer_for(database, http)
    created = await _opened_with_requests(officer)
    auditor = await _auditor(database, http, name="Welsh Government auditor")

    assert created["id"] in [i["id"] for i in (await auditor.get("/api/incidents")).json()]

    person, password = await make_user(
        database, None, AccessRole.AUDITOR, name="Welsh Government auditor", all_authorities=True
    )
    signed_in = await sign_in(http, person.email, password, next="/incidents")
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/audit"
    listing = await http.get("/audit")
    assert created["reference"] in listing.text
    incident_page = await http.get(
        f"/audit/incidents/{created['id']}", params={"as_of": "2099-01-01T00:00:00"}
    )
    # Welsh until the auditor chooses: the same checks, in Welsh.
    assert incident_page.status_code == 200
    assert "yn atgynhyrchu pob penderfyniad a gofnodwyd" in incident_page.text
    assert "Cadwyn stwnsh" in incident_page.text and "Yn gyfan (" in incident_page.text
    http.cookies.set("concordat_language", "en")
    incident_page = await http.get(
        f"/audit/incidents/{created['id']}", params={"as_of": "2099-01-01T00:00:00"}
    )
    http.cookies.delete("concordat_language")
    assert "The current code reproduces every recorded decision" in incident_page.text
    assert "Hash chain" in incident_page.text and "Intact (" in incident_page.text
    exported = await http.get(f"/audit/incidents/{created['id']}/export.csv")
    assert exported.status_code == 200
    assert exported.text.splitlines()[0].startswith("sequence,occurred_at,kind")
    # The officer's pages are closed to an auditor's session.
    assert (await http.get("/incidents/new")).status_code == 403
    for nonsense in ("soon", "0001-01-01T00:00:00+14:00"):
        bad_moment = await http.get(f"/audit/incidents/{created['id']}", params={"as_of": nonsense})
        assert bad_moment.status_code == 422
    http.cookies.clear()
