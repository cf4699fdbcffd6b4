"""A person's own API tokens: made here, shown once, revocable, never longer than a year."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request, status
from fastapi.responses import RedirectResponse, Response

from domain.access import TokenScope
from security.passwords import verify_password
from services.tokens import TooManyTokens, issue_token, revoke_token, tokens_of
from services.users import user_by_id
from web.deps import SessionDep, SettingsDep, end_reading
from web.pages.common import AnyPageCaller, render, verified_form
from web.rate_limits import TooFast, password_turn, settle_password

router = APIRouter(include_in_schema=False)

FormData = Annotated[dict[str, Any], Depends(verified_form)]
MAX_DAYS = 365


async def _page(
    request: Request, caller: AnyPageCaller, session: SessionDep, **context: Any
) -> Response:
    tokens = await tokens_of(caller.user_id, session=session) if caller.user_id else []
    return render(
        request,
        "account_tokens.html.j2",
        tokens=tokens,
        now=datetime.now(UTC),
        **({"new_token": None, "error": None} | context),
    )


@router.get("/account/tokens")
async def token_list(request: Request, caller: AnyPageCaller, session: SessionDep):
    return await _page(request, caller, session)


@router.post("/account/tokens")
async def token_create(
    request: Request,
    caller: AnyPageCaller,
    session: SessionDep,
    settings: SettingsDep,
    form: FormData,
):
    user = await user_by_id(caller.user_id, session=session) if caller.user_id else None
    await end_reading(session)  # not held while the password is checked
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such person. / Dim person o'r fath.")
    # The password asked again here is guessed no faster than at sign-in: the same turns.
    try:
        turn = await password_turn(request, user.email)
    except TooFast as refused:
        page = await _page(request, caller, session, error=refused.message, status_code=429)
        page.headers.update(refused.headers)
        return page
    password = str(form.get("password", ""))
    right = await asyncio.to_thread(verify_password, user.password_hash, password)
    await settle_password(request, turn, right=right)
    if not right:
        return await _page(
            request,
            caller,
            session,
            status_code=401,
            error="Enter your password to create a token. / Rhowch eich cyfrinair i greu tocyn.",
        )
    name = str(form.get("name", "")).strip()
    try:
        days = int(str(form.get("days", "90")))
        scope = TokenScope(str(form.get("scope", "read")))
    except ValueError:
        days, scope = 0, TokenScope.READ
    if not name or len(name) > 100 or not 1 <= days <= MAX_DAYS:
        return await _page(
            request,
            caller,
            session,
            status_code=422,
            error=f"Give the token a name (up to 100 characters) and 1 to {MAX_DAYS} days. / "
            f"Rhowch enw i'r tocyn (hyd at 100 nod) ac 1 i {MAX_DAYS} diwrnod.",
        )
    try:
        _, token = await issue_token(
            name,
            authority_id=None,
            user_id=user.id,
            scope=scope,
            expires_at=datetime.now(UTC) + timedelta(days=days),
            most_live=settings.max_tokens_per_user,
            session=session,
        )
    except TooManyTokens as refused:
        return await _page(request, caller, session, status_code=409, error=str(refused))
    return await _page(request, caller, session, new_token=token)


@router.post("/account/tokens/{token_id}/revoke")
async def token_revoke(
    token_id: Annotated[int, Path(gt=0, le=2**31 - 1)],
    caller: AnyPageCaller,
    session: SessionDep,
    form: FormData,
) -> RedirectResponse:
    own = caller.user_id is not None and await revoke_token(
        token_id, user_id=caller.user_id, session=session
    )
    if not own:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such token. / Dim tocyn o'r fath.")
    return RedirectResponse("/account/tokens", status_code=303)
