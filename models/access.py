"""People, their roles, and their API tokens.

Only hashes are stored: argon2 for passwords, SHA-256 for tokens (256 random bits each), so a
database dump yields no way in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from domain.access import AccessRole, TokenScope
from domain.suppliers import NORMALISED_LENGTH
from domain.vocabulary import Language, MemberRole
from models.columns import UtcDateTime, enum_column, utc_now


class User(SQLModel, table=True):
    """A person who signs in: an on-call officer, a named member, an administrator, an auditor
    or one of the central team."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)
    """Stored in lower case; the sign-in name."""
    name: str = Field(max_length=200)
    password_hash: str = Field(max_length=200)
    role: AccessRole = Field(sa_column=enum_column(AccessRole))
    authority_id: int | None = Field(default=None, foreign_key="authority.id")
    """The authority they belong to; empty for the central team and national auditors."""
    all_authorities: bool = False
    """An auditor of every authority, said explicitly (see `ApiToken.all_authorities`)."""
    member_role: MemberRole | None = Field(
        default=None, sa_column=enum_column(MemberRole, nullable=True)
    )
    """For a responsible member: the role they hold, whose acknowledgements are theirs."""
    language: Language = Field(
        default=Language.UNKNOWN, sa_column=enum_column(Language, nullable=False)
    )
    """The language their pages are shown in; unknown until they choose (Welsh first)."""
    session_epoch: int = 0
    """Raised at sign-out: every session cookie carrying an older value stops working."""
    failed_sign_ins: int = 0
    locked_until: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime, nullable=True)
    )
    last_sign_in_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime, nullable=True)
    )
    created_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False)
    )
    disabled_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))


class UserGrant(SQLModel, table=True):
    """An authority whose incidents an auditor may read."""

    __tablename__ = "user_grant"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    authority_id: int = Field(foreign_key="authority.id", primary_key=True)


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    """Who holds it (a person or a system); recorded as the actor of what it does."""
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    """A person's own token acts as them, with their role and authority; a token without a
    user is a system's, with the role and authority below."""
    scope: TokenScope = Field(default=TokenScope.WRITE, sa_column=enum_column(TokenScope))
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
    supplier: str | None = Field(default=None, max_length=NORMALISED_LENGTH)
    """A supplier's own token (role supplier): the supplier's normalised name
    (`domain.suppliers.normalised_name`). It sends notices to the councils that have the
    supplier on their register, and reads what it sent; nothing else."""


class ApiTokenGrant(SQLModel, table=True):
    """An authority whose incidents an auditor's token may read."""

    __tablename__ = "api_token_grant"

    token_id: int = Field(foreign_key="api_token.id", primary_key=True)
    authority_id: int = Field(foreign_key="authority.id", primary_key=True)


class UsedAckLink(SQLModel, table=True):
    """An acknowledge link that has done its one job; a second use is refused."""

    __tablename__ = "used_ack_link"

    digest: str = Field(primary_key=True, max_length=64)
    """SHA-256 of the link's token: the token itself is not kept."""
    incident_id: str = Field(foreign_key="incident.id", max_length=36)
    used_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False)
    )
