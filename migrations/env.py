"""Alembic environment: runs migrations on the sync driver of the configured database."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table on SQLModel.metadata)
from runtime.database import sync_url
from runtime.settings import get_settings

config = context.config
database_url = config.attributes.get("database_url") or get_settings().database_url
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    engine = create_engine(sync_url(database_url), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
