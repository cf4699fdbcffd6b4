"""`concordat`: run the product, its worker or web app, and administer the directory."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
import uvicorn

from cli.audit import audit_app
from cli.centre import centre_app
from cli.common import exit_now as _exit
from cli.common import settings_with_logging as _settings
from cli.common import with_database as _with_database
from cli.common import with_payload_keys as _with_payload_keys
from cli.evidence import evidence_app
from cli.notices import notice_app, suppliers_app
from cli.regimes import import_command as reporting_import
from cli.regimes import show_command as reporting_show
from cli.review import review_app
from cli.sms import sms_app
from cli.statements import statements_app
from cli.users import user_app
from domain.access import AccessRole, TokenScope
from domain.mobiles import NotAUkMobile
from domain.obligations import Body, Trigger
from domain.vocabulary import Language, MemberRole
from models import EscalationPolicyOverride, ReportingRuleOverride
from regimes.store import regime_in_force
from runtime.database import Database
from runtime.migrate import upgrade_database
from runtime.payloads import PayloadKeyError
from services.councils import seed_councils
from services.directory import (
    authority_by_code,
    name_member,
    set_ncsc_contact,
    set_policy,
    set_reporting_rule,
)
from services.users import user_by_email

app = typer.Typer(help="Concordat: cyber-incident reporting and escalation.", no_args_is_help=True)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
token_app = typer.Typer(help="API access tokens.", no_args_is_help=True)
member_app = typer.Typer(help="Named responsible members.", no_args_is_help=True)
policy_app = typer.Typer(help="Escalation policies.", no_args_is_help=True)
reporting_app = typer.Typer(
    help="Reporting rules: which bodies, which windows.", no_args_is_help=True
)
authority_app = typer.Typer(help="Authorities.", no_args_is_help=True)
keys_app = typer.Typer(help="Keys that encrypt Temporal payloads.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")
app.add_typer(member_app, name="member")
app.add_typer(policy_app, name="policy")
app.add_typer(reporting_app, name="reporting")
reporting_app.command("import")(reporting_import)
reporting_app.command("show")(reporting_show)
app.add_typer(authority_app, name="authority")
app.add_typer(audit_app, name="audit")
app.add_typer(user_app, name="user")
app.add_typer(keys_app, name="keys")
app.add_typer(sms_app, name="sms")
app.add_typer(review_app, name="review")
app.add_typer(centre_app, name="centre")
app.add_typer(evidence_app, name="evidence")
app.add_typer(statements_app, name="statements")
app.add_typer(notice_app, name="notice")
app.add_typer(suppliers_app, name="suppliers")


@app.command()
def run() -> None:
    """Run everything on embedded defaults: Temporal, SQLite, mail catcher, worker and web."""
    from embedded.stack import run_embedded
    from runtime.tracing import configure_tracing, shutdown_tracing

    settings = _settings()
    configure_tracing(settings)  # before the stack connects to Temporal
    try:
        asyncio.run(run_embedded(settings))
    except KeyboardInterrupt:
        pass
    except SystemExit as refused:
        typer.echo(str(refused), err=True)
        _exit(2)
    shutdown_tracing()
    _exit()


@app.command()
def worker() -> None:
    """Run a worker against CONCORDAT_TEMPORAL_ADDRESS (start as many as you need)."""
    from worker import run_worker

    try:
        asyncio.run(run_worker(_with_payload_keys(_settings())))
    except KeyboardInterrupt:
        pass
    except SystemExit as refused:
        typer.echo(str(refused), err=True)
        _exit(2)
    _exit()


@app.command()
def web() -> None:
    """Run the web app and API against CONCORDAT_TEMPORAL_ADDRESS."""
    from runtime.temporal import connect
    from runtime.tracing import configure_tracing, shutdown_tracing
    from web.access_log import serving_config
    from web.app import create_app

    settings = _with_payload_keys(_settings())
    if not settings.temporal_address:
        typer.echo("Set CONCORDAT_TEMPORAL_ADDRESS, or use `concordat run`.", err=True)
        _exit(2)

    async def serve() -> None:
        database = Database(settings.database_url)
        configure_tracing(settings)  # before connecting: the client carries the interceptor
        client = await connect(settings)
        app_ = create_app(settings=settings, database=database, temporal=client)
        await uvicorn.Server(serving_config(app_, settings)).serve()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass
    shutdown_tracing()
    _exit()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply migrations and add any missing Welsh councils."""
    settings = _settings()
    upgrade_database(settings.database_url)

    async def seed(database: Database) -> int:
        async with database.session() as session:
            return await seed_councils(session=session)

    added = _with_database(seed)
    typer.echo(f"Database is up to date; {added} councils added.")


