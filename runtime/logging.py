"""structlog set-up: readable in development, JSON in production.

Callers bind incident id, workflow id and authority (`log.bind(...)`) rather than formatting
them into messages, so every line about an incident can be found by its id. Never bind
descriptions, names or email addresses: the log is not the place for personal data.

Temporal's workflow logger (silent during replay) writes through the standard library; its
records are rendered by the same processors, with the workflow's identifiers as fields.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog
from temporalio import activity, workflow

from runtime.settings import LogFormat, Settings


def _temporal_fields(
    logger: object, method: str, event: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """Lift the workflow and run ids out of Temporal's nested `extra` into plain fields."""
    for key in ("temporal_workflow", "temporal_activity"):
        info = event.pop(key, None)
        if isinstance(info, dict):
            event.setdefault("workflow_id", info.get("workflow_id"))
            event.setdefault("run_id", info.get("run_id") or info.get("workflow_run_id"))
            if "activity_type" in info:
                event.setdefault("activity", info["activity_type"])
    return event


def configure_logging(settings: Settings, stream: TextIO | None = None) -> None:
    """Send every log line (structlog's and the standard library's) to `stream` (stderr)."""
    stream = stream or sys.stderr
    renderer: structlog.typing.Processor
    if settings.effective_log_format is LogFormat.JSON:
        renderer = structlog.processors.JSONRenderer()
    else:
        # Plain tracebacks: the default (Rich's) prints every frame's local variables, which
        # can hold a person's address or a message's words, and costs a busy worker more CPU
        # per failed attempt than the attempt itself.
        renderer = structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    level = logging.getLevelName(settings.log_level.upper())
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    # structlog's events go through the standard library's handler, like Temporal's, so one
    # handler (and one stream) carries every line, and reconfiguring moves them all.
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        wrapper_class=structlog.stdlib.BoundLogger,
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )

    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(), _temporal_fields],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    # The workflow's identifiers go in fields (from `extra`), not appended to the message.
    workflow.logger.workflow_info_on_message = False
    activity.logger.activity_info_on_message = False
    # aiosmtpd (the local mail catcher) reports every connection at INFO; httpx every request
    # (Notify's API, Teams' webhooks, their callbacks) with its whole URL.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
