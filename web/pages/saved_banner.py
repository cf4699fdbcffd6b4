"""The success banner a page shows after a save: the save redirects (so reloading the page
does not send the form again), and the page it lands on says what was saved.

The message is kept in the session in English and shown in the reader's language, so a change
of language in between (the language page itself) still reads right."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from translations import translate
from web.i18n import page_language

_KEY = "saved"


def say_saved(request: Request, message: str, **values: str) -> None:
    """Shown once by the next page: `message` is a literal marked with `N_`, with `%(name)s`
    placeholders for `values` (names of people, never words to translate)."""
    request.session[_KEY] = {"message": message, "values": values}


def saved_banner(request: Request) -> str | None:
    """The banner's text, once; None when nothing was just saved."""
    saved: Any = request.session.pop(_KEY, None)
    if not isinstance(saved, dict) or not isinstance(saved.get("message"), str):
        return None
    text = translate(page_language(request), saved["message"])
    values = saved.get("values")
    return text % values if isinstance(values, dict) and values else text
