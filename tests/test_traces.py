"""Traces: an incident's opening is one trace, from the HTTP request to the SMTP send, with ids
in its spans and never a person's details; off unless an OTLP endpoint is configured."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.activity_contracts import SEND_NOTIFICATION
from domain.vocabulary import NotificationKind
from runtime import tracing
from runtime.database import Database
from runtime.settings import Settings
from runtime.trace_redaction import KEPT_ATTRIBUTES
from services.tokens import issue_token
from tests.support import MailServer, eventually, make_authority
from web.app import create_app
from worker import build_worker

REPORTER_NAME = "Rhys Evans-Traceable"
REPORTER_EMAIL = "rhys.traceable@example.org"
TITLE = "Ransomware on the traced revenues server"
DESCRIPTION = "Files encrypted on the traced share; a ransom note was found."


def _strings(span: ReadableSpan) -> list[str]:
    """Every text a span would carry out of the process."""
    texts = [span.name, span.status.description or ""]
    texts += [str(value) for value in (span.attributes or {}).values()]
    texts += [str(value) for event in span.events for value in (event.attributes or {}).values()]
    texts += [str(value) for value in span.resource.attributes.values()]
    return texts


def _ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[str]:
    """The names of a span's ancestors, nearest first, as far as the recorded spans go."""
    names = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        names.append(span.name)
    return names


async def test_opening_an_incident_is_one_trace_with_ids_and_no_personal_data(
    dev_server: WorkflowEnvironment,
    database: Database,
    dev_settings: Settings,
    mail_server: MailServer,
) -> None:
    exporter = InMemorySpanExporter()
    settings = dev_settings.model_copy(update={"task_queue": f"traces-{uuid.uuid4()}"})
    council = await make_authority(database, reporting=False)
    async with database.session() as session:
        _, token = await issue_token("traced officer", authority_id=council.id, session=session)
    with tracing.installed(tracing.tracer_provider("concordat", exporter, batch=False)):
        # As `concordat web` and `concordat worker` connect: the interceptor on the client,
        # the worker taking it from there.
        client = Client(
            **(dev_server.client.config() | {"interceptors": tracing.temporal_interceptors()})
        )
        app = create_app(settings=settings, database=database, temporal=client)
        transport = httpx.ASGITransport(app=app)
        async with (
            build_worker(client, database, settings),
            httpx.AsyncClient(transport=transport, base_url="http://concordat.test") as http,
        ):
            response = await http.post(
                "/api/incidents",
                # A query string the instrumentation would record with the URL.
                params={"probe": REPORTER_EMAIL},
                headers={"Authorization": f"Bearer {token}", "User-Agent": REPORTER_NAME},
                json={
                    "authority": council.code,
                    "title": TITLE,
                    "description": DESCRIPTION,
                    "incident_type": "ransomware",
                    "category": 4,
                    "detected_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
                    "reporter_name": REPORTER_NAME,
                    "reporter_email": REPORTER_EMAIL,
                },
            )
            assert response.status_code == 201, response.text
            opened = response.json()
            await mail_server.inbox.wait_for(lambda m: m.to.endswith("@" + council.domain), 2)
            # An acknowledge link's path is its token: the span shows it replaced.
            await http.get("/ack/the-secret-link-token", headers={"Accept": "text/html"})

            def delivered() -> list[ReadableSpan]:
                return [
                    s
                    for s in exporter.get_finished_spans()
                    if s.name == "Deliver:email"
                    and (s.attributes or {}).get("concordat.incident_id") == opened["id"]
                ]

            sends = await eventually(lambda: len(delivered()) >= 2 and delivered())

    spans = exporter.get_finished_spans()
    (request,) = [s for s in spans if s.name == "POST /api/incidents"]
    assert request.kind is SpanKind.SERVER
    trace_id = request.context.trace_id
    in_trace = [s for s in spans if s.context.trace_id == trace_id]
    by_id = {s.context.span_id: s for s in in_trace}
    names = {s.name for s in in_trace}
    assert {
        "StartWorkflow:IncidentWorkflow",
        "RunWorkflow:IncidentWorkflow",
        f"StartActivity:{SEND_NOTIFICATION}",
        f"RunActivity:{SEND_NOTIFICATION}",
        "Deliver:email",
    } <= names, names
    for send in sends:
        assert send.context.trace_id == trace_id
        # Request, workflow start, activity, send: one line of descent.
        assert _ancestors(send, by_id) == [
            f"RunActivity:{SEND_NOTIFICATION}",
            f"StartActivity:{SEND_NOTIFICATION}",
            "StartWorkflow:IncidentWorkflow",
            "POST /api/incidents",
        ]
        assert send.attributes == {
            "concordat.incident_id": opened["id"],
            "concordat.workflow_id": opened["workflow_id"],
            "concordat.authority": council.code,
            "concordat.message_kind": send.attributes["concordat.message_kind"],
            "concordat.channel": "email",
            "concordat.attempt": 1,
        }
    kinds = {send.attributes["concordat.message_kind"] for send in sends}
    assert kinds == {NotificationKind.ACKNOWLEDGEMENT_REQUEST.value}
    (start,) = [s for s in in_trace if s.name == "StartWorkflow:IncidentWorkflow"]
    assert start.attributes == {"temporalWorkflowID": opened["workflow_id"]}
    # The workflow's own span (of no duration: Temporal's interceptor ends it as it starts,
    # since a replay must not leave it open) hangs from the start, as the activities do.
    (run,) = [s for s in in_trace if s.name == "RunWorkflow:IncidentWorkflow"]
    assert _ancestors(run, by_id) == ["StartWorkflow:IncidentWorkflow", "POST /api/incidents"]
    assert (run.attributes or {})["temporalWorkflowID"] == opened["workflow_id"]

    # The HTTP span: route, method, status and the path as logs show it; nothing else.
    assert request.attributes is not None
    assert request.attributes["http.route"] == "/api/incidents"
    assert request.attributes["concordat.path"] == "/api/incidents"
    assert set(request.attributes) <= KEPT_ATTRIBUTES | {"concordat.path"}
    (ack,) = [s for s in spans if s.name == "GET /ack/{token}"]
    assert ack.attributes is not None
    assert ack.attributes["concordat.path"] == "/ack/<redacted>"

    # Nothing a person wrote or is called, nor the caller's token, in any span.
    number = council.authority.name_en.rsplit(" ", 1)[1]
    members = [council.email(role) for role in council.members]
    members += [f"{role.value.replace('_', ' ').title()} {number}" for role in council.members]
    forbidden = [REPORTER_NAME, REPORTER_EMAIL, TITLE, DESCRIPTION, token, *members]
    forbidden += ["the-secret-link-token", council.authority.name_en]
    for span in spans:
        for text in _strings(span):
            for secret in forbidden:
                assert secret not in text, (span.name, text)


