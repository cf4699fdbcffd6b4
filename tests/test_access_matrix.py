"""Every role against every API endpoint and page, for its own authority and another.

The table below is the access policy written out; the test fails if an endpoint is added
without a row. An allowed write is sent an empty body, so it proves the caller got past the
checks (422) without changing anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from domain.access import AccessRole, Permission, TokenScope
from domain.complaints import ComplaintChannel
from domain.supplier_notices import NoticeChannel, NoticeContent
from domain.suppliers import SupplierDetails
from domain.vocabulary import MemberRole
from models import Supplier
from runtime.database import Database
from services.administration import Actor
from services.campaigns import CampaignCreate, create_campaign
from services.complaints import ComplaintDetails, record_complaint
from services.incidents import get_incident
from services.notice_intake import Receiving, issue_supplier_token, record_notice
from services.statements import StatementDraft, create_statement
from services.suppliers import add_supplier
from services.tokens import issue_token
from tests.support import make_user, sign_in
from tests.test_api import Officer, officer_for, report

P = Permission
ANY_READ = (P.READ_INCIDENTS, P.READ_TIMELINES)

#: (method, path) -> the permissions that allow it (any of them), and what it is scoped by.
ENDPOINTS: dict[tuple[str, str], tuple[tuple[Permission, ...], str]] = {
    ("POST", "/api/incidents"): ((P.OPEN_INCIDENTS,), "authority in body"),
    ("GET", "/api/incidents"): (ANY_READ, "none"),
    ("GET", "/api/incidents/{incident_id}"): ((P.READ_INCIDENTS,), "incident"),
    ("GET", "/api/incidents/{incident_id}/timeline"): ((P.READ_TIMELINES,), "incident"),
    ("POST", "/api/incidents/{incident_id}/acknowledge"): ((P.ACKNOWLEDGE,), "incident"),
    ("POST", "/api/incidents/{incident_id}/notes"): ((P.RUN_INCIDENTS,), "incident"),
    ("POST", "/api/incidents/{incident_id}/assessment"): ((P.RUN_INCIDENTS,), "incident"),
    ("POST", "/api/incidents/{incident_id}/ncsc-report"): ((P.RUN_INCIDENTS,), "incident"),
    ("POST", "/api/incidents/{incident_id}/contain"): ((P.RUN_INCIDENTS,), "incident"),
    ("POST", "/api/incidents/{incident_id}/recover"): ((P.RUN_INCIDENTS,), "incident"),
    ("POST", "/api/incidents/{incident_id}/close"): ((P.RUN_INCIDENTS,), "incident"),
    ("GET", "/api/incidents/{incident_id}/obligations"): ((P.READ_INCIDENTS,), "incident"),
    ("POST", "/api/incidents/{incident_id}/obligations/{body}/submissions"): (
        (P.RUN_INCIDENTS,),
        "incident",
    ),
    ("POST", "/api/incidents/{incident_id}/obligations/{body}/waiver"): (
        (P.RUN_INCIDENTS,),
        "incident",
    ),
    ("GET", "/api/incidents/{incident_id}/obligations/{body}/draft"): (
        (P.READ_INCIDENTS,),
        "incident",
    ),
    ("GET", "/api/incidents/{incident_id}/breach"): ((P.READ_INCIDENTS,), "incident"),
    ("PUT", "/api/incidents/{incident_id}/breach"): ((P.RUN_INCIDENTS,), "incident"),
    ("GET", "/api/breaches"): ((P.READ_INCIDENTS,), "none"),
    ("GET", "/api/incidents/{incident_id}/scorecard"): ((P.READ_INCIDENTS,), "incident"),
    ("GET", "/api/authorities/{code}/members"): ((P.ADMINISTER,), "authority"),
    ("PUT", "/api/authorities/{code}/members/{role}"): ((P.ADMINISTER,), "authority"),
    ("PUT", "/api/authorities/{code}/policy"): ((P.ADMINISTER,), "authority"),
    ("POST", "/api/authorities/{code}/users"): ((P.ADMINISTER,), "authority"),
    ("DELETE", "/api/authorities/{code}/users/{user_id}"): ((P.ADMINISTER,), "authority"),
    ("DELETE", "/api/authorities/{code}/members/{role}"): ((P.ADMINISTER,), "authority"),
    ("GET", "/api/authorities/{code}/commitments"): ((P.READ_COMMITMENTS,), "authority"),
    **{
        ("PUT", f"/api/authorities/{{code}}/commitments/{letter}"): (
            (P.EDIT_COMMITMENTS,),
            "authority",
        )
        for letter in "abdef"
    },
    ("GET", "/api/national/picture"): ((P.READ_NATIONAL,), "none"),
    ("GET", "/api/national/performance"): ((P.READ_NATIONAL,), "none"),
    ("GET", "/api/campaigns"): ((P.READ_NATIONAL,), "none"),
    ("POST", "/api/campaigns"): ((P.MANAGE_NATIONAL,), "none"),
    ("GET", "/api/campaigns/{campaign_id}"): ((P.READ_NATIONAL,), "none"),
    ("POST", "/api/campaigns/{campaign_id}/incidents"): ((P.MANAGE_NATIONAL,), "none"),
    ("DELETE", "/api/campaigns/{campaign_id}/incidents/{incident_id}"): (
        (P.MANAGE_NATIONAL,),
        "none",
    ),
    ("POST", "/api/campaigns/{campaign_id}/closure"): ((P.MANAGE_NATIONAL,), "none"),
    ("DELETE", "/api/campaigns/{campaign_id}/closure"): ((P.MANAGE_NATIONAL,), "none"),
    ("GET", "/api/national/centre-recipients"): ((P.READ_NATIONAL,), "none"),
    ("POST", "/api/national/centre-recipients"): ((P.MANAGE_NATIONAL,), "none"),
    ("DELETE", "/api/national/centre-recipients/{recipient_id}"): ((P.MANAGE_NATIONAL,), "none"),
    ("GET", "/api/authorities/{code}/reviews/{year}"): ((P.READ_COMMITMENTS,), "authority"),
    ("POST", "/api/authorities/{code}/reviews/{year}/submission"): (
        (P.EDIT_COMMITMENTS,),
        "authority",
    ),
    # The central team decides on any authority's review: no authority is its own.
    ("POST", "/api/authorities/{code}/reviews/{year}/acceptance"): ((P.MANAGE_NATIONAL,), "none"),
    ("POST", "/api/authorities/{code}/reviews/{year}/return"): ((P.MANAGE_NATIONAL,), "none"),
    ("GET", "/api/national/reviews"): ((P.READ_NATIONAL,), "none"),
    ("POST", "/api/national/reviews"): ((P.MANAGE_NATIONAL,), "none"),
    # Evidence: whoever reads the incident reads its list; downloading also needs the TLP rule
    # (the world's incidents keep no evidence, so an allowed reader gets the file's own 404).
    ("GET", "/api/incidents/{incident_id}/evidence"): (ANY_READ, "incident"),
    ("POST", "/api/incidents/{incident_id}/evidence"): ((P.RUN_INCIDENTS,), "incident"),
    ("GET", "/api/incidents/{incident_id}/evidence/{file_id}"): (ANY_READ, "incident"),
    ("GET", "/api/incidents/{incident_id}/evidence/bundle"): (ANY_READ, "incident"),
    ("POST", "/api/incidents/{incident_id}/custody"): ((P.RUN_INCIDENTS,), "incident"),
    # The post-incident review: the incident's people read it and write it; the senior
    # management member names its owner, accepts an action's risk and signs it off.
    ("GET", "/api/incidents/{incident_id}/review"): ((P.READ_INCIDENTS,), "incident"),
    ("PUT", "/api/incidents/{incident_id}/review"): ((P.REVIEW_INCIDENTS,), "incident"),
    ("POST", "/api/incidents/{incident_id}/review/start"): ((P.REVIEW_INCIDENTS,), "incident"),
    ("POST", "/api/incidents/{incident_id}/review/owner"): ((P.SIGN_OFF_REVIEWS,), "incident"),
    ("POST", "/api/incidents/{incident_id}/review/actions"): ((P.REVIEW_INCIDENTS,), "incident"),
    ("POST", "/api/incidents/{incident_id}/review/actions/{number}/done"): (
        (P.REVIEW_INCIDENTS,),
        "incident",
    ),
    ("POST", "/api/incidents/{incident_id}/review/actions/{number}/accept-risk"): (
        (P.SIGN_OFF_REVIEWS,),
        "incident",
    ),
    ("POST", "/api/incidents/{incident_id}/review/sign-off"): ((P.SIGN_OFF_REVIEWS,), "incident"),
    ("POST", "/api/incidents/{incident_id}/follow-ups"): ((P.RUN_INCIDENTS,), "incident"),
    ("GET", "/api/authorities/{code}/lessons"): ((P.READ_INCIDENTS,), "authority"),
    ("GET", "/api/national/lessons"): ((P.READ_NATIONAL,), "none"),
    # Public statements: drafted by the officers running the incident, published or
    # withdrawn by a named member or deputy.
    ("GET", "/api/incidents/{incident_id}/statements"): ((P.READ_INCIDENTS,), "incident"),
    ("POST", "/api/incidents/{incident_id}/statements"): ((P.RUN_INCIDENTS,), "incident"),
    ("GET", "/api/incidents/{incident_id}/statements/{statement_id}"): (
        (P.READ_INCIDENTS,),
        "incident",
    ),
    ("PUT", "/api/incidents/{incident_id}/statements/{statement_id}"): (
        (P.RUN_INCIDENTS,),
        "incident",
    ),
    ("POST", "/api/incidents/{incident_id}/statements/{statement_id}/publish"): (
        (P.APPROVE_STATEMENTS,),
        "incident",
    ),
    ("POST", "/api/incidents/{incident_id}/statements/{statement_id}/withdraw"): (
        (P.APPROVE_STATEMENTS,),
        "incident",
    ),
    # The supplier register: the authority's people and its administrator read it, and the
    # central team reads every authority's; only the administrator changes it.
    ("GET", "/api/authorities/{code}/suppliers"): ((P.READ_INCIDENTS, P.ADMINISTER), "authority"),
    ("POST", "/api/authorities/{code}/suppliers"): ((P.ADMINISTER,), "authority"),
    ("GET", "/api/authorities/{code}/suppliers/{supplier_id}"): (
        (P.READ_INCIDENTS, P.ADMINISTER),
        "authority",
    ),
    ("PUT", "/api/authorities/{code}/suppliers/{supplier_id}"): ((P.ADMINISTER,), "authority"),
    ("DELETE", "/api/authorities/{code}/suppliers/{supplier_id}"): ((P.ADMINISTER,), "authority"),
    ("GET", "/api/national/suppliers"): ((P.READ_NATIONAL,), "none"),
    # Data-protection complaints, in the breach register: its writers record them (for their
    # own authority), acknowledge them and give their outcomes; its readers read them.
    ("POST", "/api/complaints"): ((P.RUN_INCIDENTS,), "none"),
    ("GET", "/api/complaints"): ((P.READ_INCIDENTS,), "none"),
    ("GET", "/api/complaints/{complaint_id}"): ((P.READ_INCIDENTS,), "complaint"),
    ("POST", "/api/complaints/{complaint_id}/acknowledgement"): ((P.RUN_INCIDENTS,), "complaint"),
    ("POST", "/api/complaints/{complaint_id}/outcome"): ((P.RUN_INCIDENTS,), "complaint"),
    # Supplier notices: a supplier's own token sends them and reads what it sent; a council's
    # people read their copies and its officers triage them; the central team sees each notice
    # once and makes campaigns of them.
    ("POST", "/api/supplier-notices"): ((P.SUBMIT_SUPPLIER_NOTICES,), "none"),
    ("GET", "/api/supplier-notices"): ((P.SUBMIT_SUPPLIER_NOTICES, P.READ_INCIDENTS), "none"),
    ("GET", "/api/supplier-notices/{notice_id}"): (
        (P.SUBMIT_SUPPLIER_NOTICES, P.READ_INCIDENTS),
        "notice",
    ),
    ("POST", "/api/supplier-notices/{notice_id}/triage"): ((P.RUN_INCIDENTS,), "notice"),
    ("GET", "/api/national/supplier-notices"): ((P.READ_NATIONAL,), "none"),
    ("POST", "/api/national/supplier-notices/{notice_id}/campaign"): (
        (P.MANAGE_NATIONAL,),
        "none",
    ),
}

#: What each role reads across authorities (beyond its own).
READS_EVERY_AUTHORITY = {AccessRole.CENTRAL_TEAM}


@dataclass
class Council:
    officer: Officer
    incident: dict[str, Any]
    user_id: int
    statement_id: int = 0
    """A draft public statement about the incident, in English only: never publishable."""
    supplier_id: int = 0
    """A supplier on the council's register."""
    complaint_id: str = ""
    """A data-protection complaint to the council (its clock not started: nothing runs)."""
    notice_id: str = ""
    """A supplier notice to the council (its clock not started): the own council's sent by the
    matrix's supplier token, the other's recorded by an officer."""


