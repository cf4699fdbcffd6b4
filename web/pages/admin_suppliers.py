"""The administrator's pages for the authority's supplier register: the list with a form to add
a supplier, each supplier's page to change it, and taking one off the register (kept for the
record, with who and when).

The form is flat (a textarea of services, a row of fields per contact); it is read into the
API's request (`domain.suppliers.SupplierDetails`), so the pages and the API refuse alike, and
each problem is shown beside its field in the page's language. Every change goes through
`services.suppliers`, which records it in the administration history."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, status
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from domain.suppliers import MAX_CONTACTS, ContactKind, SupplierDetails
from domain.vocabulary import Language
from models import Authority
from services import suppliers
from services.suppliers import Registered, SupplierRetired
from translations import N_, translate
from web.deps import SessionDep
from web.i18n import page_language
from web.pages.admin_common import (
    NOT_FOUND,
    OwnAuthority,
    PageAdministers,
    Refused,
    actor,
    admin_path,
)
from web.pages.common import FormData, render
from web.pages.saved_banner import saved_banner, say_saved

router = APIRouter(include_in_schema=False)

SupplierId = Annotated[int, Path(gt=0, le=2**31 - 1)]

#: The contact rows a new supplier's form starts with, and the kind each is for.
FIRST_ROWS = (ContactKind.SECURITY, ContactKind.ESCALATION)
CONTACT_FIELDS = ("kind", "name", "email", "phone")

#: What to do about each field's problem: (when it is left empty, when it is wrong). A
#: contact's fields are named without their row.
MESSAGES: dict[str, tuple[str, str]] = {
    "name": (
        N_("Enter the supplier's name"),
        N_("Enter a name of 200 characters or fewer, on one line"),
    ),
    "services": (
        N_("Enter each service on a line of its own, in 200 characters or fewer"),
        N_("Enter each service on a line of its own, in 200 characters or fewer, and 20 at most"),
    ),
    "contract_reference": (
        N_("Enter a contract reference of 100 characters or fewer"),
        N_("Enter a contract reference of 100 characters or fewer"),
    ),
    "regulated_provider": (
        N_("Select whether it is a regulated provider"),
        N_("Select whether it is a regulated provider"),
    ),
    "contact.kind": (N_("Select the kind of contact"), N_("Select the kind of contact")),
    "contact.name": (
        N_("Enter the contact's name"),
        N_("Enter a name of 200 characters or fewer, on one line"),
    ),
    "contact.email": (
        N_("Enter the contact's email address"),
        N_("Enter an email address in the correct format, like name@example.com"),
    ),
    "contact.phone": (
        N_("Enter a telephone number, like 029 2087 2087 or +44 29 2087 2087"),
        N_("Enter a telephone number, like 029 2087 2087 or +44 29 2087 2087"),
    ),
}


def contact_field(row: int, name: str) -> str:
    """A contact's field in the form: `contact_0_email`."""
    return f"contact_{row}_{name}"


def _rows_sent(values: Mapping[str, str]) -> int:
    """How many contact rows the form was sent with (at least the first two)."""
    rows = [
        int(key.split("_")[1])
        for key in values
        if key.startswith("contact_") and key.split("_")[1].isdigit()
    ]
    return min(max([len(FIRST_ROWS), *(row + 1 for row in rows)]), MAX_CONTACTS)


