"""An incident's replay as an auditor reads it: text, JSON, CSV or a standalone HTML page."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from audit.as_of import IncidentAsOf
from audit.replay import ReplayCheck
from audit.verify import Verification
from domain.activity_contracts import TimelineEntry
from domain.clock import span, uk_time
from domain.rules import sentence_start


@dataclass
class IncidentReplay:
    """Everything `concordat audit replay` found out about one incident."""

    reference: str
    incident_id: str
    authority: str
    title: str
    source: str
    """Where the history came from: the live server or the archive."""
    entries: list[TimelineEntry]
    pending: list[TimelineEntry] = field(default_factory=list)
    hashes: dict[int, str] = field(default_factory=dict)
    """Each event's hash in the database's chain, where the database has the event."""
    check: ReplayCheck | None = None
    differences: list[str] = field(default_factory=list)
    chain: Verification | None = None
    as_of: IncidentAsOf | None = None
    after_closure_unread: int = 0
    """Events recorded after closure by the post-incident process, whose history was not read
    (an archive replay): the hash chain covers them, the history comparison does not."""

    @property
    def sound(self) -> bool:
        """True when the code reproduces the history, both records agree and the chain holds."""
        return (
            (self.check is None or self.check.reproduced)
            and not self.differences
            and (self.chain is None or self.chain.intact)
        )

    def findings(self) -> list[str]:
        lines = []
        if self.check is not None:
            lines.append(
                f"Replay: the current code reproduces every recorded decision "
                f"({self.check.runs} run(s), {self.check.events} history events)."
                if self.check.reproduced
                else "Replay: the current code DIVERGES from the history: "
                + "; ".join(self.check.failures)
            )
        lines.append(
            f"Database: the timeline matches the history ({len(self.entries)} events)."
            if not self.differences
            else "Database: " + "; ".join(self.differences)
        )
        if self.chain is not None:
            lines.append(
                f"Chain: intact ({self.chain.events} events); every hash recomputes."
                if self.chain.intact
                else "Chain: BROKEN at " + str(self.chain.breaks[0])
            )
        if self.pending:
            lines.append(
                f"{len(self.pending)} event(s) were being recorded when the history was read."
            )
        if self.after_closure_unread:
            lines.append(
                f"{self.after_closure_unread} event(s) after closure were recorded by the "
                "post-incident process, whose history was not read; the chain covers them."
            )
        return lines


def to_text(replay: IncidentReplay) -> str:
    out = [
        f"Incident {replay.reference} ({replay.authority}): {replay.title}",
        f"History read from the {replay.source}.",
        "",
    ]
    for entry in replay.entries:
        out.append(
            f"{uk_time(entry.occurred_at, seconds=True):<31} #{entry.sequence:<4} "
            f"{entry.kind.value:<28} {entry.actor:<24} {entry.summary}"
        )
    out += ["", *replay.findings()]
    if replay.as_of is not None:
        out += ["", *_as_of_lines(replay.as_of)]
    return "\n".join(out) + "\n"


def _as_of_lines(state: IncidentAsOf) -> list[str]:
    lines = [
        f"As of {uk_time(state.at, seconds=True)} ({state.events} events had happened):",
        f"  Stage: {state.stage.value if state.stage else 'not yet opened'}",
    ]
    for chain in state.chains:
        name = chain.chain.value.replace("_", " ")
        if chain.acknowledged_by:
            status = f"acknowledged by {chain.acknowledged_by} at {uk_time(chain.acknowledged_at)}"
        elif chain.unacknowledged:
            status = "nobody acknowledged; everyone was alerted"
        elif chain.asked:
            status = f"level {chain.level}, waiting for {chain.asked}"
            if chain.time_left is not None:
                status += f", {span(chain.time_left)} left to respond"
        else:
            status = "nobody asked yet"
        lines.append(f"  {sentence_start(name)} chain: {status}")
    for ack in state.acknowledgements:
        lines.append(f"  Acknowledged: {ack.who} at {uk_time(ack.at)}")
    for clock in state.clocks:
        text = f"  {sentence_start(clock.body.label)}: {clock.state.replace('_', ' ')}"
        if clock.running and clock.deadline is not None and clock.time_left is not None:
            text += f", deadline {uk_time(clock.deadline)} ({span(clock.time_left)}"
            text += ")" if clock.time_left.total_seconds() < 0 else " left)"
        elif clock.submitted_at is not None:
            text += f" at {uk_time(clock.submitted_at)}" + (" (late)" if clock.late else "")
        lines.append(text)
    return lines


def to_json(replay: IncidentReplay) -> str:
    document: dict[str, Any] = {
        "incident": {
            "reference": replay.reference,
            "id": replay.incident_id,
            "authority": replay.authority,
            "title": replay.title,
        },
        "history_source": replay.source,
        "timeline": [_row(entry, replay.hashes) for entry in replay.entries],
        "pending": [_row(entry, replay.hashes) for entry in replay.pending],
        "checks": {
            "sound": replay.sound,
            "replay_reproduced": replay.check.reproduced if replay.check else None,
            "replay_failures": replay.check.failures if replay.check else [],
            "database_differences": replay.differences,
            "chain_intact": replay.chain.intact if replay.chain else None,
            "chain_breaks": [str(b) for b in replay.chain.breaks] if replay.chain else [],
            "findings": replay.findings(),
        },
        "as_of": replay.as_of.model_dump(mode="json") if replay.as_of else None,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _row(entry: TimelineEntry, hashes: dict[int, str]) -> dict[str, Any]:
    return {
        "sequence": entry.sequence,
        "occurred_at": entry.occurred_at.isoformat(),
        "kind": entry.kind.value,
        "actor": entry.actor,
        "summary": entry.summary,
        "detail": entry.detail,
        "hash": hashes.get(entry.sequence),
    }


def to_csv(replay: IncidentReplay) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["sequence", "occurred_at", "kind", "actor", "summary", "detail", "hash"])
    for entry in replay.entries:
        row = _row(entry, replay.hashes)
        writer.writerow(
            [
                row["sequence"],
                row["occurred_at"],
                row["kind"],
                _spreadsheet_safe(row["actor"]),
                _spreadsheet_safe(row["summary"]),
                json.dumps(row["detail"], ensure_ascii=False),
                row["hash"] or "",
            ]
        )
    return buffer.getvalue()


def _spreadsheet_safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_templates.filters["uk_time"] = lambda moment: uk_time(moment, seconds=True)
_templates.filters["span"] = span


def to_html(replay: IncidentReplay, *, generated_at: datetime) -> str:
    return _templates.get_template("replay.html.j2").render(
        replay=replay,
        as_of_lines=_as_of_lines(replay.as_of) if replay.as_of else [],
        generated_at=generated_at,
    )
