"""`python -m translations.update`: extract every message the pages and notifications show into
`messages.pot`, then bring `cy` and `en` up to date with it, keeping every translation made.

Translations waiting in `translations/pending/*.po` (each a small catalog of msgid and Welsh
msgstr) are folded into `cy` and the pending file removed once all its messages are in.
Runs one at a time (a lock file), so two people updating at once do not lose each other's work.
"""

from __future__ import annotations

import copy
import fcntl
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from domain.vocabulary import Language
from translations import CATALOGS, DOMAIN, catalog_path

ROOT = CATALOGS.parent
POT = CATALOGS / f"{DOMAIN}.pot"
PENDING = CATALOGS / "pending"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "translate": (2,)}


@contextmanager
def _locked() -> Iterator[None]:
    with (CATALOGS / ".update.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _method_map() -> tuple[list[tuple[str, str]], dict[str, dict[str, str]]]:
    return (
        [
            ("web/**.py", "python"),
            ("notifications/**.py", "python"),
            ("web/templates/**.j2", "jinja2"),
        ],
        {"web/templates/**.j2": {"extensions": "jinja2.ext.i18n"}},
    )


def extract() -> Catalog:
    """Every message in the sources, with where it is used."""
    method_map, options_map = _method_map()
    template = Catalog(
        project="Concordat", domain=DOMAIN, msgid_bugs_address="", fuzzy=False, charset="utf-8"
    )
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, comment_tags=("Translators:",)
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=locale, domain=DOMAIN)


def _write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as target:
        write_po(target, catalog, width=100, sort_output=True, omit_header=False)


def _pending_translations() -> tuple[dict[str, str], list[Path]]:
    found: dict[str, str] = {}
    files = sorted(PENDING.glob("*.po")) if PENDING.exists() else []
    for path in files:
        for message in _read(path, "cy"):
            if message.id and isinstance(message.id, str) and message.string:
                found[message.id] = str(message.string)
    return found, files


def update() -> dict[str, int]:
    """Extract, update both catalogs, fold in pending Welsh; returns counts for the summary."""
    with _locked():
        template = extract()
        _write(template, POT)
        pending, pending_files = _pending_translations()
        counts: dict[str, int] = {"messages": len(template)}
        for language in (Language.WELSH, Language.ENGLISH):
            path = catalog_path(language)
            catalog = (
                _read(path, language.value)
                if path.exists()
                else Catalog(locale=language.value, domain=DOMAIN, project="Concordat")
            )
            # Babel's update shares the template's message objects: give each catalog its own.
            catalog.update(copy.deepcopy(template), no_fuzzy_matching=True)
            catalog.obsolete.clear()
            if language is Language.WELSH:
                for message in catalog:
                    if message.id in pending:
                        message.string = pending[message.id]
                        message.flags.discard("fuzzy")
                counts["untranslated_cy"] = sum(
                    1 for message in catalog if message.id and not message.string
                )
            _write(catalog, path)
        welsh = {str(m.id) for m in _read(catalog_path(Language.WELSH), "cy") if m.string}
        for path in pending_files:
            if all(str(m.id) in welsh for m in _read(path, "cy") if m.id):
                path.unlink()
        return counts


def main() -> int:
    counts = update()
    print(
        f"{counts['messages']} messages; {counts['untranslated_cy']} without Welsh "
        f"({catalog_path(Language.WELSH).relative_to(ROOT)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
