"""The incident form's fields: what a person sees them called, and how their answers become
the API's `IncidentRequest`.

A moment is asked for as GOV.UK's date input (day, month, year, hour and minute, UK time), so
an officer on a phone never meets a browser's own date picker; it becomes one UK date and time
here, before the request is checked as the API checks it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import ValidationError

from domain.vocabulary import Language, NcscCategory
from translations import N_, translate
from web.pages.common import from_form
from web.pages.form_errors import FieldWords, field_errors
from web.schemas import IncidentRequest

#: The moments the form asks for, each as five boxes named `<field>-<part>`.
MOMENTS = ("detected_at", "aware_at")
PARTS = ("day", "month", "year", "hour", "minute")

#: The fields in the order the form shows them: the error summary lists problems in this order.
ORDER = (
    "authority",
    "title",
    "description",
    "incident_type",
    "category",
    "significant",
    "personal_data",
    "personal_data_risk",
    "email_compromised",
    "exercise",
    "detected_at",
    "aware_at",
    "tlp",
    "reporter_name",
    "reporter_email",
)

_LABELS: dict[str, tuple[str, str | None]] = {
    "authority": (N_("Council"), N_("Select the council the incident is at")),
    "title": (N_("Short title"), N_("Enter a short title")),
    "description": (N_("What happened"), N_("Enter what happened")),
    "incident_type": (N_("Type of incident"), N_("Select the type of incident")),
    "category": (N_("NCSC category"), N_("Select the NCSC category")),
    "significant": (N_("Significant"), None),
    "personal_data": (N_("Personal data involved"), None),
    "personal_data_risk": (
        N_("Risk to people"),
        N_("Select how much of a risk the breach is to people"),
    ),
    "email_compromised": (N_("Email may be compromised"), None),
    "exercise": (N_("Exercise"), None),
    "detected_at": (
        N_("Date and time detected"),
        N_("Enter the date and time the incident was detected"),
    ),
    "aware_at": (N_("Date and time the council became aware"), None),
    "tlp": (N_("Sharing marking (TLP)"), N_("Select a sharing marking")),
    "reporter_name": (N_("Your name"), N_("Enter your name")),
    "reporter_email": (N_("Your email address"), N_("Enter your email address")),
}

# Translators: each part is read after "must include the" (in Welsh, give its article too).
_PART_NAMES = {
    "day": N_("day"),
    "month": N_("month"),
    "year": N_("year"),
    "hour": N_("hour"),
    "minute": N_("minute"),
}

#: What each NCSC category means (the NCSC's own descriptions, 2023), as hints on its choice.
CATEGORY_HINTS: dict[NcscCategory, str] = {
    NcscCategory.NATIONAL_CYBER_EMERGENCY: N_(
        "Sustained disruption of UK essential services or national security, leading to "
        "severe economic or social consequences or to loss of life."
    ),
    NcscCategory.HIGHLY_SIGNIFICANT: N_(
        "A serious impact on central government, UK essential services, a large share of the "
        "UK population or the UK economy."
    ),
    NcscCategory.SIGNIFICANT: N_(
        "A serious impact on a large organisation or on wider or local government, or a "
        "considerable risk to central government or UK essential services."
    ),
    NcscCategory.SUBSTANTIAL: N_(
        "A serious impact on a medium-sized organisation, or a considerable risk to a large "
        "organisation or to wider or local government."
    ),
    NcscCategory.MODERATE: N_(
        "A serious impact on a small organisation, a considerable risk to a medium-sized "
        "organisation, or any impact on a large organisation or on wider or local government."
    ),
    NcscCategory.LOCALISED: N_(
        "An attack on one person, or an early stage of an attack on a medium-sized "
        "organisation, or a considerable risk to a small organisation."
    ),
}


def field_words(language: Language) -> dict[str, FieldWords]:
    """Each field's label, and what to ask when it is left empty, in the page's language."""
    return {
        name: FieldWords(
            translate(language, label), translate(language, missing) if missing else None
        )
        for name, (label, missing) in _LABELS.items()
    }


def category_hints(language: Language) -> dict[int, str]:
    return {int(category): translate(language, hint) for category, hint in CATEGORY_HINTS.items()}


@dataclass
class ReadForm:
    """A submitted form: the request it makes if it is complete, or what is wrong with it
    (by field, in form order), and which boxes of a moment to mark as wrong."""

    request: IncidentRequest | None
    errors: dict[str, str] = field(default_factory=dict)
    wrong_parts: dict[str, frozenset[str]] = field(default_factory=dict)


def _moment(
    values: Mapping[str, str], name: str, words: FieldWords, language: Language
) -> tuple[str | None, str | None, frozenset[str]]:
    """A moment's five boxes as "YYYY-MM-DDTHH:MM" (UK wall-clock time), or the problem with
    them and which boxes have it. A form without the boxes may send the moment whole."""
    parts = {part: values.get(f"{name}-{part}", "").strip() for part in PARTS}
    if not any(parts.values()):
        whole = values.get(name, "").strip()
        return (whole or None), None, frozenset()
    missing = [part for part in PARTS if not parts[part]]
    if missing:
        part = translate(language, _PART_NAMES[missing[0]])
        message = translate(language, N_("%(label)s must include the %(part)s")) % {
            "label": words.label,
            "part": part,
        }
        return None, message, frozenset(missing)
    try:
        if not all(text.isdigit() for text in parts.values()) or len(parts["year"]) != 4:
            raise ValueError(parts)
        day, month, year, hour, minute = (int(parts[part]) for part in PARTS)
        moment = datetime(year, month, day, hour, minute)
    except ValueError:
        message = translate(language, N_("%(label)s must be a real date and time")) % {
            "label": words.label
        }
        return None, message, frozenset(PARTS)
    return moment.strftime("%Y-%m-%dT%H:%M"), None, frozenset()


def read_form(values: Mapping[str, str], language: Language) -> ReadForm:
    """The form's answers checked as the API checks a request, with every problem in words."""
    words = field_words(language)
    reported = {key: value for key, value in values.items() if key in IncidentRequest.model_fields}
    if values.get("personal_data") != "yes":
        # The risk is asked only when personal data is involved: a risk chosen and then
        # hidden again by answering "No" is not an answer.
        reported.pop("personal_data_risk", None)
    own_errors: dict[str, str] = {}
    wrong_parts: dict[str, frozenset[str]] = {}
    for name in MOMENTS:
        text, problem, parts = _moment(values, name, words[name], language)
        reported[name] = text or ""
        if problem:
            own_errors[name] = problem
            wrong_parts[name] = parts
    request: IncidentRequest | None = None
    errors: dict[str, str] = {}
    try:
        request = from_form(IncidentRequest, reported)
    except ValidationError as invalid:
        errors = field_errors(invalid, language, words)
    if own_errors:
        request = None
    merged = errors | own_errors
    ordered = {name: merged[name] for name in ORDER if name in merged}
    return ReadForm(request, ordered | merged, wrong_parts)
