"""The acknowledge, audit and error pages, each wholly in the reader's language.

A member's acknowledge page follows the language recorded for them (Welsh when nobody knows),
unless this browser chose the other; an auditor's pages and the error pages follow the browser's
choice, else Welsh.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx

from domain.access import AccessRole
from domain.vocabulary import Language, MemberRole
from runtime.database import Database
from runtime.settings import Settings
from security.ack_links import AckLinkSigner
from tests.support import make_user, sign_in
from tests.test_api import Officer, officer_for
from tests.test_audit_access import _opened_with_requests
from web.pages.errors import DATABASE_UNAVAILABLE, error_message

HTML = {"Accept": "text/html"}
ENGLISH = {"concordat_language": "en"}
#: A time on a page: 24-hour UK time with the zone after it.
MINUTES = re.compile(r"\d{2}:\d{2} (GMT|BST)")
SECONDS = re.compile(r"\d{2}:\d{2}:\d{2} (GMT|BST)")
WELSH_DAY = re.compile(r"Dydd (Llun|Mawrth|Mercher|Iau|Gwener|Sadwrn|Sul) \d")
ENGLISH_DAY = re.compile(r"(Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day \d")


async def in_english(http: httpx.AsyncClient, method: str, path: str, **options: Any) -> Any:
    """A request from a browser that chose English (the language switch's cookie)."""
    http.cookies.set("concordat_language", "en")
    try:
        return await http.request(method, path, **options)
    finally:
        http.cookies.delete("concordat_language")


def ack_path(settings: Settings, officer: Officer, incident_id: str, role: MemberRole) -> str:
    """The path of the link the member in `role` is sent, made as the email makes it."""
    signer = AckLinkSigner(settings.signing_key(), settings.ack_link_lifetime_hours * 3600)
    member = officer.council.members[role]
    return f"/ack/{signer.token_for(incident_id, member, officer.council.email(role))}"


async def test_the_acknowledge_page_is_in_the_members_language(
    http: httpx.AsyncClient, database: Database, dev_settings: Settings
) -> None:
    officer = await officer_for(
        database,
        http,
        languages={
            MemberRole.EXECUTIVE_MEMBER: Language.WELSH,
            MemberRole.SENIOR_MANAGEMENT_MEMBER: Language.ENGLISH,
            MemberRole.DEPUTY_EXECUTIVE_MEMBER: Language.UNKNOWN,
        },
    )
    incident = await officer.open()
    welsh, english, unknown = (
        ack_path(dev_settings, officer, incident["id"], role)
        for role in (
            MemberRole.EXECUTIVE_MEMBER,
            MemberRole.SENIOR_MANAGEMENT_MEMBER,
            MemberRole.DEPUTY_EXECUTIVE_MEMBER,
        )
    )

    for path in (welsh, unknown):
        page = await http.get(path)
        assert page.status_code == 200 and '<html lang="cy"' in page.text
        assert "Cydnabod digwyddiad seiber" in page.text and "Rwy" in page.text
        assert "I acknowledge" not in page.text and "govuk-button" in page.text
    page = await http.get(english)
    assert page.status_code == 200 and '<html lang="en"' in page.text
    assert "I acknowledge this incident" in page.text and "Cydnabod" not in page.text

    # This browser chose English: the Welsh member's page follows it.
    chosen = await in_english(http, "GET", welsh)
    assert '<html lang="en"' in chosen.text and "I acknowledge this incident" in chosen.text

    # Pressing the button: a GOV.UK panel, with the time in the member's language.
    done = await http.post(welsh)
    assert done.status_code == 200 and "govuk-panel" in done.text
    assert "Cofnodwyd y gydnabyddiaeth" in done.text
    assert MINUTES.search(done.text) and WELSH_DAY.search(done.text)


async def test_a_used_link_says_when_and_is_not_an_error(
    http: httpx.AsyncClient, database: Database, dev_settings: Settings
) -> None:
    officer = await officer_for(
        database, http, languages={MemberRole.EXECUTIVE_MEMBER: Language.WELSH}
    )
    incident = await officer.open()
    path = ack_path(dev_settings, officer, incident["id"], MemberRole.EXECUTIVE_MEMBER)
    assert (await http.post(path)).status_code == 200

    # Nothing went wrong: the member is told the link did its job, not shown an error.
    for again in (await http.get(path), await http.post(path)):
        assert again.status_code == 200
        assert "govuk-inset-text" in again.text and "govuk-error-summary" not in again.text
        assert "Rydych chi eisoes wedi cydnabod y digwyddiad hwn" in again.text
        assert MINUTES.search(again.text) and WELSH_DAY.search(again.text)
        assert "govuk-button" not in again.text
    english = await in_english(http, "GET", path)
    assert english.status_code == 200 and "You have already acknowledged" in english.text
    assert "Your acknowledgement stands" in english.text and ENGLISH_DAY.search(english.text)
    view = (await officer.get(f"/api/incidents/{incident['id']}")).json()
    assert len(view["live"]["acknowledgements"]) == 1


async def test_a_link_that_cannot_be_used_says_why_in_either_language(
    http: httpx.AsyncClient,
) -> None:
    welsh = await http.get("/ack/not-a-real-token")
    assert welsh.status_code == 400 and '<html lang="cy"' in welsh.text
    assert "Nid oes modd defnyddio" in welsh.text and "not valid" not in welsh.text
    english = await in_english(http, "GET", "/ack/not-a-real-token")
    assert english.status_code == 400 and "This acknowledge link is not valid" in english.text


async def test_the_audit_pages_in_welsh_and_in_english(
    http: httpx.AsyncClient, database: Database
) -> None:
    officer = await officer_for(database, http)
    created = await _opened_with_requests(officer)
    person, password = await make_user(
        database, None, AccessRole.AUDITOR, name="Welsh Government auditor", all_authorities=True
    )
    assert (await sign_in(http, person.email, password)).status_code == 303
    page = f"/audit/incidents/{created['id']}"

    listing = await http.get("/audit")
    assert listing.status_code == 200 and '<html lang="cy"' in listing.text
    assert created["reference"] in listing.text and "Digwyddiadau i" in listing.text
    assert "app-table-container" in listing.text and "govuk-table" in listing.text
    welsh = await http.get(page, params={"as_of": "2099-01-01T00:00:00"})
    assert welsh.status_code == 200 and '<html lang="cy"' in welsh.text
    for words in ("Cadwyn stwnsh", "Yn gyfan (", "Llinell amser", "Cadwyni cydnabod bryd hynny"):
        assert words in welsh.text, words
    assert "govuk-summary-list" in welsh.text and "govuk-tag--green" in welsh.text
    assert SECONDS.search(welsh.text) and WELSH_DAY.search(welsh.text)
    assert "Hash chain" not in welsh.text and "Timeline" not in welsh.text

    http.cookies.update(ENGLISH)
    listing = await http.get("/audit")
    assert '<html lang="en"' in listing.text and "Incidents to audit" in listing.text
    english = await http.get(page, params={"as_of": "2099-01-01T00:00:00"})
    for words in ("Is the record complete and unaltered?", "Hash chain", "Intact (", "Timeline"):
        assert words in english.text, words
    assert "reproduces every recorded decision" in english.text
    assert SECONDS.search(english.text) and ENGLISH_DAY.search(english.text)

    # A moment nobody could mean is refused on a page in the reader's language.
    refused = await http.get(page, params={"as_of": "soon"}, headers=HTML)
    assert refused.status_code == 422 and "2026-11-21T14:30" in refused.text
    http.cookies.clear()


async def test_not_found_and_refused_pages_say_what_to_do_in_either_language(
    http: httpx.AsyncClient, database: Database
) -> None:
    officer = await officer_for(database, http)
    person, password = await make_user(database, None, AccessRole.AUDITOR, all_authorities=True)
    assert (await sign_in(http, person.email, password)).status_code == 303
    nowhere = f"/audit/incidents/{uuid.uuid4()}"

    welsh = await http.get(nowhere, headers=HTML)
    assert welsh.status_code == 404 and '<html lang="cy"' in welsh.text
    assert "Heb ddod o hyd i" in welsh.text and "No incident" not in welsh.text
    assert "Os gwnaethoch deipio" in welsh.text
    english = await in_english(http, "GET", nowhere, headers=HTML)
    assert english.status_code == 404 and "No such incident." in english.text
    assert "If you typed the web address" in english.text
    missing = await in_english(http, "GET", "/no-such-page", headers=HTML)
    assert missing.status_code == 404 and "Page not found." in missing.text

    # An auditor may not open incidents: the page says so, and whom to ask.
    refused = await http.get("/incidents/new", headers=HTML)
    assert refused.status_code == 403 and "Nid yw eich rôl yn caniatáu hyn." in refused.text
    assert "weinyddwr Concordat" in refused.text and "Your role" not in refused.text
    refused = await in_english(http, "GET", "/incidents/new", headers=HTML)
    assert refused.status_code == 403 and "Your role does not allow this." in refused.text
    assert "administrator" in refused.text

    # A form with a stale token.
    expired = await http.post("/signout", data={"csrf_token": "stale"}, headers=HTML)
    assert expired.status_code == 403 and "Daeth y ffurflen i ben" in expired.text
    expired = await in_english(http, "POST", "/signout", data={"csrf_token": "stale"}, headers=HTML)
    assert expired.status_code == 403 and "The form expired" in expired.text
    assert officer.council.code  # the council exists only so the auditor has something to see
    http.cookies.clear()


def test_error_details_in_the_page_language() -> None:
    assert error_message(DATABASE_UNAVAILABLE, 503, Language.WELSH).startswith(
        "Nid oes modd cyrraedd y gronfa ddata"
    )
    assert error_message(DATABASE_UNAVAILABLE, 503, Language.ENGLISH) == DATABASE_UNAVAILABLE
    both = "Too many requests; wait 3 seconds. / Gormod o geisiadau; arhoswch 3 eiliad."
    assert error_message(both, 429, Language.WELSH) == "Gormod o geisiadau; arhoswch 3 eiliad."
    assert error_message(both, 429, Language.ENGLISH) == "Too many requests; wait 3 seconds."
    # A detail the catalogs do not know is not shown in English on a Welsh page.
    assert error_message("Something only in English.", 409, Language.WELSH).startswith("Nid oes")
    assert error_message("Something only in English.", 409, Language.ENGLISH) == (
        "Something only in English."
    )
