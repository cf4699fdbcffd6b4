"""Public statements: drafts the council edits, and the versions it published.

A `PublicStatement` is the draft, written by the web app. Each `StatementVersion` is the read
side of a `statement_published` event on the incident's timeline (written when the event is
recorded), so the public page shows exactly what the hash chain proves was published.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from domain.vocabulary import Tlp
from models.columns import UtcDateTime, enum_column, utc_now


class PublicStatement(SQLModel, table=True):
    __tablename__ = "public_statement"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", max_length=36, index=True)
    authority_id: int = Field(foreign_key="authority.id", index=True)
    title_cy: str = Field(default="", max_length=200)
    title_en: str = Field(default="", max_length=200)
    text_cy: str = Field(default="", sa_column=Column(Text, nullable=False))
    text_en: str = Field(default="", sa_column=Column(Text, nullable=False))
    services: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    tlp: Tlp = Field(sa_column=enum_column(Tlp))
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False)
    )
    updated_by: str = Field(max_length=200)
    updated_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False)
    )


class StatementVersion(SQLModel, table=True):
    __tablename__ = "statement_version"

    statement_id: int = Field(foreign_key="public_statement.id", primary_key=True)
    version: int = Field(primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", max_length=36, index=True)
    authority_id: int = Field(foreign_key="authority.id", index=True)
    sequence: int
    """The timeline event that published it."""
    content: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    content_sha256: str = Field(max_length=64)
    tlp: Tlp = Field(sa_column=enum_column(Tlp))
    approver: str = Field(max_length=200)
    published_by: str = Field(max_length=200)
    published_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    withdrawn_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime, nullable=True)
    )
