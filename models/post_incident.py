"""The post-incident review and its actions, as the read side of the post-incident process.

Written with each timeline batch the process records (`services.after_alarm_projection`), from
the review as the workflow holds it; pages, figures and the lessons list read these rows.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from domain.post_incident import ActionState, ReviewStatus
from models.columns import UtcDateTime, enum_column


class IncidentReview(SQLModel, table=True):
    __tablename__ = "incident_review"

    incident_id: str = Field(foreign_key="incident.id", primary_key=True, max_length=36)
    authority_id: int = Field(foreign_key="authority.id", index=True)
    status: ReviewStatus = Field(sa_column=enum_column(ReviewStatus))
    owner_name: str = Field(max_length=200)
    owner_role: str | None = Field(default=None, max_length=64)
    owner_user_id: int | None = None
    started_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    due_on: date
    due_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    overdue_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
    root_cause: str = Field(default="", sa_column=Column(Text, nullable=False))
    went_well: str = Field(default="", sa_column=Column(Text, nullable=False))
    went_badly: str = Field(default="", sa_column=Column(Text, nullable=False))
    lessons: str = Field(default="", sa_column=Column(Text, nullable=False))
    commitments: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    signed_off_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime, nullable=True)
    )
    signed_off_by: str | None = Field(default=None, max_length=200)
    sign_off_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    sequence: int = 0
    """The last timeline event this row reflects: an older batch never overwrites a newer."""


class ReviewAction(SQLModel, table=True):
    __tablename__ = "review_action"

    incident_id: str = Field(foreign_key="incident.id", primary_key=True, max_length=36)
    number: int = Field(primary_key=True)
    authority_id: int = Field(foreign_key="authority.id", index=True)
    title: str = Field(max_length=500)
    owner_name: str = Field(max_length=200)
    owner_role: str | None = Field(default=None, max_length=64)
    owner_user_id: int | None = None
    due_on: date
    due_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    state: ActionState = Field(sa_column=enum_column(ActionState))
    added_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    added_by: str = Field(max_length=200)
    reminded_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
    escalated_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime, nullable=True)
    )
    closed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
    closed_by: str | None = Field(default=None, max_length=200)
    done_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    risk_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    done_in_time: bool | None = None
