"""The supplier register: an administrator keeps it through the API and the pages, every change
is in the administration history, bad input changes nothing and is explained in both languages,
nobody else changes it, and the central team sees which suppliers councils share."""

from __future__ import annotations

import html
import uuid
from typing import Any

import httpx

from domain.access import AccessRole
from domain.suppliers import CouncilEntry, normalised_name, shared_suppliers
from runtime.database import Database
from services.administration import changes_of
from services.suppliers import subject, suppliers_of
from services.tokens import issue_token
from tests.support import CouncilUnderTest, make_authority, make_user, sign_in

SECURITY_CONTACT = {
    "kind": "security",
    "name": "Acme security operations centre",
    "email": "soc@acme.example",
    "phone": "+44 29 2087 2087",
}
ACME: dict[str, Any] = {
    "name": "Acme Hosting Ltd",
    "services": ["Hosting of the revenues system", "Backups"],
    "contract_reference": "CDF-ICT-2024-017",
    "regulated_provider": True,
    "contacts": [
        SECURITY_CONTACT,
        {"kind": "escalation", "name": "Ceri Jones", "email": "ceri.jones@acme.example"},
    ],
}


async def _council(database: Database) -> CouncilUnderTest:
    return await make_authority(database, roles=())


async def _token(database: Database, council: CouncilUnderTest | None, role: AccessRole) -> dict:
    """A system's token in a role, for the council (or, for the central team, every one)."""
    async with database.session() as session:
        _, token = await issue_token(
            f"{role.value} of the test",
            authority_id=council.id if council else None,
            role=role,
            session=session,
        )
    return {"Authorization": f"Bearer {token}"}


def _register(council: CouncilUnderTest) -> str:
    return f"/api/authorities/{council.code}/suppliers"


def test_councils_names_for_one_supplier_are_recognised_as_the_same() -> None:
    same = [
        "Acme Hosting Ltd",
        "ACME HOSTING LIMITED",
        "Acme  Hosting, Ltd.",
        "A.C.M.E. Hosting plc",
    ]
    assert {normalised_name(name) for name in same} == {"acme hosting"}
    assert normalised_name("Gwasanaethau Môn Cyf") == normalised_name("GWASANAETHAU MON")
    assert normalised_name("Smith & Jones") == normalised_name("Smith and Jones")
    assert normalised_name("Acme Hosting UK Ltd") != normalised_name("Acme Hosting Ltd")
    assert normalised_name("Limited") == "limited"  # never empty

    def entry(code: str, supplier_id: int, name: str, regulated: bool) -> CouncilEntry:
        return CouncilEntry(
            authority_code=code,
            authority_name_en=code,
            authority_name_cy=code,
            supplier_id=supplier_id,
            name=name,
            normalised_name=normalised_name(name),
            services=["Hosting"],
            regulated_provider=regulated,
        )

    (shared,) = shared_suppliers(
        [
            entry("CDF", 1, "Acme Hosting Ltd", True),
            entry("SWA", 2, "ACME HOSTING LIMITED", False),
            entry("SWA", 3, "Acme Hosting Ltd", False),  # a second contract: one council still
            entry("CDF", 4, "Only Cardiff Systems", False),
            entry("CDF", 5, "Acme Data Ltd", False),
            entry("CDF", 6, "ACME DATA", False),  # one council twice is not shared
        ]
    )
    assert shared.name == "Acme Hosting Ltd" and shared.names[1] == "ACME HOSTING LIMITED"
    assert [c.authority_code for c in shared.councils] == ["CDF", "SWA"]
    assert shared.councils[1].supplier_ids == [2, 3] and shared.councils[1].services == ["Hosting"]
    assert shared.regulated_count == 1


