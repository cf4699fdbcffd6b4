"""Who a message about an authority goes to, and the ledger that sends each at most once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.vocabulary import Language, MemberRole
from models import CentreRecipient, NationalMessageRecord, ResponsibleMember, User
from runtime.database import insert_for


@dataclass(frozen=True)
class Addressee:
    name: str
    email: str
    language: Language


async def addressees(
    authority_id: int,
    roles: list[MemberRole],
    *,
    centre: bool,
    session: AsyncSession,
    users: list[int] | None = None,
) -> tuple[list[Addressee], list[MemberRole]]:
    """The members named in `roles` now, the authority's enabled `users`, and the centre's
    duty recipients with an email address if `centre`; and the roles nobody holds."""
    members = {
        m.role: m
        for m in await session.exec(
            select(ResponsibleMember).where(
                ResponsibleMember.authority_id == authority_id,
                col(ResponsibleMember.role).in_(roles),
            )
        )
    }
    found = [Addressee(m.name, m.work_email, m.language) for r in roles if (m := members.get(r))]
    missing = [role for role in roles if role not in members]
    if users:
        people = await session.exec(
            select(User)
            .where(
                col(User.id).in_(users),
                User.authority_id == authority_id,
                col(User.disabled_at).is_(None),
            )
            .order_by(col(User.id))
        )
        found += [Addressee(u.name, u.email, u.language) for u in people]
    if centre:
        recipients = await session.exec(
            select(CentreRecipient)
            .where(col(CentreRecipient.active).is_(True), col(CentreRecipient.email).is_not(None))
            .order_by(col(CentreRecipient.id))
        )
        found += [Addressee(r.name, r.email or "", r.language) for r in recipients]
    unique: dict[str, Addressee] = {}
    for addressee in found:
        unique.setdefault(addressee.email.lower(), addressee)
    return list(unique.values()), missing


async def claim(
    key: str,
    *,
    authority_id: int,
    kind: str,
    recipient: str,
    language: str,
    message_id: str,
    session: AsyncSession,
) -> NationalMessageRecord:
    """The ledger's row for one message to one recipient, made on the first attempt."""
    statement = insert_for(session)(NationalMessageRecord).on_conflict_do_nothing(
        index_elements=["idempotency_key"]
    )
    await session.exec(
        statement,
        params=[
            {
                "idempotency_key": key,
                "authority_id": authority_id,
                "kind": kind,
                "recipient": recipient,
                "language": language,
                "message_id": message_id,
                "created_at": datetime.now(UTC),
            }
        ],
    )
    await session.commit()
    record = (
        await session.exec(
            select(NationalMessageRecord).where(NationalMessageRecord.idempotency_key == key)
        )
    ).one()
    return record


async def mark_sent(key: str, *, session: AsyncSession) -> None:
    record = (
        await session.exec(
            select(NationalMessageRecord).where(NationalMessageRecord.idempotency_key == key)
        )
    ).one()
    record.sent_at = datetime.now(UTC)
    session.add(record)
    await session.commit()
