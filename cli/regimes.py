"""`concordat reporting import FILE` and `concordat reporting show`: the reporting regime.

Importing checks the whole file first: a mistake is printed with its line and reason, exit code
2, and nothing changes. A good file's changes are printed, then it is in force for every clock
that starts from then on; a clock already running keeps the rule it started with.
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from cli.common import exit_now, with_database
from regimes.format import Regime, RegimeError
from regimes.store import ImportResult, import_regime, regime_in_force
from runtime.database import Database


def import_command(
    file: Annotated[Path, typer.Argument(help="The regime file (TOML).")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the file and show the changes only.")
    ] = False,
) -> None:
    """Check a regime file, show what it changes, and put it in force."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        typer.echo(
            f"{file}: cannot be read ({error}). / {file}: ni ellir ei ddarllen ({error}).",
            err=True,
        )
        exit_now(2)

    async def apply(database: Database) -> ImportResult:
        async with database.session() as session:
            return await import_regime(
                text,
                file_name=str(file),
                imported_by=getpass.getuser(),
                session=session,
                dry_run=dry_run,
            )

    try:
        result = with_database(apply)
    except RegimeError as error:
        where = f"{file}:{error.line}" if error.line else str(file)
        typer.echo(f"{where}: {error.reason}", err=True)
        typer.echo("Nothing changed. / Ni newidiwyd dim.", err=True)
        exit_now(2)
    if not result.changes:
        typer.echo(f"Regime {result.regime.version}: no changes; nothing recorded.")
        return
    for line in result.changes:
        typer.echo(line)
    if dry_run:
        typer.echo(f"Regime {result.regime.version} checked; nothing changed (--dry-run).")
    else:
        typer.echo(
            f"Regime {result.regime.version} in force for clocks that start from now "
            f"(import {result.record_id})."
        )


def show_command() -> None:
    """The regime in force: each body, its trigger and its deadlines."""

    async def read(database: Database) -> Regime:
        async with database.session() as session:
            return await regime_in_force(session)

    regime = with_database(read)
    typer.echo(f"Regime {regime.version}")
    for key, rule in regime.rules.items():
        stages = (
            ", ".join(f"{s.key} {s.window}" for s in rule.stages)
            if rule.stages
            else f"one report within {rule.window}"
        )
        state = "" if rule.enabled else " (off by default)"
        name = rule.name_at(datetime.now(UTC))
        typer.echo(f"  {key}: {name}, {rule.trigger.value}: {stages}{state}")
