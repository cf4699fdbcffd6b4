"""What every page shares: templates, the signed-in caller, CSRF tokens."""

from __future__ import annotations

import re
import secrets
import types
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, Response, status
from pydantic import AwareDatetime, BaseModel

from domain.access import Permission
from domain.clock import UK_TIME
from domain.vocabulary import Language
from models import User
from services.users import user_by_id
from web.deps import Caller, SessionDep, end_reading, refuse_without
from web.i18n import SESSION_LANGUAGE, chosen, page_language, templates


class SignInRequired(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


#: A signed-in session ends this long after sign-in, however active it is.
SESSION_LIFETIME = timedelta(hours=8)


def start_session(request: Request, user: User) -> None:
    request.session.clear()  # a fresh session (and CSRF token) at every sign-in
    request.session["user_id"] = user.id
    request.session["epoch"] = user.session_epoch
    request.session["signed_in_at"] = datetime.now(UTC).isoformat()
    if chosen(user.language.value):
        request.session[SESSION_LANGUAGE] = user.language.value


async def get_page_caller(request: Request, session: SessionDep) -> Caller:
    user_id = request.session.get("user_id")
    signed_in_at = request.session.get("signed_in_at")
    user = await user_by_id(user_id, session=session) if isinstance(user_id, int) else None
    now = datetime.now(UTC)
    if (
        user is None
        or user.disabled_at is not None
        or request.session.get("epoch") != user.session_epoch
        or not isinstance(signed_in_at, str)
        or datetime.fromisoformat(signed_in_at) + SESSION_LIFETIME < now
    ):
        request.session.clear()
        raise SignInRequired(request.url.path)
    caller = await Caller.of_user(user, session=session)
    await end_reading(session)
    request.state.caller = caller
    return caller


AnyPageCaller = Annotated[Caller, Depends(get_page_caller)]


def page_requires(*permissions: Permission) -> Callable[[Caller], Awaitable[Caller]]:
    async def check(caller: AnyPageCaller) -> Caller:
        refuse_without(caller, *permissions)
        return caller

    return check


PageOpensIncidents = Annotated[Caller, Depends(page_requires(Permission.OPEN_INCIDENTS))]
PageReadsIncidents = Annotated[Caller, Depends(page_requires(Permission.READ_INCIDENTS))]
PageRunsIncidents = Annotated[Caller, Depends(page_requires(Permission.RUN_INCIDENTS))]
PageActsOnIncidents = Annotated[
    Caller, Depends(page_requires(Permission.RUN_INCIDENTS, Permission.ACKNOWLEDGE))
]
PageReadsTimelines = Annotated[Caller, Depends(page_requires(Permission.READ_TIMELINES))]
PageReadsNational = Annotated[Caller, Depends(page_requires(Permission.READ_NATIONAL))]
PageManagesNational = Annotated[Caller, Depends(page_requires(Permission.MANAGE_NATIONAL))]
PageReadsCommitments = Annotated[Caller, Depends(page_requires(Permission.READ_COMMITMENTS))]
PageEditsCommitments = Annotated[Caller, Depends(page_requires(Permission.EDIT_COMMITMENTS))]


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
    answers: dict[str, Any] = {}
    for key, value in form.multi_items():
        if key == "csrf_token":
            continue
        if key in answers:  # a field sent more than once (checkboxes): every value, in order
            earlier = answers[key]
            answers[key] = [*(earlier if isinstance(earlier, list) else [earlier]), value]
        else:
            answers[key] = value
    return answers


#: A submitted form, its CSRF token checked, as a page handler's parameter.
FormData = Annotated[dict[str, Any], Depends(verified_form)]


def form_answers(form: dict[str, Any]) -> dict[str, str]:
    """The answers a form was sent with, as text, to show in it again."""
    return {
        key: str(value[-1] if isinstance(value, list) else value) for key, value in form.items()
    }


def sign_in_redirect_url(next_path: str) -> str:
    return f"/signin?next={quote(next_path)}"


def safe_next(path: str | None) -> str:
    """Only ever redirect within this site after sign-in."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/incidents"
    return path


def render(
    request: Request,
    template: str,
    status_code: int = 200,
    *,
    language: Language | None = None,
    **context: Any,
) -> Response:
    """A page in the reader's language (`web.i18n.page_language`; `language` is the page's own
    default, such as a member's recorded preference), with what every page shares."""
    caller: Caller | None = getattr(request.state, "caller", None)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    shared = {
        "csrf_token": csrf_token(request),
        "signed_in": "user_id" in request.session,
        "here": here,
        "section": None,
        "banner": None,
        "can_administer": caller is not None and caller.can(Permission.ADMINISTER),
        "can_audit": caller is not None and caller.can(Permission.READ_TIMELINES),
        "can_read_national": caller is not None and caller.can(Permission.READ_NATIONAL),
        "can_read_commitments": caller is not None
        and caller.can(Permission.READ_COMMITMENTS)
        and caller.authority_id is not None,
    }
    return templates(page_language(request, language)).TemplateResponse(
        request, template, shared | context, status_code=status_code
    )


def local_datetime(value: str | None) -> datetime | str | None:
    """An HTML datetime-local value is UK wall-clock time with no zone; give it one."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UK_TIME)
    except ValueError:
        return value  # let validation explain what is wrong with it


def _types_in(annotation: Any) -> list[Any]:
    """The plain types an annotation allows (inside `Annotated`, `Optional` and unions)."""
    if get_origin(annotation) in (Annotated, Union, types.UnionType):
        args = get_args(annotation)
        parts = args[:1] if get_origin(annotation) is Annotated else args
        return [plain for part in parts for plain in _types_in(part)]
    return [annotation]


def _is_kind(annotation: Any, kind: type) -> bool:
    return any(
        (plain is AwareDatetime and kind is datetime)
        or (isinstance(plain, type) and issubclass(plain, kind))
        for plain in _types_in(annotation)
    )


#: What a checkbox or a yes/no choice sends.
_YES, _NO = frozenset({"yes", "on", "true"}), frozenset({"no", "off", "false"})


def _is_list(annotation: Any) -> bool:
    """A field that takes several values (checkboxes sharing a name; a single one checked
    arrives as text, which the field's own validator reads)."""
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return get_origin(annotation) is list


def _form_value(annotation: Any, text: str) -> Any:
    """A form field's text as the JSON value the API would be sent: the API takes numbers,
    booleans and moments strictly, and a form has only text."""
    if _is_kind(annotation, datetime):
        return local_datetime(text)
    if _is_kind(annotation, bool):
        lowered = text.lower()
        return True if lowered in _YES else False if lowered in _NO else text
    if _is_kind(annotation, int) and re.fullmatch(r"-?[0-9]{1,18}", text):
        return int(text)
    return text  # as sent: validation says what is wrong with it


RequestT = TypeVar("RequestT", bound=BaseModel)


def from_form(schema: type[RequestT], form: dict[str, Any]) -> RequestT:
    """A page's form read as the request the API takes (`web.schemas`), so both are checked
    alike. An empty field is one left out; a checkbox or a yes/no choice is a boolean; a
    number is a number; a datetime-local field is UK time. Raises pydantic's
    `ValidationError`."""
    values: dict[str, Any] = {}
    for name, field in schema.model_fields.items():
        sent = form.get(name)
        if isinstance(sent, list) and _is_list(field.annotation):  # checkboxes sharing a name
            values[name] = [str(each).strip() for each in sent if str(each).strip()]
            continue
        text = str((sent[-1] if isinstance(sent, list) else sent) or "").strip()
        if text:
            values[name] = _form_value(field.annotation, text)
    return schema.model_validate(values)
