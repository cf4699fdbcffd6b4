"""OpenTelemetry traces: one per incident's opening, from the HTTP request to the SMTP send.

Off unless `CONCORDAT_OTLP_ENDPOINT` is set: then no provider is made, no interceptor is added
to the Temporal client, the web app is not instrumented, and `span` costs one check. On, a
process makes one tracer provider (`configure_tracing`, called by `concordat web`, `concordat
worker` and `concordat run` before they connect to Temporal), exporting in batches over
OTLP/HTTP, and:

- `temporal_interceptors` gives the client Temporal's `TracingInterceptor`, which puts the
  trace context in the headers of a workflow start, update or activity, so the workflow and
  its activities join the trace of the request that started them (a worker built on that
  client takes the interceptor from it);
- `instrument_app` makes a server span for each HTTP request;
- `span` wraps Concordat's own steps (a message handed to its channel).

Every span leaves through `runtime.trace_redaction.Redacting`: ids, never personal data.

The provider lives in this module as well as in OpenTelemetry's global slot, which can be set
only once per process: `installed` lets a test put its own provider (with an in-memory
exporter) in place for a while, without touching the global one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import structlog
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue
from temporalio.client import Interceptor

from runtime.settings import Settings

if TYPE_CHECKING:
    # The SDK, the exporter and the instrumentation are imported only when traces are on.
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

log = structlog.get_logger(__name__)

#: The instrumentation scope of Concordat's own spans.
SCOPE = "concordat"
#: The prefix of Concordat's own attributes, the ones `runtime.trace_redaction` lets through.
OWN_PREFIX = "concordat."
#: Requests not worth a trace: probes and scrapes every few seconds, and static files.
UNTRACED_URLS = "/healthz,/readyz,/metrics,/static/"


@dataclass(frozen=True)
class _Active:
    provider: TracerProvider
    tracer: trace.Tracer


_active: _Active | None = None


def traces_url(endpoint: str) -> str:
    """The OTLP/HTTP traces URL for an endpoint given as the collector's base URL
    (`http://collector:4318`), or already as its traces URL."""
    if urlsplit(endpoint).path.rstrip("/"):
        return endpoint
    return endpoint.rstrip("/") + "/v1/traces"


def tracer_provider(
    service_name: str, exporter: SpanExporter, *, batch: bool = True
) -> TracerProvider:
    """A provider that exports to `exporter` through `Redacting`: in batches, off the request's
    path, or (`batch=False`, for tests) as each span ends."""
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    from runtime.trace_redaction import Redacting

    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}))
    processor = BatchSpanProcessor if batch else SimpleSpanProcessor
    provider.add_span_processor(processor(Redacting(exporter)))
    return provider


def configure_tracing(settings: Settings) -> bool:
    """Turn traces on for this process if an OTLP endpoint is configured; once per process
    (later calls change nothing). Says whether traces are on."""
    global _active
    if _active is not None:
        return True
    if not settings.otlp_endpoint:
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    provider = tracer_provider(
        settings.otel_service_name, OTLPSpanExporter(endpoint=traces_url(settings.otlp_endpoint))
    )
    trace.set_tracer_provider(provider)
    _active = _Active(provider, provider.get_tracer(SCOPE))
    log.info("tracing_on", service=settings.otel_service_name)
    return True


def shutdown_tracing() -> None:
    """Send the spans still waiting in the batch; the commands leave with `os._exit`, which
    would drop them."""
    if _active is not None:
        _active.provider.shutdown()


@contextmanager
def installed(provider: TracerProvider) -> Iterator[None]:
    """Use `provider` in this process until the block ends (for tests)."""
    global _active
    before = _active
    _active = _Active(provider, provider.get_tracer(SCOPE))
    try:
        yield
    finally:
        _active = before


def temporal_interceptors() -> list[Interceptor]:
    """For `Client.connect`: Temporal's tracing interceptor when traces are on, else none (a
    worker built on the client takes it from there)."""
    if _active is None:
        return []
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return [TracingInterceptor(_active.tracer)]


def instrument_app(app: Any, *, shown_path: Callable[[str], str]) -> None:
    """A server span per HTTP request when traces are on. The span names the route template
    (`POST /api/incidents`, `GET /ack/{token}`); the path is recorded as `shown_path` makes it
    (an acknowledge link's token replaced); the query string, headers, client address and user
    agent the instrumentation also records are dropped on the way out (`trace_redaction`)."""
    if _active is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.metrics import NoOpMeterProvider

    def path_only(span: Span, scope: dict[str, Any]) -> None:
        if span.is_recording() and "path" in scope:
            span.set_attribute(OWN_PREFIX + "path", shown_path(scope["path"]))

    FastAPIInstrumentor.instrument_app(
        app,
        server_request_hook=path_only,
        tracer_provider=_active.provider,
        # Request metrics are Prometheus's job (`prometheus-client`), not OpenTelemetry's.
        meter_provider=NoOpMeterProvider(),
        excluded_urls=UNTRACED_URLS,
        # A span for every chunk of a body read or written is noise, and costs.
        exclude_spans=["receive", "send"],
    )


@contextmanager
def span(name: str, attributes: Mapping[str, AttributeValue]) -> Iterator[Span]:
    """A span of Concordat's own around a step that calls out (a message handed to its
    channel), a child of the current one. Attributes are ids, codes and kinds only, named
    `concordat.<key>`. A failure marks the span with the exception's name, not its message."""
    if _active is None:
        yield trace.INVALID_SPAN
        return
    with _active.tracer.start_as_current_span(
        name,
        kind=SpanKind.CLIENT,
        attributes={OWN_PREFIX + key: value for key, value in attributes.items()},
        record_exception=False,
        set_status_on_exception=False,
    ) as current:
        try:
            yield current
        except BaseException as failure:
            current.set_status(Status(StatusCode.ERROR, type(failure).__name__))
            raise
