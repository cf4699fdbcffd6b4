"""Database engines: one URL in configuration, the right driver for async code and migrations.

`CONCORDAT_DATABASE_URL` is written the way people know it (`sqlite:///var/concordat.db`,
`postgresql+psycopg://user@host/db`); the application runs on the async variant of the same
driver and Alembic on the sync one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
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
    # SQLAlchemy, not the driver, begins transactions (see `_begin_immediately`).
    dbapi_connection.isolation_level = None


def _begin_immediately(connection: Any) -> None:
    """Take SQLite's write lock at BEGIN. A transaction that reads and then writes would
    otherwise fail at once with "database is locked" whenever another connection wrote in
    between, without waiting for the busy timeout."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


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
            event.listen(self.engine.sync_engine, "begin", _begin_immediately)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


def insert_for(session: AsyncSession):  # type: ignore[no-untyped-def]
    """The dialect's INSERT, which has ON CONFLICT (PostgreSQL and SQLite alike)."""
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
