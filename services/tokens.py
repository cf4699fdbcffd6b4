"""API tokens in the database: issuing, finding, listing and revoking them.

The token itself is shown once, when issued, and stored only as its hash
(`security.tokens`). A person holds a few live tokens at most (`CONCORDAT_MAX_TOKENS_PER_USER`),
however they ask for them: more tokens would buy nothing (rate limits count per person), but
each is one more secret to lose.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.access import AccessRole, TokenScope
from models import ApiToken, ApiTokenGrant, User
from runtime.settings import get_settings
from security.tokens import hash_token, is_active, new_token


class TooManyTokens(ValueError):
    """The person already holds as many live tokens as they may; nothing was created."""

    def __init__(self, most: int) -> None:
        super().__init__(
            f"You already hold {most} live API tokens, the most one person may. Revoke one you "
            "no longer use, then create the new one. / "
            f"Mae gennych {most} tocyn API byw yn barod, yr uchafswm i un person. Dirymwch un "
            "nad ydych yn ei ddefnyddio mwyach, yna crëwch yr un newydd."
        )
        self.most = most


async def live_tokens_of(user_id: int, *, session: AsyncSession, now: datetime) -> int:
    """How many of a person's tokens work now (neither revoked nor expired)."""
    return (
        await session.exec(
            select(func.count())
            .select_from(ApiToken)
            .where(
                ApiToken.user_id == user_id,
                col(ApiToken.revoked_at).is_(None),
                or_(col(ApiToken.expires_at).is_(None), col(ApiToken.expires_at) > now),
            )
        )
    ).one()


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
    most_live: int | None = None,
    supplier: str | None = None,
    session: AsyncSession,
) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the token itself, which is never stored. A token
    with a user acts as that person (their role and authority); one without is a system's.

    A person's token is refused with `TooManyTokens` when they already hold `most_live` live
    ones (by default `CONCORDAT_MAX_TOKENS_PER_USER`). A supplier's token names the supplier
    (`supplier`, its normalised name) and has the supplier role."""
    if user_id is not None:
        most = most_live if most_live is not None else get_settings().max_tokens_per_user
        # The person's row is locked (PostgreSQL; SQLite has one writer at a time), so two
        # requests at once cannot both take the last place.
        await session.exec(select(User.id).where(User.id == user_id).with_for_update())
        if await live_tokens_of(user_id, session=session, now=datetime.now(UTC)) >= most:
            await session.rollback()
            raise TooManyTokens(most)
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
        supplier=supplier,
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
