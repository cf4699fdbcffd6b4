"""PostgreSQL grants for the role the application runs as.

Migrations run as the schema's owner; the worker and web app should run as a separate role that
may read and write the working tables but only *add* to the timeline and the history archive.
The database then refuses, to the application itself, any attempt to rewrite history.
"""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, pool, text

from runtime.database import sync_url

#: Tables the application may only read and append to.
APPEND_ONLY_TABLES = (
    "timeline_event",
    "history_archive",
    "administration_change",
    "received_text",
    "review_event",
)


def grant_application_role(database_url: str, role: str) -> list[str]:
    """Grant `role` what the application needs; returns the statements run."""
    engine = create_engine(sync_url(database_url), poolclass=pool.NullPool)
    if engine.dialect.name != "postgresql":
        engine.dispose()
        raise ValueError("grants apply to PostgreSQL; SQLite has no roles")
    quoted = engine.dialect.identifier_preparer.quote(role)
    statements = [f"GRANT USAGE ON SCHEMA public TO {quoted}"]
    with engine.begin() as connection:
        tables = [t for t in inspect(connection).get_table_names() if t != "alembic_version"]
        for table in sorted(tables):
            privileges = (
                "SELECT, INSERT"
                if table in APPEND_ONLY_TABLES
                else "SELECT, INSERT, UPDATE, DELETE"
            )
            statements.append(f"REVOKE ALL ON TABLE {table} FROM {quoted}")
            statements.append(f"GRANT {privileges} ON TABLE {table} TO {quoted}")
        statements.append(f"GRANT SELECT ON TABLE alembic_version TO {quoted}")
        statements.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()
    return statements