@app.command()
def reconcile() -> None:
    """Start the workflow of any incident whose row was saved but whose start never happened
    (workers also do this every few minutes on a Temporal schedule)."""
    from runtime.temporal import connect
    from services.starts import reconcile_unstarted

    settings = _with_payload_keys(_settings())

    async def repair(database: Database) -> list[str]:
        client = await connect(settings)
        async with database.session() as session:
            return await reconcile_unstarted(
                session=session, temporal=client, task_queue=settings.task_queue
            )

    started = _with_database(repair)
    typer.echo(
        f"Started {len(started)} incident(s)" + (": " + ", ".join(started) if started else ".")
    )
    _exit()


@db_app.command("grant")
def db_grant(
    role: Annotated[str, typer.Argument(help="The PostgreSQL role the application runs as.")],
) -> None:
    """Let ROLE use every table, but only read and append to the timeline and archive."""
    from runtime.pg_privileges import grant_application_role

    try:
        statements = grant_application_role(_settings().database_url, role)
    except ValueError as refused:
        typer.echo(str(refused), err=True)
        _exit(2)
    typer.echo("\n".join(statements))


async def _authority_id(database: Database, code: str) -> int:
    async with database.session() as session:
        authority = await authority_by_code(code, session=session)
    if authority is None or authority.id is None:
        typer.echo(f"No authority with code {code!r}.", err=True)
        raise typer.Exit(2)
    return authority.id


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="Who holds the token; recorded as the actor.")],
    authority: Annotated[
        str | None,
        typer.Option(help="Authority code; or, said explicitly, --all-authorities."),
    ] = None,
    expires_in_days: Annotated[
        int | None, typer.Option(min=1, help="Days until it expires.")
    ] = None,
    role: Annotated[AccessRole, typer.Option(help="What the holder may do.")] = (
        AccessRole.ON_CALL_OFFICER
    ),
    grant: Annotated[
        list[str] | None,
        typer.Option(help="Auditors: an authority whose timelines they may read; repeat."),
    ] = None,
    all_authorities: Annotated[
        bool,
        typer.Option(
            help="Every authority: an on-call system's token for all councils, or an auditor's "
            "(the ICO, the Welsh Government)."
        ),
    ] = False,
    user: Annotated[
        str | None,
        typer.Option(help="A person's own token (their email): it acts as them, in their role."),
    ] = None,
    scope: Annotated[TokenScope, typer.Option(help="read: it can change nothing.")] = (
        TokenScope.WRITE
    ),
) -> None:
    """Create an API token and print it once; only its hash is kept."""
    from services.tokens import TooManyTokens, issue_token

    if user and (authority or grant or all_authorities):
        typer.echo("A person's token takes their role and authority; give only --user.", err=True)
        raise typer.Exit(2)
    if role is AccessRole.SUPPLIER:
        typer.echo('A supplier\'s token is made with `concordat suppliers token "Name"`.', err=True)
        raise typer.Exit(2)
    if grant and role is not AccessRole.AUDITOR:
        typer.echo("--grant is for auditors (--role auditor).", err=True)
        raise typer.Exit(2)
    if authority and all_authorities:
        typer.echo("Give --authority CODE or --all-authorities, not both.", err=True)
        raise typer.Exit(2)
    if (
        not user
        and not authority
        and role
        in (
            AccessRole.RESPONSIBLE_MEMBER,
            AccessRole.AUTHORITY_ADMIN,
        )
    ):
        typer.echo(f"A {role.value.replace('_', ' ')}'s token needs --authority.", err=True)
        raise typer.Exit(2)
    # A token that may run every council's incidents is never made by leaving an option out.
    if not user and role is AccessRole.ON_CALL_OFFICER and not (authority or all_authorities):
        typer.echo(
            "Say which incidents it may run: --authority CODE, or --all-authorities.", err=True
        )
        raise typer.Exit(2)
    if not user and role is AccessRole.AUDITOR and not (grant or all_authorities or authority):
        typer.echo("Say what an auditor may read: --grant CODE or --all-authorities.", err=True)
        raise typer.Exit(2)

    async def create(database: Database) -> str:
        authority_id = await _authority_id(database, authority) if authority else None
        grants = [await _authority_id(database, code) for code in grant or []]
        expires = datetime.now(UTC) + timedelta(days=expires_in_days) if expires_in_days else None
        async with database.session() as session:
            holder = await user_by_email(user, session=session) if user else None
            if user and holder is None:
                typer.echo(f"No user {user!r}.", err=True)
                raise typer.Exit(2)
            try:
                _, token = await issue_token(
                    name,
                    authority_id=authority_id,
                    expires_at=expires,
                    role=role,
                    grants=grants,
                    all_authorities=all_authorities,
                    user_id=holder.id if holder else None,
                    scope=scope,
                    session=session,
                )
            except TooManyTokens as refused:
                typer.echo(str(refused), err=True)
                raise typer.Exit(2) from None
        return token

    typer.echo(_with_database(create))


