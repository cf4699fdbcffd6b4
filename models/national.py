"""The central team's own records: who at the centre is told what, and the messages sent about
authorities (rather than incidents)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from domain.vocabulary import Language
from models.columns import UtcDateTime, enum_column, utc_now


class CentreRecipient(SQLModel, table=True):
    """One of the central team's duty recipients, and which incidents they are told of.

    The policy for the centre is this table: who, for which categories (and whether an incident
    marked significant counts whatever its category), on which channels."""

    __tablename__ = "centre_recipient"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    """The duty post's name ("Central team duty officer"), not necessarily a person's."""
    email: str | None = Field(default=None, max_length=320)
    mobile: str | None = Field(default=None, max_length=20)
    """A UK mobile number in E.164 form (+447...)."""
    language: Language = Field(default=Language.UNKNOWN, sa_column=enum_column(Language))
    categories: list[int] = Field(default_factory=lambda: [1, 2, 3], sa_column=Column(JSON))
    """NCSC categories whose incidents (opened, or reassessed into them) they are told of."""
    significant: bool = True
    """Also told when an incident of any category is marked significant."""
    channels: list[str] = Field(default_factory=lambda: ["email", "sms"], sa_column=Column(JSON))
    """`domain.channels.Channel` values; a channel without its detail or not set up is skipped."""
    active: bool = True
    created_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False)
    )


class NationalMessageRecord(SQLModel, table=True):
    """One message about an authority to one recipient: sent at most once per key."""

    __tablename__ = "national_message"

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=300, unique=True)
    """The message's key and the recipient's: `<message key>:<recipient>`."""
    authority_id: int = Field(foreign_key="authority.id", index=True)
    kind: str = Field(max_length=40)
    recipient: str = Field(max_length=320)
    language: str = Field(max_length=8)
    message_id: str = Field(max_length=200)
    sent_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
    created_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False)
    )
