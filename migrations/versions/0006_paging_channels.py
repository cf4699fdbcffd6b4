"""Paging on several channels: members' mobiles, the channel plan, delivery receipts, codes
for acknowledging by text, and the texts received.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 20:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("responsible_member") as batch:
        batch.add_column(sa.Column("mobile", sa.String(length=20), nullable=True))
    with op.batch_alter_table("escalation_policy_override") as batch:
        batch.add_column(sa.Column("delivery_timeout_seconds", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("channel_plan", sa.JSON(), nullable=True))
    with op.batch_alter_table("sent_notification") as batch:
        batch.add_column(
            sa.Column("channel", sa.String(length=40), nullable=False, server_default="email")
        )
        batch.add_column(sa.Column("provider_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("delivery_status", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_sent_notification_provider_id", ["provider_id"])
    op.create_table(
        "sms_ack_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=300), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("mobile", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
        sa.UniqueConstraint("mobile", "code", name="uq_sms_ack_code_mobile_code"),
    )
    op.create_index("ix_sms_ack_code_incident_id", "sms_ack_code", ["incident_id"])
    op.create_table(
        "received_text",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notify_id", sa.String(length=64), nullable=False),
        sa.Column("source_number", sa.String(length=20), nullable=False),
        sa.Column("content", sa.String(length=1000), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("notify_id"),
    )
    op.create_index("ix_received_text_incident_id", "received_text", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_received_text_incident_id", "received_text")
    op.drop_table("received_text")
    op.drop_index("ix_sms_ack_code_incident_id", "sms_ack_code")
    op.drop_table("sms_ack_code")
    with op.batch_alter_table("sent_notification") as batch:
        batch.drop_index("ix_sent_notification_provider_id")
        for column in ("delivered_at", "delivery_status", "provider_id", "channel"):
            batch.drop_column(column)
    with op.batch_alter_table("escalation_policy_override") as batch:
        batch.drop_column("channel_plan")
        batch.drop_column("delivery_timeout_seconds")
    with op.batch_alter_table("responsible_member") as batch:
        batch.drop_column("mobile")
