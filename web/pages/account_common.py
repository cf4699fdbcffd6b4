"""What the account pages share: the signed-in person's own record, read afresh, for pages
that change it or check their password."""

from __future__ import annotations

from fastapi import HTTPException, status
from sqlmodel.ext.asyncio.session import AsyncSession

from models import User
from services.users import user_by_id
from web.deps import Caller, end_reading

NO_SUCH_PERSON = "No such person. / Dim person o'r fath."


async def own_user(caller: Caller, session: AsyncSession, *, end_read: bool = False) -> User:
    """The caller's own record; a caller who is no person (a token) is a 404. With `end_read`
    the read transaction ends before anything else, so it is not held while a password is
    checked."""
    user = await user_by_id(caller.user_id, session=session) if caller.user_id else None
    if end_read:
        await end_reading(session)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NO_SUCH_PERSON)
    return user
