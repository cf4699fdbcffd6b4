"""Closed incidents' Temporal histories, kept after the server's retention period ends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from models.columns import UtcDateTime, utc_now


class HistoryArchive(SQLModel, table=True):
    """Every run of an incident's workflow, as the server recorded it, compressed.

    Written once when the workflow has closed; like the timeline, never updated or deleted.
    """

    __tablename__ = "history_archive"

    incident_id: str = Field(foreign_key="incident.id", primary_key=True, max_length=36)
    workflow_id: str = Field(max_length=64)
    runs: int
    events: int
    sha256: str = Field(max_length=64)
    """Digest of the uncompressed JSON, so a damaged archive is recognised before replay."""
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    """gzip of `{"workflow_id": ..., "runs": [<history JSON>, ...]}`, oldest run first."""
    archived_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False)
    )