@dataclass
class Caller:
    label: str
    role: AccessRole
    token: str
    scope: TokenScope
    email: str
    password: str


@pytest.fixture
async def world(http: httpx.AsyncClient, database: Database) -> dict[str, Any]:
    councils = {}
    for name in ("own", "other"):
        officer = await officer_for(database, http)
        async with database.session() as session:
            supplier = await add_supplier(
                officer.council.id,
                SupplierDetails(name="Matrix Hosting Ltd"),
                actor=Actor("matrix"),
                session=session,
            )
        incident = await officer.open()
        someone, _ = await make_user(database, officer.council)
        async with database.session() as session:
            row = await get_incident(incident["id"], authority_id=None, session=session)
            assert row is not None
            statement = await create_statement(
                row, StatementDraft(title_en="Matrix statement"), actor="matrix", session=session
            )
        async with database.session() as session:
            complaint = await record_complaint(
                officer.council.authority,
                ComplaintDetails(
                    received_at=datetime.now(UTC),
                    received_how=ComplaintChannel.EMAIL,
                    summary="Matrix complaint",
                    recorded_by="matrix",
                ),
                acknowledge_within=timedelta(days=30),
                session=session,
            )
        councils[name] = Council(
            officer, incident, someone.id or 0, statement.id or 0, supplier.id, complaint.id
        )
    supplier_token = await _supplier_notices(database, councils)
    own = councils["own"].officer.council
    people: dict[AccessRole, dict[str, Any]] = {
        AccessRole.ON_CALL_OFFICER: {},
        AccessRole.RESPONSIBLE_MEMBER: {"member_role": MemberRole.EXECUTIVE_MEMBER},
        AccessRole.AUTHORITY_ADMIN: {},
        AccessRole.AUDITOR: {"grants": [own.id]},
        AccessRole.CENTRAL_TEAM: {},
    }
    callers = []
    for role, details in people.items():
        national = role in (AccessRole.AUDITOR, AccessRole.CENTRAL_TEAM)
        user, password = await make_user(database, None if national else own, role, **details)
        scopes = [TokenScope.WRITE] + (
            [TokenScope.READ] if role is AccessRole.ON_CALL_OFFICER else []
        )
        for scope in scopes:
            async with database.session() as session:
                _, token = await issue_token(
                    "matrix", authority_id=None, user_id=user.id, scope=scope, session=session
                )
            label = role.value + ("" if scope is TokenScope.WRITE else " (read-only token)")
            callers.append(Caller(label, role, token, scope, user.email, password))
    async with database.session() as session:
        campaign = await create_campaign(
            CampaignCreate(name="Matrix campaign", created_by="matrix"), session=session
        )
    return {
        "councils": councils,
        "callers": callers,
        "campaign_id": campaign.id,
        "supplier_token": supplier_token,
    }


