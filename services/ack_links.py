"""Acknowledge links that have been used: each works once, and only its digest is kept."""

from __future__ import annotations

import hashlib

from sqlmodel.ext.asyncio.session import AsyncSession

from models import UsedAckLink


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def link_used(token: str, *, session: AsyncSession) -> UsedAckLink | None:
    """When the link was used, if it was."""
    return await session.get(UsedAckLink, _digest(token))


async def mark_link_used(token: str, incident_id: str, *, session: AsyncSession) -> None:
    session.add(UsedAckLink(digest=_digest(token), incident_id=incident_id))
    await session.commit()
