"""The web app's defences: headers, cookies, lockout, rate limits, token lifetimes, and input
that tries to smuggle a header into an email."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from domain.access import AccessRole, TokenScope
from models import User
from runtime.database import Database
from runtime.settings import Settings
from services.tokens import find_active_token, issue_token, revoke_token
from tests.support import make_authority, make_user, sign_in
from tests.test_api import officer_for, report


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


async def test_repeated_wrong_passwords_lock_the_account(
    http: httpx.AsyncClient, database: Database
) -> None:
    council = await make_authority(database)
    person, password = await make_user(database, council)
    wrong = [await sign_in(http, person.email, "a wrong password here") for _ in range(5)]
    assert {r.status_code for r in wrong} == {401}
    locked = await sign_in(http, person.email, password)  # the right password, too late
    assert locked.status_code == 401
    async with database.session() as session:
        stored = await session.get(User, person.id, populate_existing=True)
    assert stored is not None and stored.locked_until is not None
    unknown = await sign_in(http, "nobody@nowhere.example", password)
    # The same words for a wrong password, a locked account and an unknown address.
    assert _error(wrong[0].text) == _error(locked.text) == _error(unknown.text)


def _error(page: str) -> str:
    return page.split('role="alert">')[1].split("</div>")[0]


async def test_signing_out_ends_every_copy_of_the_session(
    http: httpx.AsyncClient, database: Database
) -> None:
    council = await make_authority(database)
    person, password = await make_user(database, council)
    await sign_in(http, person.email, password)
    stolen = dict(http.cookies)
    page = await http.get("/incidents")
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
    page = await http.get("/account/tokens")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    fields = {"csrf_token": csrf, "name": "dashboard", "days": "30", "scope": "read"}
    no_password = await http.post("/account/tokens", data=fields | {"password": "guess"})
    assert "Enter your password" in no_password.text and "<code>" not in no_password.text
    too_long = await http.post(
        "/account/tokens", data=fields | {"days": "999", "password": password}
    )
    assert "1 to 365 days" in too_long.text
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
