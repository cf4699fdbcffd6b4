"""`concordat notice import`: a supplier's notice that came by email, recorded for the councils
that have the supplier on their register; and `concordat suppliers token`: a supplier's own API
token, to send notices itself.

A forwarded email becomes a notice as if the supplier had sent it through the API: its triage
clocks start at once (or, if Temporal cannot be reached, at the next repair, within minutes). A
file that cannot be read or matched to a supplier is refused, in English and Welsh, with exit
code 2, and nothing is recorded.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from cli.common import exit_now, settings_with_logging, with_database, with_payload_keys
from domain.rules import in_both
from runtime.database import Database
from services.notice_email import UnusableEmail, record_email_notice
from services.notice_intake import NotOnRegister, Receiving, issue_supplier_token

notice_app = typer.Typer(help="Supplier notices.", no_args_is_help=True)
suppliers_app = typer.Typer(help="Suppliers: their own API tokens.", no_args_is_help=True)


def _refuse(message: str) -> NoReturn:
    typer.echo(message, err=True)
    exit_now(2)


@notice_app.command("import")
def import_email(
    file: Annotated[Path, typer.Argument(help="The supplier's email, saved as an .eml file.")],
    authority: Annotated[
        list[str] | None,
        typer.Option(
            help="A council to record it for (its code); repeat. Left out, every "
            "council that has the supplier on its register."
        ),
    ] = None,
    supplier: Annotated[
        str | None,
        typer.Option(
            help="The supplier, by name, when the sender is not one of its contacts on a register."
        ),
    ] = None,
) -> None:
    """Record a supplier's email as a notice, and start each council's triage clock."""
    settings = settings_with_logging()
    try:
        raw = file.read_bytes()
    except OSError as unreadable:
        _refuse(
            in_both(
                f"Cannot read {file}: {unreadable.strerror or unreadable}.",
                f"Ni ellir darllen {file}: {unreadable.strerror or unreadable}.",
            )
        )

    async def record(database: Database) -> tuple[str, bool, list[Receiving], str, datetime]:
        async with database.session() as session:
            try:
                notice, created, councils = await record_email_notice(
                    raw,
                    supplier=supplier,
                    codes=authority or [],
                    window_minutes=settings.notice_triage_minutes,
                    session=session,
                )
            except (UnusableEmail, NotOnRegister) as refused:
                _refuse(str(refused))
        due = notice.received_at + timedelta(minutes=settings.notice_triage_minutes)
        return notice.id, created, councils, notice.subject, due

    notice_id, created, councils, subject, due = with_database(record)
    verb = "Recorded" if created else "Already recorded"
    typer.echo(f"{verb} notice {notice_id} from {councils[0].supplier.name}: {subject}")
    for receiving in councils:
        typer.echo(f"  {receiving.authority.code}  {receiving.authority.name_en}")
    typer.echo(f"Triage by {due.astimezone(UTC):%Y-%m-%d %H:%M} UTC.")
    if created and not _start_clocks(notice_id):
        typer.echo(
            "Temporal could not be reached: the clocks start at the next repair, within minutes.",
            err=True,
        )
    exit_now()


def _start_clocks(notice_id: str) -> bool:
    """Start the notice's clocks now; whether every one started."""
    from runtime.temporal import connect
    from services.notice_clocks import start_clocks

    settings = with_payload_keys(settings_with_logging())

    async def start(database: Database) -> bool:
        try:
            client = await connect(settings)
        except Exception:  # unreachable: the repair starts them
            return False
        async with database.session() as session:
            failed = await start_clocks(
                notice_id,
                session=session,
                temporal=client,
                task_queue=settings.task_queue,
                base_url=settings.base_url,
            )
        return not failed

    return with_database(start)


@suppliers_app.command("token")
def supplier_token(
    name: Annotated[str, typer.Argument(help="The supplier, as a council's register names it.")],
    expires_in_days: Annotated[
        int | None, typer.Option(min=1, help="Days until it expires.")
    ] = None,
) -> None:
    """Create a supplier's own API token and print it once (only its hash is kept). It sends
    notices to the councils that have the supplier on their register, and reads what it sent."""
    expires = datetime.now(UTC) + timedelta(days=expires_in_days) if expires_in_days else None

    async def create(database: Database) -> tuple[int, str]:
        async with database.session() as session:
            try:
                row, token = await issue_supplier_token(name, expires_at=expires, session=session)
            except NotOnRegister as refused:
                _refuse(str(refused))
        assert row.id is not None
        return row.id, token

    token_id, token = with_database(create)
    typer.echo(token)
    typer.echo(f"Token {token_id}; revoke it with `concordat token revoke {token_id}`.", err=True)
