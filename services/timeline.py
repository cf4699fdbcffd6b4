"""Writing and reading incident timelines."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from audit.hash_chain import GENESIS, anchor_of, event_hash
from audit.verify import Verification, verify
from domain.activity_contracts import IncidentProjection, TimelineBatch, TimelineEntry
from domain.vocabulary import EventKind
from models import AnnualReview, Authority, Incident, ObligationRecord, TimelineEvent
from runtime.database import insert_for, read_one_snapshot
from services.after_alarm_projection import project_after_alarm
from services.reporting import ensure_breach_record

#: Events whose read side is kept beside the timeline (`services.after_alarm_projection`).
AFTER_ALARM_KINDS = frozenset(
    {EventKind.EVIDENCE_ADDED, EventKind.STATEMENT_PUBLISHED, EventKind.STATEMENT_WITHDRAWN}
)


class ChainNotReady(RuntimeError):
    """The event before this batch is not recorded yet; the activity retries."""


def storable(text: str) -> str:
    """Text PostgreSQL can store: a NUL that got past validation must not stall a timeline."""
    return text.replace("\x00", "\ufffd").replace("\\u0000", "\\ufffd")


async def record_batch(batch: TimelineBatch, *, session: AsyncSession) -> None:
    """Append the batch's events and bring the incident's projection up to date.

    Safe to repeat: an event already recorded (same incident and sequence) is skipped, and the
    projection only moves forward, so a retried or late batch never rolls the incident back.
    Each event is hashed onto the one before it (see `audit.hash_chain`); the workflow records its
    batches one at a time, so the previous event is always there.
    """
    if not batch.entries:
        return
    recorded_at = datetime.now(UTC)
    entries = sorted(batch.entries, key=lambda entry: entry.sequence)
    previous_hash = await _hash_before(batch.incident_id, entries[0].sequence, session=session)
    rows = []
    for entry in entries:
        row = {
            "incident_id": batch.incident_id,
            "sequence": entry.sequence,
            "kind": entry.kind.value,
            "occurred_at": entry.occurred_at,
            "actor": storable(entry.actor)[:200],
            "summary": storable(entry.summary)[:1000],
            "detail": json.loads(storable(json.dumps(entry.detail))),
            "recorded_at": recorded_at,
            "previous_hash": previous_hash,
        }
        row["hash"] = previous_hash = event_hash(
            previous_hash=previous_hash,
            incident_id=row["incident_id"],
            sequence=row["sequence"],
            kind=row["kind"],
            occurred_at=row["occurred_at"],
            actor=row["actor"],
            summary=row["summary"],
            detail=row["detail"],
        )
        rows.append(row)
    dialect_insert = insert_for(session)
    statement = dialect_insert(TimelineEvent).on_conflict_do_nothing(
        index_elements=["incident_id", "sequence"]
    )
    await session.exec(statement, params=rows)
    last = max(entry.sequence for entry in batch.entries)
    projection = batch.projection
    newest = update(Incident).where(
        col(Incident.id) == batch.incident_id, col(Incident.last_event_sequence) < last
    )
    if projection is None:  # after closure: the incident's facts no longer change
        await session.exec(newest.values(last_event_sequence=last))
    else:
        result = await session.exec(
            newest.values(
                stage=projection.stage,
                category=projection.category,
                significant=projection.significant,
                personal_data=projection.personal_data,
                ncsc_reference=projection.ncsc_reference,
                personal_data_risk=projection.personal_data_risk,
                email_compromised=projection.email_compromised,
                closed_at=projection.closed_at,
                awaiting_acknowledgement=projection.awaiting_acknowledgement,
                acknowledgement_requested_at=projection.acknowledgement_requested_at,
                first_acknowledged_at=projection.first_acknowledged_at,
                last_event_sequence=last,
            )
        )
        if result.rowcount:  # this batch is the newest: bring the read side up to it
            await _project_obligations(batch, projection, session)
            await _project_breach(batch, projection, session)
    await _after_alarm(batch, session)
    await session.commit()


async def _hash_before(incident_id: str, sequence: int, *, session: AsyncSession) -> str:
    """The link the event at `sequence` hangs from: the previous event, or for the first
    event the incident's anchor (made now, linking it to the authority's previous incident)."""
    if sequence > 1:
        previous = (
            await session.exec(
                select(TimelineEvent.hash).where(
                    TimelineEvent.incident_id == incident_id,
                    TimelineEvent.sequence == sequence - 1,
                )
            )
        ).first()
        if previous is None:
            raise ChainNotReady(f"event {sequence - 1} of incident {incident_id} is not recorded")
        return previous
    incident = await session.get(Incident, incident_id)
    if incident is None:
        raise ChainNotReady(f"incident {incident_id} has no row")
    if incident.anchor is not None:
        return incident.anchor
    return await join_authority_chain(incident, anchor_of, session=session)


_Chained = TypeVar("_Chained", Incident, AnnualReview)


class _Anchor(Protocol):
    """Seals a row as opened onto the anchor before it (`anchor_of`, `anchor_of_review`)."""

    def __call__(self, row: Any, /, *, previous_anchor: str, position: int) -> str: ...


async def join_authority_chain(row: _Chained, anchor: _Anchor, *, session: AsyncSession) -> str:
    """Place an incident or an annual review at the head of its authority's chain of them, and
    return its anchor (flushed, not committed).

    Incidents and reviews each form one chain per authority, joined the same way: one row at a
    time, under a lock on the authority's row, reading the row again afterwards since an
    overlapping attempt (a retried activity) may have anchored it meanwhile.

    The lock is PostgreSQL's FOR NO KEY UPDATE: it keeps two joins apart, but not a row being
    inserted that refers to the authority (a statement drafted, a supplier registered), whose
    foreign key takes a KEY SHARE lock. FOR UPDATE would make that insert wait, holding its
    lock on the incident, while this transaction waits for the incident's row: a deadlock.
    """
    await session.exec(
        select(Authority.id).where(Authority.id == row.authority_id).with_for_update(key_share=True)
    )
    await session.refresh(row)
    if row.anchor is not None:
        return row.anchor
    table = type(row)
    head = (
        await session.exec(
            select(table.chain_position, table.anchor)
            .where(
                table.authority_id == row.authority_id,
                col(table.chain_position).is_not(None),
            )
            .order_by(col(table.chain_position).desc())
            .limit(1)
        )
    ).first()
    position, previous_anchor = 1, GENESIS
    if head is not None:
        last_position, last_anchor = head
        assert last_position is not None and last_anchor is not None, "anchored when positioned"
        position, previous_anchor = last_position + 1, last_anchor
    row.chain_position = position
    row.previous_anchor = previous_anchor
    row.anchor = anchor(row, previous_anchor=previous_anchor, position=position)
    session.add(row)
    await session.flush()
    return row.anchor


async def _after_alarm(batch: TimelineBatch, session: AsyncSession) -> None:
    kinds = {entry.kind for entry in batch.entries}
    if batch.review is None and not kinds & AFTER_ALARM_KINDS:
        return
    incident = await session.get(Incident, batch.incident_id)
    assert incident is not None, "the chain found the incident's row"
    await project_after_alarm(batch, authority_id=incident.authority_id, session=session)


async def _project_obligations(
    batch: TimelineBatch, projection: IncidentProjection, session: AsyncSession
) -> None:
    rows = [
        {
            "incident_id": batch.incident_id,
            "body": o.body.value,
            "state": o.state.value,
            "clock_started_at": o.clock_started_at,
            "deadline": o.deadline,
            "submitted_at": o.initial_submission.submitted_at if o.initial_submission else None,
            "reference": o.initial_submission.reference if o.initial_submission else None,
            "late": o.late,
            "waived_reason": o.waived_reason,
            "stages": [
                {
                    "stage": stage.key,
                    "deadline": stage.deadline.isoformat(),
                    "submitted_at": stage.submitted_at.isoformat() if stage.submitted_at else None,
                    "late": stage.late,
                }
                for stage in o.stages
            ]
            or None,
            "updated_at": datetime.now(UTC),
        }
        for o in projection.obligations
        if o.rule is not None  # only obligations that have ever been required
    ]
    if not rows:
        return
    statement = insert_for(session)(ObligationRecord)
    await session.exec(
        statement.on_conflict_do_update(
            index_elements=["incident_id", "body"],
            set_={
                column: statement.excluded[column]
                for column in (
                    "state",
                    "clock_started_at",
                    "deadline",
                    "submitted_at",
                    "reference",
                    "late",
                    "waived_reason",
                    "stages",
                    "updated_at",
                )
            },
        ),
        params=rows,
    )


async def _project_breach(
    batch: TimelineBatch, projection: IncidentProjection, session: AsyncSession
) -> None:
    """Every breach is in the register, reported or not (UK GDPR Art 33(5))."""
    decision = projection.ico_decision
    if decision is None:
        return
    incident = await session.get(Incident, batch.incident_id)
    assert incident is not None
    record = await ensure_breach_record(batch.incident_id, incident.authority_id, session=session)
    risk = projection.personal_data_risk
    record.risk = risk.value if risk else "risk"
    record.ico_decision = decision.decision
    record.ico_decision_reason = decision.reason
    record.ico_decided_by = decision.decided_by
    record.ico_decided_at = decision.decided_at
    record.updated_at = datetime.now(UTC)
    session.add(record)


async def timeline_of(incident_id: str, *, session: AsyncSession) -> list[TimelineEvent]:
    return list(
        (
            await session.exec(
                select(TimelineEvent)
                .where(TimelineEvent.incident_id == incident_id)
                .order_by(col(TimelineEvent.sequence))
            )
        ).all()
    )


@dataclass(frozen=True)
class CheckedTimeline:
    """An incident, its events and the check of its hash chain, read as one moment left them."""

    incident: Incident
    authority: str
    events: list[TimelineEvent]
    chain: Verification


async def checked_timeline(incident_id: str, *, session: AsyncSession) -> CheckedTimeline:
    """Read the incident, its events and its link to the incident before it from one snapshot,
    and check the chain.

    The workflow writes the timeline while people read it. The incident's row, its events and
    its neighbour's anchor, each read after a different commit, would disagree, and an intact
    chain would be reported broken: a false tamper alarm. So the session's transaction ends
    here, and the next one reads one snapshot (`read_one_snapshot`); the incident is read again
    inside it.
    """
    await read_one_snapshot(session)
    incident = await session.get(Incident, incident_id, populate_existing=True)
    if incident is None:
        raise LookupError(f"no incident {incident_id}")
    authority = await session.get(Authority, incident.authority_id)
    return CheckedTimeline(
        incident=incident,
        authority=authority.code if authority else "",
        events=await timeline_of(incident_id, session=session),
        chain=await verify(session=session, incident=incident),
    )


def entry_of(event: TimelineEvent) -> TimelineEntry:
    """A stored event in the shape the workflow recorded it."""
    return TimelineEntry(
        sequence=event.sequence,
        kind=event.kind,
        occurred_at=event.occurred_at,
        actor=event.actor,
        summary=event.summary,
        detail=event.detail,
    )
