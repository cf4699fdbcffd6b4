"""The timeline is tamper-evident: every edit, removal, reordering or insertion is named.

Each test records real timelines on SQLite and PostgreSQL, then tampers with the rows the way
somebody with access to the database file or a superuser would (going round the append-only
triggers), and checks that `verify` names the first broken link.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from audit.hash_chain import GENESIS, hash_of
from audit.verify import Head, heads, verify
from domain.activity_contracts import IncidentProjection, TimelineBatch, TimelineEntry
from domain.vocabulary import EventKind, NcscCategory, Stage
from models import Incident
from runtime.database import Database, sync_url
from runtime.migrate import upgrade_database
from runtime.pg_privileges import grant_application_role
from services.timeline import record_batch, timeline_of
from tests.support import CouncilUnderTest, make_authority, open_test_incident

CONCORDAT = str(Path(sys.executable).parent / "concordat")


def _batch(incident: Incident, first: int, count: int) -> TimelineBatch:
    return TimelineBatch(
        incident_id=incident.id,
        authority_code="T",
        entries=[
            TimelineEntry(
                sequence=n,
                kind=EventKind.NOTE_ADDED,
                occurred_at=datetime.now(UTC),
                actor="On-call Officer",
                summary=f"Note {n}",
                detail={"text": f"note {n}", "when": "now"},
            )
            for n in range(first, first + count)
        ],
        projection=IncidentProjection(
            stage=Stage.NOTIFYING,
            category=NcscCategory.SUBSTANTIAL,
            significant=False,
            personal_data=False,
        ),
    )


async def _council_with_two_incidents(
    database: Database,
) -> tuple[CouncilUnderTest, Incident, Incident]:
    council = await make_authority(database)
    first = await open_test_incident(database, council)
    second = await open_test_incident(database, council)
    async with database.session() as session:
        await record_batch(_batch(first, 1, 3), session=session)
        await record_batch(_batch(second, 1, 2), session=session)
        await record_batch(_batch(first, 4, 3), session=session)
    async with database.session() as session:
        first_now = await session.get(Incident, first.id, populate_existing=True)
        second_now = await session.get(Incident, second.id, populate_existing=True)
    assert first_now is not None and second_now is not None
    first, second = first_now, second_now
    return council, first, second


async def _tamper(database: Database, *statements: str) -> None:
    """Change rows behind the application's back, as an intruder with the database would."""
    async with database.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text("SET LOCAL session_replication_role = replica"))
            for statement in statements:
                await connection.execute(text(statement))
            return
        triggers = (
            await connection.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            )
        ).all()
        for name, _ in triggers:
            await connection.execute(text(f"DROP TRIGGER {name}"))
        for statement in statements:
            await connection.execute(text(statement))
        for _, sql in triggers:
            await connection.execute(text(sql))


async def _problems(database: Database, council: CouncilUnderTest, **kwargs) -> list[str]:
    async with database.session() as session:
        result = await verify(session=session, authority_code=council.code, **kwargs)
    return [str(b) for b in result.breaks]


async def test_an_untouched_record_verifies_and_links_incidents_in_order(
    database: Database,
) -> None:
    council, first, second = await _council_with_two_incidents(database)
    assert (first.chain_position, second.chain_position) == (1, 2)
    assert first.previous_anchor == GENESIS and second.previous_anchor == first.anchor
    async with database.session() as session:
        events = await timeline_of(first.id, session=session)
    assert [e.sequence for e in events] == [1, 2, 3, 4, 5, 6]
    assert events[0].previous_hash == first.anchor
    assert all(b.previous_hash == a.hash for a, b in itertools.pairwise(events))
    assert all(hash_of(e, previous_hash=e.previous_hash) == e.hash for e in events)
    assert await _problems(database, council) == []


def _event(incident: Incident, sequence: int) -> str:
    return f"incident_id = '{incident.id}' AND sequence = {sequence}"


