"""What the audit pages say about a replay, in the reader's language.

`audit.report` writes its findings in English for the command line and the exports, which are
evidence and stay as they were produced; the pages say the same things in the reader's language.
The detail of a failure (which event differs, where a chain breaks) is shown as the checks wrote
it: it names records and values, and an auditor compares it with the export.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from audit.report import IncidentReplay
from domain.vocabulary import Language
from translations import N_, translate


@dataclass(frozen=True)
class Finding:
    """One check on a replay: what was checked, whether it held, and what was found."""

    check: str
    sound: bool
    text: str


def _checked(
    language: Language,
    check: str,
    sound: bool,
    held: str,
    failed: str,
    found: Sequence[object],
) -> Finding:
    """One check: `held` (already in the reader's language) when it held, else `failed` in the
    reader's language followed by what the check found, as the check wrote it."""
    text = held if sound else translate(language, failed) + " " + "; ".join(map(str, found))
    return Finding(translate(language, check), sound, text)


def findings(replay: IncidentReplay, language: Language) -> list[Finding]:
    """The replay, database and hash-chain checks, as the page's summary list shows them."""

    found: list[Finding] = []
    if replay.check is not None:
        check = replay.check
        found.append(
            _checked(
                language,
                N_("Replay"),
                check.reproduced,
                translate(
                    language,
                    "The current code reproduces every recorded decision ({runs} runs, "
                    "{events} history events).",
                ).format(runs=check.runs, events=check.events),
                N_("The current code does not reproduce the history:"),
                check.failures,
            )
        )
    found.append(
        _checked(
            language,
            N_("Database"),
            not replay.differences,
            translate(language, "The timeline matches the history ({events} events).").format(
                events=len(replay.entries)
            ),
            N_("The timeline differs from the history:"),
            replay.differences,
        )
    )
    if replay.chain is not None:
        chain = replay.chain
        found.append(
            _checked(
                language,
                N_("Hash chain"),
                chain.intact,
                translate(language, "Intact ({events} events): every hash recomputes.").format(
                    events=chain.events
                ),
                N_("Broken at:"),
                chain.breaks[:1],
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
