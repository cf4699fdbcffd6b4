"""What every command shares: settings with logging configured, a database, a clean exit."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

import typer
from pydantic import SecretStr

from runtime.database import Database
from runtime.logging import configure_logging
from runtime.payloads import PayloadKeyError, embedded_keys
from runtime.settings import Settings, get_settings

T = TypeVar("T")


def settings_with_logging() -> Settings:
    """The configured settings, with the embedded set-up's payload keys if none are configured:
    `concordat run` encrypts its dev server's payloads with a key it keeps in its `var_dir`, and
    every other command must read them with the same key."""
    settings = get_settings()
    configure_logging(settings)
    if settings.payload_keys is None and (found := embedded_keys(settings.var_dir)) is not None:
        return settings.model_copy(update={"payload_keys": SecretStr(found)})
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
