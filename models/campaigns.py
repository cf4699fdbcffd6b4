"""Campaigns the central team coordinates, and the incidents linked into each.

A link row says an incident is in a campaign now; the story of when it was linked and by whom
is on the incident's own timeline, which its workflow writes (`workflows.incident`). Closing a
campaign is the central team's own record, kept on the campaign's row (`closed_at`,
`closed_by`), and cleared again if it is reopened.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from domain.vocabulary import Tlp
from models.columns import UtcDateTime, enum_column, utc_now


class Campaign(SQLModel, table=True):
    """One attack on several councils: a supplier compromised, a phishing wave."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    tlp: Tlp = Field(sa_column=enum_column(Tlp))
    """How far the campaign's name and note may go (`domain.campaigns`)."""
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False)
    )
    closed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
    """When the central team closed it; null while it is open."""
    closed_by: str | None = Field(default=None, max_length=200)
    """The person at the central team who closed it."""


class CampaignIncident(SQLModel, table=True):
    """An incident linked into a campaign; an incident is linked into a campaign at most once."""

    __tablename__ = "campaign_incident"

    campaign_id: int = Field(foreign_key="campaign.id", primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", primary_key=True, max_length=36, index=True)
    linked_by: str = Field(max_length=200)
    linked_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False)
    )
