"""The annual reviews: a read-side row per authority and year, and each review's append-only,
hash-chained record.

The record (`review_event`) is written only by the review workflow's activity, in the
workflow's order, and the database refuses to change or remove a row of it (triggers, and in
PostgreSQL the application role's grants). The row (`annual_review`) is what the pages and the
report read; it is brought up to date with every event, and anchors the review's chain to the
authority's previous review (see `audit.review_chain`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.columns import UtcDateTime, utc_now


class AnnualReview(SQLModel, table=True):
    __tablename__ = "annual_review"
    __table_args__ = (
        UniqueConstraint("authority_id", "year", name="uq_annual_review_year"),
        UniqueConstraint("authority_id", "chain_position", name="uq_annual_review_chain"),
    )

    id: int | None = Field(default=None, primary_key=True)
    authority_id: int = Field(foreign_key="authority.id", index=True)
    year: int = Field(index=True)
    """The review year (April to March) under review, by the year it starts in."""
    workflow_id: str = Field(max_length=100)
    state: str = Field(default="open", max_length=20, index=True)
    """`domain.reviews.ReviewState`."""
    opened_by: str = Field(max_length=200)
    opened_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    due_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    reminded_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    overdue_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    submissions: int = 0
    submitted_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    submitted_by: str | None = Field(default=None, max_length=200)
    statement: str | None = Field(default=None, sa_column=Column(Text))
    returned_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    returned_by: str | None = Field(default=None, max_length=200)
    comments: str | None = Field(default=None, sa_column=Column(Text))
    accepted_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    accepted_by: str | None = Field(default=None, max_length=200)
    snapshot: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))
    """Each commitment as accepted (`domain.reviews.CommitmentSnapshot`): the year's answer."""
    last_event_sequence: int = 0
    """The record's position the fields above reflect; an older event never overwrites them."""
    chain_position: int | None = None
    """This review's place in the authority's chain of reviews, given at its first event."""
    previous_anchor: str | None = Field(default=None, max_length=64)
    anchor: str | None = Field(default=None, max_length=64)
    """Seals the review as opened and links it to the authority's previous review."""
    created_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False)
    )


class ReviewEvent(SQLModel, table=True):
    """One thing that happened to a review, in the workflow's order; never changed."""

    __tablename__ = "review_event"
    __table_args__ = (UniqueConstraint("review_id", "sequence", name="uq_review_event_sequence"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="annual_review.id", index=True)
    authority_id: int = Field(foreign_key="authority.id")
    year: int
    sequence: int
    kind: str = Field(max_length=40)
    """`domain.reviews.ReviewEventKind`."""
    occurred_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    actor: str = Field(max_length=200)
    summary: str = Field(max_length=1000)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    recorded_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False)
    )
    previous_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    """SHA-256 of this event's content and `previous_hash` (see `audit.review_chain`)."""
