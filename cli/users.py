"""`concordat user`: the people who sign in. The first administrator is made here."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer

from cli.common import exit_now, with_database
from domain.access import AccessRole
from domain.vocabulary import MemberRole
from runtime.database import Database
from security.passwords import WeakPassword
from services.directory import authority_by_code
from services.users import UserExists, create_user

user_app = typer.Typer(help="People who sign in, and their roles.", no_args_is_help=True)


def _password(from_stdin: bool) -> str:
    """Never from the command line, where it would sit in the shell's history."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        typer.echo("The passwords differ.", err=True)
        raise typer.Exit(2)
    return first


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Argument(help="Their email address: the name they sign in with.")],
    name: Annotated[str, typer.Option(help="Their name, as the timeline records it.")],
    role: Annotated[AccessRole, typer.Option()],
    authority: Annotated[
        str | None, typer.Option(help="Their authority's code; none for the central team.")
    ] = None,
    member_role: Annotated[
        MemberRole | None, typer.Option(help="For a responsible member: the role they hold.")
    ] = None,
    grant: Annotated[
        list[str] | None, typer.Option(help="Auditors: an authority they may read; repeat.")
    ] = None,
    all_authorities: Annotated[
        bool, typer.Option(help="Auditors: every authority (said explicitly).")
    ] = False,
    password_stdin: Annotated[
        bool, typer.Option(help="Read the password from standard input (for scripts).")
    ] = False,
) -> None:
    """Add a person. Run first as `--role authority_admin` (or `central_team`) to bootstrap."""
    if role is AccessRole.SUPPLIER:
        typer.echo(
            "A supplier signs nothing in: it submits notices with its own token "
            "(`concordat suppliers token NAME`). / Nid yw cyflenwr yn mewngofnodi: mae'n "
            "anfon hysbysiadau gyda'i docyn ei hun (`concordat suppliers token ENW`).",
            err=True,
        )
        exit_now(2)
    password = _password(password_stdin)

    async def add(database: Database) -> int:
        async with database.session() as session:
            codes = [authority, *(grant or [])] if authority else list(grant or [])
            ids = []
            for code in codes:
                found = await authority_by_code(code, session=session)
                if found is None or found.id is None:
                    typer.echo(f"No authority with code {code!r}.", err=True)
                    raise typer.Exit(2)
                ids.append(found.id)
            try:
                user = await create_user(
                    email=email,
                    name=name,
                    password=password,
                    role=role,
                    authority_id=ids[0] if authority else None,
                    member_role=member_role,
                    grants=ids[1:] if authority else ids,
                    all_authorities=all_authorities,
                    session=session,
                )
            except (WeakPassword, UserExists, ValueError) as refused:
                typer.echo(str(refused), err=True)
                raise typer.Exit(2) from None
            assert user.id is not None
            return user.id

    user_id = with_database(add)
    typer.echo(f"User {user_id} ({email.lower()}, {role.value}) added.")
