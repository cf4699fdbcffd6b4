"""People who sign in: creating them, checking their passwords, locking out guessers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.access import AccessRole
from domain.vocabulary import MemberRole
from models import User, UserGrant
from security.passwords import hash_password, needs_rehash, verify_password

#: After this many wrong passwords in a row, the account waits `LOCKOUT` before the next try.
MAX_FAILED_SIGN_INS = 5
LOCKOUT = timedelta(minutes=15)


class UserExists(ValueError):
    pass


@dataclass(frozen=True)
class SignInRefused:
    message: str


async def user_by_email(email: str, *, session: AsyncSession) -> User | None:
    return (await session.exec(select(User).where(User.email == email.strip().lower()))).first()


async def create_user(
    *,
    email: str,
    name: str,
    password: str,
    role: AccessRole,
    authority_id: int | None,
    member_role: MemberRole | None = None,
    grants: list[int] | None = None,
    all_authorities: bool = False,
    session: AsyncSession,
) -> User:
    """A new person; raises WeakPassword or UserExists with a message for them."""
    if await user_by_email(email, session=session) is not None:
        raise UserExists(f"There is already a user with the address {email}.")
    if role is AccessRole.RESPONSIBLE_MEMBER and member_role is None:
        raise ValueError("A responsible member's user needs the role they hold (member_role).")
    if (
        role
        in (AccessRole.ON_CALL_OFFICER, AccessRole.RESPONSIBLE_MEMBER, AccessRole.AUTHORITY_ADMIN)
        and authority_id is None
    ):
        raise ValueError(f"A {role.value.replace('_', ' ')} belongs to an authority.")
    user = User(
        email=email.strip().lower(),
        name=name.strip(),
        password_hash=hash_password(password),
        role=role,
        authority_id=authority_id,
        member_role=member_role,
        all_authorities=all_authorities,
    )
    session.add(user)
    await session.flush()
    assert user.id is not None
    for authority in grants or []:
        session.add(UserGrant(user_id=user.id, authority_id=authority))
    await session.commit()
    await session.refresh(user)
    return user


async def authenticate(
    email: str, password: str, *, session: AsyncSession, now: datetime | None = None
) -> User | SignInRefused:
    """The user, or why not. The same words for an unknown address and a wrong password, so
    sign-in does not reveal who has an account."""
    now = now or datetime.now(UTC)
    user = await user_by_email(email, session=session)
    refused = SignInRefused("That email address and password do not match.")
    if user is None or user.disabled_at is not None:
        verify_password(None, password)  # the same effort, so timing reveals nothing either
        return refused
    if user.locked_until is not None and user.locked_until > now:
        verify_password(None, password)
        minutes = max(1, round((user.locked_until - now) / timedelta(minutes=1)))
        return SignInRefused(
            f"Too many wrong passwords: this account is locked for {minutes} more minutes."
        )
    if not verify_password(user.password_hash, password):
        user.failed_sign_ins += 1
        if user.failed_sign_ins >= MAX_FAILED_SIGN_INS:
            user.locked_until, user.failed_sign_ins = now + LOCKOUT, 0
        session.add(user)
        await session.commit()
        return refused
    user.failed_sign_ins, user.locked_until, user.last_sign_in_at = 0, None, now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password, check=False)
    session.add(user)
    await session.commit()
    return user


async def granted_to(user: User, *, session: AsyncSession) -> frozenset[int]:
    rows = await session.exec(select(UserGrant.authority_id).where(UserGrant.user_id == user.id))
    return frozenset(rows.all())
