"""`concordat run`: everything on one machine, for trying Concordat and for development.

Starts (unless configured to use real ones) the Temporal dev server with its state in
var/temporal.db and the mail catcher, then the worker and the web app in this process.
Everything in var/ is the owner's alone: the databases, the mail with live acknowledge links,
the keys and the development sign-in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import socket
from collections.abc import Iterator
from contextlib import AsyncExitStack
from enum import Enum
from pathlib import Path

import structlog
import uvicorn
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.access import AccessRole
from domain.vocabulary import MemberRole
from embedded.demo import name_demo_centre, name_demo_members
from embedded.mail_catcher import start_mail_catcher
from embedded.notify_catcher import (
    EMBEDDED_EMAIL_TEMPLATE_ID,
    EMBEDDED_SMS_SENDER_ID,
    EMBEDDED_SMS_TEMPLATE_ID,
    NotifyCatcher,
    NotifyCatcherServer,
    development_api_key,
    start_notify_catcher,
)
from embedded.ui_codec import (
    CODEC_KEY_FILE,
    DevelopmentCodecGate,
    codec_endpoint,
    development_codec_key,
    ui_codec_args,
)
from runtime.database import Database
from runtime.metrics import worker_runtime
from runtime.migrate import upgrade_database
from runtime.payloads import EMBEDDED_KEY_FILE, PayloadKeys
from runtime.settings import Settings
from runtime.temporal import bundled_binary, connect, converter_for
from runtime.tracing import temporal_interceptors
from services.councils import seed_councils
from services.directory import authority_by_code
from services.tokens import find_active_token, issue_token
from services.users import create_user, user_by_email
from web.access_log import serving_config
from web.app import create_app
from worker import build_worker, ensure_schedules

log = structlog.get_logger(__name__)

TEMPORAL_PORT = 7233

#: Files and folders made while Concordat runs (here, and by the dev server it starts) are
#: readable by their owner alone.
OWNER_ONLY = 0o077

#: The embedded dev server's state, in var/.
TEMPORAL_STATE = "temporal.db"


class EmbeddedWebServer(uvicorn.Server):
    """uvicorn, except that Ctrl+C or SIGTERM only asks it to stop.

    uvicorn re-raises the signal once it has stopped, which would end the process before the
    worker and the Temporal dev server it started are shut down, leaving the dev server running
    (and holding its port) after Concordat has gone.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


async def development_token(database: Database, token_file: Path) -> str:
    """The development API token: kept in var/ so it stays the same across restarts."""
    async with database.session() as session:
        if token_file.exists():
            token = token_file.read_text().strip()
            if await find_active_token(token, session=session):
                return token
        _, token = await issue_token("development", authority_id=None, session=session)
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)
    return token


#: The development sign-in: an on-call officer of Cardiff, whose demo members get the mail.
DEVELOPMENT_USER = "oncall@cdf.council.example"


#: The central team's development sign-in: the national picture, campaigns and reviews.
DEVELOPMENT_CENTRAL_USER = "centre@central-team.example"


#: Cardiff's senior management member's development sign-in: approves public statements, names
#: a review's owner, accepts an action's risk and signs the review off.
DEVELOPMENT_MEMBER_USER = "senior.management.member@cdf.council.example"


class DevelopmentSignIn(Enum):
    """Who a development sign-in is: email, name, role and Cardiff's member role, if any."""

    OFFICER = (DEVELOPMENT_USER, "On-call Officer (CDF)", AccessRole.ON_CALL_OFFICER, None)
    CENTRAL_TEAM = (DEVELOPMENT_CENTRAL_USER, "Central Team", AccessRole.CENTRAL_TEAM, None)
    SENIOR_MANAGEMENT = (
        DEVELOPMENT_MEMBER_USER,
        "Senior Management Member (CDF)",
        AccessRole.RESPONSIBLE_MEMBER,
        MemberRole.SENIOR_MANAGEMENT_MEMBER,
    )


async def development_user(
    database: Database,
    password_file: Path,
    *,
    central_team: bool = False,
    who: DevelopmentSignIn | None = None,
) -> str:
    """A development sign-in's password, made once and kept in var/ (never a fixed one): an
    on-call officer of Cardiff, or with `central_team` the central team, or `who`."""
    who = who or (DevelopmentSignIn.CENTRAL_TEAM if central_team else DevelopmentSignIn.OFFICER)
    email, name, role, member_role = who.value
    async with database.session() as session:
        if await user_by_email(email, session=session) is None:
            password = secrets.token_urlsafe(12)
            cardiff = await authority_by_code("CDF", session=session)
            assert cardiff is not None
            await create_user(
                email=email,
                name=name,
                password=password,
                role=role,
                authority_id=None if role is AccessRole.CENTRAL_TEAM else cardiff.id,
                member_role=member_role,
                session=session,
            )
            password_file.write_text(password + "\n")
            password_file.chmod(0o600)
    return password_file.read_text().strip() if password_file.exists() else "(see var/)"


