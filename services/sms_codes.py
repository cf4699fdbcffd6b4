"""Codes that let a member acknowledge by replying to a text.

Each text that asks for an acknowledgement carries a six-digit code bound to the incident, the
member and the number it went to. A reply counts only from that number, with that code, once,
before the code expires. Six digits, random, unique per number: a guess from a spoofed number
has one chance in a million, and every reply is kept (`models.ReceivedText`).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import SmsAckCode
from runtime.database import insert_for

CODE_DIGITS = 6
#: Fresh codes to draw when one is already taken for the number (a one-in-a-million clash).
_DRAWS = 5


def _fresh_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


async def issue(
    idempotency_key: str,
    *,
    incident_id: str,
    member_id: int,
    mobile: str,
    lifetime: timedelta,
    session: AsyncSession,
) -> str:
    """The code for one text, drawn the first time and found again by a retried send."""
    for _ in range(_DRAWS):
        existing = await _for_text(idempotency_key, session=session)
        if existing is not None:
            return existing.code
        now = datetime.now(UTC)
        try:
            await session.exec(
                insert_for(session)(SmsAckCode)
                .values(
                    idempotency_key=idempotency_key,
                    incident_id=incident_id,
                    member_id=member_id,
                    mobile=mobile,
                    code=_fresh_code(),
                    created_at=now,
                    expires_at=now + lifetime,
                )
                .on_conflict_do_nothing(index_elements=["idempotency_key"])
            )
            await session.commit()
        except IntegrityError:
            await session.rollback()  # the number already has this code: draw another
    existing = await _for_text(idempotency_key, session=session)
    if existing is None:
        raise RuntimeError("no free code could be drawn for this number")
    return existing.code


async def _for_text(idempotency_key: str, *, session: AsyncSession) -> SmsAckCode | None:
    return (
        await session.exec(select(SmsAckCode).where(SmsAckCode.idempotency_key == idempotency_key))
    ).first()


async def find(mobile: str, code: str, *, session: AsyncSession) -> SmsAckCode | None:
    return (
        await session.exec(
            select(SmsAckCode).where(SmsAckCode.mobile == mobile, SmsAckCode.code == code)
        )
    ).first()


async def held_by(mobile: str, *, session: AsyncSession) -> bool:
    """Whether any text with a code ever went to this number."""
    found = await session.exec(select(SmsAckCode.id).where(SmsAckCode.mobile == mobile).limit(1))
    return found.first() is not None


async def claim(code_id: int, *, session: AsyncSession) -> bool:
    """Use the code, if nobody has: true for exactly one of any replies racing with it."""
    result = await session.exec(
        update(SmsAckCode)
        .where(col(SmsAckCode.id) == code_id, col(SmsAckCode.used_at).is_(None))
        .values(used_at=datetime.now(UTC))
    )
    await session.commit()
    return bool(result.rowcount)


async def release(code_id: int, *, session: AsyncSession) -> None:
    """Give the code back when the acknowledgement could not be delivered to the workflow
    (Temporal unreachable), so Notify's retry of the callback can use it."""
    await session.exec(update(SmsAckCode).where(col(SmsAckCode.id) == code_id).values(used_at=None))
    await session.commit()
