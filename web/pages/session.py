"""Signing in to the pages with an access token, and signing out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from domain.access import AccessRole
from security.tokens import find_active_token
from web.deps import SessionDep
from web.pages.common import render, safe_next, start_session, verified_form

router = APIRouter(include_in_schema=False)


@router.get("/signin")
async def sign_in_page(request: Request, next: str | None = None):
    return render(request, "signin.html.j2", next=safe_next(next), error=None)


@router.post("/signin")
async def sign_in(
    request: Request, session: SessionDep, form: Annotated[dict, Depends(verified_form)]
):
    token = await find_active_token(str(form.get("token", "")).strip(), session=session)
    next_path = safe_next(str(form.get("next", "")))
    if token is None:
        return render(
            request,
            "signin.html.j2",
            status_code=401,
            next=next_path,
            error="That token is not valid, has expired or was revoked.",
        )
    start_session(request, token)
    if token.role is AccessRole.AUDITOR and not next_path.startswith("/audit"):
        next_path = "/audit"
    return RedirectResponse(next_path, status_code=303)


@router.post("/signout")
async def sign_out(request: Request, form: Annotated[dict, Depends(verified_form)]):
    request.session.clear()
    return RedirectResponse("/signin", status_code=303)
