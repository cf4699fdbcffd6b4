"""What the audit pages say about a replay, in the reader's language.

`audit.report` writes its findings in English for the command line and the exports, which are
evidence and stay as they were produced; the pages say the same things in the reader's language.
The detail of a failure (which event differs, where a chain breaks) is shown as the checks wrote
it: it names records and values, and an auditor compares it with the export.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from babel.dates import format_datetime

from audit.report import IncidentReplay
from domain.clock import UK_TIME
from domain.vocabulary import Language
from translations import translate

_LOCALES = {Language.ENGLISH: "en_GB", Language.WELSH: "cy"}

#: The timeline's own precision: events in one workflow step differ by seconds, not minutes.
_WITH_SECONDS = "EEEE d MMMM y, HH:mm:ss"


def uk_time_seconds(moment: datetime | None, language: Language) -> str:
    """A moment to the second, as the pages show every other time: UK time, day and month
    named in the reader's language, then GMT or BST ("Dydd Sadwrn 4 Gorffennaf 2026, 14:30:05
    BST")."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(UK_TIME)
    shown = format_datetime(local, _WITH_SECONDS, tzinfo=UK_TIME, locale=_LOCALES[language])
    return f"{shown} {local.tzname()}"


@dataclass(frozen=True)
class Finding:
    """One check on a replay: what was checked, whether it held, and what was found."""

    check: str
    sound: bool
    text: str


def findings(replay: IncidentReplay, language: Language) -> list[Finding]:
    """The replay, database and hash-chain checks, as the page's summary list shows them."""

    found: list[Finding] = []
    if replay.check is not None:
        check = replay.check
        found.append(
            Finding(
                translate(language, "Replay"),
                check.reproduced,
                translate(
                    language,
                    "The current code reproduces every recorded decision ({runs} runs, "
                    "{events} history events).",
                ).format(runs=check.runs, events=check.events)
                if check.reproduced
                else translate(language, "The current code does not reproduce the history:")
                + " "
                + "; ".join(check.failures),
            )
        )
    found.append(
        Finding(
            translate(language, "Database"),
            not replay.differences,
            translate(language, "The timeline matches the history ({events} events).").format(
                events=len(replay.entries)
            )
            if not replay.differences
            else translate(language, "The timeline differs from the history:")
            + " "
            + "; ".join(replay.differences),
        )
    )
    if replay.chain is not None:
        chain = replay.chain
        found.append(
            Finding(
                translate(language, "Hash chain"),
                chain.intact,
                translate(language, "Intact ({events} events): every hash recomputes.").format(
                    events=chain.events
                )
                if chain.intact
                else translate(language, "Broken at:") + " " + str(chain.breaks[0]),
            )
        )
    if replay.pending:
        found.append(
            Finding(
                translate(language, "Still being recorded"),
                True,
                translate(
                    language, "{count} events were being recorded when the history was read."
                ).format(count=len(replay.pending)),
            )
        )
    return found


def source(replay: IncidentReplay, language: Language) -> str:
    """Where the replayed history came from, as a sentence."""
    if replay.source == "server":
        return translate(language, "Rebuilt from the history on the Temporal server.")
    if replay.source == "archive":
        return translate(language, "Rebuilt from the archived history.")
    if "damaged" in replay.source:
        return translate(
            language, "Rebuilt from the database alone: the archived history is damaged."
        )
    return translate(language, "Rebuilt from the database alone: no history was available.")