async def test_an_administrator_adds_changes_and_retires_a_supplier_through_the_api(
    http: httpx.AsyncClient, database: Database
) -> None:
    council = await _council(database)
    admin = await _token(database, council, AccessRole.AUTHORITY_ADMIN)
    officer = await _token(database, council, AccessRole.ON_CALL_OFFICER)

    added = await http.post(_register(council), json=ACME, headers=admin)
    assert added.status_code == 201, added.text
    supplier = added.json()
    path = f"{_register(council)}/{supplier['id']}"
    assert supplier["authority"] == council.code and supplier["regulated_provider"] is True
    assert [c["kind"] for c in supplier["contacts"]] == ["security", "escalation"]
    assert supplier["contacts"][0]["phone"] == "+44 29 2087 2087"

    listed = (await http.get(_register(council), headers=officer)).json()
    assert [s["name"] for s in listed] == ["Acme Hosting Ltd"]

    changed_entry = ACME | {
        "services": ["Hosting of the revenues system"],
        "contacts": [{"kind": "security", "name": "Acme SOC", "email": "soc@acme.example"}],
    }
    changed = await http.put(path, json=changed_entry, headers=admin)
    assert changed.status_code == 200, changed.text
    assert changed.json()["services"] == ["Hosting of the revenues system"]
    assert [c["name"] for c in changed.json()["contacts"]] == ["Acme SOC"]

    retired = await http.delete(path, headers=admin)
    assert retired.status_code == 200 and retired.json()["retired_at"] is not None
    assert retired.json()["retired_by"] == "authority_admin of the test"
    assert (await http.get(_register(council), headers=officer)).json() == []
    # Gone from the register, but whatever named it still reads it, and the register keeps it
    # when asked for all.
    assert (await http.get(path, headers=officer)).status_code == 404
    kept = await http.get(path, params={"include_retired": "true"}, headers=officer)
    assert kept.status_code == 200 and kept.json()["name"] == "Acme Hosting Ltd"
    every = await http.get(_register(council), params={"include_retired": "true"}, headers=admin)
    assert [s["id"] for s in every.json()] == [supplier["id"]]
    # Kept as it was: neither changed nor retired again.
    refused = await http.put(path, json=ACME, headers=admin)
    assert refused.status_code == 409
    assert "taken off the register" in refused.json()["detail"]
    assert "wedi'i dynnu oddi ar y gofrestr" in refused.json()["detail"]
    again = await http.delete(path, headers=admin)
    assert again.status_code == 200 and again.json()["retired_at"] == retired.json()["retired_at"]

    async with database.session() as session:
        history = await changes_of(council.id, session=session)
    assert [c.subject for c in history] == [subject(supplier["id"])] * 3
    retire, change, add = history  # the latest first
    assert add.actor == "authority_admin of the test"
    assert add.changes["name"] == [None, "Acme Hosting Ltd"]
    assert add.changes["regulated_provider"] == [None, True]
    assert change.changes["services"] == [
        "Hosting of the revenues system, Backups",
        "Hosting of the revenues system",
    ]
    assert change.changes["contacts"][1] == [
        {"kind": "security", "name": "Acme SOC", "email": "soc@acme.example"}
    ]
    assert "name" not in change.changes  # only what changed
    assert retire.changes == {"retired": [False, True]}


async def test_bad_input_is_refused_in_both_languages_and_nothing_is_saved(
    http: httpx.AsyncClient, database: Database
) -> None:
    council = await _council(database)
    admin = await _token(database, council, AccessRole.AUTHORITY_ADMIN)

    nameless = {key: value for key, value in ACME.items() if key != "name"}
    refused = await http.post(_register(council), json=nameless, headers=admin)
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert "Enter the supplier's name" in detail and "Rhowch enw'r cyflenwr" in detail

    bad_contact = ACME | {"contacts": [SECURITY_CONTACT | {"email": "soc at acme"}]}
    refused = await http.post(_register(council), json=bad_contact, headers=admin)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["contacts.0.email"]
    detail = refused.json()["detail"]
    assert "Enter an email address in the correct format" in detail
    assert "Rhowch gyfeiriad e-bost yn y fformat cywir" in detail

    added = (await http.post(_register(council), json=ACME, headers=admin)).json()
    blank = await http.put(
        f"{_register(council)}/{added['id']}", json=ACME | {"name": "  "}, headers=admin
    )
    assert blank.status_code == 422 and "Rhowch enw'r cyflenwr" in blank.json()["detail"]

    async with database.session() as session:
        (kept,) = await suppliers_of(council.id, session=session)
        assert kept.supplier.name == "Acme Hosting Ltd" and len(kept.contacts) == 2
        assert len(await changes_of(council.id, session=session)) == 1  # the one addition


