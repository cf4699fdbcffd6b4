"""The read side on SQLite and PostgreSQL: migrations, references, timelines, times."""

from __future__ import annotations

import ast
import asyncio
import sys
from datetime import UTC, datetime, timedelta, timezone

from alembic import command
from sqlalchemy import inspect

from domain.activity_contracts import IncidentProjection, TimelineBatch, TimelineEntry
from domain.vocabulary import EventKind, NcscCategory, Stage
from models import EscalationTimings, Incident
from runtime.database import Database
from runtime.migrate import MIGRATIONS_DIR, alembic_config
from services.councils import WELSH_COUNCILS
from services.directory import authority_by_code, effective_policy, set_policy
from services.timeline import record_batch, timeline_of
from tests.support import make_authority, open_test_incident


async def test_migrations_create_every_table_and_the_22_councils(database: Database) -> None:
    async with database.engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    assert {
        "authority",
        "responsible_member",
        "incident",
        "timeline_event",
        "sent_notification",
        "api_token",
        "escalation_policy_override",
        "alembic_version",
    } <= tables
    async with database.session() as session:
        for council in WELSH_COUNCILS:
            authority = await authority_by_code(council.code, session=session)
            assert authority is not None and authority.name_cy == council.name_cy
    assert len(WELSH_COUNCILS) == 22


def test_migrations_downgrade_and_upgrade_again(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    config = alembic_config(url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    command.upgrade(config, "head")


def test_migrations_use_no_live_code() -> None:
    """An applied migration must do tomorrow what it did when it ran: it imports only the
    standard library, SQLAlchemy and Alembic, never the product's modules, which change."""
    allowed = {"alembic", "sqlalchemy", *sys.stdlib_module_names}
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                imported = [node.module or ""]
            else:
                continue
            for name in imported:
                assert name.partition(".")[0] in allowed, f"{path.name} imports {name}"


async def test_concurrent_incidents_get_distinct_consecutive_references(database: Database) -> None:
    council = await make_authority(database)
    opened = await asyncio.gather(*(open_test_incident(database, council) for _ in range(8)))
    year = datetime.now(UTC).year
    assert sorted(i.reference for i in opened) == [
        f"{council.code}-{year}-{n:04d}" for n in range(1, 9)
    ]


async def test_times_come_back_in_utc_whatever_zone_they_went_in(database: Database) -> None:
    council = await make_authority(database)
    cardiff_summer = timezone(timedelta(hours=1))
    detected = datetime(2026, 7, 4, 14, 30, tzinfo=cardiff_summer)
    row = await open_test_incident(database, council, detected_at=detected, aware_at=detected)
    async with database.session() as session:
        stored = await session.get(Incident, row.id, populate_existing=True)
    assert stored is not None and stored.detected_at == detected
    assert stored.detected_at.tzinfo == UTC and stored.detected_at.hour == 13


def _batch(incident_id: str, sequences: range, stage: Stage) -> TimelineBatch:
    now = datetime.now(UTC)
    return TimelineBatch(
        incident_id=incident_id,
        authority_code="T",
        entries=[
            TimelineEntry(
                sequence=n,
                kind=EventKind.NOTE_ADDED,
                occurred_at=now,
                actor="a",
                summary=f"event {n}",
            )
            for n in sequences
        ],
        projection=IncidentProjection(
            stage=stage, category=NcscCategory.SUBSTANTIAL, significant=False, personal_data=False
        ),
    )


async def test_recording_a_timeline_batch_twice_writes_it_once_and_never_goes_back(
    database: Database,
) -> None:
    council = await make_authority(database)
    row = await open_test_incident(database, council)
    async with database.session() as session:
        await record_batch(_batch(row.id, range(1, 4), Stage.NOTIFYING), session=session)
        await record_batch(_batch(row.id, range(1, 4), Stage.NOTIFYING), session=session)
        await record_batch(_batch(row.id, range(4, 6), Stage.CONTAINED), session=session)
        # A late retry of an older batch must not roll the incident back.
        await record_batch(_batch(row.id, range(2, 4), Stage.NOTIFYING), session=session)
        events = await timeline_of(row.id, session=session)
        incident = await session.get(Incident, row.id, populate_existing=True)
    assert [e.sequence for e in events] == [1, 2, 3, 4, 5]
    assert (
        incident is not None
        and incident.stage == Stage.CONTAINED
        and incident.last_event_sequence == 5
    )


async def test_the_database_refuses_naive_times(database: Database) -> None:
    council = await make_authority(database)
    try:
        await open_test_incident(database, council, detected_at=datetime(2026, 1, 1, 9, 0))
    except Exception as error:
        assert "naive datetimes" in str(error)
    else:
        raise AssertionError("a naive datetime was stored")


async def test_the_reference_year_is_the_councils_year(database: Database) -> None:
    council = await make_authority(database)
    # 00:30 on New Year's Day in a zone two hours ahead is still 31 December in Wales.
    aware = datetime(2027, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    row = await open_test_incident(database, council, detected_at=aware, aware_at=aware)
    assert row.reference == f"{council.code}-2026-0001"


async def test_policy_overrides_add_up(database: Database) -> None:
    council = await make_authority(database)
    async with database.session() as session:
        await set_policy(
            council.id,
            EscalationTimings(ack_timeout_category_4_seconds=600),
            session=session,
        )
        await set_policy(
            council.id, EscalationTimings(reminders_before_escalation=2), session=session
        )
        policy = await effective_policy(council.id, session=session)
    assert policy.ack_timeout_category_4 == timedelta(minutes=10)
    assert policy.reminders_before_escalation == 2
    assert policy.ack_timeout_category_1_3 == timedelta(minutes=15)  # the national default
