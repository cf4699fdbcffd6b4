"""The words of Concordat's pages in Welsh and English, as gettext catalogs a council's
translation unit can work with: `messages.pot`, and `cy` and `en` `.po` files beside it.

English is the source language: each message's id is its English text, and `en/messages.po`
stays empty unless the wording in English changes. The `.po` files are compiled in memory when
first asked for, so nothing binary is committed. `python -m translations.update` extracts the
messages again after a change to the pages.
"""

from __future__ import annotations

from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from domain.vocabulary import Language

CATALOGS = Path(__file__).parent
DOMAIN = "messages"
#: The languages a page can be shown in; Welsh first where nobody has chosen.
PAGE_LANGUAGES = (Language.WELSH, Language.ENGLISH)


def catalog_path(language: Language) -> Path:
    return CATALOGS / language.value / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: Language) -> Translations:
    """The compiled catalog for a page language (English for `UNKNOWN` is never asked for:
    callers resolve the language first)."""
    with catalog_path(language).open("rb") as source:
        catalog = read_po(source, locale=language.value, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def translate(language: Language, message: str) -> str:
    """One message in a page language, for Python code that builds words a page shows. The
    message must be a literal (or marked with `N_`) for `translations.update` to find it."""
    return translations(language).gettext(message)


def N_(message: str) -> str:
    """Marks a message to be translated where it is shown, not where it is written."""
    return message
