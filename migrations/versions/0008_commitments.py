"""The Concordat's commitments a-g, their structured evidence and attestations.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 22:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "commitment_evidence",
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.Column("commitment", sa.String(length=40), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("attested_by", sa.String(length=200), nullable=False),
        sa.Column("attested_by_user_id", sa.Integer(), nullable=True),
        sa.Column("attested_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["authority_id"], ["authority.id"]),
        sa.ForeignKeyConstraint(["attested_by_user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("authority_id", "commitment"),
    )


def downgrade() -> None:
    op.drop_table("commitment_evidence")