async def test_an_officer_reads_but_cannot_change_and_another_authority_is_hidden(
    http: httpx.AsyncClient, database: Database
) -> None:
    council, other = await _council(database), await _council(database)
    admin = await _token(database, council, AccessRole.AUTHORITY_ADMIN)
    officer = await _token(database, council, AccessRole.ON_CALL_OFFICER)
    stranger = await _token(database, other, AccessRole.AUTHORITY_ADMIN)
    added = (await http.post(_register(council), json=ACME, headers=admin)).json()
    path = f"{_register(council)}/{added['id']}"

    assert (await http.get(path, headers=officer)).json()["name"] == "Acme Hosting Ltd"
    for method in ("POST", "PUT", "DELETE"):
        target = _register(council) if method == "POST" else path
        answer = await http.request(method, target, json=ACME, headers=officer)
        assert answer.status_code == 403, (method, answer.text)

    for method in ("GET", "PUT", "DELETE"):
        answer = await http.request(method, path, json=ACME, headers=stranger)
        assert answer.status_code == 404, (method, answer.text)
        assert (
            answer.json()["detail"]
            == f"No authority {council.code}. / Dim awdurdod {council.code}."
        )
    # Its own register, with another authority's supplier's id: not there either.
    elsewhere = await http.get(f"{_register(other)}/{added['id']}", headers=stranger)
    assert elsewhere.status_code == 404 and "Dim cyflenwr" in elsewhere.json()["detail"]
    assert (await http.get("/api/national/suppliers", headers=officer)).status_code == 403

    async with database.session() as session:
        (kept,) = await suppliers_of(council.id, session=session)
        assert kept.supplier.retired_at is None and kept.supplier.services == ACME["services"]


async def test_the_central_team_sees_the_suppliers_councils_share(
    http: httpx.AsyncClient, database: Database
) -> None:
    cardiff, swansea = await _council(database), await _council(database)
    alone = f"Only Cardiff Systems {uuid.uuid4().hex[:8]}"
    entries: list[tuple[CouncilUnderTest, dict[str, Any]]] = [
        (cardiff, ACME),
        (cardiff, {"name": alone}),
        (swansea, {"name": "ACME HOSTING LIMITED", "services": ["Data centre"]}),
    ]
    for council, entry in entries:
        admin = await _token(database, council, AccessRole.AUTHORITY_ADMIN)
        assert (await http.post(_register(council), json=entry, headers=admin)).status_code == 201
    centre = await _token(database, None, AccessRole.CENTRAL_TEAM)

    shared = (await http.get("/api/national/suppliers", headers=centre)).json()
    assert all(alone not in supplier["names"] for supplier in shared)
    (acme,) = [s for s in shared if s["normalised_name"] == "acme hosting"]
    ours = {c["authority_code"]: c for c in acme["councils"]}
    assert {"Acme Hosting Ltd", "ACME HOSTING LIMITED"} <= set(acme["names"])
    assert ours[cardiff.code]["services"] == ACME["services"]
    assert ours[cardiff.code]["regulated_provider"] is True
    assert ours[swansea.code]["services"] == ["Data centre"]
    assert ours[swansea.code]["regulated_provider"] is False
    assert acme["council_count"] == len(acme["councils"]) >= 2
    assert acme["regulated_count"] == sum(c["regulated_provider"] for c in acme["councils"])
    # The central team reads each council's entry, and changes none.
    theirs = f"{_register(swansea)}/{ours[swansea.code]['supplier_ids'][0]}"
    assert (await http.get(theirs, headers=centre)).json()["name"] == "ACME HOSTING LIMITED"
    assert (await http.delete(theirs, headers=centre)).status_code == 403

    user, password = await make_user(database, None, AccessRole.CENTRAL_TEAM)
    await sign_in(http, user.email, password)
    http.cookies.set("concordat_language", "en")
    page = await http.get("/wales")
    assert 'href="/wales/suppliers"' in page.text
    page = await http.get("/wales/suppliers")
    assert page.status_code == 200
    text = html.unescape(page.text)
    shown = text.split('<h2 class="govuk-heading-m">Acme Hosting Ltd</h2>')[1].split("<h2")[0]
    assert cardiff.authority.name_en in shown and swansea.authority.name_en in shown
    assert "Hosting of the revenues system, Backups" in shown and "Data centre" in shown
    assert alone not in text


