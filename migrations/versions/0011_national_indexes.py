"""Indexes for the national picture: open incidents counted by authority, category and stage
from the index alone, and the waiting reporting clocks found by state and deadline, however
many years of closed incidents lie beside them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 09:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: A reporting clock still waiting for the council.
WAITING = "state IN ('due', 'overdue')"


def upgrade() -> None:
    with op.batch_alter_table("incident") as batch:
        # Every column the picture's count reads: the open stages are a range of this index,
        # and the counts come from it without reading the rows (and their descriptions).
        batch.create_index(
            "ix_incident_national_picture",
            ["stage", "authority_id", "exercise", "category", "awaiting_acknowledgement"],
        )
    with op.batch_alter_table("obligation") as batch:
        # Only the clocks still waiting, in deadline order (the next deadline in Wales is the
        # first): a partial index, so that the planners know how few they are beside the years
        # of submitted ones. The picture's queries name the states in the same words.
        batch.create_index(
            "ix_obligation_waiting",
            ["deadline"],
            sqlite_where=sa.text(WAITING),
            postgresql_where=sa.text(WAITING),
        )


def downgrade() -> None:
    with op.batch_alter_table("obligation") as batch:
        batch.drop_index("ix_obligation_waiting")
    with op.batch_alter_table("incident") as batch:
        batch.drop_index("ix_incident_national_picture")
