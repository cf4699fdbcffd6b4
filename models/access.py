"""API access tokens. Only a hash is stored: a database dump yields no usable token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from domain.access import AccessRole
from models.columns import UtcDateTime, enum_column, utc_now


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    """Who holds it (a person or a system); recorded as the actor of what it does."""
    token_hash: str = Field(max_length=64, unique=True)
    authority_id: int | None = Field(default=None, foreign_key="authority.id")
    """The authority it acts for; empty means every authority (the central team). An auditor
    reads this authority and those granted in `api_token_grant`."""
    role: AccessRole = Field(default=AccessRole.ON_CALL_OFFICER, sa_column=enum_column(AccessRole))
    all_authorities: bool = False
    """An auditor of every authority (the ICO, the Welsh Government): said explicitly, so that
    removing an auditor's last grant takes access away rather than widening it."""
    created_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False)
    )
    expires_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))


class ApiTokenGrant(SQLModel, table=True):
    """An authority whose incidents an auditor's token may read."""

    __tablename__ = "api_token_grant"

    token_id: int = Field(foreign_key="api_token.id", primary_key=True)
    authority_id: int = Field(foreign_key="authority.id", primary_key=True)