TAMPERING: dict[str, tuple[Callable[[Incident, Incident], list[str]], str]] = {
    "an edited summary": (
        lambda a, b: [f"UPDATE timeline_event SET summary = 'Nothing' WHERE {_event(a, 2)}"],
        "{a} event #2: was altered (its content differs)",
    ),
    "an edited actor": (
        lambda a, b: [f"UPDATE timeline_event SET actor = 'Somebody' WHERE {_event(a, 5)}"],
        "{a} event #5: was altered (its content differs)",
    ),
    "a deleted event": (
        lambda a, b: [f"DELETE FROM timeline_event WHERE {_event(a, 3)}"],
        "{a} event #4: follows event #2: one event is missing",
    ),
    "the last event deleted": (
        lambda a, b: [f"DELETE FROM timeline_event WHERE {_event(a, 6)}"],
        "{a} event #6: is missing: the incident recorded events up to #6",
    ),
    "two events swapped": (
        lambda a, b: [
            f"UPDATE timeline_event SET sequence = -1 WHERE {_event(a, 2)}",
            f"UPDATE timeline_event SET sequence = 2 WHERE {_event(a, 3)}",
            f"UPDATE timeline_event SET sequence = 3 WHERE {_event(a, -1)}",
        ],
        "{a} event #2: does not follow the event before it",
    ),
    "an inserted event": (
        lambda a, b: [
            f"UPDATE timeline_event SET sequence = sequence + 100 WHERE incident_id = '{a.id}'"
            " AND sequence >= 4",
            f"UPDATE timeline_event SET sequence = sequence - 99 WHERE incident_id = '{a.id}'"
            " AND sequence >= 100",
            "INSERT INTO timeline_event (incident_id, sequence, kind, occurred_at, actor, "
            "summary, detail, recorded_at, previous_hash, hash) SELECT incident_id, 4, kind, "
            "occurred_at, actor, 'Forged', detail, recorded_at, hash, hash FROM timeline_event "
            f"WHERE {_event(a, 3)}",
        ],
        "{a} event #4: was altered (its content differs)",
    ),
    "an edited report": (
        lambda a, b: [f"UPDATE incident SET description = 'Nothing' WHERE id = '{a.id}'"],
        "{a}: the report as opened was altered (its anchor differs)",
    ),
    "a whole incident deleted": (
        lambda a, b: [
            f"DELETE FROM timeline_event WHERE incident_id = '{a.id}'",
            f"DELETE FROM incident WHERE id = '{a.id}'",
        ],
        "{b}: is incident 2 of the authority's chain, but incident 1 is missing",
    ),
}


@pytest.mark.parametrize("tampering", list(TAMPERING))
async def test_tampering_is_named_at_the_first_broken_link(
    database: Database, tampering: str
) -> None:
    council, first, second = await _council_with_two_incidents(database)
    statements, expected = TAMPERING[tampering]
    await _tamper(database, *statements(first, second))
    problems = await _problems(database, council)
    assert problems[:1] == [expected.format(a=first.reference, b=second.reference)]


async def test_a_chain_rewritten_from_the_start_fails_against_a_kept_head(
    database: Database,
) -> None:
    council, first, _ = await _council_with_two_incidents(database)
    async with database.session() as session:
        kept = await heads(session=session, incident=first)
    assert [str(h).split(":")[0] for h in kept] == [f"{first.reference}#6"]

    # Somebody edits event 2 and recomputes every hash after it, so the chain holds again.
    async with database.session() as session:
        events = await timeline_of(first.id, session=session)
    events[1].summary = "Nothing happened"
    previous, rewrites = events[0].hash, []
    for event in events[1:]:
        digest = hash_of(event, previous_hash=previous)
        rewrites.append(
            f"UPDATE timeline_event SET summary = '{event.summary}', previous_hash = "
            f"'{previous}', hash = '{digest}' WHERE {_event(first, event.sequence)}"
        )
        previous = digest
    await _tamper(database, *rewrites)

    assert await _problems(database, council) == []
    problems = await _problems(database, council, expect=kept)
    assert problems == [f"kept head {kept[0]}: {first.reference} event #6 no longer matches it"]


