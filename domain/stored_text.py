"""What people send that the database must be able to keep, and refusals that say what to do
in English and Welsh.

PostgreSQL text holds neither NUL nor a lone surrogate (JSON's "\\ud800", which is no character
at all): such text is refused when it is read, not when it fails to save. A model built on
`StoredText` refuses it, forbids fields it does not know, and `bilingual` turns pydantic's
refusals into the form's own words, looked up by the field's place.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

UNKNOWN_FIELD = ("There is no such field; remove it", "Nid oes maes o'r fath; tynnwch ef")
NUL = ("Remove the character that cannot be saved", "Tynnwch y nod na ellir ei gadw")


def storable(text: str) -> bool:
    """Whether PostgreSQL's text can hold `text`."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class StoredText(BaseModel):
    """A request whose every text field must be storable; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and not storable(text) for text in texts):
            raise ValueError("must not contain NUL characters or lone surrogates")
        return value


def place_of(location: tuple[int | str, ...]) -> str:
    """A field's place as the words are looked up: list positions left out."""
    return ".".join(str(part) for part in location if not isinstance(part, int))


def bilingual(
    invalid: ValidationError, words: dict[str, tuple[str, str]], kind: str
) -> ValidationError:
    """`invalid` with each refusal replaced by what to do, "English / Welsh", from `words` by
    the field's place; where each refusal is stays as it was."""

    def one(problem: Any) -> InitErrorDetails:
        location = tuple(problem["loc"])
        if problem["type"] == "extra_forbidden":
            english, welsh = UNKNOWN_FIELD
        elif "NUL" in str(problem.get("msg", "")):
            english, welsh = NUL
        else:
            english, welsh = words.get(place_of(location), UNKNOWN_FIELD)
        return InitErrorDetails(
            type=PydanticCustomError(kind, f"{english} / {welsh}"),
            loc=location,
            input=problem.get("input"),
        )

    return ValidationError.from_exception_data(invalid.title, [one(p) for p in invalid.errors()])