async def _supplier_notices(database: Database, councils: dict[str, Council]) -> str:
    """The matrix's supplier's own token, and a notice to each council: the own council's sent
    with that token, the other's recorded by an officer. Returns the token."""
    async with database.session() as session:
        token_row, token = await issue_supplier_token("Matrix Hosting Ltd", session=session)
        for name, council in councils.items():
            authority = council.officer.council.authority
            entry = await session.get(Supplier, council.supplier_id)
            assert entry is not None
            notice, _ = await record_notice(
                NoticeContent(subject="Matrix notice", text="Matrix notice text"),
                supplier_name=entry.normalised_name,
                display_name=entry.name,
                channel=NoticeChannel.API if name == "own" else NoticeChannel.PAGE,
                councils=[Receiving(authority, entry)],
                recorded_by="matrix",
                window_minutes=60,
                token_id=token_row.id if name == "own" else None,
                session=session,
            )
            council.notice_id = notice.id
    return token


def _held_in_person(caller: Caller, permission: Permission) -> bool:
    """The conditions beyond the role (`web.deps.Caller.can`), for the callers made above: the
    auditor is granted one authority, so not the national picture, and the named member is the
    executive member, who does not attest the commitments or sign reviews off (but approves
    public statements)."""
    if permission in (P.READ_NATIONAL, P.MANAGE_NATIONAL):
        return caller.role is AccessRole.CENTRAL_TEAM
    if permission in (P.EDIT_COMMITMENTS, P.SIGN_OFF_REVIEWS):
        return caller.role is not AccessRole.RESPONSIBLE_MEMBER
    return True


