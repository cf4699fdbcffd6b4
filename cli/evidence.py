"""`concordat evidence`: an incident's evidence bundle, written where the operator says.

The same archive the API and the status page give (`services.evidence_bundle`), for a server
operator handing evidence to the police or an insurer; it is recorded as a download, by the
command line and the account that ran it, as every download is.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from cli.common import settings_with_logging, with_database
from runtime.database import Database
from runtime.payloads import PayloadKeyError
from services.evidence import record_download
from services.evidence_bundle import NothingToBundle, prepare_bundle
from services.incidents import find_incident
from storage import EvidenceStoreError, evidence_store

evidence_app = typer.Typer(help="Evidence kept about incidents.", no_args_is_help=True)


def _operator() -> str:
    try:
        return f"command line ({getpass.getuser()})"
    except (KeyError, OSError):  # no name for this process's user (a container's, say)
        return "command line"


@evidence_app.command("bundle")
def evidence_bundle(
    incident: Annotated[str, typer.Argument(help="Reference (CDF-2026-0001) or id.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the .tar archive.")],
) -> None:
    """Write the incident's evidence bundle: the files, their manifest and SHA256SUMS, the
    hand-overs and the sealed timeline, the same bytes each time; check it with
    `tar -xf FILE && cd REFERENCE && sha256sum -c SHA256SUMS`."""

    async def write(database: Database) -> str:
        try:
            store = evidence_store(settings_with_logging())
        except (PayloadKeyError, RuntimeError, ValueError) as refused:
            typer.echo(f"Cannot read the evidence store: {refused}", err=True)
            raise typer.Exit(2) from None
        async with database.session() as session:
            found = await find_incident(incident, session=session)
            if found is None:
                typer.echo(f"No incident {incident!r}.", err=True)
                raise typer.Exit(2)
            try:
                bundle = await prepare_bundle(found, session=session)
            except NothingToBundle:
                typer.echo(f"No evidence is kept for {found.reference}.", err=True)
                raise typer.Exit(2) from None
            await record_download(found, None, who=_operator(), session=session)
        partial = out.with_name(out.name + ".part")
        try:
            with partial.open("wb") as target:
                async for chunk in bundle.stream(store):
                    target.write(chunk)
        except EvidenceStoreError as broken:
            partial.unlink(missing_ok=True)
            typer.echo(f"The bundle could not be made: {broken}", err=True)
            raise typer.Exit(1) from None
        partial.replace(out)
        return f"Written {out} ({bundle.size} bytes, {bundle.files} evidence files)."

    typer.echo(with_database(write))
