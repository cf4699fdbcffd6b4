"""Whether this process can reach its database: for the health check."""

from __future__ import annotations

from sqlalchemy import text

from runtime.database import Database


async def database_health(database: Database) -> str:
    """ "ok", or the name of what went wrong; never raises (it answers a health check)."""
    try:
        async with database.session() as session:
            await (await session.connection()).execute(text("SELECT 1"))
    except Exception as error:
        return type(error).__name__
    return "ok"
