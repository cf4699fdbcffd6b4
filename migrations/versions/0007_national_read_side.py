"""The national picture's read side: acknowledgement progress on each incident, when each
reporting clock started, and the centre's alert policy.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 22:40:00

"""

from collections.abc import Sequence

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
