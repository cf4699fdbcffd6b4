"""Each person's page language; the record of what administrators changed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 17:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(
            sa.Column("language", sa.String(length=40), nullable=False, server_default="unknown")
        )
    op.create_table(
        "administration_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["authority_id"], ["authority.id"]),
        sa.ForeignKeyConstraint(["actor_user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_administration_change_authority_id", "administration_change", ["authority_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_administration_change_authority_id", "administration_change")
    op.drop_table("administration_change")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("language")
