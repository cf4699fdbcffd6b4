"""What every page shares: templates, the signed-in caller, CSRF tokens."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, status
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, StrictUndefined

from domain.clock import UK_TIME, uk_time
from models import ApiToken
from security.tokens import is_active
from web.deps import Caller, SessionDep

_environment = Environment(
    loader=PackageLoader("web", "templates"), autoescape=True, undefined=StrictUndefined
)
_environment.filters["uk_time"] = uk_time
templates = Jinja2Templates(env=_environment)


class SignInRequired(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


#: A signed-in session ends this long after sign-in, however active it is.
SESSION_LIFETIME = timedelta(hours=8)


def start_session(request: Request, token: ApiToken) -> None:
    request.session.clear()  # a fresh session (and CSRF token) at every sign-in
    request.session["token_id"] = token.id
    request.session["signed_in_at"] = datetime.now(UTC).isoformat()


async def get_page_caller(request: Request, session: SessionDep) -> Caller:
    token_id = request.session.get("token_id")
    signed_in_at = request.session.get("signed_in_at")
    token = await session.get(ApiToken, token_id) if isinstance(token_id, int) else None
    now = datetime.now(UTC)
    if (
        token is None
        or not is_active(token, now)
        or not isinstance(signed_in_at, str)
        or datetime.fromisoformat(signed_in_at) + SESSION_LIFETIME < now
    ):
        request.session.clear()
        raise SignInRequired(request.url.path)
    return await Caller.of(token, session=session)


AnyPageCaller = Annotated[Caller, Depends(get_page_caller)]
"""Anybody signed in, auditors included: the audit pages."""


async def get_officer_page_caller(caller: AnyPageCaller) -> Caller:
    if caller.is_auditor:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "Auditors have read-only access: the audit pages are at /audit.",
        )
    return caller


PageCaller = Annotated[Caller, Depends(get_officer_page_caller)]
"""An on-call officer signed in: the pages that open and run incidents."""


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def verified_form(request: Request) -> dict[str, Any]:
    """The submitted form, once its CSRF token matches the one in the signed session."""
    form = await request.form()
    expected = request.session.get("csrf")
    sent = form.get("csrf_token")
    if (
        not isinstance(expected, str)
        or not isinstance(sent, str)
        or not secrets.compare_digest(expected, sent)
    ):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "The form expired or did not come from this site; reload it and try again.",
        )
    return {key: value for key, value in form.items() if key != "csrf_token"}


def sign_in_redirect_url(next_path: str) -> str:
    return f"/signin?next={quote(next_path)}"


def safe_next(path: str | None) -> str:
    """Only ever redirect within this site after sign-in."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/incidents"
    return path


def render(request: Request, template: str, status_code: int = 200, **context: Any):  # type: ignore[no-untyped-def]
    return templates.TemplateResponse(
        request,
        template,
        {"csrf_token": csrf_token(request), "signed_in": "token_id" in request.session, **context},
        status_code=status_code,
    )


def local_datetime(value: str | None) -> datetime | str | None:
    """An HTML datetime-local value is UK wall-clock time with no zone; give it one."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UK_TIME)
    except ValueError:
        return value  # let validation explain what is wrong with it
