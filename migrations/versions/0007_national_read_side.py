"""The national picture's read side: acknowledgement progress on each incident, when each
reporting clock started, the centre's duty recipients, and messages about authorities.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 22:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incident") as batch:
        batch.add_column(
            sa.Column("awaiting_acknowledgement", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("acknowledgement_requested_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("first_acknowledged_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch.create_index("ix_incident_closed_at", ["closed_at"])
        batch.create_index("ix_incident_aware_at", ["aware_at"])
    with op.batch_alter_table("obligation") as batch:
        batch.add_column(sa.Column("clock_started_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_obligation_deadline", ["deadline"])
    op.create_table(
        "centre_recipient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("mobile", sa.String(length=20), nullable=True),
        sa.Column("language", sa.String(length=40), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=True),
        sa.Column("significant", sa.Boolean(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "national_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=300), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["authority_id"], ["authority.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_index("ix_national_message_authority_id", "national_message", ["authority_id"])


def downgrade() -> None:
    op.drop_index("ix_national_message_authority_id", "national_message")
    op.drop_table("national_message")
    op.drop_table("centre_recipient")
    with op.batch_alter_table("obligation") as batch:
        batch.drop_index("ix_obligation_deadline")
        batch.drop_column("clock_started_at")
    with op.batch_alter_table("incident") as batch:
        batch.drop_index("ix_incident_aware_at")
        batch.drop_index("ix_incident_closed_at")
        for column in ("first_acknowledged_at", "acknowledgement_requested_at"):
            batch.drop_column(column)
        batch.drop_column("awaiting_acknowledgement")
