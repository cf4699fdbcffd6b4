"""Error pages in the page's language.

Details are raised in English for the API (or "English / Welsh" where both are written); a page
shows the one that matches its language. A detail with no Welsh is shown in English on English
pages only: a Welsh page says what its status means instead, so no page mixes the languages.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request

from domain.vocabulary import Language
from translations import N_, translate
from web.i18n import in_language, page_language

NOT_FOUND = N_("No such incident.")
PAGE_NOT_FOUND = N_("Page not found.")
NOT_ALLOWED = N_("Your role does not allow this.")
FORM_EXPIRED = N_("The form expired or did not come from this site; reload it and try again.")
DATABASE_UNAVAILABLE = N_(
    "The database cannot be reached, so nothing was saved. Try again in a moment."
)
WORKFLOWS_UNAVAILABLE = N_("The workflow service is unavailable; try again.")
DECODING_NOT_ALLOWED = N_("Decoding payloads needs permission to read every authority's timelines.")
NO_LANGUAGE = N_("No such language.")
NO_ACTION = N_("No such action.")
NO_BREACH = N_("No personal-data breach is recorded.")
OWN_ACKNOWLEDGEMENT = N_("A named member can acknowledge only for themselves.")

#: Details raised word for word, each a message the catalogs translate.
_KNOWN = frozenset(
    {
        NOT_FOUND,
        PAGE_NOT_FOUND,
        FORM_EXPIRED,
        DATABASE_UNAVAILABLE,
        WORKFLOWS_UNAVAILABLE,
        DECODING_NOT_ALLOWED,
        NO_LANGUAGE,
        NO_ACTION,
        NO_BREACH,
        OWN_ACKNOWLEDGEMENT,
    }
)

#: Details with a value in them, read as the message they stand for.
_PATTERNS = (
    (re.compile(r"No incident \S+\.\Z"), NOT_FOUND),
    (re.compile(r"Your role \(.*\) does not allow this"), NOT_ALLOWED),
    # Starlette's own words for a path no route answers.
    (re.compile(r"Not Found\Z"), PAGE_NOT_FOUND),
)

#: What a status means, for a detail the catalogs cannot put into the page's language.
_BY_STATUS = {
    400: N_("The request could not be understood."),
    403: N_("You do not have permission to do this."),
    404: PAGE_NOT_FOUND,
    405: N_("This page cannot be used that way."),
    409: N_("The incident cannot take that change now."),
    422: N_("Some of what was sent is not valid."),
    429: N_("Too many requests; wait a moment and try again."),
    503: N_("The service is unavailable; try again in a moment."),
}
_OTHERWISE = N_("Something went wrong.")


def error_message(detail: Any, status_code: int, language: Language) -> str:
    """The sentence an error page shows for an HTTP error's detail, in `language`."""
    text = str(detail or "")
    if " / " in text:
        return in_language(text, language)
    if text in _KNOWN:
        return translate(language, text)
    for pattern, message in _PATTERNS:
        if pattern.match(text):
            return translate(language, message)
    if language is Language.ENGLISH and text:
        return text
    return translate(language, _BY_STATUS.get(status_code, _OTHERWISE))


def error_context(request: Request, status_code: int, detail: Any) -> dict[str, Any]:
    """What error.html.j2 is given: the sentence, and the status that picks its heading and its
    advice on what to do next (a form that expired needs a reload, not an administrator)."""
    language = page_language(request)
    return {
        "message": error_message(detail, status_code, language),
        "status": status_code,
        "form_expired": detail == FORM_EXPIRED,
    }
