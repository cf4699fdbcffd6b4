"""`concordat audit`: prove the record is complete and unaltered, and replay what happened."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, cast, get_args

import typer
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.service import RPCError

from audit.history import ArchiveDamaged
from audit.rebuild import NoHistory, Preference, rebuild_incident
from audit.report import IncidentReplay, to_csv, to_html, to_json, to_text
from audit.verify import Head, Verification, heads, verify
from cli.common import exit_now, settings_with_logging, with_database, with_payload_keys
from domain.clock import uk_moment
from models import Incident, Routine
from runtime.database import Database
from runtime.payloads import PayloadKeyError
from runtime.settings import Settings
from runtime.temporal import connect, converter_for
from services.directory import authority_by_code
from services.evidence import check_kept_files, kept_files
from services.incidents import find_incident
from services.routine_runs import record_run
from storage import EvidenceStore, evidence_store

audit_app = typer.Typer(
    help="Check timelines for tampering and replay incidents.", no_args_is_help=True
)


async def _incident_or_exit(identifier: str, session: AsyncSession) -> Incident:
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
    """Recompute every hash, the annual reviews' too, and re-hash every stored evidence file;
    exit 1 naming the first broken link, and each evidence file changed or missing, if anything
    was altered."""
    try:
        kept = [Head.parse(text) for text in expect or []]
    except ValueError as bad:
        typer.echo(str(bad), err=True)
        raise typer.Exit(2) from None

    async def check(database: Database) -> Verification:
        # One snapshot: chains read across a commit of the workflow's would look broken.
        async with database.snapshot() as session:
            target = await _incident_or_exit(incident, session) if incident else None
            if (
                authority is not None
                and await authority_by_code(authority, session=session) is None
            ):
                typer.echo(f"No authority with code {authority!r}.", err=True)
                raise typer.Exit(2)
            result = await verify(
                session=session, incident=target, authority_code=authority, expect=kept
            )
            files = await kept_files(session=session, incident=target, authority_code=authority)
        if files:  # read outside the snapshot: re-hashing takes as long as the files are large
            result.breaks += await check_kept_files(_evidence_store(), files)
            result.evidence_files = len(files)
        # For the metrics: a check of everything that held, or any check that found a break.
        if not result.intact or (incident is None and authority is None):
            await _record_verification(database, intact=result.intact)
        return result

    result: Verification = with_database(check)
    checked = f"{result.incidents} incidents, {result.events} events"
    if result.reviews:
        checked += f", {result.reviews} annual reviews, {result.review_events} review events"
    if result.heads:
        checked += f", {result.heads} kept heads"
    if result.evidence_files:
        checked += f", {result.evidence_files} evidence files"
    if result.intact:
        typer.echo(f"Intact: {checked} checked; every link holds.")
        return
    typer.echo(f"BROKEN: {checked} checked; first broken link: {result.breaks[0]}")
    for other in result.breaks[1:]:
        typer.echo(f"  also: {other}")
    raise typer.Exit(1)


async def _record_verification(database: Database, *, intact: bool) -> None:
    """Keep the outcome where every web process's /metrics reads it; a role that may not
    write it is told so, and the check's own answer stands."""
    try:
        async with database.session() as session:
            await record_run(Routine.CHAIN_VERIFICATION, succeeded=intact, session=session)
    except SQLAlchemyError as refused:
        typer.echo(f"The outcome was not kept for the metrics: {type(refused).__name__}", err=True)


def _evidence_store() -> EvidenceStore:
    """The deployment's evidence store, with the payload keys that opened its files."""
    settings = settings_with_logging()
    try:
        return evidence_store(settings)
    except (PayloadKeyError, RuntimeError, ValueError) as refused:
        typer.echo(f"Cannot read the evidence store: {refused}", err=True)
        raise typer.Exit(2) from None


@audit_app.command("head")
def audit_head(
    incident: Annotated[
        str | None, typer.Argument(help="Reference or id; leave out for every chain.")
    ] = None,
) -> None:
    """Print chain heads to keep somewhere else; `verify --expect` checks them later."""

    async def read(database: Database) -> list[Head]:
        async with database.snapshot() as session:
            target = await _incident_or_exit(incident, session) if incident else None
            return await heads(session=session, incident=target)

    for head in with_database(read):
        typer.echo(str(head))


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"
    CSV = "csv"
    HTML = "html"


def _moment(text: str) -> datetime:
    try:
        return uk_moment(text)
    except ValueError as bad:
        raise typer.BadParameter(str(bad)) from None


async def _temporal_or_none(settings: Settings) -> Client | None:
    try:
        async with asyncio.timeout(10):
            return await connect(settings)
    except (RuntimeError, TimeoutError, OSError) as unreachable:
        typer.echo(f"Temporal is not reachable ({unreachable}); reading the archive.", err=True)
        return None


@audit_app.command("replay")
def audit_replay(
    incident: Annotated[str, typer.Argument(help="Reference (CDF-2026-0001) or id.")],
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Show the state at this moment (ISO 8601; UK time if no zone)."
        ),
    ] = None,
    output_format: Annotated[Format, typer.Option("--format")] = Format.TEXT,
    output: Annotated[Path | None, typer.Option(help="Write here instead of the terminal.")] = None,
    source: Annotated[
        str, typer.Option(help="auto (server, else archive), server or archive.")
    ] = "auto",
) -> None:
    """Rebuild the incident from its Temporal history and check it against the code and the
    database; exit 1 if anything does not agree."""
    if source not in get_args(Preference):
        raise typer.BadParameter("choose auto, server or archive", param_hint="--source")
    prefer = cast(Preference, source)
    moment = _moment(as_of) if as_of else None
    settings = with_payload_keys(settings_with_logging())

    async def rebuild(database: Database) -> IncidentReplay:
        async with database.reading() as session:
            target = await _incident_or_exit(incident, session)
        client = await _temporal_or_none(settings) if source != "archive" else None
        async with database.reading() as session:
            try:
                return await rebuild_incident(
                    target,
                    converter=converter_for(settings),
                    client=client,
                    session=session,
                    prefer=prefer,
                    as_of=moment,
                )
            except (NoHistory, ArchiveDamaged, RPCError) as missing:
                typer.echo(f"No history: {missing}.", err=True)
                raise typer.Exit(2) from None

    replay: IncidentReplay = with_database(rebuild)
    rendered = {
        Format.TEXT: to_text,
        Format.JSON: to_json,
        Format.CSV: to_csv,
        Format.HTML: lambda r: to_html(r, generated_at=datetime.now(UTC)),
    }[output_format](replay)
    if output is not None:
        output.write_text(rendered, encoding="utf-8")
        typer.echo(f"Written to {output}.")
        for line in replay.findings():
            typer.echo(line)
    else:
        typer.echo(rendered, nl=False)
    if not replay.sound:
        exit_now(1)
    exit_now(0)
