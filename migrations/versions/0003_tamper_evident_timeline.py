"""Tamper-evident timeline: hash chain, append-only rows, archived histories, auditors.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 09:00:00

"""

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("timeline_event", "history_archive")
REFUSAL = "append-only: record a correction instead of changing history"


def upgrade() -> None:
    with op.batch_alter_table("incident") as batch:
        batch.add_column(sa.Column("chain_position", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("previous_anchor", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("anchor", sa.String(length=64), nullable=True))
        batch.create_unique_constraint(
            "uq_incident_chain_position", ["authority_id", "chain_position"]
        )
    with op.batch_alter_table("timeline_event") as batch:
        batch.add_column(sa.Column("previous_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _seal_existing_timelines()
    with op.batch_alter_table("timeline_event") as batch:
        batch.alter_column("previous_hash", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("hash", existing_type=sa.String(length=64), nullable=False)

    op.create_table(
        "history_archive",
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("workflow_id", sa.String(length=64), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("incident_id"),
    )
    _refuse_updates_and_deletes()

    with op.batch_alter_table("api_token") as batch:
        batch.add_column(
            sa.Column(
                "role", sa.String(length=40), nullable=False, server_default="on_call_officer"
            )
        )
        batch.add_column(
            sa.Column("all_authorities", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "api_token_grant",
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["token_id"], ["api_token.id"]),
        sa.ForeignKeyConstraint(["authority_id"], ["authority.id"]),
        sa.PrimaryKeyConstraint("token_id", "authority_id"),
    )


def downgrade() -> None:
    op.drop_table("api_token_grant")
    with op.batch_alter_table("api_token") as batch:
        batch.drop_column("all_authorities")
        batch.drop_column("role")
    bind = op.get_bind()
    for table in APPEND_ONLY:
        if bind.dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    if bind.dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS concordat_refuse_change()")
    op.drop_table("history_archive")
    with op.batch_alter_table("timeline_event") as batch:
        batch.drop_column("hash")
        batch.drop_column("previous_hash")
    with op.batch_alter_table("incident") as batch:
        batch.drop_constraint("uq_incident_chain_position", type_="unique")
        batch.drop_column("anchor")
        batch.drop_column("previous_anchor")
        batch.drop_column("chain_position")


# The chain's canonical form as this revision wrote it (version 1; see `audit/hash_chain.py`),
# copied here so that the migration seals the same way whatever the live code becomes.

GENESIS = "0" * 64
CHAIN_VERSION = 1


def _timestamp(moment: datetime) -> str:
    # SQLite hands back what it stored, UTC without a zone.
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _digest(record: dict[str, Any]) -> str:
    canonical = json.dumps(
        {"chain_version": CHAIN_VERSION, **record},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _anchor(incident: Any, *, previous_anchor: str, position: int) -> str:
    return _digest(
        {
            "previous_anchor": previous_anchor,
            "position": position,
            "incident_id": incident.id,
            "authority_id": incident.authority_id,
            "reference": incident.reference,
            "title": incident.title,
            "description": incident.description,
            "incident_type": incident.incident_type,
            "tlp": incident.tlp,
            "exercise": bool(incident.exercise),
            "detected_at": _timestamp(incident.detected_at),
            "aware_at": _timestamp(incident.aware_at),
            "reporter_name": incident.reporter_name,
            "reporter_email": incident.reporter_email,
            "opened_by": incident.opened_by,
        }
    )


def _event_hash(event: Any, *, previous_hash: str) -> str:
    return _digest(
        {
            "previous_hash": previous_hash,
            "incident_id": event.incident_id,
            "sequence": event.sequence,
            "kind": event.kind,
            "occurred_at": _timestamp(event.occurred_at),
            "actor": event.actor,
            "summary": event.summary,
            "detail": event.detail,
        }
    )


def _seal_existing_timelines() -> None:
    """Chain what was recorded before the chain existed, in the order it was recorded."""
    # The tables as this revision knows them (later revisions add columns).
    bind = op.get_bind()
    incidents = sa.table(
        "incident",
        *(
            sa.column(name)
            for name in (
                "id", "authority_id", "reference", "title", "description", "incident_type",
                "tlp", "exercise", "reporter_name", "reporter_email", "opened_by",
                "chain_position", "previous_anchor", "anchor",
            )
        ),
        sa.column("detected_at", sa.DateTime(timezone=True)),
        sa.column("aware_at", sa.DateTime(timezone=True)),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    events = sa.table(
        "timeline_event",
        *(
            sa.column(name)
            for name in (
                "id", "incident_id", "sequence", "kind", "actor", "summary", "previous_hash", "hash"
            )
        ),
        sa.column("occurred_at", sa.DateTime(timezone=True)),
        sa.column("detail", sa.JSON()),
    )
    started = (
        sa.select(incidents)
        .where(sa.exists().where(events.c.incident_id == incidents.c.id))
        .order_by(incidents.c.authority_id, incidents.c.created_at, incidents.c.id)
    )
    heads: dict[int, tuple[int, str]] = {}
    for incident in bind.execute(started).all():
        position, previous_anchor = heads.get(incident.authority_id, (0, GENESIS))
        position += 1
        anchor = _anchor(incident, previous_anchor=previous_anchor, position=position)
        bind.execute(
            incidents.update()
            .where(incidents.c.id == incident.id)
            .values(chain_position=position, previous_anchor=previous_anchor, anchor=anchor)
        )
        heads[incident.authority_id] = (position, anchor)
        previous_hash = anchor
        rows = bind.execute(
            sa.select(events)
            .where(events.c.incident_id == incident.id)
            .order_by(events.c.sequence)
        ).all()
        for event in rows:
            digest = _event_hash(event, previous_hash=previous_hash)
            bind.execute(
                events.update()
                .where(events.c.id == event.id)
                .values(previous_hash=previous_hash, hash=digest)
            )
            previous_hash = digest


def _refuse_updates_and_deletes() -> None:
    """The database itself refuses to change history, whoever asks; PostgreSQL grants (see
    `concordat db grant`) also keep the application role from trying."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION concordat_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is {REFUSAL}', TG_TABLE_NAME
                    USING ERRCODE = 'insufficient_privilege';
            END
            $$
            """
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION concordat_refuse_change()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION concordat_refuse_change()"
            )
        return
    for table in APPEND_ONLY:
        for action in ("update", "delete"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action} BEFORE {action.upper()} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is {REFUSAL}'); END"
            )
