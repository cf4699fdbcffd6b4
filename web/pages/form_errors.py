"""A form's validation errors as a person reads them: one sentence per field, in the page's
language, naming the field by the label they see (GOV.UK error message style).

The pages check a form with the same pydantic schema as the API (`web.schemas`), so pydantic's
error types are translated here instead of its English messages being shown: "String should
have at least 3 characters" means nothing to an on-call officer, and nothing in Welsh.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from domain.vocabulary import Language
from translations import N_, translate
from web.i18n import in_language

#: The key for a problem with the form as a whole rather than one field.
FORM = "form"


@dataclass(frozen=True)
class FieldWords:
    """How a page names a field: its label, and what to ask when it is left empty ("Enter a
    short title"); both already in the page's language."""

    label: str
    missing: str | None = None


Labels = Mapping[str, "str | FieldWords"]

_ENTER = N_("Fill in “%(label)s”")
_TOO_SHORT = N_("%(label)s must be %(limit)s characters or more")
_TOO_LONG = N_("%(label)s must be %(limit)s characters or fewer")
_ONE_LINE = N_("%(label)s must be on one line")
_FORMAT = N_("%(label)s is not in the right format")
_AT_LEAST = N_("%(label)s must be %(limit)s or more")
_MORE_THAN = N_("%(label)s must be more than %(limit)s")
_AT_MOST = N_("%(label)s must be %(limit)s or less")
_LESS_THAN = N_("%(label)s must be less than %(limit)s")
_CHOOSE = N_("Select an option for %(label)s")
_YES_NO = N_("Select yes or no for %(label)s")
_WHOLE_NUMBER = N_("%(label)s must be a whole number")
_REAL_MOMENT = N_("%(label)s must be a real date and time")
_EMAIL = N_("Enter an email address in the correct format, like name@example.com")
_OTHER = N_("%(label)s: %(problem)s")

#: pydantic's error types, by the sentence each becomes.
_BY_TYPE: dict[str, str] = {
    "missing": _ENTER,
    "string_too_short": _TOO_SHORT,
    "string_too_long": _TOO_LONG,
    "too_long": _TOO_LONG,
    "string_pattern_mismatch": _FORMAT,
    "greater_than_equal": _AT_LEAST,
    "greater_than": _MORE_THAN,
    "less_than_equal": _AT_MOST,
    "less_than": _LESS_THAN,
    "enum": _CHOOSE,
    "literal_error": _CHOOSE,
    "bool_parsing": _YES_NO,
    "bool_type": _YES_NO,
    "int_parsing": _WHOLE_NUMBER,
    "int_type": _WHOLE_NUMBER,
    "int_from_float": _WHOLE_NUMBER,
    "datetime_parsing": _REAL_MOMENT,
    "datetime_from_date_parsing": _REAL_MOMENT,
    "datetime_type": _REAL_MOMENT,
    "timezone_aware": _REAL_MOMENT,
}

#: What the schemas' own English-only checks mean, by how their message starts: the field it
#: is about (a check on the whole request names it in its text) and the sentence to show.
_SCHEMA_MESSAGES: dict[str, tuple[str | None, str]] = {
    "detected_at is in the future": ("detected_at", N_("%(label)s must be in the past")),
    "aware_at is in the future": ("aware_at", N_("%(label)s must be in the past")),
    "aware_at is before detected_at": (
        "aware_at",
        N_("%(label)s must be the same as or after the time the incident was detected"),
    ),
    "personal_data_risk is only for": (
        "personal_data_risk",
        N_("Only give %(label)s when personal data is involved"),
    ),
    "a breach assessed unlikely": (
        "personal_data_risk",
        N_(
            "To record that a breach is unlikely to be a risk to people, open the incident, "
            "then reassess it with your reason"
        ),
    ),
    "must be a date in 2000 or later": (None, N_("%(label)s must be in 2000 or later")),
    "must not contain NUL characters": (
        None,
        N_("%(label)s contains a character that cannot be saved"),
    ),
    "value is not a valid email address": (None, _EMAIL),
}

#: The schemas' one-line text fields (`web.schemas.OneLine`) refuse line breaks this way.
_ONE_LINE_PATTERN = r"^[^\r\n]*$"


def _words(field: str, labels: Labels | None) -> FieldWords:
    given = (labels or {}).get(field)
    if isinstance(given, FieldWords):
        return given
    return FieldWords(given or field.replace("_", " ").capitalize())


def _sentence(template: str, language: Language, **values: Any) -> str:
    return translate(language, template) % values


def _schema_message(
    item: ErrorDetails, field: str, language: Language, labels: Labels | None
) -> tuple[str, str] | None:
    """A custom check's message: its bilingual text in the page's language, or, for the
    English-only ones, the sentence they stand for."""
    raw = str(item["msg"]).removeprefix("Value error, ")
    for start, (about, template) in _SCHEMA_MESSAGES.items():
        if raw.startswith(start):
            named = about or field
            return named, _sentence(template, language, label=_words(named, labels).label)
    if " / " in raw:
        problem = in_language(raw, language)
        return field, _sentence(
            _OTHER, language, label=_words(field, labels).label, problem=problem
        )
    return None


def _limit(context: dict[str, Any]) -> Any:
    return next(
        (
            context[key]
            for key in ("min_length", "max_length", "ge", "gt", "le", "lt")
            if key in context
        ),
        "",
    )


def _message(item: ErrorDetails, language: Language, labels: Labels | None) -> tuple[str, str]:
    """The field an error is about, and the sentence saying what to do about it."""
    location = item["loc"]
    field = str(location[0]) if location else FORM
    kind = item["type"]
    context: dict[str, Any] = dict(item.get("ctx") or {})
    words = _words(field, labels)
    if kind in ("value_error", "assertion_error"):
        known = _schema_message(item, field, language, labels)
        if known is not None:
            return known
    empty = kind == "missing" or (kind == "string_too_short" and context.get("min_length", 0) <= 1)
    if empty:
        return field, words.missing or _sentence(_ENTER, language, label=words.label)
    if kind == "string_pattern_mismatch" and context.get("pattern") == _ONE_LINE_PATTERN:
        return field, _sentence(_ONE_LINE, language, label=words.label)
    template = _BY_TYPE.get(kind)
    if template is not None:
        return field, _sentence(template, language, label=words.label, limit=_limit(context))
    problem = str(item["msg"]).removeprefix("Value error, ")
    return field, _sentence(_OTHER, language, label=words.label, problem=problem)


def field_errors(
    error: ValidationError,
    language: Language = Language.ENGLISH,
    labels: Labels | None = None,
) -> dict[str, str]:
    """One message per field (the first problem found), keyed by field name; a problem with
    the whole form is under `FORM`. `labels` maps a field's name to the words the page shows
    for it; a field without one is named from its name."""
    errors: dict[str, str] = {}
    for item in error.errors():
        field, message = _message(item, language, labels)
        errors.setdefault(field, message)
    return errors


def describe(
    invalid: ValidationError,
    language: Language = Language.ENGLISH,
    labels: Labels | None = None,
) -> str:
    """Every problem in one line, for a page that shows a single message."""
    return "; ".join(field_errors(invalid, language, labels).values())
