"""The incident timeline: append-only, one row per thing that happened, hash-chained.

The database refuses to update or delete a row (triggers, and in PostgreSQL the application
role's grants); a correction is a new event that names the one it corrects. `audit.hash_chain`
explains the hashes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from domain.vocabulary import EventKind
from models.columns import UtcDateTime, enum_column, utc_now


class TimelineEvent(SQLModel, table=True):
    __tablename__ = "timeline_event"
    __table_args__ = (UniqueConstraint("incident_id", "sequence", name="uq_timeline_sequence"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", index=True, max_length=36)
    sequence: int
    """Assigned by the workflow; recording the same event twice is a no-op, not a second row."""
    kind: EventKind = Field(sa_column=enum_column(EventKind))
    occurred_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    """The workflow's clock at the moment it happened, not the moment it was written."""
    actor: str = Field(max_length=200)
    summary: str = Field(max_length=1000)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    recorded_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False)
    )
    previous_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    """SHA-256 of this event's content and `previous_hash` (see `audit.hash_chain`)."""
