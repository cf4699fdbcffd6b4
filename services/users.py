"""People who sign in: creating them and checking their passwords.

Guessing is slowed where the guesses arrive (`web.rate_limits.SignInDelays`: delays per account
and address), not by locking the account, which anyone who knew the address could do."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Required, TypedDict

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.access import AccessRole
from domain.vocabulary import Language, MemberRole
from models import User, UserGrant
from security.passwords import (
    WeakPassword,
    check_strength,
    hash_password,
    needs_rehash,
    verify_password,
)


class UserExists(ValueError):
    pass


@dataclass(frozen=True)
class SignInRefused:
    message: str


async def user_by_email(email: str, *, session: AsyncSession) -> User | None:
    return (await session.exec(select(User).where(User.email == email.strip().lower()))).first()


async def user_by_id(user_id: int, *, session: AsyncSession) -> User | None:
    return await session.get(User, user_id)


class NewUser(TypedDict, total=False):
    """Who a new person is, as `create_user` takes it, for a caller that hands it on."""

    email: Required[str]
    name: Required[str]
    password: Required[str]
    role: Required[AccessRole]
    member_role: MemberRole | None


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
    commit: bool = True,
) -> User:
    """A new person; raises WeakPassword, ValueError or UserExists with a message for them.
    With `commit=False` the person is only flushed, so that a record of the change can be saved
    in the same transaction (`services.administration`).

    Whether the address is taken is checked last, once everything else about the request is
    known to be good: a request that is wrong anyway must not reveal whether somebody, perhaps
    at another authority, already has the address."""
    check_strength(password)
    if role is AccessRole.RESPONSIBLE_MEMBER and member_role is None:
        raise ValueError("A responsible member's user needs the role they hold (member_role).")
    if (
        role
        in (AccessRole.ON_CALL_OFFICER, AccessRole.RESPONSIBLE_MEMBER, AccessRole.AUTHORITY_ADMIN)
        and authority_id is None
    ):
        raise ValueError(f"A {role.value.replace('_', ' ')} belongs to an authority.")
    if await user_by_email(email, session=session) is not None:
        raise UserExists(f"There is already a user with the address {email}.")
    user = User(
        email=email.strip().lower(),
        name=name.strip(),
        password_hash=await asyncio.to_thread(hash_password, password),
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
    await session.flush()
    if commit:
        await session.commit()
        await session.refresh(user)
    return user


#: The one answer to every refused sign-in, so that it reveals no accounts.
REFUSED = SignInRefused(
    "That email address and password do not match. / "
    "Nid yw'r cyfeiriad e-bost a'r cyfrinair yn cyfateb."
)


async def authenticate(
    email: str, password: str, *, session: AsyncSession, now: datetime | None = None
) -> User | SignInRefused:
    """The user, or the one refusal. Password hashing runs off the event loop (it is slow on
    purpose), and the same work is done for an unknown address, so timing reveals nothing."""
    user = await user_by_email(email, session=session)
    usable = user is not None and user.disabled_at is None
    checked_hash = user.password_hash if user is not None and usable else None
    matches = await asyncio.to_thread(verify_password, checked_hash, password)
    if user is None or not usable or not matches:
        return REFUSED
    user.last_sign_in_at = now or datetime.now(UTC)
    if needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(hash_password, password, check=False)
    session.add(user)
    await session.commit()
    return user


async def end_sessions(user: User, *, session: AsyncSession) -> None:
    """Sign the person out everywhere: every session cookie issued before now stops working."""
    await session.exec(
        update(User).where(col(User.id) == user.id).values(session_epoch=User.session_epoch + 1)
    )
    await session.commit()


async def set_language(user_id: int, language: Language, *, session: AsyncSession) -> None:
    """The language a person's pages are shown in, from now on and at every sign-in."""
    await session.exec(update(User).where(col(User.id) == user_id).values(language=language))
    await session.commit()


async def disable_user(
    user_id: int, *, authority_id: int | None, session: AsyncSession, commit: bool = True
) -> User | None:
    """Disable a person of the authority at once (their sessions and tokens stop working);
    kept for the record. None when the authority has no such user. With `commit=False` the
    change is only flushed, so that a record of it can be saved in the same transaction
    (`services.administration`)."""
    user = await session.get(User, user_id)
    if user is None or user.authority_id != authority_id:
        return None
    if user.disabled_at is None:
        user.disabled_at = datetime.now(UTC)
        session.add(user)
        await session.flush()
    if commit:
        await session.commit()
    return user


async def users_of(authority_id: int, *, session: AsyncSession) -> list[User]:
    """The authority's people, enabled first, then by name."""
    return list(
        (
            await session.exec(
                select(User)
                .where(User.authority_id == authority_id)
                .order_by(col(User.disabled_at).is_not(None), col(User.name), col(User.id))
            )
        ).all()
    )


class WrongPassword(ValueError):
    """The current password given was not the person's."""


async def change_password(user: User, current: str, new: str, *, session: AsyncSession) -> User:
    """Give the person a new password once their current one is given correctly; every session
    they had ends (as `end_sessions`), since one of them may be why the password is changing.

    Raises WrongPassword, or WeakPassword with a message for them."""
    if not await asyncio.to_thread(verify_password, user.password_hash, current):
        raise WrongPassword("That is not your current password.")
    check_strength(new)
    if new == current:
        raise WeakPassword("The new password is the same as the current one.")
    new_hash = await asyncio.to_thread(hash_password, new, check=False)
    await session.exec(
        update(User)
        .where(col(User.id) == user.id)
        .values(password_hash=new_hash, session_epoch=User.session_epoch + 1)
    )
    await session.commit()
    await session.refresh(user)
    return user


async def granted_to(user: User, *, session: AsyncSession) -> frozenset[int]:
    rows = await session.exec(select(UserGrant.authority_id).where(UserGrant.user_id == user.id))
    return frozenset(rows.all())
