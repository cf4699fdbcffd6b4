"""Signing in to the pages with an email address and a password, and signing out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from domain.access import AccessRole
from services.users import SignInRefused, authenticate, end_sessions, user_by_id
from web.deps import SessionDep
from web.pages.common import render, safe_next, start_session, verified_form
from web.rate_limits import TooFast, password_turn, settle_password

router = APIRouter(include_in_schema=False)


@router.get("/signin")
async def sign_in_page(request: Request, next: str | None = None):
    return render(request, "signin.html.j2", next=safe_next(next), error=None, email="")


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
            error=refused.message,
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
            error=outcome.message,
        )
    start_session(request, outcome)
    if outcome.role is AccessRole.AUDITOR and not next_path.startswith("/audit"):
        next_path = "/audit"
    return RedirectResponse(next_path, status_code=303)


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