def _expected(caller: Caller, permissions: tuple[Permission, ...], scoped: str, target: str) -> str:
    from domain.access import ROLE_PERMISSIONS, WRITES

    held = ROLE_PERMISSIONS[caller.role]
    usable = [
        p
        for p in permissions
        if p in held
        and (caller.scope is TokenScope.WRITE or p not in WRITES)
        and _held_in_person(caller, p)
    ]
    if not usable:
        return "forbidden"
    if scoped == "none" or target == "own":
        return "allowed"
    reads_everywhere = caller.role in READS_EVERY_AUTHORITY and all(p not in WRITES for p in usable)
    return "allowed" if reads_everywhere else "hidden"


def _outcome(response: httpx.Response) -> str:
    payload = (
        response.json()
        if response.headers.get("content-type", "").startswith("application/json")
        else None
    )
    detail = str(payload.get("detail", "")) if isinstance(payload, dict) else ""
    if response.status_code == 403:
        return "forbidden"
    if response.status_code == 404 and detail.startswith(
        ("No incident", "No authority", "No user", "No complaint", "No supplier notice")
    ):
        return "hidden"
    if response.status_code == 422 and "Unknown authority" in detail:
        return "hidden"
    assert response.status_code not in (401, 500), (response.status_code, response.text)
    return "allowed"


