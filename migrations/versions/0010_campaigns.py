"""Campaigns: incidents of several authorities linked as one attack.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 22:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("tlp", sa.String(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "campaign_incident",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("linked_by", sa.String(length=200), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("campaign_id", "incident_id"),
    )
    op.create_index("ix_campaign_incident_incident_id", "campaign_incident", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_campaign_incident_incident_id", "campaign_incident")
    op.drop_table("campaign_incident")
    op.drop_table("campaign")
