"""Supplier notices and each council's copy of one, with its triage.

One notice, many councils: a notice sent to several councils is one `SupplierNotice` row and one
`NoticeRecipient` row per council, written in one transaction. Each recipient's triage clock is
a workflow (`workflows.supplier_notice`); these rows are its read side, written by its
activities, and what the repair of clocks that never started reads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from domain.supplier_notices import NoticeChannel, TriageState
from domain.suppliers import NORMALISED_LENGTH
from models.columns import UtcDateTime, enum_column, utc_now


class SupplierNotice(SQLModel, table=True):
    """What a supplier said, how it arrived, and who recorded it."""

    __tablename__ = "supplier_notice"

    id: str = Field(primary_key=True, max_length=36)
    supplier_name: str = Field(max_length=NORMALISED_LENGTH, index=True)
    """The supplier's normalised name (`domain.suppliers.normalised_name`), shared by every
    council's register entry for it."""
    supplier_display_name: str = Field(max_length=200)
    channel: NoticeChannel = Field(sa_column=enum_column(NoticeChannel))
    subject: str = Field(max_length=200)
    text: str = Field(sa_column=Column(Text, nullable=False))
    supplier_reference: str | None = Field(default=None, max_length=100)
    detected_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
    """When the supplier detected it, if it said."""
    received_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    recorded_by: str = Field(max_length=200)
    """The supplier's token's name, the officer, or the email import."""
    recorded_by_token_id: int | None = Field(default=None, foreign_key="api_token.id")
    recorded_by_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    sender: str | None = Field(default=None, max_length=320)
    """The address an imported email came from."""
    idempotency_key: str | None = Field(default=None, max_length=400, unique=True)
    """A repeated submission (the same Idempotency-Key, the same email's Message-ID) finds the
    notice the first one made."""
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id")
    """The campaign the central team made of it."""
    created_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False)
    )


class NoticeRecipient(SQLModel, table=True):
    """One council's copy of a notice: its register entry for the supplier, and its triage."""

    __tablename__ = "supplier_notice_recipient"
    __table_args__ = (
        UniqueConstraint("notice_id", "authority_id", name="uq_notice_recipient_authority"),
    )

    id: int | None = Field(default=None, primary_key=True)
    notice_id: str = Field(foreign_key="supplier_notice.id", max_length=36, index=True)
    authority_id: int = Field(foreign_key="authority.id", index=True)
    supplier_id: int = Field(foreign_key="supplier.id")
    """The council's own register entry for the supplier."""
    state: TriageState = Field(
        default=TriageState.UNTRIAGED, sa_column=enum_column(TriageState, index=True)
    )
    window_minutes: int
    due_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    clock_started_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime, nullable=True)
    )
    """Set by the clock's first step; a notice without it is repaired (started again)."""
    reminded_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
    escalated_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime, nullable=True)
    )
    triaged_by: str | None = Field(default=None, max_length=200)
    triaged_by_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    triaged_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
    incident_id: str | None = Field(default=None, foreign_key="incident.id", max_length=36)
    dismissal_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False)
    )