def _csrf(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def _form(csrf: str, **changes: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "name": "Acme Hosting Ltd",
        "services": "Hosting of the revenues system\r\nBackups\r\n",
        "contract_reference": "CDF-ICT-2024-017",
        "regulated_provider": "yes",
        "contact_0_kind": "security",
        "contact_0_name": "Acme security operations centre",
        "contact_0_email": "soc@acme.example",
        "contact_0_phone": "029 2087 2087",
        "contact_1_kind": "escalation",
        "contact_1_name": "",
        "contact_1_email": "",
        "contact_1_phone": "",
    } | changes


async def test_an_administrator_keeps_the_register_on_the_pages(
    http: httpx.AsyncClient, database: Database
) -> None:
    council, other = await _council(database), await _council(database)
    user, password = await make_user(database, council, AccessRole.AUTHORITY_ADMIN, name="Alys")
    assert (await sign_in(http, user.email, password)).status_code == 303
    listing = f"/admin/{council.code}/suppliers"
    overview = await http.get("/admin")
    assert f'href="{listing}"' in overview.text

    page = await http.get(listing)
    assert page.status_code == 200 and 'lang="cy"' in page.text
    csrf = _csrf(page.text)
    welsh = await http.post(listing, data=_form(csrf, name="", contact_0_email="soc at acme"))
    assert welsh.status_code == 422
    text = html.unescape(welsh.text)
    assert "Mae problem" in text and "Rhowch enw'r cyflenwr" in text
    assert 'href="#name"' in text and 'href="#contact_0_email"' in text
    assert "soc at acme" in text  # what was typed is kept to correct
    http.cookies.set("concordat_language", "en")
    english = await http.post(listing, data=_form(csrf, name="", contact_0_email="soc at acme"))
    text = html.unescape(english.text)
    assert "There is a problem" in text and "Enter the supplier's name" in text
    assert "Enter an email address in the correct format, like name@example.com" in text
    async with database.session() as session:
        assert await suppliers_of(council.id, include_retired=True, session=session) == []
        assert await changes_of(council.id, session=session) == []

    added = await http.post(listing, data=_form(csrf))
    assert added.status_code == 303 and added.headers["location"] == listing
    page = await http.get(listing)
    text = html.unescape(page.text)
    assert "Acme Hosting Ltd has been added to the register" in text
    assert "Security contact: Acme security operations centre (soc@acme.example)" in text
    async with database.session() as session:
        (registered,) = await suppliers_of(council.id, session=session)
    entry = f"{listing}/{registered.id}"
    assert f'href="{entry}"' in page.text

    form = await http.get(entry)
    assert form.status_code == 200 and 'value="CDF-ICT-2024-017"' in form.text
    saved = await http.post(
        entry,
        data=_form(
            csrf,
            services="Backups",
            regulated_provider="no",
            contact_1_name="Ceri Jones",
            contact_1_email="ceri.jones@acme.example",
        ),
    )
    assert saved.status_code == 303
    async with database.session() as session:
        (registered,) = await suppliers_of(council.id, session=session)
    assert registered.supplier.services == ["Backups"]
    assert registered.supplier.regulated_provider is False
    assert [(c.kind.value, c.name) for c in registered.contacts] == [
        ("security", "Acme security operations centre"),
        ("escalation", "Ceri Jones"),
    ]

    confirm = await http.get(f"{entry}/retire")
    assert "Take Acme Hosting Ltd off the register" in html.unescape(confirm.text)
    retired = await http.post(f"{entry}/retire", data={"csrf_token": csrf})
    assert retired.status_code == 303
    text = html.unescape((await http.get(listing)).text)
    assert "Acme Hosting Ltd has been taken off the register" in text
    assert "No supplier is on the register yet." in text and "Taken off the register" in text
    kept = html.unescape((await http.get(entry)).text)
    assert "Taken off the register on" in kept and "by Alys" in kept
    assert 'name="name"' not in kept  # kept as it was: no form

    history = html.unescape((await http.get(f"/admin/{council.code}/changes")).text)
    assert "Acme Hosting Ltd" in history and "Ceri Jones" in history and "Alys" in history
    async with database.session() as session:
        subjects = [c.subject for c in await changes_of(council.id, session=session)]
    assert subjects == [subject(registered.id)] * 3

    # Another authority's register is not there.
    assert (await http.get(f"/admin/{other.code}/suppliers")).status_code == 404
    assert (await http.get(f"/admin/{other.code}/suppliers/{registered.id}")).status_code == 404
