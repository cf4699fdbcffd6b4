"""What the administration pages share: the administrator's own authority (any other is a
404), who a change is recorded as, and validation errors a person can act on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, status
from pydantic import ValidationError

from domain.access import Permission
from domain.vocabulary import Language
from models import Authority
from services.administration import Actor
from services.directory import authority_by_code
from translations import translate
from web.deps import Caller, SessionDep
from web.pages.common import page_requires, verified_form
from web.pages.form_errors import field_errors

PageAdministers = Annotated[Caller, Depends(page_requires(Permission.ADMINISTER))]
FormData = Annotated[dict[str, Any], Depends(verified_form)]
#: Another authority's pages, and anything that is not there, are simply not found.
NOT_FOUND = "Page not found. / Heb ddod o hyd i'r dudalen."

Code = Annotated[str, Path(min_length=2, max_length=8, pattern=r"^[A-Za-z0-9]+$")]


async def _own_authority(code: Code, caller: PageAdministers, session: SessionDep) -> Authority:
    """The administrator's own authority. Another authority is a 404, as if it did not exist,
    before anything about the request is read."""
    authority = await authority_by_code(code, session=session)
    if authority is None or authority.id is None or authority.id != caller.authority_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return authority


OwnAuthority = Annotated[Authority, Depends(_own_authority)]


def actor(caller: Caller) -> Actor:
    return Actor(name=caller.name, user_id=caller.user_id)


def authority_name(authority: Authority, language: Language) -> str:
    return authority.name_cy if language is Language.WELSH else authority.name_en


def admin_path(authority: Authority, *parts: str) -> str:
    return "/".join(("/admin", authority.code, *parts))


#: What to do about a field's problem, by field: (when it is left empty, when it is wrong).
FieldMessages = Mapping[str, tuple[str, str]]


def readable_errors(
    invalid: ValidationError, messages: FieldMessages, language: Language
) -> dict[str, str]:
    """One message per field, saying what to do (GOV.UK's pattern: "Enter ...", "Select ..."),
    in the page's language; a field without its own messages gets the general one."""
    errors = field_errors(invalid)
    for item in invalid.errors():
        field = str(item["loc"][0]) if item["loc"] else "form"
        if field in messages:
            empty, wrong = messages[field]
            message = empty if item["type"] == "missing" else wrong
            errors[field] = translate(language, message)
    return errors
