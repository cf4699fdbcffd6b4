"""What every command shares: settings with logging configured, a database, a clean exit."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from runtime.database import Database
from runtime.logging import configure_logging
from runtime.settings import Settings, get_settings

T = TypeVar("T")


def settings_with_logging() -> Settings:
    settings = get_settings()
    configure_logging(settings)
    return settings


def with_database(action: Callable[[Database], Awaitable[T]]) -> T:
    async def run() -> T:
        database = Database(settings_with_logging().database_url)
        try:
            return await action(database)
        finally:
            await database.dispose()

    return asyncio.run(run())


def exit_now(code: int = 0) -> None:
    # The Temporal SDK's runtime can abort at interpreter exit (sdk-python #300).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