@keys_app.command("new")
def keys_new(
    key_id: Annotated[str, typer.Argument(help="A name for the key, e.g. 2026-11.")],
) -> None:
    """Print a new payload key. Put it first in CONCORDAT_PAYLOAD_KEYS and keep the old ones
    after it for as long as histories written with them are kept."""
    from runtime.payloads import PayloadKeys

    typer.echo(PayloadKeys.generate(key_id))


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="The token's number.")]) -> None:
    """Revoke a token at once; requests with it are refused from now on."""
    from services.tokens import revoke_token

    async def revoke(database: Database) -> bool:
        async with database.session() as session:
            return await revoke_token(token_id, session=session) is not None

    if not _with_database(revoke):
        typer.echo(f"No token {token_id}.", err=True)
        raise typer.Exit(2)
    typer.echo(f"Token {token_id} revoked.")


@member_app.command("set")
def member_set(
    authority: Annotated[str, typer.Argument(help="Authority code, e.g. CDF.")],
    role: Annotated[MemberRole, typer.Argument()],
    name: Annotated[str, typer.Option()],
    email: Annotated[str, typer.Option(help="Work email.")],
    language: Annotated[Language, typer.Option()] = Language.UNKNOWN,
    out_of_band_email: Annotated[
        str | None, typer.Option(help="A personal address, for when council email is compromised.")
    ] = None,
    phone: Annotated[str | None, typer.Option(help="To ring when email cannot be trusted.")] = None,
    mobile: Annotated[
        str | None,
        typer.Option(help="A UK mobile for texts through GOV.UK Notify, e.g. 07700 900123."),
    ] = None,
) -> None:
    """Name the authority's member in a role (replacing whoever held it)."""

    async def save(database: Database) -> Any:
        authority_id = await _authority_id(database, authority)
        async with database.session() as session:
            try:
                return await name_member(
                    authority_id,
                    role,
                    name=name,
                    work_email=email,
                    language=language,
                    out_of_band_email=out_of_band_email,
                    phone=phone,
                    mobile=mobile,
                    session=session,
                )
            except NotAUkMobile as refused:
                typer.echo(str(refused), err=True)
                raise typer.Exit(2) from None

    member = _with_database(save)
    typer.echo(f"{authority.upper()} {role.value}: member {member.id}")


