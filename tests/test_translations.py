"""Welsh is no less favourable than English: every message a page shows has a Welsh
translation, and the catalogs a translation unit works from match what the pages say."""

from __future__ import annotations

import re

from babel.messages.pofile import read_po

from domain.vocabulary import Language
from translations import catalog_path, translate
from translations.update import POT, extract

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _catalog(language: Language):
    with catalog_path(language).open("rb") as source:
        return read_po(source, locale=language.value)


def test_every_message_has_a_welsh_translation() -> None:
    welsh = _catalog(Language.WELSH)
    missing = sorted(str(message.id) for message in welsh if message.id and not message.string)
    fuzzy = sorted(str(message.id) for message in welsh if message.id and message.fuzzy)
    assert not missing, f"{len(missing)} messages without Welsh: {missing[:20]}"
    assert not fuzzy, f"{len(fuzzy)} Welsh translations marked fuzzy: {fuzzy[:20]}"


def test_the_catalogs_hold_every_message_the_sources_use() -> None:
    """`make translations` was run after the pages last changed."""
    in_sources = {message.id for message in extract() if message.id}
    with POT.open("rb") as source:
        in_template = {message.id for message in read_po(source) if message.id}
    for language in (Language.WELSH, Language.ENGLISH):
        in_catalog = {message.id for message in _catalog(language) if message.id}
        assert in_catalog == in_sources, f"{language.value}: run `make translations`"
    assert in_template == in_sources, "messages.pot is out of date: run `make translations`"


def test_welsh_keeps_every_placeholder_of_the_english() -> None:
    wrong = [
        str(message.id)
        for message in _catalog(Language.WELSH)
        if message.id
        and message.string
        and isinstance(message.id, str)
        and set(PLACEHOLDER.findall(message.id)) != set(PLACEHOLDER.findall(str(message.string)))
    ]
    assert not wrong, f"placeholders differ: {wrong}"


def test_a_page_message_reads_in_each_language() -> None:
    assert translate(Language.WELSH, "Sign in") == "Mewngofnodi"
    assert translate(Language.ENGLISH, "Sign in") == "Sign in"


def test_english_pages_carry_no_welsh() -> None:
    """The English catalog only ever rewords the English; it never holds the Welsh."""
    welsh = {str(m.id): str(m.string) for m in _catalog(Language.WELSH) if m.id}
    crossed = [
        str(m.id)
        for m in _catalog(Language.ENGLISH)
        if m.id and m.string and m.string == welsh.get(str(m.id)) and m.string != m.id
    ]
    assert not crossed, f"English messages holding the Welsh text: {crossed[:20]}"
