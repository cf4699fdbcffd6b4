"""`concordat audit`: prove the record is complete and unaltered, and replay what happened."""

from __future__ import annotations

from typing import Annotated

import typer

from audit.verify import Head, Verification, heads, verify
from cli.common import with_database
from runtime.database import Database
from services.incidents import find_incident

audit_app = typer.Typer(
    help="Check timelines for tampering and replay incidents.", no_args_is_help=True
)


async def _incident_or_exit(database: Database, identifier: str):  # type: ignore[no-untyped-def]
    async with database.session() as session:
        incident = await find_incident(identifier, session=session)
    if incident is None:
        typer.echo(f"No incident {identifier!r}.", err=True)
        raise typer.Exit(2)
    return incident


@audit_app.command("verify")
def audit_verify(
    incident: Annotated[
        str | None, typer.Argument(help="Reference or id; leave out to check every chain.")
    ] = None,
    authority: Annotated[
        str | None, typer.Option(help="Only this authority's chains (its code).")
    ] = None,
    expect: Annotated[
        list[str] | None,
        typer.Option(help="A head kept elsewhere (REF#EVENT:HASH or CODE@POSITION:HASH)."),
    ] = None,
) -> None:
    """Recompute every hash; exit 1 naming the first broken link if anything was altered."""
    try:
        kept = [Head.parse(text) for text in expect or []]
    except ValueError as bad:
        typer.echo(str(bad), err=True)
        raise typer.Exit(2) from None

    async def check(database: Database) -> Verification:
        target = await _incident_or_exit(database, incident) if incident else None
        async with database.session() as session:
            return await verify(
                session=session, incident=target, authority_code=authority, expect=kept
            )

    result: Verification = with_database(check)
    checked = f"{result.incidents} incidents, {result.events} events"
    if result.heads:
        checked += f", {result.heads} kept heads"
    if result.intact:
        typer.echo(f"Intact: {checked} checked; every link holds.")
        return
    typer.echo(f"BROKEN: {checked} checked; first broken link: {result.breaks[0]}")
    for other in result.breaks[1:]:
        typer.echo(f"  also: {other}")
    raise typer.Exit(1)


@audit_app.command("head")
def audit_head(
    incident: Annotated[
        str | None, typer.Argument(help="Reference or id; leave out for every chain.")
    ] = None,
) -> None:
    """Print chain heads to keep somewhere else; `verify --expect` checks them later."""

    async def read(database: Database) -> list[Head]:
        target = await _incident_or_exit(database, incident) if incident else None
        async with database.session() as session:
            return await heads(session=session, incident=target)

    for head in with_database(read):
        typer.echo(str(head))
