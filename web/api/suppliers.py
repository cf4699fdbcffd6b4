"""/api/authorities/{code}/suppliers: an authority's supplier register; and
/api/national/suppliers: the suppliers councils share, for the central team.

An authority's people read its register (as do its administrator and the central team, who
reads every authority's); only its administrator changes it, for their own authority alone.
Another authority's register, or a supplier of another authority, is a 404: its existence is
not shared. A supplier's id is the stable name of that authority's entry."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from pydantic import BaseModel, Field

from domain.access import Permission
from domain.suppliers import ContactKind, CouncilHolding, SupplierDetails
from models import Authority
from services import suppliers
from services.directory import authority_by_code
from services.suppliers import Registered, SupplierRetired
from web.api.admin import Code, actor_of
from web.api.responses import COMMON
from web.deps import Administers, Caller, ReadsNational, SessionDep, requires
from web.schemas import Problem

router = APIRouter(tags=["suppliers"], responses=COMMON)

#: Reading a register: the authority's people and its administrator, and the central team.
ReadsSuppliers = Annotated[
    Caller, Depends(requires(Permission.READ_INCIDENTS, Permission.ADMINISTER))
]
SupplierId = Annotated[int, Path(gt=0, le=2**31 - 1)]


class ContactView(BaseModel):
    kind: ContactKind
    name: str
    email: str
    phone: str | None


class SupplierView(BaseModel):
    id: int = Field(description="The entry's id: stable, and this authority's own.")
    authority: str = Field(description="The authority's code.")
    name: str
    services: list[str]
    contract_reference: str | None
    regulated_provider: bool
    contacts: list[ContactView]
    created_at: datetime
    updated_at: datetime
    retired_at: datetime | None = Field(description="When it was taken off the register.")
    retired_by: str | None

    @classmethod
    def of(cls, registered: Registered, authority: Authority) -> SupplierView:
        supplier = registered.supplier
        return cls(
            id=registered.id,
            authority=authority.code,
            name=supplier.name,
            services=list(supplier.services or []),
            contract_reference=supplier.contract_reference,
            regulated_provider=supplier.regulated_provider,
            contacts=[
                ContactView(kind=c.kind, name=c.name, email=c.email, phone=c.phone)
                for c in registered.contacts
            ],
            created_at=supplier.created_at,
            updated_at=supplier.updated_at,
            retired_at=supplier.retired_at,
            retired_by=supplier.retired_by,
        )


class SharedSupplierView(BaseModel):
    """A supplier two or more councils hold now, recognised by its normalised name
    (`domain.suppliers.normalised_name`)."""

    normalised_name: str
    name: str = Field(description="The name most of its councils use.")
    names: list[str] = Field(description="Every name it is registered under.")
    councils: list[CouncilHolding]
    council_count: int
    regulated_count: int = Field(
        description="How many of the councils record it as a regulated provider."
    )


def _no_authority(code: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"No authority {code}. / Dim awdurdod {code}.")


def _no_supplier(supplier_id: int) -> HTTPException:
    return HTTPException(
        status.HTTP_404_NOT_FOUND,
        f"No supplier {supplier_id} in this register. / "
        f"Dim cyflenwr {supplier_id} yn y gofrestr hon.",
    )


async def _readable_authority(code: Code, caller: ReadsSuppliers, session: SessionDep) -> Authority:
    """An authority whose register the caller may read; any other is a 404."""
    authority = await authority_by_code(code, session=session)
    if authority is None or authority.id is None or not caller.may_read(authority.id):
        raise _no_authority(code)
    return authority


async def _own_authority(code: Code, caller: Administers, session: SessionDep) -> Authority:
    """The administrator's own authority, checked before the request is read; any other is a
    404."""
    authority = await authority_by_code(code, session=session)
    if authority is None or authority.id is None or authority.id != caller.authority_id:
        raise _no_authority(code)
    return authority


ReadableAuthority = Annotated[Authority, Depends(_readable_authority)]
OwnAuthority = Annotated[Authority, Depends(_own_authority)]

_RETIRED: dict[int | str, dict[str, Any]] = {
    409: {
        "model": Problem,
        "description": "The supplier is retired: it is kept as it was, for the record.",
    }
}


@router.get("/api/authorities/{code}/suppliers", response_model=list[SupplierView])
async def list_suppliers(
    authority: ReadableAuthority,
    session: SessionDep,
    include_retired: Annotated[
        bool, Query(description="Also the suppliers taken off the register.")
    ] = False,
) -> list[SupplierView]:
    """The authority's suppliers by name, with their contacts."""
    assert authority.id is not None
    found = await suppliers.suppliers_of(
        authority.id, include_retired=include_retired, session=session
    )
    return [SupplierView.of(registered, authority) for registered in found]


