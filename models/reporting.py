"""Reporting obligations on the read side, their per-authority rules, and the breach register."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from domain.obligations import Body, ObligationState, Trigger
from domain.vocabulary import MemberRole
from models.columns import UtcDateTime, body_column, enum_column, utc_now


class ReportingRuleOverride(SQLModel, table=True):
    """An authority's own rule for one body; empty fields keep the national default."""

    __tablename__ = "reporting_rule_override"

    authority_id: int = Field(foreign_key="authority.id", primary_key=True)
    body: Body = Field(sa_column=body_column(primary_key=True))
    enabled: bool | None = None
    trigger: Trigger | None = Field(default=None, sa_column=enum_column(Trigger, nullable=True))
    window_seconds: int | None = Field(default=None, gt=0)
    reminder_offsets_seconds: list[int] | None = Field(default=None, sa_column=Column(JSON))
    owner: MemberRole | None = Field(default=None, sa_column=enum_column(MemberRole, nullable=True))
    notify_address: str | None = Field(default=None, max_length=320)


class ReportingRegimeRecord(SQLModel, table=True):
    """A regime file as it was imported: the latest is in force. The text is kept whole, so
    what any clock started from can be read again and compared with the next import."""

    __tablename__ = "reporting_regime"

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(max_length=40)
    sha256: str = Field(max_length=64)
    source: str = Field(sa_column=Column(Text, nullable=False))
    file_name: str = Field(max_length=300)
    imported_by: str = Field(max_length=200)
    imported_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False)
    )


class ObligationRecord(SQLModel, table=True):
    """Where each obligation of each incident stands, kept current from the workflow."""

    __tablename__ = "obligation"
    __table_args__ = (UniqueConstraint("incident_id", "body", name="uq_obligation_incident_body"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", index=True, max_length=36)
    body: Body = Field(sa_column=body_column())
    state: ObligationState = Field(sa_column=enum_column(ObligationState, index=True))
    clock_started_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime, nullable=True)
    )
    """When the reporting clock started: the national figures' time to report."""
    deadline: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
    submitted_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime, nullable=True)
    )
    reference: str | None = Field(default=None, max_length=64)
    late: bool = False
    waived_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    stages: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))
    """A staged report's stages: key, deadline, submitted_at and late, as the workflow keeps
    them (None for a report in one stage)."""
    updated_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False)
    )


class BreachRecord(SQLModel, table=True):
    """The authority's record of a personal-data breach, reported or not (UK GDPR Art 33(5))."""

    __tablename__ = "breach_record"

    id: int | None = Field(default=None, primary_key=True)
    authority_id: int = Field(foreign_key="authority.id", index=True)
    incident_id: str = Field(foreign_key="incident.id", unique=True, max_length=36)
    facts: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    effects: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    remedial_action: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    data_subject_categories: str | None = Field(default=None, max_length=1000)
    approximate_data_subjects: int | None = Field(default=None, ge=0, sa_type=BigInteger)
    record_categories: str | None = Field(default=None, max_length=1000)
    approximate_records: int | None = Field(default=None, ge=0, sa_type=BigInteger)
    likely_consequences: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    risk: str | None = Field(default=None, max_length=20)
    ico_decision: str | None = Field(default=None, max_length=20)
    """notified, not_notified or pending."""
    ico_decision_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    ico_decided_by: str | None = Field(default=None, max_length=200)
    ico_decided_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime, nullable=True)
    )
    created_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False)
    )
