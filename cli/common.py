"""What every command shares: settings with logging configured, a database, a clean exit."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

import typer

from runtime.database import Database
from runtime.logging import configure_logging
from runtime.payloads import PayloadKeyError
from runtime.settings import Settings, get_settings

T = TypeVar("T")


def settings_with_logging() -> Settings:
    """The configured settings, logging configured from them. Payload keys left unset in
    development are found in `var_dir` (`Settings.payload_key_ring`)."""
    settings = get_settings()
    configure_logging(settings)
    return settings


def with_payload_keys(settings: Settings) -> Settings:
    """The settings of a command that talks to Temporal, once its payload keys are known to be
    usable; keys missing in production, or malformed, are refused in one line."""
    try:
        settings.payload_key_ring()
    except (PayloadKeyError, RuntimeError) as refused:
        typer.echo(str(refused), err=True)
        exit_now(2)
    return settings


def with_database(action: Callable[[Database], Awaitable[T]]) -> T:
    async def run() -> T:
        database = Database(settings_with_logging().database_url)
        try:
            return await action(database)
        finally:
            await database.dispose()

    return asyncio.run(run())


def exit_now(code: int = 0) -> NoReturn:
    # The Temporal SDK's runtime can abort at interpreter exit (sdk-python #300).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