@router.post(
    "/api/authorities/{code}/suppliers",
    response_model=SupplierView,
    status_code=status.HTTP_201_CREATED,
)
async def add_supplier(
    details: SupplierDetails, authority: OwnAuthority, caller: Administers, session: SessionDep
) -> SupplierView:
    """Add a supplier to the register. The change is recorded, as every administrator's is."""
    assert authority.id is not None
    added = await suppliers.add_supplier(
        authority.id, details, actor=actor_of(caller), session=session
    )
    return SupplierView.of(added, authority)


@router.get("/api/authorities/{code}/suppliers/{supplier_id}", response_model=SupplierView)
async def get_supplier(
    supplier_id: SupplierId,
    authority: ReadableAuthority,
    session: SessionDep,
    include_retired: Annotated[
        bool, Query(description="Also if it was taken off the register (it is kept as it was).")
    ] = False,
) -> SupplierView:
    """One supplier. Once retired (`DELETE`) it is gone from the register, but whatever named it
    still reads it, kept as it was, with `?include_retired=true`."""
    assert authority.id is not None
    found = await suppliers.supplier_of(authority.id, supplier_id, session=session)
    if found is None or (found.supplier.retired_at is not None and not include_retired):
        raise _no_supplier(supplier_id)
    return SupplierView.of(found, authority)


@router.put(
    "/api/authorities/{code}/suppliers/{supplier_id}",
    response_model=SupplierView,
    responses=_RETIRED,
)
async def change_supplier(
    supplier_id: SupplierId,
    details: SupplierDetails,
    authority: OwnAuthority,
    caller: Administers,
    session: SessionDep,
) -> SupplierView:
    """Replace the supplier's entry, its contacts included; what changed is recorded."""
    assert authority.id is not None
    try:
        changed = await suppliers.change_supplier(
            authority.id, supplier_id, details, actor=actor_of(caller), session=session
        )
    except SupplierRetired:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            "The supplier has been taken off the register and is kept as it was. / "
            "Mae'r cyflenwr wedi'i dynnu oddi ar y gofrestr ac yn cael ei gadw fel yr oedd.",
        ) from None
    if changed is None:
        raise _no_supplier(supplier_id)
    return SupplierView.of(changed, authority)


@router.delete("/api/authorities/{code}/suppliers/{supplier_id}", response_model=SupplierView)
async def retire_supplier(
    supplier_id: SupplierId, authority: OwnAuthority, caller: Administers, session: SessionDep
) -> SupplierView:
    """Take the supplier off the register. It is kept, with who retired it and when, so
    whatever named it still reads it; retiring it again changes nothing."""
    assert authority.id is not None
    retired = await suppliers.retire_supplier(
        authority.id, supplier_id, actor=actor_of(caller), session=session
    )
    if retired is None:
        raise _no_supplier(supplier_id)
    return SupplierView.of(retired, authority)


@router.get("/api/national/suppliers", response_model=list[SharedSupplierView])
async def shared_suppliers(caller: ReadsNational, session: SessionDep) -> list[SharedSupplierView]:
    """Each supplier two or more councils hold now, the most widely held first: which councils,
    the services each names, and how many record it as a regulated provider."""
    return [
        SharedSupplierView(
            normalised_name=shared.normalised_name,
            name=shared.name,
            names=shared.names,
            councils=shared.councils,
            council_count=len(shared.councils),
            regulated_count=shared.regulated_count,
        )
        for shared in await suppliers.shared_suppliers(session=session)
    ]
