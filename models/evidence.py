"""Evidence kept about incidents, and every download of it.

`EvidenceFile` rows are the read side of the timeline's `evidence_added` events, written when
the event is recorded (`services.after_alarm_projection`), so a file is listed exactly when the
hash chain covers it. The bytes are in the evidence store under `storage_key`, encrypted.
`EvidenceDownload` is written by the web app for each file or bundle handed to someone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel

from models.columns import UtcDateTime, utc_now


class EvidenceFile(SQLModel, table=True):
    __tablename__ = "evidence_file"

    id: str = Field(primary_key=True, max_length=64)
    incident_id: str = Field(foreign_key="incident.id", max_length=36, index=True)
    sequence: int
    """The timeline event that recorded it."""
    name: str = Field(max_length=255)
    content_type: str = Field(max_length=255)
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=500)
    key_id: str | None = Field(default=None, max_length=64)
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    uploaded_by: str = Field(max_length=200)
    uploaded_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))


class EvidenceDownload(SQLModel, table=True):
    """One file, or one bundle (`file_id` null), given to one person."""

    __tablename__ = "evidence_download"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", max_length=36, index=True)
    file_id: str | None = Field(default=None, max_length=64)
    downloaded_by: str = Field(max_length=200)
    downloaded_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False)
    )
