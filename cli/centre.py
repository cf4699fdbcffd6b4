"""`concordat centre`: the central team's duty recipients, whom serious incidents reach at once."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import with_database
from domain.channels import Channel
from domain.mobiles import NotAUkMobile, uk_mobile
from domain.vocabulary import Language
from runtime.database import Database
from services import centre

centre_app = typer.Typer(
    help="The central team's duty recipients: who is told of serious incidents.",
    no_args_is_help=True,
)


@centre_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The duty post, e.g. 'Central team duty officer'.")],
    email: Annotated[str | None, typer.Option(help="The duty mailbox.")] = None,
    mobile: Annotated[str | None, typer.Option(help="The duty phone, e.g. 07700 900123.")] = None,
    language: Annotated[Language, typer.Option()] = Language.UNKNOWN,
    category: Annotated[
        list[int] | None, typer.Option(min=1, max=6, help="A category to be told of; repeat.")
    ] = None,
    significant: Annotated[
        bool, typer.Option(help="Also told of any incident marked significant.")
    ] = True,
    channel: Annotated[
        list[Channel] | None, typer.Option(help="email, sms or notify_email; repeat.")
    ] = None,
) -> None:
    """Add a duty recipient; incidents opened from now on tell them."""
    try:
        number = uk_mobile(mobile) if mobile else None
    except NotAUkMobile as refused:
        typer.echo(str(refused), err=True)
        raise typer.Exit(2) from None
    channels = channel or [Channel.EMAIL, Channel.SMS]
    if Channel.TEAMS in channels:
        typer.echo("Teams is each authority's own channel, not the centre's.", err=True)
        raise typer.Exit(2)
    details = centre.RecipientDetails(
        name=name,
        email=email,
        mobile=number,
        language=language,
        categories=category or [1, 2, 3],
        significant=significant,
        channels=channels,
    )

    async def save(database: Database) -> int:
        async with database.session() as session:
            try:
                return (await centre.add_recipient(details, session=session)).id or 0
            except ValueError as refused:
                typer.echo(str(refused), err=True)
                raise typer.Exit(2) from None

    typer.echo(f"duty recipient {with_database(save)}")


@centre_app.command("list")
def list_recipients() -> None:
    """The duty recipients, what they are told of, and how."""

    async def read(database: Database) -> list[str]:
        async with database.session() as session:
            return [
                f"{r.id}\t{r.name}\t{r.email or '-'}\t{r.mobile or '-'}\t"
                f"categories {','.join(map(str, r.categories or []))}"
                f"{' + significant' if r.significant else ''}\t{','.join(r.channels or [])}"
                for r in await centre.active_recipients(session=session)
            ]

    for line in with_database(read):
        typer.echo(line)


@centre_app.command("retire")
def retire(recipient_id: Annotated[int, typer.Argument()]) -> None:
    """Stop telling a duty recipient (kept, for the timelines that name them)."""

    async def save(database: Database) -> bool:
        async with database.session() as session:
            return await centre.retire_recipient(recipient_id, session=session) is not None

    if not with_database(save):
        typer.echo(f"No duty recipient {recipient_id}.", err=True)
        raise typer.Exit(2)
    typer.echo(f"retired {recipient_id}")
