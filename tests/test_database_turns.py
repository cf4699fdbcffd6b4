"""SQLite writers in one process take turns; readers never wait for them.

A turn that is not given back would stall every later write of the process, so these check
that a failed transaction and an open reader leave the next writer free to go at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from runtime.database import Database


@pytest.fixture
async def scratch(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'turns.db'}")
    async with database.session() as session:
        await (await session.connection()).execute(
            text("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
        )
        await session.commit()
    yield database
    await database.dispose()


async def _count(database: Database) -> int:
    async with database.reading() as session:
        return (
            await (await session.connection()).execute(text("SELECT count(*) FROM note"))
        ).one()[0]


async def test_many_writers_at_once_all_commit(scratch: Database) -> None:
    async def write(number: int) -> None:
        async with scratch.session() as session:
            await (await session.connection()).execute(
                text("INSERT INTO note (body) VALUES (:b)"), {"b": number}
            )
            await asyncio.sleep(0)  # hold the turn across an await, as real code does
            await session.commit()

    async with asyncio.timeout(10):
        await asyncio.gather(*(write(n) for n in range(40)))
    assert await _count(scratch) == 40


async def test_a_failed_transaction_gives_its_turn_back(scratch: Database) -> None:
    with pytest.raises(RuntimeError):
        async with scratch.session() as session:
            await (await session.connection()).execute(
                text("INSERT INTO note (body) VALUES ('lost')")
            )
            raise RuntimeError("the activity failed half way")
    async with asyncio.timeout(5), scratch.session() as session:
        await (await session.connection()).execute(text("INSERT INTO note (body) VALUES ('kept')"))
        await session.commit()
    assert await _count(scratch) == 1


async def test_a_reader_left_open_does_not_hold_a_writer_up(scratch: Database) -> None:
    async with scratch.reading() as reader:
        await (await reader.connection()).execute(text("SELECT count(*) FROM note"))
        async with asyncio.timeout(5), scratch.session() as writer:
            await (await writer.connection()).execute(
                text("INSERT INTO note (body) VALUES ('written')")
            )
            await writer.commit()
    assert await _count(scratch) == 1