async def test_the_database_refuses_to_change_or_remove_timeline_events(
    database: Database,
) -> None:
    _, first, _ = await _council_with_two_incidents(database)
    for statement in (
        f"UPDATE timeline_event SET summary = 'x' WHERE {_event(first, 1)}",
        f"DELETE FROM timeline_event WHERE {_event(first, 1)}",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with database.engine.begin() as connection:
                await connection.execute(text(statement))


async def test_the_application_role_may_append_to_the_timeline_but_never_rewrite_it(
    database: Database, database_url: str
) -> None:
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("roles and grants are PostgreSQL's")
    _, first, _ = await _council_with_two_incidents(database)
    role = f"concordat_app_{uuid.uuid4().hex[:8]}"
    admin_url = make_url(database_url).set(drivername="postgresql")
    with psycopg.connect(admin_url.render_as_string(hide_password=False), autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN")
        try:
            statements = grant_application_role(database_url, role)
            assert f"GRANT SELECT, INSERT ON TABLE timeline_event TO {role}" in statements
            app_url = admin_url.set(username=role).render_as_string(hide_password=False)
            with psycopg.connect(app_url, autocommit=True) as app:
                app.execute(
                    "INSERT INTO timeline_event (incident_id, sequence, kind, occurred_at, actor,"
                    " summary, detail, recorded_at, previous_hash, hash) SELECT incident_id, 7,"
                    " kind, occurred_at, actor, summary, detail, recorded_at, hash, hash FROM"
                    f" timeline_event WHERE {_event(first, 6)}"
                )
                app.execute(f"UPDATE incident SET stage = 'contained' WHERE id = '{first.id}'")
                for statement in (
                    f"UPDATE timeline_event SET summary = 'x' WHERE {_event(first, 1)}",
                    f"DELETE FROM timeline_event WHERE {_event(first, 1)}",
                    "TRUNCATE timeline_event",
                ):
                    with pytest.raises(psycopg.errors.InsufficientPrivilege):
                        app.execute(statement)
        finally:
            admin.execute(f"DROP OWNED BY {role}")
            admin.execute(f"DROP ROLE {role}")


async def _concordat(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own, waited for off the event loop: the session's worker
    runs on that loop and must not stop while a command runs (a transaction it holds open would
    keep the command waiting)."""
    env = os.environ | {"CONCORDAT_DATABASE_URL": database_url}
    return await asyncio.to_thread(
        subprocess.run,  # our own command
        [CONCORDAT, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


Check = Callable[[], Awaitable[None]]


async def test_an_auditor_verifies_from_the_command_line(
    database: Database, database_url: str
) -> None:
    council, first, second = await _council_with_two_incidents(database)
    heads = await _concordat(database_url, "audit", "head", first.reference)
    heads_printed = heads.stdout.split()
    intact = await _concordat(
        database_url, "audit", "verify", "--authority", council.code, "--expect", heads_printed[0]
    )
    assert intact.returncode == 0, intact.stderr
    assert "Intact: 2 incidents, 8 events, 1 kept heads checked" in intact.stdout

    await _tamper(database, f"UPDATE timeline_event SET summary = 'x' WHERE {_event(second, 1)}")
    broken = await _concordat(database_url, "audit", "verify", second.reference)
    assert broken.returncode == 1
    assert f"first broken link: {second.reference} event #1: was altered" in broken.stdout
    assert (await _concordat(database_url, "audit", "verify", first.reference)).returncode == 0
    unknown = await _concordat(database_url, "audit", "verify", "--expect", "nonsense")
    assert unknown.returncode == 2 and "not a chain head" in unknown.stderr
    nowhere = await _concordat(database_url, "audit", "verify", "--authority", "NOPE")
    assert nowhere.returncode == 2 and "No authority" in nowhere.stderr


def test_a_kept_head_reads_back_as_written() -> None:
    head = Head.parse(f"CDF-2026-0001#42:{'a' * 64}")
    assert (head.subject, head.position, head.of_incident) == ("CDF-2026-0001", 42, True)
    assert str(Head.parse(f"CDF@7:{'b' * 64}")) == f"CDF@7:{'b' * 64}"


@pytest.fixture
def unmigrated_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database on the suite's backend: beside its file, or on its server."""
    suite = make_url(database_url)
    if suite.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'older.db'}"
        return
    name = f"{suite.database}_older_{uuid.uuid4().hex[:6]}"
    admin_url = suite.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield suite.set(database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_timelines_recorded_before_the_chain_existed_are_sealed_by_the_migration(
    unmigrated_url: str,
) -> None:
    url = unmigrated_url
    upgrade_database(url, "0002")
    older = create_engine(sync_url(url))
    # As the application of that time stored times: UTC, without a zone on SQLite.
    zone = "+00:00" if older.dialect.name == "postgresql" else ""
    with older.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO authority (id, code, name_en, name_cy) VALUES (1, 'OLD', 'Old', 'Hen')"
            )
        )
        for number in (1, 2):
            connection.execute(
                text(
                    "INSERT INTO incident (id, authority_id, reference, year, number, workflow_id,"
                    " title, description, incident_type, category, significant, personal_data,"
                    " exercise, tlp, detected_at, aware_at, reporter_name, reporter_email,"
                    " opened_by, stage, last_event_sequence, created_at) VALUES (:id, 1, :ref,"
                    " 2026, :n, :wf, 'Title', 'Description', 'ransomware', 4, FALSE, FALSE,"
                    " FALSE, 'TLP:AMBER', :detected, :aware, 'Officer', 'officer@old.example',"
                    " 'tests', 'notifying', 2, :created)"
                ),
                {
                    "id": f"00000000-0000-0000-0000-00000000000{number}",
                    "ref": f"OLD-2026-000{number}",
                    "n": number,
                    "wf": f"incident-{number}",
                    "detected": f"2026-11-01 09:00:00.000000{zone}",
                    "aware": f"2026-11-01 09:05:00.000000{zone}",
                    "created": f"2026-11-01 09:0{number}:00.000000{zone}",
                },
            )
            for sequence in (1, 2):
                connection.execute(
                    text(
                        "INSERT INTO timeline_event (incident_id, sequence, kind, occurred_at,"
                        " actor, summary, detail, recorded_at) VALUES (:incident, :seq,"
                        " 'note_added', :occurred, 'Officer', :summary, '{\"text\": \"x\"}',"
                        " :recorded)"
                    ),
                    {
                        "incident": f"00000000-0000-0000-0000-00000000000{number}",
                        "seq": sequence,
                        "summary": f"Note {sequence}",
                        "occurred": f"2026-11-01 09:10:00.123456{zone}",
                        "recorded": f"2026-11-01 09:10:01.000000{zone}",
                    },
                )
    older.dispose()

    upgrade_database(url)
    database = Database(url)
    try:
        # Sealed by the migration's own copy of the hashing, checked by today's code.
        async with database.session() as session:
            result = await verify(session=session, authority_code="OLD")
        assert result.intact and (result.incidents, result.events) == (2, 4), result.breaks
        await _tamper(database, "UPDATE timeline_event SET summary = 'Changed' WHERE sequence = 2")
        async with database.session() as session:
            assert not (await verify(session=session, authority_code="OLD")).intact
    finally:
        await database.dispose()
