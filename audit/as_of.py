"""The state of an incident at any moment, rebuilt from its timeline alone.

An auditor asks "at 14:00 on Tuesday, who had acknowledged, and how long was left on the ICO
clock?". Folding the timeline's events up to that moment answers it from the same record
whether it came from the database, the live Temporal history or the archive.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from domain.activity_contracts import TimelineEntry
from domain.clock import SignedDuration
from domain.obligations import Body
from domain.vocabulary import Chain, EventKind, Stage


class ChainAsOf(BaseModel):
    chain: Chain
    level: int = 0
    asked: str | None = None
    """Who was last asked to acknowledge."""
    respond_by: datetime | None = None
    time_left: SignedDuration | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    unacknowledged: bool = False
    stopped_at: datetime | None = None
    """When closing the incident stopped the chain with nobody acknowledging."""


class ClockAsOf(BaseModel):
    body: Body
    state: str
    started_at: datetime | None = None
    deadline: datetime | None = None
    time_left: SignedDuration | None = None
    """Negative once the deadline has passed."""
    submitted_at: datetime | None = None
    reference: str | None = None
    late: bool = False
    waiting_stages: dict[str, datetime] = Field(default_factory=dict, exclude=True)
    """A staged report's stages not yet made, with their deadlines."""
    overdue_stages: set[str] = Field(default_factory=set, exclude=True)

    @property
    def running(self) -> bool:
        return self.state in ("due", "overdue")


class AcknowledgementAsOf(BaseModel):
    who: str
    at: datetime
    via: str | None = None


class IncidentAsOf(BaseModel):
    at: datetime
    events: int
    """How many timeline events had happened by then."""
    stage: Stage | None = None
    category: int | None = None
    significant: bool | None = None
    personal_data: bool | None = None
    chains: list[ChainAsOf]
    acknowledgements: list[AcknowledgementAsOf] = []
    clocks: list[ClockAsOf] = []


def state_as_of(entries: list[TimelineEntry], at: datetime) -> IncidentAsOf:
    """Fold every event that had happened by `at` (inclusive), in timeline order."""
    state = IncidentAsOf(at=at, events=0, chains=[ChainAsOf(chain=chain) for chain in Chain])
    clocks: dict[str, ClockAsOf] = {}
    for entry in sorted(entries, key=lambda e: e.sequence):
        if entry.occurred_at > at:
            break
        state.events += 1
        _apply(state, clocks, entry)
    order: list[str] = list(Body)  # the regime's order; a body this process does not know: last
    state.clocks = [
        clocks[body]
        for body in sorted(clocks, key=lambda b: order.index(b) if b in order else len(order))
    ]
    for chain in state.chains:
        if chain.respond_by is not None and chain.acknowledged_by is None:
            chain.time_left = chain.respond_by - at
    for clock in state.clocks:
        if clock.running and clock.deadline is not None:
            clock.time_left = clock.deadline - at
    return state


def _chain(state: IncidentAsOf, name: str | None) -> ChainAsOf | None:
    return next((c for c in state.chains if c.chain.value == name), None)


