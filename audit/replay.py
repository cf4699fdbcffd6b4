"""Rebuild an incident from its Temporal history, and check it three ways.

1. The human timeline comes from the history itself: every timeline batch the workflow handed
   to its recording activity, decoded with the product's data converter.
2. Temporal's `Replayer` runs the recorded history through the current workflow code, which
   proves that code still makes every decision the history records.
3. The history's timeline is compared with the database's, event by event: anything missing
   or different on either side is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from temporalio.api.enums.v1 import EventType
from temporalio.converter import DataConverter
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

from audit.hash_chain import timestamp
from audit.history import IncidentHistory
from domain.activity_contracts import RECORD_TIMELINE, TimelineBatch, TimelineEntry
from models import TimelineEvent
from services.timeline import storable
from workflows import IncidentWorkflow, PostIncidentWorkflow


@dataclass(frozen=True)
class HistoryTimeline:
    entries: list[TimelineEntry]
    """Every event whose recording completed, in timeline order."""
    pending: list[TimelineEntry]
    """Events handed to the recording activity that had not completed when the history ended."""
    started_at: datetime | None = None
    closed_at: datetime | None = None


@dataclass(frozen=True)
class ReplayCheck:
    runs: int
    events: int
    failures: list[str] = field(default_factory=list)

    @property
    def reproduced(self) -> bool:
        return not self.failures

    def __add__(self, other: ReplayCheck) -> ReplayCheck:
        """Two processes' checks as one: the incident's and its post-incident process's."""
        return ReplayCheck(
            runs=self.runs + other.runs,
            events=self.events + other.events,
            failures=[*self.failures, *other.failures],
        )


def joined(incident: HistoryTimeline, after: HistoryTimeline) -> HistoryTimeline:
    """The incident's timeline as its workflow recorded it, continued by what its
    post-incident process recorded after closure."""
    return HistoryTimeline(
        entries=[*incident.entries, *after.entries],
        pending=[*incident.pending, *after.pending],
        started_at=incident.started_at,
        closed_at=incident.closed_at,
    )


async def timeline_from_history(
    history: IncidentHistory, converter: DataConverter
) -> HistoryTimeline:
    scheduled: dict[tuple[int, int], TimelineBatch] = {}
    completed: set[tuple[int, int]] = set()
    started_at = closed_at = None
    for number, run in enumerate(history.runs):
        for event in run.events:
            kind = event.event_type
            if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED and started_at is None:
                started_at = event.event_time.ToDatetime(tzinfo=UTC)
            elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                attributes = event.activity_task_scheduled_event_attributes
                if attributes.activity_type.name == RECORD_TIMELINE:
                    [batch] = await converter.decode(
                        list(attributes.input.payloads), [TimelineBatch]
                    )
                    scheduled[(number, event.event_id)] = batch
            elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
                done = event.activity_task_completed_event_attributes
                completed.add((number, done.scheduled_event_id))
            elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
                closed_at = event.event_time.ToDatetime(tzinfo=UTC)
    entries: dict[int, TimelineEntry] = {}
    pending: dict[int, TimelineEntry] = {}
    for key, batch in scheduled.items():
        for entry in batch.entries:
            (entries if key in completed else pending)[entry.sequence] = entry
    for sequence in entries:
        pending.pop(sequence, None)
    return HistoryTimeline(
        entries=[entries[s] for s in sorted(entries)],
        pending=[pending[s] for s in sorted(pending)],
        started_at=started_at,
        closed_at=closed_at,
    )


async def replay_with_current_code(
    history: IncidentHistory, converter: DataConverter
) -> ReplayCheck:
    """Run every recorded run through today's workflow code; any divergence is a failure."""
    # Outside the sandbox: the live worker's sandbox already keeps the code deterministic, and
    # here it would only re-import the workflow for every run (a third of the replay's time).
    replayer = Replayer(
        workflows=[IncidentWorkflow, PostIncidentWorkflow],
        data_converter=converter,
        workflow_runner=UnsandboxedWorkflowRunner(),
    )
    failures = []
    for number, run in enumerate(history.runs, start=1):
        result = await replayer.replay_workflow(run, raise_on_replay_failure=False)
        if result.replay_failure is not None:
            failures.append(f"run {number} ({run.run_id}): {result.replay_failure}")
    return ReplayCheck(runs=len(history.runs), events=history.events, failures=failures)


def _comparable(sequence: int, kind: str, occurred_at: datetime, actor: str, summary: str):
    # Compared as stored: the database keeps the first 200/1000 characters, NUL replaced.
    return (sequence, kind, timestamp(occurred_at), storable(actor)[:200], storable(summary)[:1000])


def compare_with_database(
    recorded: HistoryTimeline, stored: list[TimelineEvent], *, up_to: int | None = None
) -> list[str]:
    """What one side has that the other lacks, or has differently, in an auditor's words;
    with `up_to`, only the events up to that position (those a history at hand recorded)."""
    if up_to is not None:
        stored = [event for event in stored if event.sequence <= up_to]
    in_history = {
        e.sequence: _comparable(e.sequence, e.kind.value, e.occurred_at, e.actor, e.summary)
        for e in recorded.entries
    }
    pending = {e.sequence for e in recorded.pending}
    in_database = {
        e.sequence: _comparable(e.sequence, str(e.kind), e.occurred_at, e.actor, e.summary)
        for e in stored
    }
    differences = []
    for sequence in sorted(in_history.keys() | in_database.keys()):
        mine, theirs = in_history.get(sequence), in_database.get(sequence)
        if theirs is None:
            differences.append(f"event #{sequence} is in the history but not in the database")
        elif mine is None:
            if sequence not in pending:
                differences.append(
                    f"event #{sequence} is in the database but the history never recorded it"
                )
        elif mine != theirs:
            fields = ("sequence", "kind", "time", "actor", "summary")
            changed = [name for name, a, b in zip(fields, mine, theirs, strict=True) if a != b]
            differences.append(
                f"event #{sequence} differs between history and database ({', '.join(changed)})"
            )
    return differences
