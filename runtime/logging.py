"""structlog set-up: readable in development, JSON in production.

Callers bind incident id, workflow id and authority (`log.bind(...)`) rather than formatting
them into messages, so every line about an incident can be found by its id. Never bind
descriptions, names or email addresses: the log is not the place for personal data.
"""

from __future__ import annotations

import logging
import sys

import structlog

from runtime.settings import LogFormat, Settings


def configure_logging(settings: Settings) -> None:
    renderer: structlog.typing.Processor
    if settings.effective_log_format is LogFormat.JSON:
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    level = logging.getLevelName(settings.log_level.upper())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    # Temporal's own loggers (and the workflow logger) use the standard library.
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")
    # aiosmtpd (the local mail catcher) reports every connection at INFO.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
