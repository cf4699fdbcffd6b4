"""What an authority's administrator changed: who, when and what, kept for auditors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from models.columns import UtcDateTime, utc_now


class AdministrationChange(SQLModel, table=True):
    """One change to an authority's members, escalation policy, reporting rules or users.

    Rows are only ever added; `changes` holds each field's value before and after (never a
    password or a token)."""

    __tablename__ = "administration_change"

    id: int | None = Field(default=None, primary_key=True)
    authority_id: int = Field(foreign_key="authority.id", index=True)
    actor_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor: str = Field(max_length=200)
    """The name of the person or token that made the change."""
    subject: str = Field(max_length=80)
    """What was changed: "member:executive", "policy", "reporting_rules", "user:12"."""
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    """Field name to `[before, after]`."""
    at: datetime = Field(default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False))
