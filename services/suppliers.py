"""Each authority's supplier register, and the central team's view of suppliers councils share.

Every change an administrator makes (adding, changing, retiring) is saved with its record in the
administration history (`AdministrationChange`: who, when, each field before and after) in one
transaction, as `services.administration` does for members and policy: never one without the
other, and never an entry without its contacts. Retiring keeps the row, with who and when, so
anything that named the supplier still reads it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.suppliers import CouncilEntry, SharedSupplier, SupplierDetails, normalised_name
from domain.suppliers import shared_suppliers as shared_of
from models import AdministrationChange, Authority, Supplier, SupplierContact
from services.administration import Actor, difference

log = structlog.get_logger(__name__)


class SupplierRetired(Exception):
    """A retired supplier is kept for the record, as it was; it is not changed."""


@dataclass(frozen=True)
class Registered:
    """A supplier in an authority's register, with its contacts in order."""

    supplier: Supplier
    contacts: list[SupplierContact] = field(default_factory=list)

    @property
    def id(self) -> int:
        assert self.supplier.id is not None
        return self.supplier.id


def subject(supplier_id: int) -> str:
    """What the administration history calls a supplier's changes."""
    return f"supplier:{supplier_id}"


def _recorded(details: SupplierDetails) -> dict[str, Any]:
    """An entry as its change record keeps it: the services as one line, each contact's kind,
    name, email and telephone."""
    return {
        "name": details.name,
        "services": ", ".join(details.services),
        "contract_reference": details.contract_reference,
        "regulated_provider": details.regulated_provider,
        "contacts": details.contact_list(),
    }


def _record(
    authority_id: int,
    supplier_id: int,
    actor: Actor,
    before: dict[str, Any],
    after: dict[str, Any],
    *,
    session: AsyncSession,
) -> bool:
    """Stages the change's record (nothing when nothing changed); whether there was one."""
    changes = difference(before, after)
    if changes:
        session.add(
            AdministrationChange(
                authority_id=authority_id,
                actor_user_id=actor.user_id,
                actor=actor.name[:200],
                subject=subject(supplier_id),
                changes=changes,
            )
        )
    return bool(changes)


def _recorded_row(registered: Registered) -> dict[str, Any]:
    """What is recorded now, in the shape `_recorded` gives a change, read from the rows as
    they are (not checked again: a record of what was there must not fail)."""
    supplier = registered.supplier
    return {
        "name": supplier.name,
        "services": ", ".join(supplier.services or []),
        "contract_reference": supplier.contract_reference,
        "regulated_provider": supplier.regulated_provider,
        "contacts": [
            {"kind": c.kind.value, "name": c.name, "email": c.email}
            | ({"phone": c.phone} if c.phone else {})
            for c in registered.contacts
        ],
    }


async def _contacts_of(
    supplier_ids: list[int], *, session: AsyncSession
) -> dict[int, list[SupplierContact]]:
    found: dict[int, list[SupplierContact]] = defaultdict(list)
    if supplier_ids:
        rows = await session.exec(
            select(SupplierContact)
            .where(col(SupplierContact.supplier_id).in_(supplier_ids))
            .order_by(col(SupplierContact.supplier_id), col(SupplierContact.position))
        )
        for contact in rows:
            found[contact.supplier_id].append(contact)
    return found


async def suppliers_of(
    authority_id: int, *, include_retired: bool = False, session: AsyncSession
) -> list[Registered]:
    """The authority's suppliers by name (its current ones, unless asked for all)."""
    query = select(Supplier).where(Supplier.authority_id == authority_id)
    if not include_retired:
        query = query.where(col(Supplier.retired_at).is_(None))
    rows = list(await session.exec(query.order_by(col(Supplier.name), col(Supplier.id))))
    contacts = await _contacts_of([row.id for row in rows if row.id is not None], session=session)
    return [Registered(row, contacts.get(row.id or 0, [])) for row in rows]


async def supplier_of(
    authority_id: int, supplier_id: int, *, session: AsyncSession
) -> Registered | None:
    """One of the authority's suppliers, retired or not; None for any other authority's."""
    row = await session.get(Supplier, supplier_id)
    if row is None or row.authority_id != authority_id:
        return None
    contacts = await _contacts_of([supplier_id], session=session)
    return Registered(row, contacts.get(supplier_id, []))


