"""One settings object for every process, read from `CONCORDAT_*` environment variables.

Secrets (the SMTP password, the secret key) only ever come from here, never from code.
"""

from __future__ import annotations

import json
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    Field,
    IPvAnyNetwork,
    NonNegativeInt,
    SecretStr,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from domain.channels import Channel
from runtime.payloads import PayloadKeys, embedded_keys

#: Used only when no secret key is configured, and refused outside development.
DEVELOPMENT_SECRET_KEY = "concordat-development-key-not-for-production"  # noqa: S105


class SmtpTls(StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    TLS = "tls"


class LogFormat(StrEnum):
    CONSOLE = "console"
    JSON = "json"


def _listed(value: Any) -> Any:
    """A list in an environment variable: JSON (`[0, 5]`) or separated by commas (`0,5`)."""
    if not isinstance(value, str):
        return value
    if value.strip().startswith("["):
        return json.loads(value)
    return [part.strip() for part in value.split(",") if part.strip()]


Listed = BeforeValidator(_listed)


class Settings(BaseSettings):
    """Configuration of a Concordat process; every field maps to `CONCORDAT_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="CONCORDAT_", env_file=".env", extra="ignore")

    var_dir: Path = Field(Path("var"), description="Where the embedded defaults keep their state.")
    database_url: str = Field(
        "sqlite:///var/concordat.db",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db.",
    )
    temporal_address: str | None = Field(
        None, description="host:port of a Temporal server; unset starts the embedded dev server."
    )
    temporal_namespace: str = "default"
    task_queue: str = "concordat-incidents"
    temporal_ui_port: int = 8233

    smtp_host: str | None = Field(
        None, description="SMTP relay; unset starts the local mail catcher."
    )
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_tls: SmtpTls = SmtpTls.NONE
    smtp_timeout_seconds: float = 30.0
    mail_from: str = "Concordat <concordat@localhost>"

    base_url: str = "http://127.0.0.1:8000"
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    readiness_timeout_seconds: float = Field(
        2.0,
        gt=0,
        le=30,
        description="Seconds each of /readyz's checks (the database, Temporal, the SMTP relay, "
        "GOV.UK Notify) may take before it counts as failed.",
    )
    secret_key: SecretStr | None = None
    payload_keys: SecretStr | None = Field(
        None,
        description="Keys that encrypt Temporal payloads: id:base64key, newest first, "
        "comma-separated (`concordat keys new`).",
    )
    environment: str = Field("development", description="development or production.")
    log_format: LogFormat | None = Field(
        None, description="console or json; by default json in production, console otherwise."
    )
    log_level: str = "INFO"
    otlp_endpoint: str | None = Field(
        None,
        description="An OpenTelemetry collector's OTLP/HTTP endpoint (http://host:4318) to send "
        "traces to; unset, no traces are made.",
    )
    otel_service_name: str = Field(
        "concordat", description="The service name traces are sent under."
    )

    ack_link_lifetime_hours: int = Field(
        72, description="How long an acknowledge link in an email stays valid."
    )
    rate_limit_sign_in: str = Field(
        "10/minute",
        description="Password tries (sign-in and the tokens page) and wrong API tokens allowed "
        "per client address.",
    )
    rate_limit_api: str = Field(
        "600/minute",
        description="API requests allowed per person (all their tokens together), or per "
        "system token.",
    )
    rate_limit_incidents: str = Field(
        "60/minute", description="Incidents an authority may open (a runaway script, not a crisis)."
    )
    rate_limit_notes: str = Field(
        "30/minute", description="Notes added to one incident, by everyone together."
    )
    rate_limit_incident_changes: str = Field(
        "30/minute",
        description="Other changes to one incident (reassessments, submissions, waivers, "
        "stages), by everyone together. Acknowledging and closing are never held back.",
    )
    max_tokens_per_user: int = Field(
        5, ge=1, description="Live (neither expired nor revoked) API tokens one person may hold."
    )
    sign_in_delays: Annotated[list[NonNegativeInt], NoDecode, Listed] = Field(
        [0, 0, 0, 5, 15, 30, 60, 120, 300],
        description="Seconds an address waits before its next password try for an account, "
        "after its 1st, 2nd, ... wrong password for it in the last hour; the last applies to "
        "every later one. An address with no wrong password never waits.",
    )
    sign_in_account_alarm: int = Field(
        10,
        ge=1,
        description="Wrong passwords for one account in the last hour, from every address "
        "together, after which each further wrong one makes its address wait the longest delay.",
    )
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode, Listed] = Field(
        [],
        description="Reverse proxies (addresses or networks, comma-separated) whose "
        "X-Forwarded-For header names the client; none by default, so the header is ignored.",
    )
    rate_limit_storage: str = Field(
        "async+memory://", description="Where rate limits are counted (async+redis://... to share)."
    )
    codec_allowed_origins: list[str] = Field(
        ["http://localhost:8233", "http://127.0.0.1:8233"],
        description="Web UI origins that may call the codec server (/codec) from a browser.",
    )
    max_cached_workflows: int = Field(
        250,
        description="Incidents a worker keeps in memory (about 0.7 MB each); the rest wait on the "
        "server and replay from their history when a timer or an update wakes them.",
    )
    max_concurrent_activities: int = 50
    worker_metrics_address: str = Field(
        "",
        description="host:port where a worker serves Temporal's SDK metrics for Prometheus "
        "(http://host:port/metrics), e.g. 127.0.0.1:9464; empty (the default) serves none. "
        "Each worker process on one machine needs a port of its own.",
    )
    metrics_token: SecretStr | None = Field(
        None,
        description="The bearer token Prometheus sends to scrape /metrics on the web app; "
        "unset, /metrics answers 404.",
    )

    @field_validator("worker_metrics_address")
    @classmethod
    def _a_host_and_port(cls, address: str) -> str:
        """Refused at start-up, not when the worker's runtime fails to bind."""
        if address:
            host, _, port = address.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError("must be empty or host:port, e.g. 127.0.0.1:9464")
        return address

    risk_review_interval_days: int = Field(
        182,
        gt=0,
        description="Days senior management may leave the cyber risk unconsidered before "
        "Concordat commitment b is at risk (not met after twice as long).",
    )

    notify_api_key: SecretStr | None = Field(
        None,
        description="A GOV.UK Notify API key (a live or team key) for texts and out-of-band "
        "email; unset starts the local Notify catcher with a development key.",
    )
    notify_base_url: str = Field(
        "https://api.notifications.service.gov.uk", description="GOV.UK Notify's API."
    )
    notify_sms_template_id: str | None = Field(
        None, description="The Notify text message template: its content is ((message))."
    )
    notify_email_template_id: str | None = Field(
        None,
        description="The Notify email template: subject ((subject)), message ((body)).",
    )
    notify_sms_sender_id: str | None = Field(
        None,
        description="The Notify text message sender to use, if the service has several "
        "(one that takes replies, for acknowledging by text).",
    )
    notify_callback_token: SecretStr | None = Field(
        None,
        description="The bearer token Notify sends with delivery receipts and received texts "
        "(set the same on the service's callbacks page); unset refuses every callback.",
    )
    notify_catcher_port: int = Field(
        6011, description="Port of the local Notify catcher `concordat run` starts."
    )
    sms_code_lifetime_hours: int = Field(
        24, gt=0, description="How long the code in a text stays good for acknowledging."
    )
    teams_webhooks: dict[str, SecretStr] = Field(
        {},
        description='Teams incident channel webhooks per authority, as JSON: {"CDF": '
        '"https://..."}. Each is a Workflows (or incoming) webhook URL, kept secret.',
    )
    review_month: int = Field(
        4,
        ge=1,
        le=12,
        description="The month each authority's annual review of the Concordat's commitments "
        "opens (on its first day), for the review year (April to March) just ended.",
    )
    review_response_days: int = Field(
        28,
        ge=2,
        le=365,
        description="Days an authority has to answer its annual review; after them the review "
        "is overdue: the chief executive and the central team are told.",
    )
    review_reminder_days: int = Field(
        14,
        ge=1,
        le=364,
        description="Days after a review opens that the senior management member is reminded, "
        "if it is still unanswered (fewer than review_response_days).",
    )
    evidence_max_bytes: int = Field(
        100 * 1024 * 1024, ge=1, description="Largest evidence file accepted, in bytes."
    )
    evidence_store: str = Field(
        "",
        description="Where evidence files are kept, encrypted with the payload keys: empty for "
        "the folder evidence/ under var_dir, or s3://bucket/prefix for an S3-compatible object "
        "store (credentials and region from the standard AWS environment and configuration).",
    )
    evidence_s3_endpoint_url: str | None = Field(
        None,
        description="The S3-compatible object store's URL, when it is not AWS's own S3.",
    )

    @field_validator("evidence_store")
    @classmethod
    def _an_evidence_store(cls, location: str) -> str:
        """Refused at start-up, not at the first upload."""
        if location and not (location.startswith("s3://") and location[5:].split("/")[0]):
            raise ValueError("must be empty (a folder under var_dir) or s3://bucket/prefix")
        return location

    post_incident_review_days: int = Field(
        20,
        ge=1,
        le=250,
        description="Working days after closure (Welsh bank holidays skipped) by which an "
        "incident's post-incident review is due; overdue, the chief executive is told.",
    )
    post_incident_reminder_days: int = Field(
        5,
        ge=0,
        le=249,
        description="Working days before a post-incident review is due that its owner is reminded.",
    )
    review_action_escalation_days: int = Field(
        7,
        ge=1,
        le=365,
        description="Days a review's overdue action may stay open, after its owner is reminded, "
        "before the senior management member is told.",
    )
    complaint_acknowledge_days: int = Field(
        30,
        ge=1,
        le=365,
        description="Days after a data-protection complaint arrives by which it must be "
        "acknowledged (Data (Use and Access) Act 2025: 30); copied into each complaint's clock "
        "when it starts.",
    )
    notice_triage_minutes: int = Field(
        60,
        ge=2,
        le=7 * 24 * 60,
        description="Minutes a council has to triage a supplier's notice (link it to an open "
        "incident, open one from it, or dismiss it) before the senior management and executive "
        "members are told; the on-call side is reminded half way. Copied into each notice's "
        "clock when it starts.",
    )
    bank_holidays_file: Path | None = Field(
        None,
        description="A TOML file of bank holidays in Wales (the shipped list when unset), for "
        "counting working days.",
    )

    @field_validator("teams_webhooks")
    @classmethod
    def _codes_in_capitals(cls, webhooks: dict[str, SecretStr]) -> dict[str, SecretStr]:
        """Authority codes are capitals ("CDF"), however the JSON wrote them."""
        return {code.upper(): url for code, url in webhooks.items()}

    @property
    def notify_configured(self) -> bool:
        return self.notify_api_key is not None

    def channels_for(self, authority_code: str) -> list[Channel]:
        """The channels this deployment can send on for an authority."""
        channels = [Channel.EMAIL]
        if self.notify_configured:
            channels += [Channel.SMS, Channel.NOTIFY_EMAIL]
        if authority_code.upper() in self.teams_webhooks:
            channels.append(Channel.TEAMS)
        return channels

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def effective_log_format(self) -> LogFormat:
        if self.log_format is not None:
            return self.log_format
        return LogFormat.JSON if self.is_production else LogFormat.CONSOLE

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"

    def signing_key(self) -> str:
        """The key that signs acknowledge links and sessions.

        A missing key in production is a configuration error, not something to paper over:
        anyone who knew the development key could forge acknowledgements.
        """
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        if self.is_production:
            raise RuntimeError("CONCORDAT_SECRET_KEY must be set in production")
        return DEVELOPMENT_SECRET_KEY

    def payload_key_ring(self) -> PayloadKeys | None:
        """The keys for Temporal payloads. Production refuses to run without them: histories
        hold incident descriptions and people's names and addresses. In development, every
        process (worker, web, the command line) finds the keys `concordat run` keeps in
        `var_dir`, so all of them read the embedded server's histories."""
        if self.payload_keys is not None:
            return PayloadKeys.parse(self.payload_keys.get_secret_value())
        if self.is_production:
            raise RuntimeError("CONCORDAT_PAYLOAD_KEYS must be set in production")
        found = embedded_keys(self.var_dir)
        return PayloadKeys.parse(found) if found is not None else None


@lru_cache
def get_settings() -> Settings:
    return Settings()
