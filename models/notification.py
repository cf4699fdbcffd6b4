"""Every email Concordat has sent, keyed so that a retried send is never a second email."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from domain.vocabulary import NotificationKind
from models.columns import UtcDateTime, enum_column, utc_now


class DeliveryStatus(StrEnum):
    SENDING = "sending"
    SENT = "sent"
    REJECTED = "rejected"


class SentNotification(SQLModel, table=True):
    __tablename__ = "sent_notification"

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=300, unique=True)
    incident_id: str = Field(foreign_key="incident.id", index=True, max_length=36)
    kind: NotificationKind = Field(sa_column=enum_column(NotificationKind))
    member_id: int | None = None
    recipient: str = Field(max_length=320)
    language: str = Field(max_length=8)
    message_id: str = Field(max_length=200)
    status: DeliveryStatus = Field(
        default=DeliveryStatus.SENDING, sa_column=enum_column(DeliveryStatus)
    )
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False)
    )
    sent_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
