"""When the routine checks (the reconciliation, the chain verification) last ran, for the
metrics.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-11 09:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "routine_run",
        sa.Column("routine", sa.String(length=40), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("routine"),
    )


def downgrade() -> None:
    op.drop_table("routine_run")
