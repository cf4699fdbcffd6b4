"""Writing and reading incident timelines."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.records import TimelineBatch
from models import Incident, TimelineEvent
from runtime.database import insert_for


def _storable(text: str) -> str:
    """Text PostgreSQL can store: a NUL that got past validation must not stall a timeline."""
    return text.replace("\x00", "\ufffd").replace("\\u0000", "\\ufffd")


async def record_batch(batch: TimelineBatch, *, session: AsyncSession) -> None:
    """Append the batch's events and bring the incident's projection up to date.

    Safe to repeat: an event already recorded (same incident and sequence) is skipped, and the
    projection only moves forward, so a retried or late batch never rolls the incident back.
    """
    if not batch.entries:
        return
    recorded_at = datetime.now(UTC)
    rows = [
        {
            "incident_id": batch.incident_id,
            "sequence": entry.sequence,
            "kind": entry.kind.value,
            "occurred_at": entry.occurred_at,
            "actor": _storable(entry.actor)[:200],
            "summary": _storable(entry.summary)[:1000],
            "detail": json.loads(_storable(json.dumps(entry.detail))),
            "recorded_at": recorded_at,
        }
        for entry in batch.entries
    ]
    dialect_insert = insert_for(session)
    statement = dialect_insert(TimelineEvent).on_conflict_do_nothing(
        index_elements=["incident_id", "sequence"]
    )
    await session.exec(statement, params=rows)
    last = max(entry.sequence for entry in batch.entries)
    projection = batch.projection
    await session.exec(
        update(Incident)
        .where(col(Incident.id) == batch.incident_id, col(Incident.last_event_sequence) < last)
        .values(
            stage=projection.stage,
            category=projection.category,
            significant=projection.significant,
            personal_data=projection.personal_data,
            ncsc_reference=projection.ncsc_reference,
            closed_at=projection.closed_at,
            last_event_sequence=last,
        )
    )
    await session.commit()


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