def _moment(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _name_in_summary(summary: str) -> str:
    """Older acknowledgements name the member only in their summary: "Name (role) acknowledged"."""
    return re.sub(r" \([^()]*\)$", "", summary.removesuffix(" acknowledged"))


def _advance(state: IncidentAsOf, stage: Stage) -> None:
    state.stage = stage if state.stage is None else state.stage.advance(stage)


def _apply(state: IncidentAsOf, clocks: dict[str, ClockAsOf], entry: TimelineEntry) -> None:
    detail, kind = entry.detail, entry.kind
    if kind in (EventKind.OPENED, EventKind.TRIAGED):
        _advance(state, Stage.DETECTED if kind is EventKind.OPENED else Stage.TRIAGED)
        state.category = detail.get("category", state.category)
        state.significant = detail.get("significant", state.significant)
        state.personal_data = detail.get("personal_data", state.personal_data)
    elif kind is EventKind.REASSESSED:
        after = detail.get("after", {})
        for field in ("category", "significant", "personal_data"):
            if field in after:
                setattr(state, field, after[field])
    elif kind in (
        EventKind.ACKNOWLEDGEMENT_REQUESTED,
        EventKind.ESCALATED,
        EventKind.REMINDER_SENT,
    ):
        _advance(state, Stage.NOTIFYING)
        if chain := _chain(state, detail.get("chain")):
            chain.level = detail.get("level", chain.level)
            chain.asked = detail.get("name") or chain.asked
            chain.respond_by = _moment(detail.get("respond_by"))
    elif kind is EventKind.UNACKNOWLEDGED:
        if chain := _chain(state, detail.get("chain")):
            chain.unacknowledged, chain.respond_by = True, None
    elif kind is EventKind.ESCALATION_STOPPED:
        if chain := _chain(state, detail.get("chain")):
            chain.stopped_at, chain.respond_by = entry.occurred_at, None
    elif kind is EventKind.ACKNOWLEDGED:
        who = detail.get("name") or _name_in_summary(entry.summary)
        state.acknowledgements.append(
            AcknowledgementAsOf(who=who, at=entry.occurred_at, via=detail.get("via"))
        )
        for name in detail.get("chains", []):
            if chain := _chain(state, name):
                chain.acknowledged_by, chain.acknowledged_at = who, entry.occurred_at
                chain.respond_by = None
        if all(c.acknowledged_by for c in state.chains):
            _advance(state, Stage.ACKNOWLEDGED)
    elif kind in (EventKind.CONTAINED, EventKind.RECOVERED, EventKind.CLOSED):
        _advance(state, Stage(kind.value))
        if kind is EventKind.CLOSED:
            for chain in state.chains:
                chain.respond_by = None
    elif (body := detail.get("body")) is not None:
        _apply_to_clock(clocks, Body(body), entry)
        if kind is EventKind.OBLIGATION_DUE:
            _advance(state, Stage.REPORTING)


def _apply_to_clock(clocks: dict[str, ClockAsOf], body: Body, entry: TimelineEntry) -> None:
    detail, kind = entry.detail, entry.kind
    clock = clocks.setdefault(body, ClockAsOf(body=body, state="not_required"))
    if kind is EventKind.OBLIGATION_DUE:
        clock.state = "due"
        clock.started_at = _moment(detail.get("clock_started_at"))
        clock.deadline = _moment(detail.get("deadline"))
        clock.submitted_at, clock.reference, clock.late = None, None, False
        clock.overdue_stages = set()
        clock.waiting_stages = {
            stage["stage"]: deadline
            for stage in detail.get("stages") or []
            if (deadline := _moment(stage.get("deadline"))) is not None
        }
    elif kind is EventKind.OBLIGATION_OVERDUE:
        clock.state = "overdue"
        if detail.get("stage"):
            clock.overdue_stages.add(detail["stage"])
    elif kind is EventKind.OBLIGATION_SUBMITTED and detail.get("stage") in clock.waiting_stages:
        # One stage of a staged report: the first one made is the report's evidence; the
        # report is made once every stage is, and is due by its next stage's deadline.
        clock.waiting_stages.pop(detail["stage"])
        if clock.submitted_at is None:
            clock.submitted_at = _moment(detail.get("submitted_at")) or entry.occurred_at
            clock.reference = detail.get("reference")
        clock.late = clock.late or bool(detail.get("late"))
        clock.overdue_stages.discard(detail["stage"])
        if clock.waiting_stages:
            clock.deadline = min(clock.waiting_stages.values())
            clock.state = "overdue" if clock.overdue_stages else "due"
        else:
            clock.state = "submitted"
    elif kind is EventKind.OBLIGATION_SUBMITTED and detail.get("phase", "initial") == "initial":
        clock.state = "submitted"
        clock.submitted_at = _moment(detail.get("submitted_at")) or entry.occurred_at
        clock.reference = detail.get("reference")
        clock.late = bool(detail.get("late"))
    elif kind is EventKind.OBLIGATION_WAIVED:
        clock.state = "waived"
    elif kind in (EventKind.OBLIGATION_NOT_REQUIRED, EventKind.OBLIGATION_REOPENED):
        clock.state = "not_required"
