"""The annual review of each authority's commitments, on its own hash-chained record.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 22:40:00

"""

from collections.abc import Sequence

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
