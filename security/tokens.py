"""API access tokens: shown once when created, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.access import AccessRole, TokenScope
from models import ApiToken, ApiTokenGrant

TOKEN_PREFIX = "cnc_"  # noqa: S105 (a prefix that makes leaked tokens easy to spot)


def hash_token(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough; there is nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(
    name: str,
    *,
    authority_id: int | None,
    expires_at: datetime | None = None,
    token: str | None = None,
    role: AccessRole = AccessRole.ON_CALL_OFFICER,
    grants: list[int] | None = None,
    all_authorities: bool = False,
    user_id: int | None = None,
    scope: TokenScope = TokenScope.WRITE,
    session: AsyncSession,
) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the token itself, which is never stored. A token
    with a user acts as that person (their role and authority); one without is a system's."""
    token = token or TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        name=name,
        token_hash=hash_token(token),
        authority_id=authority_id,
        expires_at=expires_at,
        role=role,
        all_authorities=all_authorities,
        user_id=user_id,
        scope=scope,
    )
    session.add(row)
    await session.flush()
    assert row.id is not None
    for granted in grants or []:
        session.add(ApiTokenGrant(token_id=row.id, authority_id=granted))
    await session.commit()
    await session.refresh(row)
    return row, token


async def granted_authorities(token: ApiToken, *, session: AsyncSession) -> frozenset[int]:
    rows = await session.exec(
        select(ApiTokenGrant.authority_id).where(ApiTokenGrant.token_id == token.id)
    )
    return frozenset(rows.all())


def is_active(token: ApiToken, now: datetime) -> bool:
    return token.revoked_at is None and (token.expires_at is None or token.expires_at > now)


async def find_active_token(token: str, *, session: AsyncSession) -> ApiToken | None:
    row = (
        await session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    ).first()
    return row if row is not None and is_active(row, datetime.now(UTC)) else None


async def revoke_token(token_id: int, *, session: AsyncSession) -> ApiToken | None:
    token = await session.get(ApiToken, token_id)
    if token is not None and token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
        session.add(token)
        await session.commit()
    return token
