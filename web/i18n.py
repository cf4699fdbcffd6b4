"""Which language a page is shown in, and the template environment for each.

A page is wholly Welsh or wholly English. The choice is the signed-in person's own preference,
else this browser's choice (a cookie set by the language switch), else the page's own default
(a member's recorded language on their acknowledge page), else Welsh: the Welsh Language
Standards put Welsh first where the choice is unknown.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

from babel.dates import format_timedelta
from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, PackageLoader, PrefixLoader, Undefined
from jinja2.utils import missing

from domain.vocabulary import Language
from notifications.labels import label
from notifications.render import uk_datetime
from translations import PAGE_LANGUAGES, translations
from web.pages.timeline_words import Event, event_sentence

LANGUAGE_COOKIE = "concordat_language"
#: The session key holding a signed-in person's page language.
SESSION_LANGUAGE = "language"


def chosen(value: object) -> Language | None:
    """A page language if `value` names one ("cy" or "en"), else None."""
    return next((language for language in PAGE_LANGUAGES if language.value == value), None)


def page_language(request: Request, default: Language | None = None) -> Language:
    return (
        chosen(request.session.get(SESSION_LANGUAGE))
        or chosen(request.cookies.get(LANGUAGE_COOKIE))
        or chosen(default)
        or Language.WELSH
    )


def in_language(message: str, language: Language) -> str:
    """One language of a message the API gives in both, written "English. / Welsh." (the
    refusals and limits shared by the API and the pages); a message in one language as it is."""
    parts = message.split(" / ")
    if len(parts) != 2:
        return message
    return parts[1] if language is Language.WELSH else parts[0]


def other_language(language: Language) -> Language:
    return Language.ENGLISH if language is Language.WELSH else Language.WELSH


def time_span(delta: timedelta, language: Language) -> str:
    """A duration in whole minutes as a person says it: "2 days 3 hours 5 minutes",
    "2 ddiwrnod 3 awr 5 munud"; never negative (say "overdue" around it)."""
    minutes = max(int(abs(delta).total_seconds()) // 60, 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [
        format_timedelta(unit, threshold=1, locale=language.value)
        for amount, unit in (
            (days, timedelta(days=days)),
            (hours, timedelta(hours=hours)),
            (minutes, timedelta(minutes=minutes)),
        )
        if amount
    ]
    return " ".join(parts) or format_timedelta(timedelta(0), locale=language.value)


class _PageUndefined(Undefined):
    """GOV.UK Frontend's macros read optional parameters that were not given (`params.classes`)
    and expect nothing back; a *name* no page passed is still an error, as with
    `StrictUndefined`, so a misspelt variable fails a test instead of showing nothing."""

    def _unknown_name(self) -> bool:
        return self._undefined_obj is missing and self._undefined_hint is None

    def __str__(self) -> str:
        if self._unknown_name():
            self._fail_with_undefined_error()
        return super().__str__()

    def __bool__(self) -> bool:
        if self._unknown_name():
            self._fail_with_undefined_error()
        return super().__bool__()

    def __iter__(self) -> Any:
        if self._unknown_name():
            self._fail_with_undefined_error()
        return super().__iter__()

    def __len__(self) -> int:
        if self._unknown_name():
            self._fail_with_undefined_error()
        return super().__len__()

    __hash__ = Undefined.__hash__


def _error_link(item: tuple[str, str]) -> dict[str, str]:
    """An error summary entry: its message, linking to the field it is about."""
    field, message = item
    return {"text": message, "href": f"#{field}"}


def _error_message(errors: dict[str, str], field: str) -> dict[str, str] | None:
    """A GOV.UK macro's `errorMessage` for a field: None (no error) or its message."""
    return {"text": errors[field]} if field in errors else None


def _invalid(
    errors: dict[str, str], field: str, attributes: dict[str, str] | None = None
) -> dict[str, str]:
    """A GOV.UK macro's `attributes` for a field's own control: `aria-invalid="true"` added to
    `attributes` when the field has an error. GOV.UK Frontend links the error message with
    `aria-describedby` but does not mark the control itself as invalid."""
    marked = dict(attributes or {})
    if field in errors:
        marked["aria-invalid"] = "true"
    return marked


@cache
def environment(language: Language) -> Environment:
    """The pages' templates in one language: Concordat's own, GOV.UK Frontend's macros, and
    gettext from the language's catalog."""
    env = Environment(
        loader=ChoiceLoader(
            [
                PackageLoader("web", "templates"),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=True,
        undefined=_PageUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    # GOV.UK Frontend's macros compare parameters with JavaScript's `undefined` and `null`.
    env.globals["undefined"] = env.globals["null"] = _PageUndefined(hint="absent")
    env.globals["language"] = language
    env.globals["other_language"] = other_language(language)

    def when(moment: datetime | None) -> str:
        return uk_datetime(moment, language)

    def in_words(value: Any) -> str:
        return label(value, language)

    def span(delta: timedelta) -> str:
        return time_span(delta, language)

    def sentence(event: Event) -> str | None:
        return event_sentence(event, language)

    env.filters["error_link"] = _error_link
    env.filters["error_message"] = _error_message
    env.filters["invalid"] = _invalid
    env.filters["uk_time"] = when
    env.filters["label"] = in_words
    env.filters["span"] = span
    env.filters["sentence"] = sentence
    return env


@cache
def templates(language: Language) -> Jinja2Templates:
    return Jinja2Templates(env=environment(language))