async def test_every_api_endpoint_is_in_the_matrix(web_app) -> None:
    routes = {
        (method.upper(), path)
        for path, operations in web_app.openapi()["paths"].items()
        if path.startswith("/api")
        for method in operations
    }
    assert routes == set(ENDPOINTS)


async def test_every_role_on_every_endpoint_for_its_own_and_another_authority(
    http: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    councils: dict[str, Council] = world["councils"]
    mismatches = []
    # A supplier's own token is no person's: it is held to the API alone (no pages, no sign-in).
    supplier = Caller(
        "supplier token", AccessRole.SUPPLIER, world["supplier_token"], TokenScope.WRITE, "", ""
    )
    for caller in [*world["callers"], supplier]:
        headers = {"Authorization": f"Bearer {caller.token}"}
        for (method, template), (permissions, scoped) in ENDPOINTS.items():
            for target in ("own", "other") if scoped != "none" else ("own",):
                council = councils[target]
                path = template.format(
                    incident_id=council.incident["id"],
                    campaign_id=world["campaign_id"],
                    year=2026,
                    body="ico",
                    code=council.officer.council.code,
                    role="executive_member",
                    user_id=council.user_id,
                    recipient_id=0,
                    file_id="0" * 32,
                    number=1,
                    statement_id=council.statement_id,
                    supplier_id=council.supplier_id,
                    complaint_id=council.complaint_id,
                    notice_id=council.notice_id,
                )
                body: Any = None
                if method in ("POST", "PUT"):
                    body = {}
                if (method, template) == ("POST", "/api/incidents"):
                    body = report(council.officer.council.code)
                response = await http.request(method, path, json=body, headers=headers)
                expected = _expected(caller, permissions, scoped, target)
                got = _outcome(response)
                if got != expected:
                    mismatches.append(
                        f"{caller.label} {method} {template} ({target}): expected {expected}, "
                        f"got {got} ({response.status_code} {response.text[:120]})"
                    )
    assert not mismatches, "\n".join(mismatches)


PAGES = {
    "/incidents": (P.READ_INCIDENTS,),
    "/incidents/new": (P.OPEN_INCIDENTS,),
    "/incidents/{incident_id}": (P.READ_INCIDENTS,),
    "/incidents/{incident_id}/live": (P.READ_INCIDENTS,),
    "/incidents/{incident_id}/actions/{action}": (P.RUN_INCIDENTS,),
    "/incidents/{incident_id}/obligations/{body}/draft": (P.READ_INCIDENTS,),
    "/audit": (P.READ_TIMELINES,),
    "/audit/incidents/{incident_id}": (P.READ_TIMELINES,),
    "/admin": (P.ADMINISTER,),
    "/admin/{code}/members": (P.ADMINISTER,),
    "/admin/{code}/members/{role}": (P.ADMINISTER,),
    "/admin/{code}/policy": (P.ADMINISTER,),
    "/admin/{code}/policy/change": (P.ADMINISTER,),
    "/admin/{code}/reporting": (P.ADMINISTER,),
    "/admin/{code}/reporting/{body}": (P.ADMINISTER,),
    "/admin/{code}/users": (P.ADMINISTER,),
    "/admin/{code}/users/new": (P.ADMINISTER,),
    "/admin/{code}/users/{user_id}/disable": (P.ADMINISTER,),
    "/admin/{code}/changes": (P.ADMINISTER,),
    "/admin/{code}/members/{role}/remove": (P.ADMINISTER,),
    "/commitments/{code}": (P.READ_COMMITMENTS,),
    **{f"/commitments/{{code}}/{letter}": (P.EDIT_COMMITMENTS,) for letter in "abdef"},
    **{f"/commitments/{{code}}/{letter}": (P.READ_COMMITMENTS,) for letter in "cg"},
    "/audit/incidents/{incident_id}/export.{kind}": (P.READ_TIMELINES,),
    "/wales": (P.READ_NATIONAL,),
    "/wales/performance": (P.READ_NATIONAL,),
    "/wales/incidents": (P.READ_NATIONAL,),
    "/wales/export.{kind}": (P.READ_NATIONAL,),
    "/wales/campaigns": (P.READ_NATIONAL,),
    "/wales/campaigns/new": (P.MANAGE_NATIONAL,),
    "/wales/campaigns/{campaign_id}": (P.READ_NATIONAL,),
    "/reviews/{code}/{year}": (P.READ_COMMITMENTS,),
    "/wales/reviews": (P.READ_NATIONAL,),
    "/wales/centre": (P.READ_NATIONAL,),
    "/wales/report/{year}": (P.READ_NATIONAL,),
    "/wales/report/{year}.csv": (P.READ_NATIONAL,),
    "/wales/report/{year}/print": (P.READ_NATIONAL,),
    "/incidents/{incident_id}/review": (P.READ_INCIDENTS,),
    "/incidents/{incident_id}/review/report": (P.READ_INCIDENTS,),
    "/incidents/{incident_id}/review/report/print": (P.READ_INCIDENTS,),
    "/lessons/{code}": (P.READ_INCIDENTS,),
    "/wales/lessons": (P.READ_NATIONAL,),
    "/incidents/{incident_id}/statements": (P.READ_INCIDENTS,),
    "/incidents/{incident_id}/statements/{statement_id}": (P.READ_INCIDENTS,),
    "/incidents/{incident_id}/evidence": ANY_READ,
    "/admin/{code}/suppliers": (P.ADMINISTER,),
    "/admin/{code}/suppliers/{supplier_id}": (P.ADMINISTER,),
    "/admin/{code}/suppliers/{supplier_id}/retire": (P.ADMINISTER,),
    "/wales/suppliers": (P.READ_NATIONAL,),
    "/breaches": (P.READ_INCIDENTS,),
    "/complaints/new": (P.RUN_INCIDENTS,),
    "/complaints/{complaint_id}": (P.READ_INCIDENTS,),
    "/notices": (P.READ_INCIDENTS,),
    "/notices/new": (P.OPEN_INCIDENTS,),
    "/notices/{notice_id}": (P.READ_INCIDENTS,),
    "/wales/notices": (P.READ_NATIONAL,),
    "/wales/notices/{notice_id}": (P.READ_NATIONAL,),
}

#: Pages anyone may fetch, and why each is safe to.
OPEN_PAGES = {
    "/": "redirects to the incident list, which asks for sign-in",
    "/signin": "the way in",
    "/incidents/new/check": "redirects to the form, which asks for sign-in",
    "/signout": "a page with one button; signing out is a POST with a CSRF token",
    "/language/{code}": "sets this browser's language; a signed-in person's own preference only",
    "/ack/{token}": "the member's emailed link is the credential (signed, used once)",
    "/docs": "the API's own documentation, no data",
    "/healthz": "that the process answers, nothing more",
    "/readyz": "whether each dependency answers, and the kind of failure: no address, no secret",
    "/commitments": "redirects a reader to their own authority's commitments, whose page checks "
    "access; asks anyone else to sign in",
    "/public/{code}": "residents' page of an authority's published statements: only what a named "
    "member published, never a draft, and never an exercise's",
}

#: Pages every signed-in person may use, whatever their role: their own account.
SIGNED_IN_PAGES = {"/account", "/account/language", "/account/password", "/account/tokens"}


def _routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every route with its full path, inside included routers too (FastAPI keeps an included
    router whole, rather than copying its routes into the app's list)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _routes(inner.routes, prefix + route.include_context.prefix)
        else:
            yield prefix + getattr(route, "path", ""), route


def _page_routes(web_app: Any) -> set[tuple[str, str]]:
    found = {
        (method, path)
        for path, route in _routes(web_app.routes)
        if getattr(route, "methods", None) and not path.startswith(("/api", "/static", "/openapi"))
        for method in route.methods - {"HEAD"}
    }
    assert ("GET", "/signin") in found, "the routes were not found: the test would pass vacuously"
    return found


async def test_every_page_is_in_the_matrix(web_app) -> None:
    """A new page is either in `PAGES` (checked role by role below), `SIGNED_IN_PAGES` or
    `OPEN_PAGES` with the reason; a form's POST sits beside the GET of the same page. A GET
    for other systems (`/metrics`) is in `MACHINE_ENDPOINTS`."""
    listed = (
        set(PAGES)
        | SIGNED_IN_PAGES
        | set(OPEN_PAGES)
        | {path for method, path in MACHINE_ENDPOINTS if method == "GET"}
    )
    unlisted = sorted(
        f"{method} {path}"
        for method, path in _page_routes(web_app)
        if method == "GET" and path not in listed
    )
    assert not unlisted, "pages missing from the access matrix: " + ", ".join(unlisted)


async def test_every_role_on_every_page(web_app, world: dict[str, Any]) -> None:
    councils: dict[str, Council] = world["councils"]
    mismatches = []
    for caller in world["callers"]:
        if caller.scope is TokenScope.READ:
            continue  # pages are signed in to with a password, not a token
        transport = httpx.ASGITransport(app=web_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://concordat.test") as page:
            signed_in = await sign_in(page, caller.email, caller.password)
            assert signed_in.status_code == 303, signed_in.text
            for template, permissions in PAGES.items():
                scoped = (
                    "incident"
                    if "{incident_id}" in template
                    else "authority"
                    if "{code}" in template
                    else "complaint"
                    if "{complaint_id}" in template
                    else "notice"
                    if "{notice_id}" in template
                    else "none"
                )
                for target in ("own", "other") if scoped != "none" else ("own",):
                    council = councils[target]
                    path = template.format(
                        incident_id=council.incident["id"],
                        campaign_id=world["campaign_id"],
                        year=2026,
                        code=council.officer.council.code,
                        user_id=council.user_id,
                        role="executive_member",
                        body="ico",
                        kind="json",
                        action="note",
                        statement_id=council.statement_id,
                        supplier_id=council.supplier_id,
                        complaint_id=council.complaint_id,
                        notice_id=council.notice_id,
                    )
                    response = await page.get(path)
                    expected = _expected(caller, permissions, scoped, target)
                    got = {403: "forbidden", 404: "hidden", 200: "allowed"}.get(
                        response.status_code, str(response.status_code)
                    )
                    if got != expected:
                        mismatches.append(
                            f"{caller.label} page {template} ({target}): expected {expected}, "
                            f"got {got}"
                        )
            for own_page in sorted(SIGNED_IN_PAGES):
                response = await page.get(own_page)
                if response.status_code != 200:
                    mismatches.append(f"{caller.label} page {own_page}: {response.status_code}")
    assert not mismatches, "\n".join(mismatches)


#: Endpoints for other systems, not people, and the credential each takes instead.
MACHINE_ENDPOINTS = {
    ("POST", "/callbacks/notify/delivery-status"): "GOV.UK Notify's callback bearer token",
    ("POST", "/callbacks/notify/received-text"): "GOV.UK Notify's callback bearer token",
    ("POST", "/codec/decode"): "an API token that reads every authority's timelines",
    ("POST", "/codec/encode"): "an API token that reads every authority's timelines",
    ("GET", "/metrics"): "Prometheus's own bearer token (CONCORDAT_METRICS_TOKEN); off when unset",
}


#: Forms that post to a path of their own (no GET beside them), and the page they belong to,
#: whose access rules (and CSRF token) they share.
FORM_ACTIONS = {
    "/account/tokens/{token_id}/revoke": "/account/tokens",
    "/incidents/{incident_id}/breach": "/incidents/{incident_id}",
    "/incidents/new/change": "/incidents/new",
    "/wales/campaigns/{campaign_id}/incidents": "/wales/campaigns/{campaign_id}",
    "/wales/campaigns/{campaign_id}/incidents/{incident_id}/unlink": (
        "/wales/campaigns/{campaign_id}"
    ),
    "/wales/campaigns/{campaign_id}/closure": "/wales/campaigns/{campaign_id}",
    "/wales/campaigns/{campaign_id}/reopening": "/wales/campaigns/{campaign_id}",
    "/reviews/{code}/{year}/submission": "/reviews/{code}/{year}",
    "/reviews/{code}/{year}/acceptance": "/reviews/{code}/{year}",
    "/reviews/{code}/{year}/return": "/reviews/{code}/{year}",
    "/wales/reviews/open": "/wales/reviews",
    "/wales/centre/{recipient_id}/retire": "/wales/centre",
    "/complaints/{complaint_id}/acknowledgement": "/complaints/{complaint_id}",
    "/complaints/{complaint_id}/outcome": "/complaints/{complaint_id}",
    "/notices/{notice_id}/link": "/notices/{notice_id}",
    "/notices/{notice_id}/dismiss": "/notices/{notice_id}",
    "/wales/notices/{notice_id}/campaign": "/wales/notices/{notice_id}",
    # Downloads are buttons (CSRF-checked POSTs), so each recorded download was asked for.
    **{
        f"/incidents/{{incident_id}}/evidence/{form}": "/incidents/{incident_id}/evidence"
        for form in ("custody", "bundle", "{file_id}/download")
    },
    "/incidents/{incident_id}/statements/{statement_id}/publish": (
        "/incidents/{incident_id}/statements/{statement_id}"
    ),
    "/incidents/{incident_id}/statements/{statement_id}/withdraw": (
        "/incidents/{incident_id}/statements/{statement_id}"
    ),
    **{
        f"/incidents/{{incident_id}}/review/{form}": "/incidents/{incident_id}/review"
        for form in (
            "start",
            "findings",
            "owner",
            "actions",
            "actions/{number}/done",
            "actions/{number}/accept-risk",
            "sign-off",
            "follow-ups",
        )
    },
}


async def test_every_endpoint_for_other_systems_is_in_the_matrix(web_app) -> None:
    """A route that is no page (no GET) and not under /api is a page's form, or is listed
    with the credential it takes."""
    listed = set(PAGES) | SIGNED_IN_PAGES | set(OPEN_PAGES) | set(FORM_ACTIONS)
    machine = {
        (method, path)
        for method, path in _page_routes(web_app)
        if path not in listed and not path.startswith("/codec/dev")
    }
    assert machine == set(MACHINE_ENDPOINTS)


async def test_no_person_reaches_the_notify_callbacks(
    http: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    """A person's API token, or their signed-in session, is not Notify's token."""
    for caller in world["callers"]:
        for method, path in MACHINE_ENDPOINTS:
            if not path.startswith("/callbacks/"):
                continue
            answer = await http.request(
                method, path, json={}, headers={"Authorization": f"Bearer {caller.token}"}
            )
            assert answer.status_code == 403, (caller.label, path, answer.text)
        await sign_in(http, caller.email, caller.password)
        for method, path in MACHINE_ENDPOINTS:
            if path.startswith("/callbacks/"):
                answer = await http.request(method, path, json={})
                assert answer.status_code == 401, (caller.label, path, answer.text)
        http.cookies.clear()


async def test_no_person_reaches_the_metrics(web_app, world: dict[str, Any]) -> None:
    """With the metrics token set, neither a person's API token nor their session opens
    /metrics: only Prometheus's own token does."""
    from pydantic import SecretStr

    from web.app import create_app

    state = web_app.state
    metered = create_app(
        settings=state.settings.model_copy(update={"metrics_token": SecretStr("prometheus")}),
        database=state.database,
        temporal=state.temporal,
    )
    transport = httpx.ASGITransport(app=metered)
    async with httpx.AsyncClient(transport=transport, base_url="http://concordat.test") as http:
        for caller in world["callers"]:
            answer = await http.get("/metrics", headers={"Authorization": f"Bearer {caller.token}"})
            assert answer.status_code == 403, (caller.label, answer.text)
            await sign_in(http, caller.email, caller.password)
            assert (await http.get("/metrics")).status_code == 401, caller.label
            http.cookies.clear()
        prometheus = await http.get("/metrics", headers={"Authorization": "Bearer prometheus"})
        assert prometheus.status_code == 200
