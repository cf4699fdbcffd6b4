"""Every message Concordat has sent, on every channel, keyed so that a retried send is never
a second message; the codes texts carry for acknowledging by reply; the texts received."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from domain.channels import Channel
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
    channel: Channel = Field(default=Channel.EMAIL, sa_column=enum_column(Channel))
    provider_id: str | None = Field(default=None, max_length=64, index=True)
    """The message's id at GOV.UK Notify, which its delivery receipts quote."""
    delivery_status: str | None = Field(default=None, max_length=40)
    """The last delivery receipt: delivered, permanent-failure, temporary-failure, ..."""
    delivered_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime, nullable=True)
    )


class SmsAckCode(SQLModel, table=True):
    """A code a text carries so that its member can acknowledge by replying with it.

    Bound to one incident, one member and the number the text went to; it works once and
    expires. Codes are unique per number, so a reply names exactly one of them.
    """

    __tablename__ = "sms_ack_code"
    __table_args__ = (UniqueConstraint("mobile", "code", name="uq_sms_ack_code_mobile_code"),)

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=300, unique=True)
    """The text's own key: a retried send finds the code it issued before."""
    incident_id: str = Field(foreign_key="incident.id", index=True, max_length=36)
    member_id: int
    mobile: str = Field(max_length=20)
    code: str = Field(max_length=12)
    created_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False)
    )
    expires_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))


class ReceivedText(SQLModel, table=True):
    """Every text received through GOV.UK Notify, once, with what it did: the proof of who
    acknowledged by text, and of the replies that acknowledged nothing."""

    __tablename__ = "received_text"

    id: int | None = Field(default=None, primary_key=True)
    notify_id: str = Field(max_length=64, unique=True)
    source_number: str = Field(max_length=20)
    content: str = Field(max_length=1000)
    received_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    outcome: str = Field(max_length=40)
    """acknowledged, or why not: no_code, unknown_number, wrong_code, used, expired, refused."""
    incident_id: str | None = Field(default=None, max_length=36, index=True)
    member_id: int | None = None
    handled_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False)
    )