@policy_app.command("set")
def policy_set(
    authority: Annotated[str, typer.Argument(help="Authority code, e.g. CDF.")],
    ack_timeout_category_1_3: Annotated[int | None, typer.Option(min=1, help="Seconds.")] = None,
    ack_timeout_category_4: Annotated[int | None, typer.Option(min=1, help="Seconds.")] = None,
    ack_timeout_category_5_6: Annotated[int | None, typer.Option(min=1, help="Seconds.")] = None,
    reminders_before_escalation: Annotated[int | None, typer.Option(min=0, max=5)] = None,
    delivery_timeout: Annotated[
        int | None,
        typer.Option(
            min=30,
            max=86400,
            help="Seconds a message may go undelivered before the member's next channel is tried.",
        ),
    ] = None,
) -> None:
    """Override the national escalation timings for one authority (new incidents only)."""

    async def save(database: Database) -> None:
        authority_id = await _authority_id(database, authority)
        async with database.session() as session:
            await set_policy(
                authority_id,
                EscalationPolicyOverride(
                    authority_id=authority_id,
                    ack_timeout_category_1_3_seconds=ack_timeout_category_1_3,
                    ack_timeout_category_4_seconds=ack_timeout_category_4,
                    ack_timeout_category_5_6_seconds=ack_timeout_category_5_6,
                    reminders_before_escalation=reminders_before_escalation,
                    delivery_timeout_seconds=delivery_timeout,
                ),
                session=session,
            )

    _with_database(save)
    typer.echo(f"Policy for {authority.upper()} saved.")


@reporting_app.command("set")
def reporting_set(
    authority: Annotated[str, typer.Argument(help="Authority code, e.g. CDF.")],
    body_key: Annotated[str, typer.Argument(metavar="BODY", help="The body's key, e.g. ico.")],
    enabled: Annotated[bool | None, typer.Option("--enabled/--disabled")] = None,
    trigger: Annotated[Trigger | None, typer.Option()] = None,
    window_hours: Annotated[float | None, typer.Option(min=0.01)] = None,
    reminder_hours: Annotated[
        list[float] | None, typer.Option(help="Hours after the clock starts; repeat for more.")
    ] = None,
    owner: Annotated[MemberRole | None, typer.Option()] = None,
    notify_address: Annotated[
        str | None, typer.Option(help="The body's own address, told automatically ('' for none).")
    ] = None,
) -> None:
    """Change one body's reporting rule for an authority (new clocks only)."""
    body = Body(body_key)

    async def save(database: Database) -> None:
        authority_id = await _authority_id(database, authority)
        async with database.session() as session:
            if body not in (await regime_in_force(session)).rules:
                typer.echo(
                    f"No body {body_key!r} in the reporting regime: see "
                    "`concordat reporting show`. / "
                    f"Nid oes corff {body_key!r} yn y drefn adrodd.",
                    err=True,
                )
                _exit(2)
            await set_reporting_rule(
                authority_id,
                ReportingRuleOverride(
                    authority_id=authority_id,
                    body=body,
                    enabled=enabled,
                    trigger=trigger,
                    window_seconds=round(window_hours * 3600) if window_hours else None,
                    reminder_offsets_seconds=[round(h * 3600) for h in reminder_hours]
                    if reminder_hours
                    else None,
                    owner=owner,
                    notify_address=notify_address,
                ),
                session=session,
            )

    _with_database(save)
    typer.echo(f"Reporting rule for {body.value} at {authority.upper()} saved.")


@authority_app.command("ncsc-contact")
def authority_ncsc_contact(
    authority: Annotated[str, typer.Argument(help="Authority code, e.g. CDF.")],
    email: Annotated[str, typer.Argument(help="An address on a system an incident cannot reach.")],
) -> None:
    """Record where the NCSC should write to: never the council's own mail domain."""

    async def save(database: Database) -> None:
        authority_id = await _authority_id(database, authority)
        async with database.session() as session:
            try:
                await set_ncsc_contact(authority_id, email, session=session)
            except ValueError as refused:
                typer.echo(str(refused), err=True)
                raise typer.Exit(2) from None

    _with_database(save)
    typer.echo(f"NCSC contact for {authority.upper()} saved.")


def main() -> None:
    # What a command writes (a SQLite database, var/, an export) is its owner's alone.
    os.umask(0o077)
    try:
        app()
    except PayloadKeyError as unreadable:  # a history written with a key this one lacks
        typer.echo(f"Cannot read Temporal payloads: {unreadable}.", err=True)
        _exit(2)
