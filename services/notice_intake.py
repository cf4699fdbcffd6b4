"""Taking in supplier notices: which councils a supplier may tell, the supplier's own token,
and recording a notice for the councils it reaches.

A supplier tells only the councils that have it on their register now (matched by normalised
name, `domain.suppliers.normalised_name`); naming any other council is refused alike whether or
not it exists. The notice and every council's copy are written in one transaction: nothing is
half-made. The clocks are started afterwards (`services.notice_clocks`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.access import AccessRole
from domain.rules import in_both
from domain.supplier_notices import NoticeChannel, NoticeContent
from domain.suppliers import normalised_name
from models import ApiToken, Authority, NoticeRecipient, Supplier, SupplierNotice
from services.tokens import issue_token

log = structlog.get_logger(__name__)


class NotOnRegister(Exception):
    """The notice names a council that does not have the supplier on its register, or no
    council has it: said alike whether the council exists or not."""


@dataclass(frozen=True)
class Receiving:
    """A council a notice reaches, and its register entry for the supplier."""

    authority: Authority
    supplier: Supplier


async def registering_councils(supplier_name: str, *, session: AsyncSession) -> list[Receiving]:
    """The councils that have the supplier (by normalised name) on their register now, each
    with its first current entry for it, by code."""
    rows = await session.exec(
        select(Supplier, Authority)
        .join(Authority, col(Authority.id) == col(Supplier.authority_id))
        .where(
            Supplier.normalised_name == supplier_name,
            col(Supplier.retired_at).is_(None),
        )
        .order_by(col(Authority.code), col(Supplier.id))
    )
    found: dict[int, Receiving] = {}
    for supplier, authority in rows.all():
        found.setdefault(supplier.authority_id, Receiving(authority, supplier))
    return list(found.values())


def chosen_councils(registering: list[Receiving], codes: list[str]) -> list[Receiving]:
    """The councils named (every registering one when none is), or `NotOnRegister`."""
    if not registering:
        raise NotOnRegister(
            in_both(
                "No council has you on its supplier register now, so there is nobody to send "
                "this notice to.",
                "Nid oes gan unrhyw gyngor chi ar ei gofrestr cyflenwyr nawr, felly nid oes neb "
                "i anfon yr hysbysiad hwn ato.",
            )
        )
    if not codes:
        return registering
    by_code = {receiving.authority.code: receiving for receiving in registering}
    refused = [code for code in codes if code not in by_code]
    if refused:
        named = ", ".join(refused)
        raise NotOnRegister(
            in_both(
                "You can send notices only to councils that have you on their supplier "
                f"register; {named} is not one of them.",
                "Dim ond at gynghorau sydd â chi ar eu cofrestr cyflenwyr y gallwch anfon "
                f"hysbysiadau; nid yw {named} yn un ohonynt.",
            )
        )
    return [by_code[code] for code in codes]


async def issue_supplier_token(
    name: str, *, expires_at: datetime | None = None, session: AsyncSession
) -> tuple[ApiToken, str]:
    """A supplier's own token, bound to its normalised name and shown once; `NotOnRegister`
    when no council has it on its register (the token could send nothing)."""
    supplier = normalised_name(name)
    if not await registering_councils(supplier, session=session):
        raise NotOnRegister(
            in_both(
                f"No council has {name} on its supplier register; add it to a register first.",
                f"Nid oes gan unrhyw gyngor {name} ar ei gofrestr cyflenwyr; ychwanegwch ef at "
                "gofrestr yn gyntaf.",
            )
        )
    row, token = await issue_token(
        name.strip()[:200],
        authority_id=None,
        role=AccessRole.SUPPLIER,
        supplier=supplier,
        expires_at=expires_at,
        session=session,
    )
    log.info("supplier_token_issued", token_id=row.id)
    return row, token


async def notice_by_key(key: str, *, session: AsyncSession) -> SupplierNotice | None:
    return (
        await session.exec(select(SupplierNotice).where(SupplierNotice.idempotency_key == key))
    ).first()


async def record_notice(
    content: NoticeContent,
    *,
    supplier_name: str,
    display_name: str,
    channel: NoticeChannel,
    councils: list[Receiving],
    recorded_by: str,
    window_minutes: int,
    token_id: int | None = None,
    user_id: int | None = None,
    sender: str | None = None,
    idempotency_key: str | None = None,
    session: AsyncSession,
) -> tuple[SupplierNotice, bool]:
    """Save the notice and each council's copy, in one transaction; returns it and whether it
    is new (a repeated key finds the notice the first request saved)."""
    assert councils, "a notice reaches at least one council"
    if idempotency_key is not None:
        existing = await notice_by_key(idempotency_key, session=session)
        if existing is not None:
            return existing, False
    received_at = datetime.now(UTC)
    notice = SupplierNotice(
        id=str(uuid.uuid4()),
        supplier_name=supplier_name,
        supplier_display_name=display_name[:200],
        channel=channel,
        subject=content.subject,
        text=content.text,
        supplier_reference=content.reference,
        detected_at=content.detected_at,
        received_at=received_at,
        recorded_by=recorded_by[:200],
        recorded_by_token_id=token_id,
        recorded_by_user_id=user_id,
        sender=sender,
        idempotency_key=idempotency_key,
    )
    session.add(notice)
    await session.flush()
    for receiving in councils:
        assert receiving.authority.id is not None and receiving.supplier.id is not None
        session.add(
            NoticeRecipient(
                notice_id=notice.id,
                authority_id=receiving.authority.id,
                supplier_id=receiving.supplier.id,
                window_minutes=window_minutes,
                due_at=received_at + timedelta(minutes=window_minutes),
            )
        )
    try:
        await session.commit()
    except IntegrityError:
        # A concurrent request with the same key won the race: its notice is this one.
        await session.rollback()
        existing = (
            await notice_by_key(idempotency_key, session=session) if idempotency_key else None
        )
        if existing is None:
            raise
        return existing, False
    log.info(
        "supplier_notice_recorded",
        notice_id=notice.id,
        channel=channel.value,
        councils=[receiving.authority.code for receiving in councils],
    )
    return notice, True
