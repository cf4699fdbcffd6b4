"""Signing in to the pages with an email address and a password, and signing out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.access import AccessRole
from domain.vocabulary import Language
from services.users import SignInRefused, authenticate, end_sessions, set_language, user_by_id
from web.deps import SessionDep
from web.i18n import LANGUAGE_COOKIE, SESSION_LANGUAGE, chosen, in_language, page_language
from web.pages.common import render, safe_next, start_session, verified_form
from web.rate_limits import TooFast, password_turn, settle_password

router = APIRouter(include_in_schema=False)


@router.get("/signin")
async def sign_in_page(request: Request, next: str | None = None):
    return render(request, "signin.html.j2", next=safe_next(next), errors={}, email="")


@router.post("/signin")
async def sign_in(
    request: Request, session: SessionDep, form: Annotated[dict, Depends(verified_form)]
):
    email = str(form.get("email", "")).strip()[:320]
    next_path = safe_next(str(form.get("next", "")))
    try:
        turn = await password_turn(request, email)
    except TooFast as refused:
        page = render(
            request,
            "signin.html.j2",
            status_code=429,
            next=next_path,
            email=email,
            errors={"email": in_language(refused.message, page_language(request))},
        )
        page.headers.update(refused.headers)
        return page
    outcome = await authenticate(email, str(form.get("password", "")), session=session)
    await settle_password(request, turn, right=not isinstance(outcome, SignInRefused))
    if isinstance(outcome, SignInRefused):
        return render(
            request,
            "signin.html.j2",
            status_code=401,
            next=next_path,
            email=email,
            errors={"email": in_language(outcome.message, page_language(request))},
        )
    start_session(request, outcome)
    if outcome.role is AccessRole.AUDITOR and not next_path.startswith("/audit"):
        next_path = "/audit"
    return RedirectResponse(next_path, status_code=303)


@router.get("/language/{code}")
async def switch_language(
    request: Request, code: str, session: SessionDep, next: str | None = None
) -> RedirectResponse:
    """The language switch on every page: remembered in this browser and, for a signed-in
    person, as their own preference (their pages and the next sign-in follow it)."""
    language = chosen(code)
    if language is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such language.")
    user_id = request.session.get("user_id")
    response = RedirectResponse(safe_next(next), status_code=303)
    await keep_language(
        request, response, language, user_id if isinstance(user_id, int) else None, session=session
    )
    return response


async def keep_language(
    request: Request,
    response: Response,
    language: Language,
    user_id: int | None,
    *,
    session: AsyncSession,
) -> None:
    """A chosen page language, kept in this browser (a cookie on `response`) and, for a
    signed-in person, as their own preference and in this session, so that their pages and
    every later sign-in follow it: the language switch and the account's language page keep
    it alike."""
    if user_id is not None:
        await set_language(user_id, language, session=session)
        request.session[SESSION_LANGUAGE] = language.value
    response.set_cookie(
        LANGUAGE_COOKIE,
        language.value,
        max_age=365 * 86400,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


@router.get("/signout")
async def sign_out_page(request: Request):
    """Signing out is a page with one button, so no other page has a sign-out button that a
    keyboard or a screen reader meets before the page's own."""
    return render(request, "signout.html.j2")


@router.post("/signout")
async def sign_out(
    request: Request, session: SessionDep, form: Annotated[dict, Depends(verified_form)]
):
    """Signs out everywhere: a copy of this session's cookie stops working too."""
    user_id = request.session.get("user_id")
    user = await user_by_id(user_id, session=session) if isinstance(user_id, int) else None
    if user is not None:
        await end_sessions(user, session=session)
    request.session.clear()
    return RedirectResponse("/signin", status_code=303)
