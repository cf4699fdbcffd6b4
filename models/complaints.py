"""Data-protection complaints, each with the state its clock last recorded.

A complaint holds no personal data: what it is about, how and when it arrived, and what became
of it. The complainant's name and contact details stay in the council's own case file; the
summary is written without them. The acknowledgement, the outcome and the escalation are
written by the complaint's clock (`workflows.complaint`) and never unset."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from domain.complaints import ComplaintChannel, ComplaintOutcome
from models.columns import UtcDateTime, enum_column, utc_now


class Complaint(SQLModel, table=True):
    """One data-protection complaint to one authority."""

    __tablename__ = "complaint"

    id: str = Field(primary_key=True, max_length=36)
    """A UUID: the clock's workflow id is derived from it (`complaint-<id>`)."""
    authority_id: int = Field(foreign_key="authority.id", index=True)
    reference: str = Field(max_length=40, unique=True)
    """CMP-CDF-2026-0001: the authority's complaints numbered by year, like its incidents."""
    year: int
    number: int
    received_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    received_how: ComplaintChannel = Field(sa_column=enum_column(ComplaintChannel))
    summary: str = Field(sa_column=Column(Text, nullable=False))
    breach_record_id: int | None = Field(default=None, foreign_key="breach_record.id", index=True)
    """The entry of the same authority's breach register the complaint is about, if any."""
    acknowledge_by: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    """`received_at` and the window in force when it was recorded, as its clock was told."""
    acknowledged_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime, nullable=True)
    )
    acknowledged_by: str | None = Field(default=None, max_length=200)
    acknowledged_how: ComplaintChannel | None = Field(
        default=None, sa_column=enum_column(ComplaintChannel, nullable=True)
    )
    outcome: ComplaintOutcome | None = Field(
        default=None, sa_column=enum_column(ComplaintOutcome, nullable=True)
    )
    outcome_reasons: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    outcome_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
    outcome_by: str | None = Field(default=None, max_length=200)
    escalated_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime, nullable=True)
    )
    """When the acknowledgement became overdue and the named members were told."""
    clock_started_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime, nullable=True)
    )
    """Set by the clock's first step: a complaint without it is started again (repair)."""
    recorded_by: str = Field(max_length=200)
    created_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False)
    )


class ComplaintReferenceCounter(SQLModel, table=True):
    """The last complaint number used by an authority in a year: CMP-CDF-2026-0001, -0002."""

    __tablename__ = "complaint_reference_counter"

    authority_id: int = Field(foreign_key="authority.id", primary_key=True)
    year: int = Field(primary_key=True)
    last_number: int = 0