def _services(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _request(values: Mapping[str, str]) -> tuple[dict[str, Any], list[int]]:
    """The form as the API's request, and the form row of each contact in it: a row with no
    name, email or telephone is not a contact."""
    contacts: list[dict[str, Any]] = []
    rows: list[int] = []
    for row in range(_rows_sent(values)):
        given = {name: values.get(contact_field(row, name), "") for name in CONTACT_FIELDS}
        if not (given["name"] or given["email"] or given["phone"]):
            continue
        rows.append(row)
        contacts.append({name: value for name, value in given.items() if value})
    request = {
        "name": values.get("name", ""),
        "services": _services(values.get("services", "")),
        "contract_reference": values.get("contract_reference") or None,
        "regulated_provider": values.get("regulated_provider") == "yes",
        "contacts": contacts,
    }
    return request, rows


def _problems(
    invalid: ValidationError, values: Mapping[str, str], rows: list[int], language: Language
) -> dict[str, str]:
    """One message per field in error, keyed by the field's id, in the form's order."""
    found: dict[str, str] = {}
    for problem in invalid.errors():
        location = problem["loc"]
        if location and location[0] == "contacts" and len(location) >= 3:
            row, name = rows[int(location[1])], str(location[2])
            field, key = contact_field(row, name), f"contact.{name}"
        elif location and location[0] == "contacts":
            field, key = contact_field(0, "name"), "contact.name"
        else:
            field = key = str(location[0]) if location else "name"
        empty, wrong = MESSAGES.get(key, MESSAGES["name"])
        found.setdefault(field, translate(language, wrong if values.get(field) else empty))
    order = ["name", "services", "contract_reference", "regulated_provider"] + [
        contact_field(row, name) for row in range(MAX_CONTACTS) for name in CONTACT_FIELDS
    ]
    place = {field: number for number, field in enumerate(order)}
    return {field: found[field] for field in sorted(found, key=lambda f: place.get(f, len(order)))}


def read_form(values: Mapping[str, str], language: Language) -> SupplierDetails:
    """The form as the API's request; raises Refused with the fields in error."""
    request, rows = _request(values)
    try:
        return SupplierDetails.model_validate(request)
    except ValidationError as invalid:
        raise Refused(_problems(invalid, values, rows, language)) from None


def _values(form: Mapping[str, Any]) -> dict[str, str]:
    return {key: str(value).strip() for key, value in form.items()}


def form_values(registered: Registered | None) -> dict[str, str]:
    """The form as it first shows: the supplier as recorded, or a new one's empty rows."""
    if registered is None:
        values = {"regulated_provider": "no"}
        for row, kind in enumerate(FIRST_ROWS):
            values[contact_field(row, "kind")] = kind.value
        return values
    supplier = registered.supplier
    values = {
        "name": supplier.name,
        "services": "\n".join(supplier.services or []),
        "contract_reference": supplier.contract_reference or "",
        "regulated_provider": "yes" if supplier.regulated_provider else "no",
    }
    for row, contact in enumerate(registered.contacts):
        values |= {
            contact_field(row, "kind"): contact.kind.value,
            contact_field(row, "name"): contact.name,
            contact_field(row, "email"): contact.email,
            contact_field(row, "phone"): contact.phone or "",
        }
    return values


def _row_count(values: Mapping[str, str], registered: Registered | None = None) -> int:
    """Rows to show: those sent, or the supplier's contacts and one more to add."""
    held = len(registered.contacts) + 1 if registered is not None else 0
    return min(max(_rows_sent(values), held), MAX_CONTACTS)


async def _supplier(supplier_id: int, authority: Authority, session: SessionDep) -> Registered:
    """One of this authority's suppliers; anyone else's is a 404."""
    assert authority.id is not None
    found = await suppliers.supplier_of(authority.id, supplier_id, session=session)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return found


async def _list_page(
    request: Request,
    authority: Authority,
    session: SessionDep,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    assert authority.id is not None
    every = await suppliers.suppliers_of(authority.id, include_retired=True, session=session)
    return render(
        request,
        "admin_suppliers.html.j2",
        status_code=status_code,
        section="admin",
        banner=saved_banner(request),
        current=[s for s in every if s.supplier.retired_at is None],
        retired=[s for s in every if s.supplier.retired_at is not None],
        base=admin_path(authority),
        action=admin_path(authority, "suppliers"),
        values=values,
        errors=errors,
        rows=_row_count(values),
        kinds=list(ContactKind),
    )


@router.get("/admin/{code}/suppliers")
async def supplier_list(
    request: Request, caller: PageAdministers, authority: OwnAuthority, session: SessionDep
) -> Response:
    return await _list_page(request, authority, session, form_values(None), {})


@router.post("/admin/{code}/suppliers")
async def supplier_add(
    request: Request,
    caller: PageAdministers,
    authority: OwnAuthority,
    session: SessionDep,
    form: FormData,
) -> Response:
    assert authority.id is not None
    values = _values(form)
    try:
        details = read_form(values, page_language(request))
    except Refused as refused:
        return await _list_page(request, authority, session, values, refused.errors, 422)
    await suppliers.add_supplier(authority.id, details, actor=actor(caller), session=session)
    say_saved(request, N_("%(name)s has been added to the register"), name=details.name)
    return RedirectResponse(admin_path(authority, "suppliers"), status_code=303)


def _entry_page(
    request: Request,
    authority: Authority,
    registered: Registered,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    path = admin_path(authority, "suppliers", str(registered.id))
    return render(
        request,
        "admin_suppliers_entry.html.j2",
        status_code=status_code,
        section="admin",
        supplier=registered.supplier,
        contacts=registered.contacts,
        back=admin_path(authority, "suppliers"),
        action=path,
        retire=path + "/retire",
        values=values,
        errors=errors,
        rows=_row_count(values, registered),
        kinds=list(ContactKind),
    )


@router.get("/admin/{code}/suppliers/{supplier_id}")
async def supplier_form(
    request: Request,
    supplier_id: SupplierId,
    caller: PageAdministers,
    authority: OwnAuthority,
    session: SessionDep,
) -> Response:
    """The supplier's form; a retired supplier is shown as it was kept."""
    registered = await _supplier(supplier_id, authority, session)
    return _entry_page(request, authority, registered, form_values(registered), {})


@router.post("/admin/{code}/suppliers/{supplier_id}")
async def supplier_save(
    request: Request,
    supplier_id: SupplierId,
    caller: PageAdministers,
    authority: OwnAuthority,
    session: SessionDep,
    form: FormData,
) -> Response:
    assert authority.id is not None
    registered = await _supplier(supplier_id, authority, session)
    values = _values(form)
    try:
        details = read_form(values, page_language(request))
    except Refused as refused:
        return _entry_page(request, authority, registered, values, refused.errors, 422)
    try:
        await suppliers.change_supplier(
            authority.id, supplier_id, details, actor=actor(caller), session=session
        )
    except SupplierRetired:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            "The supplier has been taken off the register and is kept as it was. / "
            "Mae'r cyflenwr wedi'i dynnu oddi ar y gofrestr ac yn cael ei gadw fel yr oedd.",
        ) from None
    say_saved(request, N_("%(name)s's details have been saved"), name=details.name)
    return RedirectResponse(admin_path(authority, "suppliers"), status_code=303)


@router.get("/admin/{code}/suppliers/{supplier_id}/retire")
async def retire_form(
    request: Request,
    supplier_id: SupplierId,
    caller: PageAdministers,
    authority: OwnAuthority,
    session: SessionDep,
) -> Response:
    """Asks before a supplier is taken off the register."""
    registered = await _supplier(supplier_id, authority, session)
    path = admin_path(authority, "suppliers", str(supplier_id))
    return render(
        request,
        "admin_suppliers_retire.html.j2",
        section="admin",
        supplier=registered.supplier,
        back=path,
        action=path + "/retire",
    )


@router.post("/admin/{code}/suppliers/{supplier_id}/retire")
async def retire(
    request: Request,
    supplier_id: SupplierId,
    caller: PageAdministers,
    authority: OwnAuthority,
    session: SessionDep,
    form: FormData,
) -> Response:
    """Take the supplier off the register (kept, and recorded); again, nothing changes."""
    assert authority.id is not None
    registered = await _supplier(supplier_id, authority, session)
    if registered.supplier.retired_at is None:
        await suppliers.retire_supplier(
            authority.id, supplier_id, actor=actor(caller), session=session
        )
        say_saved(
            request,
            N_("%(name)s has been taken off the register"),
            name=registered.supplier.name,
        )
    return RedirectResponse(admin_path(authority, "suppliers"), status_code=303)
