"""The evidence each authority attests for the Concordat's commitments, and who attested it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from domain.commitments import Commitment
from models.columns import UtcDateTime, enum_column, utc_now


class CommitmentEvidence(SQLModel, table=True):
    """An authority's evidence for one attested commitment (a, b, d, e or f), as last attested.

    `evidence` is the commitment's own structure (`domain.commitments.EVIDENCE`), checked on
    the way in and read back through it. Each attestation replaces the row; what it replaced
    is kept in the administration history (`models.AdministrationChange`)."""

    __tablename__ = "commitment_evidence"

    authority_id: int = Field(foreign_key="authority.id", primary_key=True)
    commitment: Commitment = Field(sa_column=enum_column(Commitment, primary_key=True))
    evidence: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    attested_by: str = Field(max_length=200)
    """The name of the person (or token) who attested it."""
    attested_by_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    attested_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False)
    )
