"""The supplier register: each authority's suppliers, and their security and escalation
contacts.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-09 09:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _moment(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "supplier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("normalised_name", sa.String(length=400), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("contract_reference", sa.String(length=100), nullable=True),
        sa.Column("regulated_provider", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        _moment("created_at"),
        _moment("updated_at"),
        _moment("retired_at", nullable=True),
        sa.Column("retired_by", sa.String(length=200), nullable=True),
        sa.Column("retired_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["authority_id"], ["authority.id"]),
        sa.ForeignKeyConstraint(["retired_by_user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_supplier_authority_id", "supplier", ["authority_id"])
    # The central team's view groups every council's entries by this name.
    op.create_index("ix_supplier_normalised_name", "supplier", ["normalised_name"])
    op.create_table(
        "supplier_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.ForeignKeyConstraint(["supplier_id"], ["supplier.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_supplier_contact_supplier_id", "supplier_contact", ["supplier_id"])


def downgrade() -> None:
    op.drop_table("supplier_contact")
    op.drop_table("supplier")