def development_payload_keys(settings: Settings, key_file: Path) -> Settings:
    """Encrypt the embedded server's payloads too, with a key kept in var/ (created once), so
    that its history survives restarts and reads back."""
    if settings.payload_keys is not None:
        return settings
    if not key_file.exists():
        key_file.write_text(PayloadKeys.generate("development-1") + "\n")
        key_file.chmod(0o600)
    return settings.model_copy(update={"payload_keys": SecretStr(key_file.read_text().strip())})


async def start_temporal(
    settings: Settings, stack: AsyncExitStack, *, codec: str | None = None
) -> tuple[Client, str | None]:
    """A client for the configured server, or for an embedded dev server started here, whose
    Web UI decodes payloads through `codec` (the codec server's endpoint) when given."""
    if settings.temporal_address:
        # `concordat run`'s worker serves Temporal's metrics only when the address is set.
        return await connect(settings, runtime=worker_runtime(settings)), None
    env = await WorkflowEnvironment.start_local(
        namespace=settings.temporal_namespace,
        data_converter=converter_for(settings),
        interceptors=temporal_interceptors(),  # traces, when configured (`runtime.tracing`)
        runtime=worker_runtime(settings),
        ip="127.0.0.1",
        port=TEMPORAL_PORT,
        ui=True,
        ui_port=settings.temporal_ui_port,
        dev_server_existing_path=bundled_binary("temporal"),
        dev_server_database_filename=str(settings.var_dir / TEMPORAL_STATE),
        dev_server_log_level="warn",
        dev_server_extra_args=ui_codec_args(codec) if codec else [],
    )
    stack.push_async_callback(env.shutdown)
    return env.client, f"http://127.0.0.1:{settings.temporal_ui_port}"


def _port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def check_ports_free(settings: Settings) -> None:
    """Refuse to start over another copy: a leftover dev server on 7233 would otherwise be
    joined silently, with none of this copy's state."""
    wanted = {settings.web_port: "the web app"}
    if settings.temporal_address is None:
        wanted |= {
            TEMPORAL_PORT: "the Temporal dev server",
            settings.temporal_ui_port: "its Web UI",
        }
    if settings.smtp_host is None:
        wanted[settings.smtp_port] = "the mail catcher"
    if settings.notify_api_key is None:
        wanted[settings.notify_catcher_port] = "the Notify catcher"
    busy = [f"{port} ({what})" for port, what in wanted.items() if _port_in_use(port)]
    if busy:
        raise SystemExit(
            "Cannot start: port " + ", ".join(busy) + " is already in use on 127.0.0.1. "
            "Is Concordat (or a Temporal server) already running? Stop it, or point "
            "CONCORDAT_TEMPORAL_ADDRESS / CONCORDAT_WEB_PORT / CONCORDAT_SMTP_PORT / "
            "CONCORDAT_NOTIFY_CATCHER_PORT elsewhere."
        )


def with_ui_origins(settings: Settings) -> Settings:
    """The embedded Web UI, on whatever port it was given, may call the codec server."""
    port = settings.temporal_ui_port
    wanted = [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]
    origins = settings.codec_allowed_origins
    missing = [origin for origin in wanted if origin not in origins]
    return settings.model_copy(update={"codec_allowed_origins": [*origins, *missing]})


def start_local_notify(settings: Settings) -> tuple[NotifyCatcherServer, Settings]:
    """The local Notify catcher, and settings that send texts to it: it prints each text,
    keeps it in var/sms/, and posts receipts and replies back to the web app, as GOV.UK Notify
    does, with a bearer token made for this run."""
    token = secrets.token_urlsafe(24)
    callbacks = f"http://{settings.web_host}:{settings.web_port}/callbacks/notify"
    catcher = NotifyCatcher(
        development_api_key(),
        sms_dir=settings.var_dir / "sms",
        notify_dir=settings.var_dir / "notify-email",
        delivery_callback_url=f"{callbacks}/delivery-status",
        inbound_callback_url=f"{callbacks}/received-text",
        callback_token=token,
    )
    server = start_notify_catcher(catcher, port=settings.notify_catcher_port)
    return server, settings.model_copy(
        update={
            "notify_api_key": SecretStr(catcher.api_key),
            "notify_base_url": server.url,
            "notify_sms_template_id": EMBEDDED_SMS_TEMPLATE_ID,
            "notify_email_template_id": EMBEDDED_EMAIL_TEMPLATE_ID,
            "notify_sms_sender_id": EMBEDDED_SMS_SENDER_ID,
            "notify_callback_token": SecretStr(token),
        }
    )


