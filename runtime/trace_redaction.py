"""What a span may carry out of the process: ids and shapes, never a person's details.

Traces leave Concordat for whatever collector the operator points them at, often a shared
observability service with its own retention and access. Incident titles, descriptions and
people's names, addresses and numbers must never travel with them. Rather than trust every
library that makes spans (FastAPI's instrumentation records the full URL with its query
string, the client's address and user agent; an exception's message can quote a mail
server's refusal with the address in it), every span passes through `Redacting` on its way
out, which keeps only the attributes on a fixed list: HTTP method, route template and status;
Temporal's workflow, run, activity and update ids; and Concordat's own `concordat.*`
attributes, which only ever hold ids, codes and kinds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from types import MappingProxyType

from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import Status
from opentelemetry.util.types import Attributes, AttributeValue

from runtime.tracing import OWN_PREFIX

#: Attributes that name the request's shape or an id, never its content or its sender.
KEPT_ATTRIBUTES = frozenset(
    {
        # HTTP server spans (old and new semantic conventions): no URL, path, query string,
        # host, client address, user agent or header.
        "http.method",
        "http.request.method",
        "http.route",
        "http.status_code",
        "http.response.status_code",
        "http.scheme",
        "url.scheme",
        "http.flavor",
        "network.protocol.version",
        "error.type",
        # Temporal's interceptor.
        "temporalWorkflowID",
        "temporalRunID",
        "temporalActivityID",
        "temporalActivityType",
        "temporalUpdateID",
    }
)
#: Of an exception event, only what kind of exception it was: its message may quote data.
KEPT_EVENT_ATTRIBUTES = frozenset({"exception.type", "exception.escaped"})

#: "ValueError: the message ..." as both the SDK and Temporal's interceptor describe a failure.
_EXCEPTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


def kept(key: str) -> bool:
    return key in KEPT_ATTRIBUTES or key.startswith(OWN_PREFIX)


def _attributes(attributes: Attributes, keep: frozenset[str] | None = None) -> Attributes:
    if not attributes:
        return attributes
    chosen: dict[str, AttributeValue] = {
        key: value
        for key, value in attributes.items()
        if (key in keep if keep is not None else kept(key))
    }
    return MappingProxyType(chosen)


def _status(status: Status) -> Status:
    """The status code, and of its description only the exception's name."""
    if not status.description:
        return status
    name = status.description.split(":", 1)[0].strip()
    return Status(status.status_code, name if _EXCEPTION_NAME.fullmatch(name) else None)


def _events(events: Sequence[Event]) -> list[Event]:
    return [
        Event(event.name, _attributes(event.attributes, KEPT_EVENT_ATTRIBUTES), event.timestamp)
        for event in events
    ]


def redacted(span: ReadableSpan) -> ReadableSpan:
    """A copy of `span` holding only what `KEPT_ATTRIBUTES` allows."""
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=_attributes(span.attributes),
        events=_events(span.events),
        links=span.links,
        kind=span.kind,
        status=_status(span.status),
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


class Redacting(SpanExporter):
    """Wraps the real exporter (OTLP in production, in memory in the tests): whatever the
    exporter, the same spans leave."""

    def __init__(self, exporter: SpanExporter) -> None:
        self._exporter = exporter

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self._exporter.export([redacted(span) for span in spans])

    def shutdown(self) -> None:
        self._exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._exporter.force_flush(timeout_millis)
