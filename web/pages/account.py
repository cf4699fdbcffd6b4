"""A person's own API tokens: made here, shown once, revocable, never longer than a year."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request, status
from fastapi.responses import RedirectResponse

from domain.access import TokenScope
from security.passwords import verify_password
from services.tokens import issue_token, revoke_token, tokens_of
from services.users import user_by_id
from web.deps import SessionDep
from web.pages.common import AnyPageCaller, render, verified_form

router = APIRouter(include_in_schema=False)

FormData = Annotated[dict[str, Any], Depends(verified_form)]
MAX_DAYS = 365


async def _page(request: Request, caller: AnyPageCaller, session: SessionDep, **context: Any):  # type: ignore[no-untyped-def]
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
    request: Request, caller: AnyPageCaller, session: SessionDep, form: FormData
):
    user = await user_by_id(caller.user_id, session=session) if caller.user_id else None
    password = str(form.get("password", ""))
    if user is None or not await asyncio.to_thread(verify_password, user.password_hash, password):
        return await _page(request, caller, session, error="Enter your password to create a token.")
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
            error=f"Give the token a name (up to 100 characters) and 1 to {MAX_DAYS} days.",
        )
    _, token = await issue_token(
        name,
        authority_id=None,
        user_id=caller.user_id,
        scope=scope,
        expires_at=datetime.now(UTC) + timedelta(days=days),
        session=session,
    )
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
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such token.")
    return RedirectResponse("/account/tokens", status_code=303)
