"""API tokens in the database: issuing, finding, listing and revoking them.

The token itself is shown once, when issued, and stored only as its hash
(`security.tokens`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.access import AccessRole, TokenScope
from models import ApiToken, ApiTokenGrant
from security.tokens import hash_token, is_active, new_token


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
    token = token or new_token()
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


async def find_active_token(token: str, *, session: AsyncSession) -> ApiToken | None:
    row = (
        await session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    ).first()
    return row if row is not None and is_active(row, datetime.now(UTC)) else None


async def tokens_of(user_id: int, *, session: AsyncSession) -> list[ApiToken]:
    """A person's own tokens, newest first, revoked and expired ones included."""
    return list(
        (
            await session.exec(
                select(ApiToken)
                .where(ApiToken.user_id == user_id)
                .order_by(col(ApiToken.created_at).desc())
            )
        ).all()
    )


async def revoke_token(
    token_id: int, *, session: AsyncSession, user_id: int | None = None
) -> ApiToken | None:
    """Revoke a token at once; with `user_id`, only if it is that person's own. Returns the
    token, or None when there is no such token (or it is somebody else's)."""
    token = await session.get(ApiToken, token_id)
    if token is None or (user_id is not None and token.user_id != user_id):
        return None
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
        session.add(token)
        await session.commit()
    return token