def _sqlite_files(database_url: str) -> list[Path]:
    parsed = make_url(database_url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return []
    database = Path(parsed.database)
    return [database, *(Path(f"{database}{suffix}") for suffix in ("-wal", "-shm", "-journal"))]


def keep_private(settings: Settings) -> None:
    """var/, and what an earlier start may have left readable to others in it, made the
    owner's alone; only Concordat's own files, in case var/ is shared with others'."""
    var = settings.var_dir
    var.mkdir(mode=0o700, parents=True, exist_ok=True)
    var.chmod(0o700)
    ours = [
        *(
            var / name
            for name in (
                "dev-token",
                "dev-password",
                "dev-central-password",
                "dev-member-password",
                CODEC_KEY_FILE,
                EMBEDDED_KEY_FILE,
            )
        ),
        var / "sms",
        var / "notify-email",
        *_sqlite_files(settings.database_url),
        *_sqlite_files(f"sqlite:///{var / TEMPORAL_STATE}"),
        settings.mail_dir,
    ]
    if settings.mail_dir.is_dir() and not settings.mail_dir.is_symlink():
        ours += settings.mail_dir.glob("*.eml")
    for path in ours:
        if path.exists() and not path.is_symlink():
            path.chmod(0o700 if path.is_dir() else 0o600)


async def run_embedded(settings: Settings) -> None:
    check_ports_free(settings)
    previous_umask = os.umask(OWNER_ONLY)
    try:
        await _run_embedded(settings)
    finally:
        os.umask(previous_umask)


async def _run_embedded(settings: Settings) -> None:
    keep_private(settings)
    await asyncio.to_thread(upgrade_database, settings.database_url)
    database = Database(settings.database_url)
    async with database.session() as session:
        await seed_councils(session=session)
        await name_demo_members(session=session)
        await name_demo_centre(session=session)
    token = await development_token(database, settings.var_dir / "dev-token")
    password = await development_user(database, settings.var_dir / "dev-password")
    central_password = await development_user(
        database, settings.var_dir / "dev-central-password", central_team=True
    )
    member_password = await development_user(
        database,
        settings.var_dir / "dev-member-password",
        who=DevelopmentSignIn.SENIOR_MANAGEMENT,
    )
    settings = development_payload_keys(settings, settings.var_dir / EMBEDDED_KEY_FILE)
    codec_key = development_codec_key(settings.var_dir / CODEC_KEY_FILE)
    codec = codec_endpoint(f"http://{settings.web_host}:{settings.web_port}", codec_key)
    if settings.temporal_address is None:
        settings = with_ui_origins(settings)

    async with AsyncExitStack() as stack:
        stack.push_async_callback(database.dispose)
        if settings.smtp_host is None:
            catcher = start_mail_catcher(settings.mail_dir, settings.smtp_port)
            stack.callback(catcher.stop)
            settings = settings.model_copy(update={"smtp_host": "127.0.0.1"})
            mail_line = (
                f"smtp://127.0.0.1:{settings.smtp_port}, messages saved in {settings.mail_dir}/"
            )
        else:
            mail_line = f"smtp://{settings.smtp_host}:{settings.smtp_port} (configured relay)"
        if settings.notify_api_key is None:
            notify, settings = start_local_notify(settings)
            stack.callback(notify.stop)
            notify_line = (
                f"{notify.url}, texts saved in {settings.var_dir / 'sms'}/; reply with "
                '`concordat sms reply +447700900123 "123456"`'
            )
        else:
            notify_line = f"{settings.notify_base_url} (GOV.UK Notify)"
        client, ui_url = await start_temporal(settings, stack, codec=codec)
        worker = build_worker(client, database, settings)
        await ensure_schedules(client, settings)
        app = create_app(settings=settings, database=database, temporal=client)
        # The embedded Web UI decodes payloads as the development token (`embedded.ui_codec`).
        gated = DevelopmentCodecGate(app, key=codec_key, token=token)
        server = EmbeddedWebServer(serving_config(gated, settings, log_level="warning"))
        # One line per request would bury the mail catcher's; failures are still logged.
        logging.getLogger("web.access_log").setLevel(logging.WARNING)
        base = f"http://{settings.web_host}:{settings.web_port}"
        codec_line = (
            f"  Payloads in the UI:   decoded by {codec}/decode (key in var/{CODEC_KEY_FILE})\n"
            if ui_url
            else ""
        )
        print(
            "\nConcordat is running on embedded defaults.\n"
            f"  Report an incident:   {base}/incidents/new\n"
            f"  Incidents:            {base}/incidents\n"
            f"  API documentation:    {base}/docs\n"
            f"  Temporal Web UI:      {ui_url or settings.temporal_address}\n"
            f"{codec_line}"
            f"  Mail catcher:         {mail_line}\n"
            f"  Texts (Notify):       {notify_line}\n"
            f"  Database:             {settings.database_url}\n"
            f"  Sign in to the pages as {DEVELOPMENT_USER}, password {password}\n"
            f"  The central team:     {DEVELOPMENT_CENTRAL_USER}, password {central_password}\n"
            f"  Cardiff's senior management member: {DEVELOPMENT_MEMBER_USER}, "
            f"password {member_password}\n"
            f"  Development API token (every council): {token}\n"
            "Press Ctrl+C to stop.\n",
            flush=True,
        )
        async with worker:
            await server.serve()