def _stage_contacts(supplier_id: int, details: SupplierDetails, *, session: AsyncSession) -> None:
    for position, contact in enumerate(details.contacts):
        session.add(
            SupplierContact(
                supplier_id=supplier_id,
                position=position,
                kind=contact.kind,
                name=contact.name,
                email=str(contact.email),
                phone=contact.phone,
            )
        )


async def add_supplier(
    authority_id: int, details: SupplierDetails, *, actor: Actor, session: AsyncSession
) -> Registered:
    """Add a supplier to the authority's register, with its contacts and its record."""
    supplier = Supplier(
        authority_id=authority_id,
        name=details.name,
        normalised_name=normalised_name(details.name),
        services=list(details.services),
        contract_reference=details.contract_reference,
        regulated_provider=details.regulated_provider,
        created_by=actor.name[:200],
    )
    session.add(supplier)
    await session.flush()
    assert supplier.id is not None
    supplier_id = supplier.id
    _stage_contacts(supplier_id, details, session=session)
    after = {key: value for key, value in _recorded(details).items() if value not in (None, "")}
    _record(authority_id, supplier_id, actor, {}, after, session=session)
    await session.commit()
    log.info("supplier_added", authority_id=authority_id, supplier_id=supplier_id)
    added = await supplier_of(authority_id, supplier_id, session=session)
    assert added is not None
    return added


async def change_supplier(
    authority_id: int,
    supplier_id: int,
    details: SupplierDetails,
    *,
    actor: Actor,
    session: AsyncSession,
) -> Registered | None:
    """Replace a supplier's entry, contacts included, recording what changed; None when the
    authority has no such supplier. Raises `SupplierRetired` for a retired one."""
    held = await supplier_of(authority_id, supplier_id, session=session)
    if held is None:
        return None
    if held.supplier.retired_at is not None:
        raise SupplierRetired(supplier_id)
    before = _recorded_row(held)
    after = _recorded(details)
    supplier = held.supplier
    supplier.name = details.name
    supplier.normalised_name = normalised_name(details.name)
    supplier.services = list(details.services)
    supplier.contract_reference = details.contract_reference
    supplier.regulated_provider = details.regulated_provider
    if _record(authority_id, supplier_id, actor, before, after, session=session):
        supplier.updated_at = datetime.now(UTC)
    session.add(supplier)
    await session.exec(
        delete(SupplierContact).where(col(SupplierContact.supplier_id) == supplier_id)
    )
    _stage_contacts(supplier_id, details, session=session)
    await session.commit()
    log.info("supplier_changed", authority_id=authority_id, supplier_id=supplier_id)
    return await supplier_of(authority_id, supplier_id, session=session)


async def retire_supplier(
    authority_id: int, supplier_id: int, *, actor: Actor, session: AsyncSession
) -> Registered | None:
    """Take a supplier off the register, keeping it with who retired it and when; None when the
    authority has no such supplier. Retiring it again changes and records nothing."""
    held = await supplier_of(authority_id, supplier_id, session=session)
    if held is None or held.supplier.retired_at is not None:
        return held
    supplier = held.supplier
    supplier.retired_at = datetime.now(UTC)
    supplier.retired_by = actor.name[:200]
    supplier.retired_by_user_id = actor.user_id
    session.add(supplier)
    retired = ({"retired": False}, {"retired": True})
    _record(authority_id, supplier_id, actor, *retired, session=session)
    await session.commit()
    log.info("supplier_retired", authority_id=authority_id, supplier_id=supplier_id)
    return await supplier_of(authority_id, supplier_id, session=session)


async def shared_suppliers(*, session: AsyncSession) -> list[SharedSupplier]:
    """The central team's view: each supplier that two or more councils hold now (by normalised
    name), with each council, its services, and how many record it as a regulated provider."""
    current = col(Supplier.retired_at).is_(None)
    shared_names = (
        select(Supplier.normalised_name)
        .where(current)
        .group_by(col(Supplier.normalised_name))
        .having(func.count(func.distinct(Supplier.authority_id)) >= 2)
    )
    rows = await session.exec(
        select(Supplier, Authority)
        .join(Authority, col(Authority.id) == col(Supplier.authority_id))
        .where(current, col(Supplier.normalised_name).in_(shared_names))
    )
    return shared_of(
        CouncilEntry(
            authority_code=authority.code,
            authority_name_en=authority.name_en,
            authority_name_cy=authority.name_cy,
            supplier_id=supplier.id or 0,
            name=supplier.name,
            normalised_name=supplier.normalised_name,
            services=list(supplier.services or []),
            regulated_provider=supplier.regulated_provider,
        )
        for supplier, authority in rows
    )
