"""Supplier notices and each council's triage of them.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-10 09:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _moment(name: str, *, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "supplier_notice",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("supplier_name", sa.String(length=400), nullable=False),
        sa.Column("supplier_display_name", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("supplier_reference", sa.String(length=100), nullable=True),
        _moment("detected_at"),
        _moment("received_at", nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_by_token_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("sender", sa.String(length=320), nullable=True),
        sa.Column("idempotency_key", sa.String(length=400), nullable=True),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        _moment("created_at", nullable=False),
        sa.ForeignKeyConstraint(["recorded_by_token_id"], ["api_token.id"]),
        sa.ForeignKeyConstraint(["recorded_by_user_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    # A supplier reads what it sent: its notices by its normalised name.
    op.create_index("ix_supplier_notice_supplier_name", "supplier_notice", ["supplier_name"])
    op.create_table(
        "supplier_notice_recipient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.String(length=36), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("window_minutes", sa.Integer(), nullable=False),
        _moment("due_at", nullable=False),
        _moment("clock_started_at"),
        _moment("reminded_at"),
        _moment("escalated_at"),
        sa.Column("triaged_by", sa.String(length=200), nullable=True),
        sa.Column("triaged_by_user_id", sa.Integer(), nullable=True),
        _moment("triaged_at"),
        sa.Column("incident_id", sa.String(length=36), nullable=True),
        sa.Column("dismissal_reason", sa.Text(), nullable=True),
        _moment("created_at", nullable=False),
        sa.ForeignKeyConstraint(["notice_id"], ["supplier_notice.id"]),
        sa.ForeignKeyConstraint(["authority_id"], ["authority.id"]),
        sa.ForeignKeyConstraint(["supplier_id"], ["supplier.id"]),
        sa.ForeignKeyConstraint(["triaged_by_user_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("notice_id", "authority_id", name="uq_notice_recipient_authority"),
    )
    op.create_index(
        "ix_supplier_notice_recipient_notice_id", "supplier_notice_recipient", ["notice_id"]
    )
    op.create_index(
        "ix_supplier_notice_recipient_authority_id", "supplier_notice_recipient", ["authority_id"]
    )
    # The councils' lists and the repair of clocks that never started look for these.
    op.create_index("ix_supplier_notice_recipient_state", "supplier_notice_recipient", ["state"])
    # A supplier's own token is bound to the supplier it speaks for.
    op.add_column("api_token", sa.Column("supplier", sa.String(length=400), nullable=True))
    # An incident opened from a supplier's notice keeps the supplier as its origin.
    op.add_column("incident", sa.Column("origin", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incident") as incident:
        incident.drop_column("origin")
    with op.batch_alter_table("api_token") as token:
        token.drop_column("supplier")
    op.drop_table("supplier_notice_recipient")
    op.drop_table("supplier_notice")
