"""Database engines: one URL in configuration, the right driver for async code and migrations.

`CONCORDAT_DATABASE_URL` is written the way people know it (`sqlite:///var/concordat.db`,
`postgresql+psycopg://user@host/db`); the application runs on the async variant of the same
driver and Alembic on the sync one.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.util import await_only
from sqlmodel.ext.asyncio.session import AsyncSession

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+psycopg"}
_SYNC_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}


def _with_driver(url: str, drivers: dict[str, str]) -> URL:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in drivers:
        raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")
    return parsed.set(drivername=drivers[backend])


def async_url(url: str) -> URL:
    return _with_driver(url, _ASYNC_DRIVERS)


def sync_url(url: str) -> URL:
    return _with_driver(url, _SYNC_DRIVERS)


def ensure_sqlite_directory(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers and the writer work side by side; the busy timeout turns a momentary
    # lock into a short wait instead of an error.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # SQLAlchemy, not the driver, begins transactions (see `_begin`).
    dbapi_connection.isolation_level = None


#: Execution option of the engine behind `Database.reading()`.
_READ_ONLY = "concordat_read_only"
#: How each database reads one snapshot from a transaction's first statement to its end.
#: PostgreSQL's default, READ COMMITTED, gives every statement a snapshot of its own. SQLite in
#: WAL mode keeps a reader on the snapshot of its first read until its transaction ends, so it
#: needs only a transaction that is not a writer's (`_begin`).
_SNAPSHOT_OPTIONS: dict[str, dict[str, Any]] = {
    "postgresql": {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True},
    "sqlite": {_READ_ONLY: True},
}
#: Where a connection keeps the write turn it holds (its pool record's `info`).
_TURN = "concordat_write_turn"
#: As long as SQLite's own busy timeout: a writer waits this long for its turn, then fails.
WRITE_WAIT_SECONDS = 30


class WriteTurns:
    """The writers of one process take turns in order, instead of polling SQLite's lock.

    SQLite has one write lock. A connection that finds it taken sleeps in the busy handler
    (1, 2, 5 ... 100 ms) and tries again, so with many writers in one process most of the
    waiting was sleep while the lock stood free, and a burst of incidents crawled. Queued on
    an asyncio lock, each writer starts the moment the one before it ends; only the web and
    the worker processes still meet at SQLite's lock.
    """

    def __init__(self) -> None:
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    def take(self, connection: Any) -> None:
        """Wait for this process's turn to write (called inside SQLAlchemy's greenlet)."""
        lock = self._locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
        try:
            await_only(asyncio.wait_for(lock.acquire(), WRITE_WAIT_SECONDS))
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked") from None
        connection.info[_TURN] = lock

    @staticmethod
    def give_back(info: dict[str, Any]) -> None:
        lock = info.pop(_TURN, None)
        if lock is not None:
            lock.release()


def _begin(turns: WriteTurns, connection: Any) -> None:
    """Take SQLite's write lock at BEGIN, unless the session only reads.

    A transaction that reads and then writes would otherwise fail at once with "database is
    locked" whenever another connection wrote in between, without waiting for the busy
    timeout. A read-only session needs no lock at all: in WAL mode it reads a consistent
    snapshot beside the writer, so it neither waits for writers nor makes them wait.
    """
    if connection.get_execution_options().get(_READ_ONLY, False):
        connection.exec_driver_sql("BEGIN")
        return
    turns.take(connection)
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        turns.give_back(connection.info)
        raise


def _end_turn(_dbapi_connection: Any, record: Any) -> None:
    """A connection back in the pool has committed or rolled back, or a broken one was thrown
    away: the next writer's turn (giving a turn back twice does nothing)."""
    WriteTurns.give_back(record.info)


class Database:
    """The async engine and its sessions, created once per process."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        ensure_sqlite_directory(url)
        target = async_url(url)
        options: dict[str, Any] = {"pool_pre_ping": True}
        if target.get_backend_name() == "postgresql":
            options |= {"pool_size": pool_size, "max_overflow": pool_size}
        self.url = url
        self.is_sqlite = target.get_backend_name() == "sqlite"
        self.engine: AsyncEngine = create_async_engine(target, **options)
        if target.get_backend_name() == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _tune_sqlite)
            turns = WriteTurns()
            event.listen(self.engine.sync_engine, "begin", functools.partial(_begin, turns))
            event.listen(self.engine.sync_engine.pool, "checkin", _end_turn)
            event.listen(
                self.engine.sync_engine.pool,
                "invalidate",
                lambda dbapi_connection, record, _error: _end_turn(dbapi_connection, record),
            )
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )
        self._reading_sessions = async_sessionmaker(
            self.engine.execution_options(**{_READ_ONLY: True}),
            class_=AsyncSession,
            expire_on_commit=False,
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session that may write (on SQLite, each transaction holds the write lock)."""
        async with self._sessions() as session:
            yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session that only reads, and so never waits for SQLite's write lock.

        A write through it fails with "database is locked" whenever anyone else is writing,
        so use it only where nothing is written.
        """
        async with self._reading_sessions() as session:
            yield session

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncSession]:
        """A session that only reads, and sees the database as one moment left it (see
        `read_one_snapshot`)."""
        async with self.reading() as session:
            await read_one_snapshot(session)
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


async def read_one_snapshot(session: AsyncSession) -> None:
    """Make the session's next transaction read one consistent snapshot, and nothing else.

    A check that reads an incident, then its events, then the incident before it, must see
    them as one moment left them: read in separate snapshots, a timeline batch committed in
    between makes an intact hash chain look broken. Every statement until the session's next
    commit or rollback sees the database as it was at the first one. Nothing may be written
    in it: PostgreSQL refuses, and on SQLite, as with `reading()`, a write would fail whenever
    anyone else is writing.

    Ends the session's current transaction first; read again inside what must agree.
    """
    if session.in_transaction():
        await session.commit()
    await session.connection(execution_options=_SNAPSHOT_OPTIONS[session.get_bind().dialect.name])


def insert_for(session: AsyncSession) -> Callable[..., Any]:
    """The dialect's INSERT, which has ON CONFLICT (PostgreSQL and SQLite alike)."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
