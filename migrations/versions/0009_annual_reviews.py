"""The annual review of each authority's commitments, on its own hash-chained record.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 22:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSAL = "append-only: record a correction instead of changing history"


def upgrade() -> None:
    op.create_table(
        "annual_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("workflow_id", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("opened_by", sa.String(length=200), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("overdue_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submissions", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_by", sa.String(length=200), nullable=True),
        sa.Column("statement", sa.Text(), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("returned_by", sa.String(length=200), nullable=True),
        sa.Column("comments", sa.Text(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by", sa.String(length=200), nullable=True),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.Column("last_event_sequence", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("chain_position", sa.Integer(), nullable=True),
        sa.Column("previous_anchor", sa.String(length=64), nullable=True),
        sa.Column("anchor", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["authority_id"], ["authority.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("authority_id", "year", name="uq_annual_review_year"),
        sa.UniqueConstraint("authority_id", "chain_position", name="uq_annual_review_chain"),
    )
    op.create_index("ix_annual_review_authority_id", "annual_review", ["authority_id"])
    op.create_index("ix_annual_review_year", "annual_review", ["year"])
    op.create_index("ix_annual_review_state", "annual_review", ["state"])
    op.create_table(
        "review_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=1000), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["review_id"], ["annual_review.id"]),
        sa.ForeignKeyConstraint(["authority_id"], ["authority.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("review_id", "sequence", name="uq_review_event_sequence"),
    )
    op.create_index("ix_review_event_review_id", "review_event", ["review_id"])
    _refuse_updates_and_deletes("review_event")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS review_event_append_only ON review_event")
        op.execute("DROP TRIGGER IF EXISTS review_event_no_truncate ON review_event")
    else:
        op.execute("DROP TRIGGER IF EXISTS review_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS review_event_no_delete")
    op.drop_index("ix_review_event_review_id", "review_event")
    op.drop_table("review_event")
    op.drop_index("ix_annual_review_state", "annual_review")
    op.drop_index("ix_annual_review_year", "annual_review")
    op.drop_index("ix_annual_review_authority_id", "annual_review")
    op.drop_table("annual_review")


def _refuse_updates_and_deletes(table: str) -> None:
    """The database itself refuses to change the record, as it does the incidents' timeline
    (revision 0003, whose PostgreSQL function `concordat_refuse_change` this uses)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION concordat_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION concordat_refuse_change()"
        )
        return
    for action in ("update", "delete"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{action} BEFORE {action.upper()} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is {REFUSAL}'); END"
        )
