"""A person's own API tokens: made here, shown once, revocable, never longer than a year."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, status
from fastapi.responses import RedirectResponse, Response

from domain.access import TokenScope
from security.passwords import verify_password
from services.tokens import TooManyTokens, issue_token, revoke_token, tokens_of
from translations import N_, translate
from web.deps import SessionDep, SettingsDep
from web.i18n import in_language, page_language
from web.pages.account_common import own_user
from web.pages.common import AnyPageCaller, FormData, render
from web.rate_limits import TooFast, password_turn, settle_password

router = APIRouter(include_in_schema=False)

MAX_DAYS = 365


async def _page(
    request: Request,
    caller: AnyPageCaller,
    session: SessionDep,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    new_token: str | None = None,
) -> Response:
    tokens = await tokens_of(caller.user_id, session=session) if caller.user_id else []
    return render(
        request,
        "account_tokens.html.j2",
        status_code=status_code,
        section="account",
        tokens=tokens,
        now=datetime.now(UTC),
        new_token=new_token,
        errors=errors or {},
        values=values or {"days": "90", "scope": TokenScope.READ.value},
    )


@router.get("/account/tokens")
async def token_list(request: Request, caller: AnyPageCaller, session: SessionDep) -> Response:
    return await _page(request, caller, session)


def _token_problems(name: str, days: str, scope: str, request: Request) -> dict[str, str]:
    language = page_language(request)
    errors: dict[str, str] = {}
    if not name or len(name) > 100:
        errors["name"] = translate(
            language, N_("Enter what the token is for, in 100 characters or fewer")
        )
    if not days.isdigit() or not 1 <= int(days) <= MAX_DAYS:
        errors["days"] = translate(
            language, N_("Enter the number of days until it expires, from 1 to 365")
        )
    if scope not in {s.value for s in TokenScope}:
        errors["scope"] = translate(language, N_("Select what the token may do"))
    return errors


@router.post("/account/tokens")
async def token_create(
    request: Request,
    caller: AnyPageCaller,
    session: SessionDep,
    settings: SettingsDep,
    form: FormData,
) -> Response:
    user = await own_user(caller, session, end_read=True)
    language = page_language(request)
    values = {key: str(form.get(key, "")).strip() for key in ("name", "days", "scope")}
    # The password asked again here is guessed no faster than at sign-in: the same turns.
    try:
        turn = await password_turn(request, user.email)
    except TooFast as refused:
        page = await _page(
            request,
            caller,
            session,
            status_code=429,
            values=values,
            errors={"password": in_language(refused.message, language)},
        )
        page.headers.update(refused.headers)
        return page
    password = str(form.get("password", ""))
    right = await asyncio.to_thread(verify_password, user.password_hash, password)
    await settle_password(request, turn, right=right)
    errors = _token_problems(values["name"], values["days"], values["scope"], request)
    if not right:
        errors["password"] = translate(language, N_("Enter your password to create a token"))
    if errors:
        status_code = 401 if list(errors) == ["password"] else 422
        return await _page(
            request, caller, session, status_code=status_code, values=values, errors=errors
        )
    try:
        _, token = await issue_token(
            values["name"],
            authority_id=None,
            user_id=user.id,
            scope=TokenScope(values["scope"]),
            expires_at=datetime.now(UTC) + timedelta(days=int(values["days"])),
            most_live=settings.max_tokens_per_user,
            session=session,
        )
    except TooManyTokens as refused:
        return await _page(
            request,
            caller,
            session,
            status_code=409,
            values=values,
            errors={"name": in_language(str(refused), language)},
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
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such token. / Dim tocyn o'r fath.")
    return RedirectResponse("/account/tokens", status_code=303)
