"""A person's own account: changing their password (the old one first; other sessions end,
this one goes on), choosing the language of their pages (kept for every later sign-in), and
their API tokens page in either language."""

from __future__ import annotations

import html

import httpx

from domain.access import AccessRole
from domain.vocabulary import Language
from runtime.database import Database
from services.users import user_by_id
from tests.support import make_authority, make_user, sign_in

NEW_PASSWORD = "three unrelated words and a teapot"


def _csrf(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def _browser(web_app) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web_app), base_url="http://concordat.test"
    )


async def test_a_password_change_needs_the_old_password_and_ends_other_sessions(
    http: httpx.AsyncClient, web_app, database: Database
) -> None:
    council = await make_authority(database, roles=())
    person, password = await make_user(database, council, AccessRole.ON_CALL_OFFICER)
    await sign_in(http, person.email, password)
    async with _browser(web_app) as elsewhere:
        await sign_in(elsewhere, person.email, password)
        assert (await elsewhere.get("/account")).status_code == 200

        form = await http.get("/account/password")
        assert form.status_code == 200 and "Newid eich cyfrinair" in form.text
        fields = {"csrf_token": _csrf(form.text), "new_password": NEW_PASSWORD}
        fields["confirm_password"] = NEW_PASSWORD
        wrong = await http.post("/account/password", data=fields | {"current_password": "nope"})
        assert wrong.status_code == 401
        assert "Nid yw eich cyfrinair presennol yn gywir" in wrong.text
        http.cookies.set("concordat_language", "en")
        wrong = await http.post("/account/password", data=fields | {"current_password": "nope"})
        assert "Your current password is not right" in wrong.text and "Error:" in wrong.text
        weak = await http.post(
            "/account/password",
            data=fields
            | {"current_password": password, "new_password": "short", "confirm_password": "short"},
        )
        assert weak.status_code == 422 and "at least 12 characters" in weak.text
        mismatched = await http.post(
            "/account/password",
            data=fields | {"current_password": password, "confirm_password": "something else"},
        )
        assert "Enter the same new password twice" in mismatched.text

        changed = await http.post("/account/password", data=fields | {"current_password": password})
        assert changed.status_code == 303 and changed.headers["location"] == "/account"
        account = await http.get("/account")
        assert account.status_code == 200  # this session goes on
        assert "You have been signed out everywhere else" in account.text
        ended = await elsewhere.get("/account")
        assert ended.status_code == 303 and ended.headers["location"].startswith("/signin")

    async with _browser(web_app) as fresh:
        assert (await sign_in(fresh, person.email, password)).status_code == 401
        assert (await sign_in(fresh, person.email, NEW_PASSWORD)).status_code == 303


async def test_the_language_chosen_is_kept_for_the_next_sign_in(
    http: httpx.AsyncClient, web_app, database: Database
) -> None:
    council = await make_authority(database, roles=())
    person, password = await make_user(database, council, AccessRole.AUTHORITY_ADMIN)
    await sign_in(http, person.email, password)
    form = await http.get("/account/language")
    assert form.status_code == 200 and "Iaith eich tudalennau" in form.text
    csrf = _csrf(form.text)
    refused = await http.post("/account/language", data={"csrf_token": csrf, "language": "fr"})
    assert refused.status_code == 422 and "Dewiswch iaith eich tudalennau" in refused.text
    saved = await http.post("/account/language", data={"csrf_token": csrf, "language": "en"})
    assert saved.status_code == 303
    account = await http.get("/account")
    assert 'lang="en"' in account.text and "Your language has been saved" in account.text
    assert 'href="/admin"' in account.text  # an administrator's navigation

    async with database.session() as session:
        stored = await user_by_id(person.id or 0, session=session)
    assert stored is not None and stored.language is Language.ENGLISH

    async with _browser(web_app) as other_computer:  # no language cookie there
        await sign_in(other_computer, person.email, password)
        page = await other_computer.get("/account")
        assert 'lang="en"' in page.text and "Your account" in page.text


async def test_the_tokens_page_is_in_one_language_at_a_time(
    http: httpx.AsyncClient, database: Database
) -> None:
    council = await make_authority(database, roles=())
    person, password = await make_user(database, council)
    await sign_in(http, person.email, password)
    welsh = await http.get("/account/tokens")
    assert "Eich tocynnau API" in welsh.text and "Your API tokens" not in welsh.text
    fields = {"csrf_token": _csrf(welsh.text), "name": "", "days": "999", "scope": "read"}
    refused = await http.post("/account/tokens", data=fields | {"password": password})
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert "Rhowch ar gyfer beth mae'r tocyn" in text and "o 1 i 365" in text
    http.cookies.set("concordat_language", "en")
    made = await http.post(
        "/account/tokens", data=fields | {"name": "dashboard", "days": "30", "password": password}
    )
    assert made.status_code == 200 and "Your new token" in made.text and "<code>" in made.text
    assert "dashboard" in made.text and "Revoke" in made.text