def test_off_by_default_no_interceptor_and_no_instrumentation(database: Database) -> None:
    settings = Settings(_env_file=None)
    assert settings.otlp_endpoint is None
    assert settings.otel_service_name == "concordat"
    assert tracing.configure_tracing(settings) is False
    assert tracing.temporal_interceptors() == []
    with tracing.span("Deliver:email", {"incident_id": "x"}) as span:
        assert not span.is_recording()
    app = create_app(settings=settings, database=database, temporal=None)  # type: ignore[arg-type]
    assert not getattr(app, "_is_instrumented_by_opentelemetry", False)


def test_only_ids_and_shapes_leave_whoever_made_the_span() -> None:
    """A library's span (as FastAPI's or Temporal's instrumentation makes them) with a URL,
    a client address and an exception quoting an address: only the kept attributes leave, and
    of the exception only its type."""
    exporter = InMemorySpanExporter()
    provider = tracing.tracer_provider("concordat", exporter, batch=False)
    with provider.get_tracer("a.library").start_as_current_span(
        "GET /incidents/{incident_id}",
        attributes={
            "http.route": "/incidents/{incident_id}",
            "http.url": f"http://concordat.test/incidents/1?email={REPORTER_EMAIL}",
            "client.address": "192.0.2.7",
            "http.request.header.authorization": ("Bearer secret",),
            "concordat.incident_id": "1",
        },
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        failure = ValueError(f"550 no mailbox {REPORTER_EMAIL}")
        span.record_exception(failure)
        span.set_status(Status(StatusCode.ERROR, f"ValueError: {failure}"))
    (sent,) = exporter.get_finished_spans()
    assert sent.attributes == {
        "http.route": "/incidents/{incident_id}",
        "concordat.incident_id": "1",
    }
    ((event_name, event_attributes),) = [(e.name, dict(e.attributes or {})) for e in sent.events]
    assert event_name == "exception"
    assert event_attributes == {"exception.type": "ValueError", "exception.escaped": "False"}
    assert sent.status.description == "ValueError"


@pytest.mark.parametrize(
    ("endpoint", "url"),
    [
        ("http://collector:4318", "http://collector:4318/v1/traces"),
        ("http://collector:4318/", "http://collector:4318/v1/traces"),
        ("https://otel.example/v1/traces", "https://otel.example/v1/traces"),
    ],
)
def test_the_endpoint_is_the_collector_or_its_traces_url(endpoint: str, url: str) -> None:
    assert tracing.traces_url(endpoint) == url


class _Collector(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Collector.received.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[str]:
    """An OTLP/HTTP receiver on loopback, keeping what it is sent."""
    _Collector.received = []
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


#: A process that configures traces from its environment as `concordat worker` does, makes a
#: span that fails with a message quoting an address, and leaves as the commands do.
_PROCESS = """
import os
from runtime import tracing
from runtime.settings import Settings

assert tracing.configure_tracing(Settings())
try:
    with tracing.span("Deliver:email", {"incident_id": "i-1", "channel": "email"}):
        raise ValueError("550 no mailbox rhys.traceable@example.org")
except ValueError:
    pass
tracing.shutdown_tracing()
os._exit(0)
"""


def test_a_configured_process_sends_redacted_spans_over_otlp(collector: str) -> None:
    environment = os.environ | {
        "CONCORDAT_OTLP_ENDPOINT": collector,
        "CONCORDAT_OTEL_SERVICE_NAME": "concordat-worker",
    }
    subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
        [sys.executable, "-c", _PROCESS], env=environment, check=True, timeout=60
    )
    ((path, body),) = _Collector.received
    assert path == "/v1/traces"
    sent = ExportTraceServiceRequest.FromString(body)
    (resource_spans,) = sent.resource_spans
    resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert resource["service.name"] == "concordat-worker"
    ((span,),) = [scope.spans for scope in resource_spans.scope_spans]
    assert span.name == "Deliver:email"
    assert {a.key: a.value.string_value for a in span.attributes} == {
        "concordat.incident_id": "i-1",
        "concordat.channel": "email",
    }
    assert span.status.message == "ValueError"
    assert b"traceable" not in body
