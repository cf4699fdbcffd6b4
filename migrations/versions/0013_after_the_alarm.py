"""After the alarm: evidence and its downloads, public statements and their published versions,
and the post-incident review with its actions.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 09:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _moment(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "evidence_file",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=500), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("uploaded_by", sa.String(length=200), nullable=False),
        _moment("uploaded_at"),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_evidence_file_incident_id", "evidence_file", ["incident_id"])
    op.create_table(
        "evidence_download",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("file_id", sa.String(length=64), nullable=True),
        sa.Column("downloaded_by", sa.String(length=200), nullable=False),
        _moment("downloaded_at"),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_evidence_download_incident_id", "evidence_download", ["incident_id"])
    op.create_table(
        "public_statement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.Column("title_cy", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("text_cy", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("tlp", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        _moment("created_at"),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        _moment("updated_at"),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.ForeignKeyConstraint(["authority_id"], ["authority.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_public_statement_incident_id", "public_statement", ["incident_id"])
    op.create_index("ix_public_statement_authority_id", "public_statement", ["authority_id"])
    op.create_table(
        "statement_version",
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("tlp", sa.String(length=40), nullable=False),
        sa.Column("approver", sa.String(length=200), nullable=False),
        sa.Column("published_by", sa.String(length=200), nullable=False),
        _moment("published_at"),
        _moment("withdrawn_at", nullable=True),
        sa.ForeignKeyConstraint(["statement_id"], ["public_statement.id"]),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.ForeignKeyConstraint(["authority_id"], ["authority.id"]),
        sa.PrimaryKeyConstraint("statement_id", "version"),
    )
    op.create_index("ix_statement_version_incident_id", "statement_version", ["incident_id"])
    op.create_index("ix_statement_version_authority_id", "statement_version", ["authority_id"])
    op.create_table(
        "incident_review",
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("owner_name", sa.String(length=200), nullable=False),
        sa.Column("owner_role", sa.String(length=64), nullable=True),
        sa.Column("owner_user_id", sa.Integer(), nullable=True),
        _moment("started_at"),
        sa.Column("due_on", sa.Date(), nullable=False),
        _moment("due_at"),
        _moment("overdue_at", nullable=True),
        sa.Column("root_cause", sa.Text(), nullable=False),
        sa.Column("went_well", sa.Text(), nullable=False),
        sa.Column("went_badly", sa.Text(), nullable=False),
        sa.Column("lessons", sa.Text(), nullable=False),
        sa.Column("commitments", sa.JSON(), nullable=False),
        _moment("signed_off_at", nullable=True),
        sa.Column("signed_off_by", sa.String(length=200), nullable=True),
        sa.Column("sign_off_note", sa.Text(), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.ForeignKeyConstraint(["authority_id"], ["authority.id"]),
        sa.PrimaryKeyConstraint("incident_id"),
    )
    op.create_index("ix_incident_review_authority_id", "incident_review", ["authority_id"])
    op.create_table(
        "review_action",
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("owner_name", sa.String(length=200), nullable=False),
        sa.Column("owner_role", sa.String(length=64), nullable=True),
        sa.Column("owner_user_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        _moment("due_at"),
        sa.Column("state", sa.String(length=40), nullable=False),
        _moment("added_at"),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        _moment("reminded_at", nullable=True),
        _moment("escalated_at", nullable=True),
        _moment("closed_at", nullable=True),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.Column("done_note", sa.Text(), nullable=True),
        sa.Column("risk_reason", sa.Text(), nullable=True),
        sa.Column("done_in_time", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.ForeignKeyConstraint(["authority_id"], ["authority.id"]),
        sa.PrimaryKeyConstraint("incident_id", "number"),
    )
    op.create_index("ix_review_action_authority_id", "review_action", ["authority_id"])


def downgrade() -> None:
    op.drop_table("review_action")
    op.drop_table("incident_review")
    op.drop_table("statement_version")
    op.drop_table("public_statement")
    op.drop_table("evidence_download")
    op.drop_table("evidence_file")
