"""A form's validation errors as the page shows them: one message per field, by field id."""

from __future__ import annotations

from pydantic import ValidationError


def field_errors(error: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else "form"
        message = item["msg"].removeprefix("Value error, ")
        errors.setdefault(field, message)
    return errors


def describe(invalid: ValidationError) -> str:
    return "; ".join(
        f"{field.replace('_', ' ')}: {problem}" for field, problem in field_errors(invalid).items()
    )
