"""What the administration pages share: the administrator's own authority (any other is a
404), who a change is recorded as, validation errors a person can act on, and the one way a
form is shown, read, saved and answered with a banner."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic

from fastapi import Depends, HTTPException, Path, Request, status
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from domain.access import Permission
from domain.vocabulary import Language
from models import Authority
from services.administration import Actor
from services.directory import authority_by_code
from translations import translate
from web.deps import Caller, SessionDep
from web.i18n import page_language
from web.pages.common import RequestT, from_form, page_requires, render
from web.pages.form_errors import field_errors
from web.pages.saved_banner import say_saved

PageAdministers = Annotated[Caller, Depends(page_requires(Permission.ADMINISTER))]
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


class Refused(Exception):
    """The form's fields in error, by field, in the page's language: the form is shown again
    with them instead of being saved."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class Saved:
    """The banner the list page shows once a change is saved: a message marked with `N_`, and
    the names of people in it."""

    message: str
    names: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AdminForm(Generic[RequestT]):
    """One administration form, read as the API's request so that both are checked alike: shown
    with what it is for, shown again with each field's problem in the page's language, or saved
    and answered with the list page it came from and a banner (a redirect, so that reloading
    does not send the form again)."""

    schema: type[RequestT]
    template: str
    #: The list page the form comes from and returns to, below the authority's `/admin/{code}`.
    listing: str
    messages: FieldMessages
    #: The field beside which a problem with the whole form (pydantic's "form") is shown.
    whole_form_field: str | None = None
    #: Fields kept exactly as typed and never shown again, such as a password.
    secret: tuple[str, ...] = ()

    def values(self, form: Mapping[str, Any]) -> dict[str, str]:
        """The form's fields as text, trimmed but for the secret ones."""
        return {
            key: str(value) if key in self.secret else str(value).strip()
            for key, value in form.items()
        }

    def read(self, values: dict[str, str], language: Language) -> RequestT:
        """The form as the API's request; raises Refused with the fields in error."""
        try:
            return from_form(self.schema, values)
        except ValidationError as invalid:
            errors = readable_errors(invalid, self.messages, language)
        if self.whole_form_field and "form" in errors:
            errors = {self.whole_form_field: errors.pop("form")} | errors
        raise Refused(errors)

    def show(
        self,
        request: Request,
        authority: Authority,
        values: dict[str, str],
        errors: dict[str, str],
        /,
        *,
        action: str,
        status_code: int = 200,
        **context: Any,
    ) -> Response:
        return render(
            request,
            self.template,
            status_code=status_code,
            section="admin",
            values=values,
            errors=errors,
            back=admin_path(authority, self.listing),
            action=action,
            **context,
        )

    async def save(
        self,
        request: Request,
        authority: Authority,
        values: dict[str, str],
        store: Callable[[RequestT], Awaitable[Saved]],
        /,
        *,
        action: str,
        **context: Any,
    ) -> Response:
        """Reads `values` and hands the request to `store` (which saves it through
        `services.administration`, and may raise Refused for what only saving finds out)."""
        try:
            saved = await store(self.read(values, page_language(request)))
        except Refused as refused:
            shown = {key: value for key, value in values.items() if key not in self.secret}
            return self.show(
                request, authority, shown, refused.errors, action=action, status_code=422, **context
            )
        say_saved(request, saved.message, **saved.names)
        return RedirectResponse(admin_path(authority, self.listing), status_code=303)
