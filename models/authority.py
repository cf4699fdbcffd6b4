"""Authorities, their named responsible members and their escalation policy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from domain.vocabulary import Language, MemberRole
from models.columns import UtcDateTime, enum_column, utc_now


class Authority(SQLModel, table=True):
    """One of the 22 principal councils of Wales (or another body added later)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=8, unique=True, index=True)
    """Short code that prefixes incident references, e.g. CDF in CDF-2026-0001."""
    name_en: str = Field(max_length=200)
    name_cy: str = Field(max_length=200)
    ncsc_contact_email: str | None = Field(default=None, max_length=320)
    """An address on a system the incident cannot have compromised (the NCSC asks for one)."""


class ResponsibleMember(SQLModel, table=True):
    """A person the authority has named in a role (Concordat commitment c and its deputies)."""

    __tablename__ = "responsible_member"

    __table_args__ = (UniqueConstraint("authority_id", "role", name="uq_member_authority_role"),)

    id: int | None = Field(default=None, primary_key=True)
    authority_id: int = Field(foreign_key="authority.id", index=True)
    role: MemberRole = Field(sa_column=enum_column(MemberRole))
    name: str = Field(max_length=200)
    work_email: str = Field(max_length=320)
    out_of_band_email: str | None = Field(default=None, max_length=320)
    """A personal address outside the council's mail, used when its email may be compromised."""
    phone: str | None = Field(default=None, max_length=40)
    """For the on-call officer to ring when email cannot be trusted."""
    mobile: str | None = Field(default=None, max_length=20)
    """A UK mobile number in E.164 form (+447...), for texts through GOV.UK Notify."""
    language: Language = Field(default=Language.UNKNOWN, sa_column=enum_column(Language))
    updated_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False)
    )


class EscalationTimings(SQLModel):
    """Escalation timings an authority may set; absent fields keep what it had, or fall back
    to the national default."""

    ack_timeout_category_1_3_seconds: int | None = Field(default=None, gt=0)
    ack_timeout_category_4_seconds: int | None = Field(default=None, gt=0)
    ack_timeout_category_5_6_seconds: int | None = Field(default=None, gt=0)
    reminders_before_escalation: int | None = Field(default=None, ge=0)
    delivery_timeout_seconds: int | None = Field(default=None, gt=0)


class EscalationPolicyOverride(EscalationTimings, table=True):
    """An authority's own escalation timings; absent fields fall back to the national default."""

    __tablename__ = "escalation_policy_override"

    authority_id: int = Field(foreign_key="authority.id", primary_key=True)
    channel_plan: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    """The channels each step uses per band of categories (`domain.channels.ChannelPlan`);
    absent, the national plan."""
