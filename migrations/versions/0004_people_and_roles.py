"""People who sign in, their roles and grants; personal tokens; members' telephone numbers;
acknowledge links used once.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 08:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=True),
        sa.Column("all_authorities", sa.Boolean(), nullable=False),
        sa.Column("member_role", sa.String(length=40), nullable=True),
        sa.Column("session_epoch", sa.Integer(), nullable=False),
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["authority_id"], ["authority.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_app_user_email", "app_user", ["email"], unique=True)
    op.create_table(
        "user_grant",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["authority_id"], ["authority.id"]),
        sa.PrimaryKeyConstraint("user_id", "authority_id"),
    )
    with op.batch_alter_table("api_token") as batch:
        batch.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("scope", sa.String(length=40), nullable=False, server_default="write")
        )
        batch.create_foreign_key("fk_api_token_user", "app_user", ["user_id"], ["id"])
        batch.create_index("ix_api_token_user_id", ["user_id"])
    with op.batch_alter_table("responsible_member") as batch:
        batch.add_column(sa.Column("phone", sa.String(length=40), nullable=True))
    with op.batch_alter_table("incident") as batch:
        batch.add_column(
            sa.Column("email_compromised", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "used_ack_link",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("digest"),
    )


def downgrade() -> None:
    op.drop_table("used_ack_link")
    with op.batch_alter_table("incident") as batch:
        batch.drop_column("email_compromised")
    with op.batch_alter_table("responsible_member") as batch:
        batch.drop_column("phone")
    with op.batch_alter_table("api_token") as batch:
        batch.drop_index("ix_api_token_user_id")
        batch.drop_constraint("fk_api_token_user", type_="foreignkey")
        batch.drop_column("scope")
        batch.drop_column("user_id")
    op.drop_table("user_grant")
    op.drop_index("ix_app_user_email", table_name="app_user")
    op.drop_table("app_user")
