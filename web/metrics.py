"""`/metrics`: Concordat's health for Prometheus, behind a bearer token of its own.

Each scrape reads the figures afresh (`services.metrics`) and writes them out through a
collector made for that scrape alone, in a registry of its own: nothing is counted in the
process between scrapes, so every web process gives the same answer and a restart changes
nothing. The token (`CONCORDAT_METRICS_TOKEN`) is Prometheus's alone: no person's API token
or session opens it, and it opens nothing else. Unset, the path answers 404.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterator
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import Response
from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from domain.rules import in_both
from models import Routine
from runtime.database import Database
from runtime.settings import Settings
from services.metrics import OperationalFigures, operational_figures

router = APIRouter(include_in_schema=False)

PREFIX = "concordat"


class FiguresCollector(Collector):
    """The figures read for one scrape, as metric families."""

    def __init__(self, figures: OperationalFigures, *, now: datetime, read_seconds: float) -> None:
        self._figures, self._now, self._read_seconds = figures, now, read_seconds

    def collect(self) -> Iterator[Metric]:
        yield from self._incidents()
        yield from self._clocks()
        yield from self._notifications()
        yield from self._routines()
        yield GaugeMetricFamily(
            f"{PREFIX}_metrics_read_seconds",
            "How long this scrape's reading of the database took.",
            value=self._read_seconds,
        )

    def _incidents(self) -> Iterator[Metric]:
        open_incidents = GaugeMetricFamily(
            f"{PREFIX}_open_incidents",
            "Open incidents (exercises apart) by authority code, NCSC category and stage.",
            labels=["authority", "category", "stage"],
        )
        for (authority, category, stage), count in sorted(self._figures.open_incidents.items()):
            open_incidents.add_metric([authority, str(category), stage], count)
        yield open_incidents
        unacknowledged = GaugeMetricFamily(
            f"{PREFIX}_unacknowledged_requests",
            "Escalation chains of open incidents whose members were asked to acknowledge and "
            "nobody yet has, by how long ago the first was asked.",
            labels=["age"],
        )
        for age, count in self._figures.unacknowledged.items():
            unacknowledged.add_metric([age], count)
        yield unacknowledged

    def _clocks(self) -> Iterator[Metric]:
        clocks = GaugeMetricFamily(
            f"{PREFIX}_reporting_clocks",
            "Reporting clocks still waiting for the council, by body: due (deadline ahead) or "
            "overdue (deadline passed).",
            labels=["body", "state"],
        )
        for (body, state), count in sorted(self._figures.clocks.items()):
            clocks.add_metric([body, state], count)
        yield clocks
        untold = GaugeMetricFamily(
            f"{PREFIX}_reporting_clocks_overdue_untold",
            "Overdue reporting clocks whose 'deadline missed' message has reached nobody yet, "
            "by body.",
            labels=["body"],
        )
        for body, count in sorted(self._figures.overdue_untold.items()):
            untold.add_metric([body], count)
        yield untold

    def _notifications(self) -> Iterator[Metric]:
        sent = CounterMetricFamily(
            f"{PREFIX}_notifications_sent",
            "Messages sent, by channel (every message ever kept).",
            labels=["channel"],
        )
        failed = CounterMetricFamily(
            f"{PREFIX}_notifications_failed",
            "Messages that failed for good (refused, or given up after a day), by channel.",
            labels=["channel"],
        )
        retrying = GaugeMetricFamily(
            f"{PREFIX}_notifications_retrying",
            "Messages whose last try failed and which are still being tried, by channel.",
            labels=["channel"],
        )
        oldest = GaugeMetricFamily(
            f"{PREFIX}_notifications_retrying_oldest_seconds",
            "Seconds since the longest-retrying message was first tried (0 when none is), "
            "by channel.",
            labels=["channel"],
        )
        for channel, figures in sorted(self._figures.notifications.items()):
            sent.add_metric([channel.value], figures.sent)
            failed.add_metric([channel.value], figures.failed)
            retrying.add_metric([channel.value], figures.retrying)
            since = figures.oldest_retrying_since
            age = (self._now - since).total_seconds() if since is not None else 0.0
            oldest.add_metric([channel.value], max(age, 0.0))
        yield from (sent, failed, retrying, oldest)

    def _routines(self) -> Iterator[Metric]:
        runs = self._figures.routines
        reconciliation = runs.get(Routine.RECONCILIATION)
        if reconciliation is not None and reconciliation.last_success_at is not None:
            yield GaugeMetricFamily(
                f"{PREFIX}_reconciliation_last_success_timestamp_seconds",
                "When the scheduled reconciliation last succeeded (Unix time).",
                value=reconciliation.last_success_at.timestamp(),
            )
        verification = runs.get(Routine.CHAIN_VERIFICATION)
        if verification is not None:
            yield GaugeMetricFamily(
                f"{PREFIX}_chain_verification_last_run_timestamp_seconds",
                "When `concordat audit verify` last recorded an outcome (Unix time).",
                value=verification.last_run_at.timestamp(),
            )
            yield GaugeMetricFamily(
                f"{PREFIX}_chain_verification_intact",
                "1 if the last chain verification found every link holding, 0 if it found a break.",
                value=1.0 if verification.succeeded else 0.0,
            )


def _refuse(code: int, english: str, welsh: str) -> HTTPException:
    headers = {"WWW-Authenticate": "Bearer"} if code == status.HTTP_401_UNAUTHORIZED else None
    return HTTPException(code, in_both(english, welsh), headers=headers)


def _check_token(request: Request, settings: Settings) -> None:
    """The metrics bearer token, compared in constant time; none set, no metrics."""
    expected = settings.metrics_token
    if expected is None:
        raise _refuse(
            status.HTTP_404_NOT_FOUND,
            "Metrics are not switched on here.",
            "Nid yw'r metrigau wedi'u troi ymlaen yma.",
        )
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if not given or scheme.lower() != "bearer":
        raise _refuse(
            status.HTTP_401_UNAUTHORIZED,
            "A bearer token is needed.",
            "Mae angen tocyn cludwr.",
        )
    if not hmac.compare_digest(given.strip().encode(), expected.get_secret_value().encode()):
        raise _refuse(
            status.HTTP_403_FORBIDDEN,
            "The bearer token is not the one set for metrics.",
            "Nid y tocyn cludwr yw'r un a osodwyd ar gyfer metrigau.",
        )


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Every figure in Prometheus's text format, read from the database now."""
    _check_token(request, request.app.state.settings)
    database: Database = request.app.state.database
    started, now = time.perf_counter(), datetime.now(UTC)
    async with database.reading() as session:
        figures = await operational_figures(session=session, now=now)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(
        FiguresCollector(figures, now=now, read_seconds=time.perf_counter() - started)
    )
    # The classic text format unless the scraper asks for OpenMetrics (Prometheus does).
    encode, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encode(registry), headers={"Content-Type": content_type})
