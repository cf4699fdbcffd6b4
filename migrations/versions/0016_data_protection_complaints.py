"""Data-protection complaints and their acknowledgement clock.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-10 09:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _moment(name: str, *, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "complaint_reference_counter",
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["authority_id"], ["authority.id"]),
        sa.PrimaryKeyConstraint("authority_id", "year"),
    )
    op.create_table(
        "complaint",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        _moment("received_at", nullable=False),
        sa.Column("received_how", sa.String(length=40), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("breach_record_id", sa.Integer(), nullable=True),
        _moment("acknowledge_by", nullable=False),
        _moment("acknowledged_at"),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=True),
        sa.Column("acknowledged_how", sa.String(length=40), nullable=True),
        sa.Column("outcome", sa.String(length=40), nullable=True),
        sa.Column("outcome_reasons", sa.Text(), nullable=True),
        _moment("outcome_at"),
        sa.Column("outcome_by", sa.String(length=200), nullable=True),
        _moment("escalated_at"),
        _moment("clock_started_at"),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        _moment("created_at", nullable=False),
        sa.ForeignKeyConstraint(["authority_id"], ["authority.id"]),
        sa.ForeignKeyConstraint(["breach_record_id"], ["breach_record.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference", name="uq_complaint_reference"),
    )
    op.create_index("ix_complaint_authority_id", "complaint", ["authority_id"])
    op.create_index("ix_complaint_breach_record_id", "complaint", ["breach_record_id"])
    # The repair looks for complaints whose clock never started.
    op.create_index("ix_complaint_clock_started_at", "complaint", ["clock_started_at"])


def downgrade() -> None:
    op.drop_table("complaint")
    op.drop_table("complaint_reference_counter")
