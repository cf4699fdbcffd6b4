"""The web app's defences: headers, cookies, lockout, rate limits, token lifetimes, and input
that tries to smuggle a header into an email."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from ipaddress import ip_network
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from domain.access import AccessRole, TokenScope
from domain.vocabulary import MemberRole
from models import User
from runtime.database import Database
from runtime.settings import Settings
from services.tokens import TooManyTokens, find_active_token, issue_token, revoke_token, tokens_of
from tests.support import eventually, make_authority, make_user, sign_in
from tests.test_api import Officer, count_incidents, officer_for, report
from web.rate_limits import PasswordTurn, SignInDelays, address_of

#: Requests arrive through a proxy on loopback that names the client in X-Forwarded-For.
LOOPBACK = [ip_network("127.0.0.1")]
GUESSER, USUAL = "203.0.113.66", "198.51.100.20"

AppMaker = Callable[..., Callable[..., httpx.AsyncClient]]


@pytest.fixture
async def strict_app(
    dev_server: WorkflowEnvironment, database: Database, dev_settings: Settings, dev_worker: None
) -> AsyncIterator[httpx.AsyncClient]:
    """An app of its own, served over https, with tight limits, so counting starts at zero."""
    from web.app import create_app

    settings = dev_settings.model_copy(
        update={
            "base_url": "https://concordat.test",
            "rate_limit_sign_in": "3/minute",
            "rate_limit_api": "5/minute",
            "rate_limit_incidents": "2/minute",
        }
    )
    app = create_app(settings=settings, database=database, temporal=dev_server.client)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://concordat.test") as client:
        yield client


@pytest.fixture
async def app_with(
    dev_server: WorkflowEnvironment, database: Database, dev_settings: Settings, dev_worker: None
) -> AsyncIterator[AppMaker]:
    """Apps of their own, with the settings a test gives, so counting starts at zero; each
    gives clients, optionally as if from an address named by the proxy on loopback."""
    from web.app import create_app

    clients: list[httpx.AsyncClient] = []

    def make(**changes: Any) -> Callable[..., httpx.AsyncClient]:
        settings = dev_settings.model_copy(update=changes)
        app = create_app(settings=settings, database=database, temporal=dev_server.client)
        transport = httpx.ASGITransport(app=app)

        def client(address: str | None = None) -> httpx.AsyncClient:
            headers = {"X-Forwarded-For": address} if address else {}
            made = httpx.AsyncClient(
                transport=transport, base_url="http://concordat.test", headers=headers
            )
            clients.append(made)
            return made

        return client

    yield make
    for made in clients:
        await made.aclose()


async def test_every_response_carries_the_security_headers(http: httpx.AsyncClient) -> None:
    for path in ("/signin", "/api/incidents", "/healthz"):
        response = await http.get(path)
        headers = response.headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["cache-control"] == "no-store"


async def test_session_cookies_are_secure_httponly_and_samesite(
    strict_app: httpx.AsyncClient, database: Database
) -> None:
    council = await make_authority(database)
    person, password = await make_user(database, council)
    signed_in = await sign_in(strict_app, person.email, password)
    assert signed_in.status_code == 303
    cookie = signed_in.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert signed_in.headers["strict-transport-security"].startswith("max-age=")


async def test_wrong_passwords_slow_their_address_not_the_person(
    app_with: AppMaker, database: Database
) -> None:
    """Guessing from one address makes that address wait; the person, from their usual
    address, still signs in: nobody can lock them out (the 15-minute lockout was that)."""
    client = app_with(sign_in_delays=[0, 0, 30], trusted_proxies=LOOPBACK)
    council = await make_authority(database)
    person, password = await make_user(database, council)
    guesser, usual = client(GUESSER), client(USUAL)
    wrong = [await sign_in(guesser, person.email, "a wrong password here") for _ in range(3)]
    assert [r.status_code for r in wrong] == [401, 401, 401]
    waiting = await sign_in(guesser, person.email, password)  # the right one, from there
    assert waiting.status_code == 429 and "set-cookie" not in waiting.headers
    assert 25 <= int(waiting.headers["retry-after"]) <= 30
    assert "arhoswch 30 eiliad" in waiting.text  # Welsh: the guesser chose no language
    guesser.cookies.set("concordat_language", "en")
    in_english = await sign_in(guesser, person.email, password)
    assert in_english.status_code == 429 and re.search(r"wait \d+ seconds", in_english.text)
    guesser.cookies.delete("concordat_language")
    # The same answers for an address nobody has, so the delays reveal no accounts.
    unknown = [await sign_in(guesser, "nobody@nowhere.example", "a guess!") for _ in range(4)]
    assert [r.status_code for r in unknown] == [401, 401, 401, 429]
    assert _error(wrong[0].text) == _error(unknown[0].text)
    assert "cyfateb" in _error(wrong[0].text)

    signed_in = await sign_in(usual, person.email, password)
    assert signed_in.status_code == 303
    async with database.session() as session:
        stored = await session.get(User, person.id, populate_existing=True)
    assert stored is not None and stored.locked_until is None


async def test_each_wrong_password_makes_the_next_wait_longer(
    app_with: AppMaker, database: Database
) -> None:
    client = app_with(sign_in_delays=[0, 2, 4], trusted_proxies=LOOPBACK)(GUESSER)
    council = await make_authority(database)
    person, password = await make_user(database, council)
    assert (await sign_in(client, person.email, "wrong password one")).status_code == 401
    assert (await sign_in(client, person.email, "wrong password two")).status_code == 401
    # The wait runs from the refusal, however long checking the password took.
    first_wait = await sign_in(client, person.email, password)
    assert first_wait.status_code == 429 and int(first_wait.headers["retry-after"]) <= 2
    await asyncio.sleep(int(first_wait.headers["retry-after"]) + 0.1)
    assert (await sign_in(client, person.email, "wrong password three")).status_code == 401
    second_wait = await sign_in(client, person.email, password)
    assert second_wait.status_code == 429 and int(second_wait.headers["retry-after"]) > 2
    await asyncio.sleep(int(second_wait.headers["retry-after"]) + 0.1)
    assert (await sign_in(client, person.email, password)).status_code == 303


async def test_guessing_from_many_addresses_makes_each_of_them_wait_the_longest(
    app_with: AppMaker, database: Database
) -> None:
    client = app_with(
        sign_in_delays=[0, 0, 0, 0, 600], sign_in_account_alarm=3, trusted_proxies=LOOPBACK
    )
    council = await make_authority(database)
    person, password = await make_user(database, council)
    botnet = [client(f"192.0.2.{n}") for n in range(1, 5)]
    first = [(await sign_in(bot, person.email, "a guess from afar")).status_code for bot in botnet]
    assert first == [401, 401, 401, 401]
    # On its own, one wrong password would not make an address wait; the account's fourth
    # from anywhere does, and makes its address wait the longest.
    again = await sign_in(botnet[3], person.email, "another guess")
    assert again.status_code == 429 and int(again.headers["retry-after"]) > 500
    assert (await sign_in(client(USUAL), person.email, password)).status_code == 303


async def test_parallel_guesses_from_one_address_take_turns(database: Database) -> None:
    from limits.aio.storage import MemoryStorage

    delays = SignInDelays(MemoryStorage(), delays=[0], account_alarm=10)
    turn = await delays.take_turn("Someone@Council.example", "192.0.2.1")
    assert isinstance(turn, PasswordTurn)
    # While the first password is being checked, a second try from there waits.
    assert await delays.take_turn("someone@council.example", "192.0.2.1") == 10
    assert isinstance(await delays.take_turn("someone@council.example", "192.0.2.2"), PasswordTurn)
    await delays.settle(turn, right=False)
    assert isinstance(await delays.take_turn("someone@council.example", "192.0.2.1"), PasswordTurn)


def _error(page: str) -> str:
    return page.split('role="alert">')[1].split("</div>")[0]


async def test_signing_out_ends_every_copy_of_the_session(
    http: httpx.AsyncClient, database: Database
) -> None:
    council = await make_authority(database)
    person, password = await make_user(database, council)
    await sign_in(http, person.email, password)
    stolen = dict(http.cookies)
    page = await http.get("/signout")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    await http.post("/signout", data={"csrf_token": csrf})
    http.cookies.clear()
    http.cookies.update(stolen)
    replayed = await http.get("/incidents")
    assert replayed.status_code == 303 and replayed.headers["location"].startswith("/signin")
    http.cookies.clear()


async def test_only_the_codec_server_answers_the_web_ui_across_origins(
    http: httpx.AsyncClient,
) -> None:
    origin = {"Origin": "http://localhost:8233"}
    api = await http.get("/api/incidents", headers=origin)
    assert "access-control-allow-origin" not in api.headers
    preflight = await http.options(
        "/codec/decode",
        headers=origin
        | {
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:8233"
    assert "access-control-allow-credentials" not in preflight.headers


async def test_sign_in_token_use_and_incident_creation_are_rate_limited(
    strict_app: httpx.AsyncClient, database: Database
) -> None:
    council = await make_authority(database, reporting=False)
    person, _ = await make_user(database, council)
    statuses = [
        (await sign_in(strict_app, person.email, "wrong password!!")).status_code for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]

    async with database.session() as session:
        _, token = await issue_token(
            "limited", authority_id=None, user_id=person.id, session=session
        )
    headers = {"Authorization": f"Bearer {token}"}
    created = [
        (await strict_app.post("/api/incidents", json=report(council.code), headers=headers))
        for _ in range(3)
    ]
    assert [r.status_code for r in created] == [201, 201, 429]
    assert "Too many incidents" in created[2].json()["detail"]
    answers = [
        (await strict_app.get("/api/incidents", headers=headers)).status_code for _ in range(3)
    ]
    assert answers[-1] == 429  # five requests a minute with this token, and three were creates
    refused = await strict_app.get("/api/incidents", headers=headers)
    assert refused.headers["retry-after"]


async def test_expired_revoked_and_read_only_tokens(
    http: httpx.AsyncClient, database: Database
) -> None:
    officer = await officer_for(database, http)
    person, _ = await make_user(database, officer.council)
    async with database.session() as session:
        _, expired = await issue_token(
            "old",
            authority_id=None,
            user_id=person.id,
            expires_at=datetime.now(UTC) - timedelta(seconds=1),
            session=session,
        )
        revoked_row, revoked = await issue_token(
            "lost laptop", authority_id=None, user_id=person.id, session=session
        )
        _, reader = await issue_token(
            "dashboard",
            authority_id=None,
            user_id=person.id,
            scope=TokenScope.READ,
            session=session,
        )
        assert revoked_row.id is not None
        await revoke_token(revoked_row.id, session=session)
        assert await find_active_token(revoked, session=session) is None
    for token in (expired, revoked):
        answer = await http.get("/api/incidents", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401
    read_only = {"Authorization": f"Bearer {reader}"}
    assert (await http.get("/api/incidents", headers=read_only)).status_code == 200
    write = await http.post("/api/incidents", json=report(officer.council.code), headers=read_only)
    assert write.status_code == 403 and "read-only token" in write.json()["detail"]


async def test_input_that_would_reach_a_header_or_the_future_is_refused(
    http: httpx.AsyncClient, database: Database
) -> None:
    officer = await officer_for(database, http)
    future = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    ahead = await officer.post("/api/incidents", report(officer.council.code, aware_at=future))
    assert ahead.status_code == 422 and "future" in ahead.text
    admin, _ = await make_user(database, officer.council, role=AccessRole.AUTHORITY_ADMIN)
    async with database.session() as session:
        _, token = await issue_token("admin", authority_id=None, user_id=admin.id, session=session)
    smuggled = await http.put(
        f"/api/authorities/{officer.council.code}/members/executive_member",
        json={"name": "Cllr Jones\r\nBcc: attacker@evil.example", "work_email": "j@x.example"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert smuggled.status_code == 422


async def test_a_person_makes_and_revokes_their_own_tokens(
    http: httpx.AsyncClient, database: Database
) -> None:
    council = await make_authority(database)
    person, password = await make_user(database, council)
    await sign_in(http, person.email, password)
    http.cookies.set("concordat_language", "en")
    page = await http.get("/account/tokens")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    fields = {"csrf_token": csrf, "name": "dashboard", "days": "30", "scope": "read"}
    no_password = await http.post("/account/tokens", data=fields | {"password": "guess"})
    assert "Enter your password" in no_password.text and "<code>" not in no_password.text
    too_long = await http.post(
        "/account/tokens", data=fields | {"days": "999", "password": password}
    )
    assert "from 1 to 365" in too_long.text
    made = await http.post("/account/tokens", data=fields | {"password": password})
    token = made.text.split("<code>")[1].split("</code>")[0]
    headers = {"Authorization": f"Bearer {token}"}
    assert (await http.get("/api/incidents", headers=headers)).status_code == 200
    async with database.session() as session:
        row = await find_active_token(token, session=session)
    assert row is not None and row.expires_at is not None and row.scope is TokenScope.READ
    assert row.expires_at - datetime.now(UTC) < timedelta(days=30, minutes=1)
    revoked = await http.post(f"/account/tokens/{row.id}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 303
    assert (await http.get("/api/incidents", headers=headers)).status_code == 401
    forged = await http.post(f"/account/tokens/{row.id}/revoke", data={"csrf_token": "x"})
    assert forged.status_code == 403
    http.cookies.clear()


def _csrf(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_the_tokens_page_password_counts_like_a_sign_in(
    app_with: AppMaker, database: Database
) -> None:
    """Asking for the password again must not be a faster way to guess it than signing in."""
    client = app_with(sign_in_delays=[0, 30], trusted_proxies=LOOPBACK)
    council = await make_authority(database)
    person, password = await make_user(database, council)
    browser = client(USUAL)
    assert (await sign_in(browser, person.email, password)).status_code == 303
    page = await browser.get("/account/tokens")
    fields = {"csrf_token": _csrf(page.text), "name": "dashboard", "days": "30", "scope": "read"}
    guesses = [
        await browser.post("/account/tokens", data=fields | {"password": f"guess number {n}"})
        for n in range(2)
    ]
    assert [g.status_code for g in guesses] == [401, 401]
    held = await browser.post("/account/tokens", data=fields | {"password": password})
    assert held.status_code == 429 and int(held.headers["retry-after"]) > 20
    assert "<code>" not in held.text and "arhoswch" in held.text
    # The same turns as signing in: from that address, signing in waits too.
    assert (await sign_in(client(USUAL), person.email, password)).status_code == 429
    async with database.session() as session:
        assert person.id is not None and await tokens_of(person.id, session=session) == []


async def test_a_person_holds_at_most_five_live_tokens(
    http: httpx.AsyncClient, database: Database
) -> None:
    council = await make_authority(database)
    person, password = await make_user(database, council)
    assert person.id is not None
    async with database.session() as session:
        await issue_token(
            "old laptop",
            authority_id=None,
            user_id=person.id,
            expires_at=datetime.now(UTC) - timedelta(days=1),
            session=session,
        )
        laptops = [
            (
                await issue_token(
                    f"laptop {n}", authority_id=None, user_id=person.id, session=session
                )
            )[0]
            for n in range(5)
        ]
        with pytest.raises(TooManyTokens, match="5 live API tokens"):
            await issue_token("one too many", authority_id=None, user_id=person.id, session=session)
        # A system's token belongs to nobody and is not counted.
        await issue_token("incident feed", authority_id=council.id, session=session)
        assert len(await tokens_of(person.id, session=session)) == 6

    await sign_in(http, person.email, password)
    page = await http.get("/account/tokens")
    fields = {"csrf_token": _csrf(page.text), "name": "sixth", "days": "30", "scope": "read"}
    refused = await http.post("/account/tokens", data=fields | {"password": password})
    assert refused.status_code == 409 and "<code>" not in refused.text
    assert "yr uchafswm" in refused.text  # Welsh: nobody here chose a language
    http.cookies.set("concordat_language", "en")
    again = await http.post("/account/tokens", data=fields | {"password": password})
    assert again.status_code == 409 and "the most one person may" in again.text
    async with database.session() as session:
        assert laptops[0].id is not None
        await revoke_token(laptops[0].id, session=session)
    made = await http.post("/account/tokens", data=fields | {"password": password})
    assert made.status_code == 200 and "<code>" in made.text
    http.cookies.clear()


async def test_rate_limits_count_per_person_not_per_token(
    app_with: AppMaker, database: Database
) -> None:
    client = app_with(rate_limit_api="5/minute")()
    council = await make_authority(database)
    person, _ = await make_user(database, council)
    async with database.session() as session:
        tokens = [
            (
                await issue_token(
                    f"token {n}", authority_id=None, user_id=person.id, session=session
                )
            )[1]
            for n in range(5)
        ]
    answers = [(await client.get("/api/incidents", headers=_bearer(t))).status_code for t in tokens]
    assert answers == [200] * 5
    # A sixth request, with a token used once so far: the person has had their five.
    refused = await client.get("/api/incidents", headers=_bearer(tokens[0]))
    assert refused.status_code == 429 and refused.headers["retry-after"]
    assert "from you" in refused.json()["detail"] and "gennych" in refused.json()["detail"]


async def test_a_retried_create_is_never_held_back_by_the_authority_limit(
    app_with: AppMaker, database: Database
) -> None:
    """The README promises that a retry returns the same incident, whatever the limit."""
    client = app_with(rate_limit_incidents="2/minute")()
    officer = await officer_for(database, client)
    body = report(officer.council.code)
    first = await officer.post("/api/incidents", body, **{"Idempotency-Key": "only-once"})
    assert first.status_code == 201
    retries = [
        await officer.post("/api/incidents", body, **{"Idempotency-Key": "only-once"})
        for _ in range(5)
    ]
    assert {r.status_code for r in retries} == {200}
    assert {r.json()["id"] for r in retries} == {first.json()["id"]}
    async with database.session() as session:
        _, other = await issue_token("colleague", authority_id=officer.council.id, session=session)
    colleague = Officer(client, other, officer.council)
    assert (await colleague.post("/api/incidents", report(officer.council.code))).status_code == 201
    third = await colleague.post("/api/incidents", report(officer.council.code, title="Third one"))
    assert third.status_code == 429 and third.headers["retry-after"]
    late_retry = await officer.post("/api/incidents", body, **{"Idempotency-Key": "only-once"})
    assert late_retry.status_code == 200 and late_retry.json()["id"] == first.json()["id"]


async def test_notes_and_changes_are_limited_per_incident_and_acknowledging_never(
    app_with: AppMaker, database: Database
) -> None:
    clients = app_with(rate_limit_notes="3/minute", rate_limit_incident_changes="2/minute")
    client = clients()
    officer = await officer_for(database, client)
    path = f"/api/incidents/{(await officer.open())['id']}"
    await eventually(_live(officer, path))
    notes = [await officer.post(f"{path}/notes", {"text": f"Note {n}"}) for n in range(4)]
    assert [n.status_code for n in notes] == [200, 200, 200, 429]
    assert int(notes[-1].headers["retry-after"]) > 0
    detail = notes[-1].json()["detail"]
    assert "Too many notes" in detail and "nodiadau" in detail
    async with database.session() as session:
        _, other = await issue_token("colleague", authority_id=officer.council.id, session=session)
    colleague = Officer(client, other, officer.council)
    # Per incident, by everyone together.
    assert (await colleague.post(f"{path}/notes", {"text": "Me too"})).status_code == 429
    # The status page's form is the same action, held to the same count.
    person, password = await make_user(database, officer.council)
    browser = clients()
    await sign_in(browser, person.email, password)
    page = await browser.get(path.removeprefix("/api"))
    form = await browser.post(
        f"{path.removeprefix('/api')}/actions/note",
        data={"csrf_token": _csrf(page.text), "text": "From the page"},
    )
    assert form.status_code == 429 and "nodiadau" in form.text and form.headers["retry-after"]

    # Other changes have a count of their own; acknowledging and closing have none.
    reassessed = await officer.post(f"{path}/assessment", {"category": 5, "reason": "Smaller"})
    assert reassessed.status_code == 200
    assert (await officer.post(f"{path}/contain", {})).status_code == 200
    assert (await officer.post(f"{path}/recover", {})).status_code == 429
    executive = officer.council.members[MemberRole.EXECUTIVE_MEMBER]
    assert (await officer.post(f"{path}/acknowledge", {"member_id": executive})).status_code == 200

    elsewhere = f"/api/incidents/{(await officer.open(title='Another incident'))['id']}"
    await eventually(_live(officer, elsewhere))
    assert (await officer.post(f"{elsewhere}/notes", {"text": "Fine here"})).status_code == 200


def _live(officer: Officer, path: str) -> Callable[[], Any]:
    async def running() -> bool:
        return bool((await officer.get(path)).json()["live"])

    return running


async def test_requests_without_a_token_get_401_however_many(
    app_with: AppMaker, database: Database
) -> None:
    """Behind a proxy every client shares an address: asking without a token guesses nothing,
    so it is never held back; wrong tokens are."""
    client = app_with(rate_limit_sign_in="3/minute")()
    without = [(await client.get("/api/incidents")).status_code for _ in range(12)]
    assert set(without) == {401}
    wrong = [
        (await client.get("/api/incidents", headers=_bearer("cnc_wrong"))).status_code
        for _ in range(4)
    ]
    assert wrong == [401, 401, 401, 429]
    assert (await client.get("/api/incidents")).status_code == 401


def test_the_client_address_is_believed_only_from_trusted_proxies() -> None:
    proxies = [ip_network("10.0.0.0/8")]
    assert address_of("203.0.113.5", ["198.51.100.1"], proxies) == "203.0.113.5"
    assert address_of("10.0.0.2", ["198.51.100.1"], proxies) == "198.51.100.1"
    # What the client wrote itself (the left part) is not believed; what proxies added is.
    assert address_of("10.0.0.2", ["1.2.3.4, 198.51.100.1", "10.0.0.3"], proxies) == "198.51.100.1"
    assert address_of("10.0.0.2", [], proxies) == "10.0.0.2"
    assert address_of("10.0.0.2", ["not an address"], proxies) == "10.0.0.2"
    assert address_of("10.0.0.2", ["198.51.100.1"], []) == "10.0.0.2"
    assert address_of(None, ["198.51.100.1"], proxies) == "unknown"


async def test_a_forwarded_address_buys_no_fresh_allowance_unless_the_proxy_is_trusted(
    app_with: AppMaker, database: Database
) -> None:
    council = await make_authority(database)
    person, _ = await make_user(database, council)
    direct = app_with(rate_limit_sign_in="2/minute")
    tries = [
        (await sign_in(direct(f"192.0.2.{n}"), person.email, "a wrong guess")).status_code
        for n in range(3)
    ]
    assert tries == [401, 401, 429]
    proxied = app_with(rate_limit_sign_in="2/minute", trusted_proxies=LOOPBACK)
    tries = [
        (await sign_in(proxied(f"192.0.2.{n}"), person.email, "a wrong guess")).status_code
        for n in range(3)
    ]
    assert tries == [401, 401, 401]


async def test_deeply_nested_json_is_refused_not_a_server_error(
    http: httpx.AsyncClient, database: Database
) -> None:
    central, _ = await make_user(database, None, AccessRole.CENTRAL_TEAM)
    async with database.session() as session:
        _, token = await issue_token(
            "codec", authority_id=None, user_id=central.id, session=session
        )
    deep = '{"payloads": ' + "[" * 100_000 + "]" * 100_000 + "}"
    json_headers = _bearer(token) | {"Content-Type": "application/json"}
    decoded = await http.post("/codec/decode", content=deep, headers=json_headers)
    assert decoded.status_code == 422 and "too deeply" in decoded.json()["detail"]
    officer = await officer_for(database, http)
    opened = await http.post(
        "/api/incidents",
        content=deep,
        headers=officer.headers | {"Content-Type": "application/json"},
    )
    assert 400 <= opened.status_code < 500


async def test_the_status_page_refuses_a_member_that_is_not_a_number(
    http: httpx.AsyncClient, database: Database
) -> None:
    officer = await officer_for(database, http)
    created = await officer.open()
    person, password = await make_user(database, officer.council)
    await sign_in(http, person.email, password)
    status_page = f"/incidents/{created['id']}"
    csrf = _csrf((await http.get(status_page)).text)
    for member_id in ("²", "9" * 5000, "99999999999999999999", "-1", "1e3", "٣"):
        answer = await http.post(
            f"{status_page}/actions/acknowledge", data={"csrf_token": csrf, "member_id": member_id}
        )
        assert answer.status_code == 422, (member_id[:20], answer.status_code)
    http.cookies.clear()


async def test_values_that_only_resemble_the_right_type_are_refused(
    http: httpx.AsyncClient, database: Database
) -> None:
    """`"category": true` once opened a category 1 incident and started four regulators'
    clocks: numbers, booleans and moments are taken only as themselves."""
    officer = await officer_for(database, http)
    for change, field in (
        ({"category": True}, "category"),
        ({"category": "3"}, "category"),
        ({"category": 3.0}, "category"),
        ({"detected_at": 1_700_000_000}, "detected_at"),
        ({"detected_at": "1700000000"}, "detected_at"),
        ({"aware_at": 1_700_000_000.5}, "aware_at"),
        ({"significant": "yes"}, "significant"),
        ({"exercise": 1}, "exercise"),
        ({"personal_data": "true"}, "personal_data"),
    ):
        answer = await officer.post("/api/incidents", report(officer.council.code, **change))
        assert answer.status_code == 422, change
        assert any(e["field"] == field for e in answer.json()["errors"]), (change, answer.text)
    assert await count_incidents(database, officer.council) == 0

    path = f"/api/incidents/{(await officer.open())['id']}"
    for change in ({"category": "2"}, {"category": False}, {"significant": 1}):
        answer = await officer.post(f"{path}/assessment", change | {"reason": "Worse than thought"})
        assert answer.status_code == 422, change


async def test_adding_a_user_reveals_no_address_used_at_another_authority(
    http: httpx.AsyncClient, database: Database
) -> None:
    ours, theirs = await make_authority(database), await make_authority(database)
    admin, _ = await make_user(database, ours, role=AccessRole.AUTHORITY_ADMIN)
    theirs_person, _ = await make_user(database, theirs)
    async with database.session() as session:
        _, token = await issue_token("admin", authority_id=None, user_id=admin.id, session=session)
    users = f"/api/authorities/{ours.code}/users"
    unused = f"nobody.{ours.code.lower()}@council.example"

    async def add(email: str, **fields: str) -> httpx.Response:
        person = {"email": email, "name": "A probe", "role": "on_call_officer"} | fields
        return await http.post(users, json=person, headers=_bearer(token))

    # A request that is wrong anyway answers alike for a used address and an unused one.
    for wrong in (
        {"password": "aaaaaaaaaaaaaaaa"},  # too few different characters
        {"password": "a good long password", "role": "responsible_member"},  # no member_role
    ):
        taken, free = await add(theirs_person.email, **wrong), await add(unused, **wrong)
        assert taken.status_code == free.status_code == 422, (taken.text, free.text)
        assert taken.json() == free.json()
    # Only a request that would have added the person learns the address is taken, and not where.
    taken = await add(theirs_person.email, password="a good long password")
    assert taken.status_code == 409 and theirs.code not in taken.text
