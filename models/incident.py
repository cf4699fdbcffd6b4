"""Incidents as the read side sees them; the running workflow is the source of truth."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from domain.obligations import PersonalDataRisk
from domain.vocabulary import IncidentType, NcscCategory, Stage, Tlp
from models.columns import CategoryType, UtcDateTime, enum_column, utc_now


class Incident(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("authority_id", "year", "number", name="uq_incident_number"),
        UniqueConstraint("authority_id", "idempotency_key", name="uq_incident_idempotency_key"),
        UniqueConstraint("authority_id", "chain_position", name="uq_incident_chain_position"),
    )

    id: str = Field(primary_key=True, max_length=36)
    authority_id: int = Field(foreign_key="authority.id", index=True)
    reference: str = Field(max_length=32, unique=True)
    year: int
    number: int
    workflow_id: str = Field(max_length=64, unique=True)
    title: str = Field(max_length=200)
    description: str = Field(sa_column=Column(Text, nullable=False))
    incident_type: IncidentType = Field(sa_column=enum_column(IncidentType))
    category: NcscCategory = Field(sa_column=Column(CategoryType, nullable=False))
    significant: bool = False
    personal_data: bool = False
    personal_data_risk: PersonalDataRisk | None = Field(
        default=None, sa_column=enum_column(PersonalDataRisk, nullable=True)
    )
    email_compromised: bool = False
    """As reported; a reassessment may change it (the workflow's state is the live value)."""
    exercise: bool = Field(default=False, index=True)
    """Exercises run like real incidents but are left out of statistics."""
    tlp: Tlp = Field(sa_column=enum_column(Tlp))
    detected_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    aware_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    reporter_name: str = Field(max_length=200)
    reporter_email: str = Field(max_length=320)
    opened_by: str = Field(max_length=200)
    """The credential that opened it (an API token's name): who, not which process."""
    stage: Stage = Field(default=Stage.DETECTED, sa_column=enum_column(Stage, index=True))
    ncsc_reference: str | None = Field(default=None, max_length=64)
    closed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
    awaiting_acknowledgement: int = 0
    """Chains whose members have been asked and none has yet acknowledged (0, 1 or 2)."""
    acknowledgement_requested_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime, nullable=True)
    )
    """When the first member was first asked to acknowledge."""
    first_acknowledged_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime, nullable=True)
    )
    """When the first member acknowledged: the national figures' time to acknowledge."""
    last_event_sequence: int = 0
    """The timeline position the fields above reflect; older batches never overwrite newer."""
    idempotency_key: str | None = Field(default=None, max_length=200)
    request_fingerprint: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False)
    )
    chain_position: int | None = None
    """Place in the authority's chain of incidents, given when its first event is recorded;
    an incident whose workflow never started is never linked in."""
    previous_anchor: str | None = Field(default=None, max_length=64)
    anchor: str | None = Field(default=None, max_length=64)
    """Seals the report as opened and links it to the authority's previous incident."""
    origin: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    """The supplier notice it was opened from (`domain.incident.IncidentOrigin`), if any."""


class IncidentReferenceCounter(SQLModel, table=True):
    """The last incident number used by an authority in a year: CDF-2026-0001, -0002, ..."""

    __tablename__ = "incident_reference_counter"

    authority_id: int = Field(foreign_key="authority.id", primary_key=True)
    year: int = Field(primary_key=True)
    last_number: int = 0
