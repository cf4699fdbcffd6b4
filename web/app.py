"""The FastAPI application: API, pages, acknowledge links, health, and error answers."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from temporalio.client import Client

from runtime.database import Database
from runtime.settings import Settings
from runtime.tracing import instrument_app
from services.readiness import RETRY_AFTER_SECONDS, Readiness, ReadinessProbe
from web.access_log import loggable_path
from web.api.actions import router as actions_api
from web.api.admin import router as admin_api
from web.api.campaigns import router as campaigns_api
from web.api.centre import router as centre_api
from web.api.codec import CodecCors
from web.api.codec import router as codec_api
from web.api.commitments import router as commitments_api
from web.api.complaints import router as complaints_api
from web.api.evidence import STREAMED_UPLOADS
from web.api.evidence import router as evidence_api
from web.api.incidents import router as incidents_api
from web.api.national import router as national_api
from web.api.notify_callbacks import router as notify_callbacks_api
from web.api.post_incident import router as post_incident_api
from web.api.reporting import router as reporting_api
from web.api.reviews import router as reviews_api
from web.api.statements import router as statements_api
from web.api.supplier_notices import router as supplier_notices_api
from web.api.suppliers import router as suppliers_api
from web.api_docs import add_api_docs
from web.limits import RequestSizeLimit
from web.metrics import router as metrics_endpoint
from web.openapi import answer_as_documented
from web.operations import OperationError
from web.pages.account import router as account_pages
from web.pages.ack import AckLinkProblem, link_problem_page
from web.pages.ack import router as ack_pages
from web.pages.admin import router as admin_pages
from web.pages.admin_suppliers import router as admin_supplier_pages
from web.pages.audit import router as audit_pages
from web.pages.campaigns import router as campaign_pages
from web.pages.commitments import router as commitment_pages
from web.pages.common import SignInRequired, render, sign_in_redirect_url
from web.pages.complaints import router as complaint_pages
from web.pages.errors import DATABASE_UNAVAILABLE, error_context
from web.pages.evidence import router as evidence_pages
from web.pages.incident_form import router as incident_form_pages
from web.pages.incident_list import router as incident_list_pages
from web.pages.incidents import router as incident_pages
from web.pages.national import router as national_pages
from web.pages.national_centre import router as national_centre_pages
from web.pages.national_notices import router as national_notice_pages
from web.pages.national_report import router as national_report_pages
from web.pages.national_suppliers import router as national_supplier_pages
from web.pages.notices import router as notice_pages
from web.pages.post_incident import router as post_incident_pages
from web.pages.post_incident_forms import router as post_incident_form_pages
from web.pages.public import router as public_pages
from web.pages.reviews import router as review_pages
from web.pages.session import router as session_pages
from web.pages.statements import router as statement_pages
from web.rate_limits import RateLimits
from web.security_headers import SecurityHeaders

log = structlog.get_logger(__name__)

#: Far more than any incident report needs, far less than would hurt the server.
MAX_REQUEST_BYTES = 1024 * 1024


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api") and "text/html" in request.headers.get(
        "accept", ""
    )


def _readable(error: dict[str, Any]) -> dict[str, str]:
    location = [
        str(part)
        for part in error.get("loc", ())
        if part not in ("body", "query", "path", "header")
    ]
    return {
        "field": ".".join(location) or "request",
        "message": error["msg"].removeprefix("Value error, "),
    }


def create_app(*, settings: Settings, database: Database, temporal: Client) -> FastAPI:
    app = FastAPI(
        title="Concordat",
        summary="Cyber-incident reporting and escalation for local authorities.",
        version="0.1.0",
        docs_url=None,  # served by add_api_docs from local files
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.temporal = temporal
    app.state.rate_limits = RateLimits.from_settings(settings)
    app.state.readiness = ReadinessProbe(settings, database=database, temporal=temporal)
    https = settings.base_url.startswith("https://")

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.signing_key(),
        session_cookie="concordat_session",
        max_age=8 * 3600,
        same_site="lax",  # "strict" would lose the session when a member opens an email link
        https_only=https,
    )
    app.add_middleware(RequestSizeLimit, limit=MAX_REQUEST_BYTES, streamed=STREAMED_UPLOADS)
    app.add_middleware(SecurityHeaders, https=https)
    app.add_middleware(CodecCors, origins=settings.codec_allowed_origins)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [_readable(e) for e in error.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return JSONResponse(
            {"detail": f"The request is not valid. {detail}", "errors": errors},
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )

    @app.exception_handler(OperationError)
    async def refused(request: Request, error: OperationError) -> JSONResponse:
        return JSONResponse(
            {"detail": error.detail}, status_code=error.status_code, headers=error.headers
        )

    app.add_exception_handler(AckLinkProblem, link_problem_page)  # type: ignore[arg-type]

    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, error: SignInRequired) -> RedirectResponse:
        return RedirectResponse(sign_in_redirect_url(error.next_path), status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if _wants_html(request):
            page = render(
                request,
                "error.html.j2",
                status_code=error.status_code,
                **error_context(request, error.status_code, error.detail),
            )
            page.headers.update(getattr(error, "headers", None) or {})
            return page
        return JSONResponse(
            {"detail": error.detail},
            status_code=error.status_code,
            headers=getattr(error, "headers", None),
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def database_unavailable(request: Request, error: Exception) -> Response:
        log.warning(
            "database_unavailable", path=loggable_path(request.url.path), error=type(error).__name__
        )
        headers = {"Retry-After": "5"}
        if _wants_html(request):
            page = render(
                request,
                "error.html.j2",
                status_code=503,
                **error_context(request, 503, DATABASE_UNAVAILABLE),
            )
            page.headers.update(headers)
            return page
        return JSONResponse({"detail": DATABASE_UNAVAILABLE}, status_code=503, headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("request_failed", path=loggable_path(request.url.path))
        return JSONResponse(
            {"detail": "Something went wrong on our side; it has been logged."}, status_code=500
        )

    @app.get("/healthz", tags=["health"])
    async def health() -> dict[str, str]:
        """Liveness: the process answers. It touches nothing else, so a database or relay
        outage never makes an orchestrator restart healthy processes; `/readyz` says whether
        the process can do its work."""
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["health"],
        response_model=Readiness,
        response_model_exclude_none=True,
        responses={
            503: {
                "model": Readiness,
                "description": "A dependency is unreachable or failing: its check says which, "
                "and the kind of failure.",
                "headers": {
                    "Retry-After": {
                        "description": "Seconds to wait before asking again.",
                        "schema": {"type": "integer"},
                    }
                },
            }
        },
    )
    async def ready() -> JSONResponse:
        """Readiness: the database, Temporal, the SMTP relay and (when configured) GOV.UK
        Notify, each checked within CONCORDAT_READINESS_TIMEOUT_SECONDS."""
        answer: Readiness = await app.state.readiness.current()
        if answer.ready:
            return JSONResponse(answer.model_dump(exclude_none=True))
        return JSONResponse(
            answer.model_dump(exclude_none=True),
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    app.include_router(incidents_api)
    app.include_router(evidence_api)
    app.include_router(actions_api)
    app.include_router(admin_api)
    app.include_router(centre_api)
    app.include_router(codec_api)
    app.include_router(commitments_api)
    app.include_router(notify_callbacks_api)
    app.include_router(reporting_api)
    app.include_router(reviews_api)
    app.include_router(post_incident_api)
    app.include_router(national_api)
    app.include_router(campaigns_api)
    app.include_router(statements_api)
    app.include_router(suppliers_api)
    app.include_router(supplier_notices_api)
    app.include_router(complaints_api)
    app.include_router(metrics_endpoint)
    app.include_router(session_pages)
    app.include_router(incident_form_pages)
    app.include_router(incident_list_pages)
    app.include_router(incident_pages)
    app.include_router(evidence_pages)
    app.include_router(ack_pages)
    app.include_router(audit_pages)
    app.include_router(account_pages)
    app.include_router(admin_pages)
    app.include_router(admin_supplier_pages)
    app.include_router(commitment_pages)
    app.include_router(national_pages)
    app.include_router(national_centre_pages)
    app.include_router(national_report_pages)
    app.include_router(national_supplier_pages)
    app.include_router(national_notice_pages)
    app.include_router(notice_pages)
    app.include_router(review_pages)
    app.include_router(post_incident_pages)
    app.include_router(post_incident_form_pages)
    app.include_router(campaign_pages)
    app.include_router(statement_pages)
    app.include_router(complaint_pages)
    app.include_router(public_pages)
    app.mount("/static", StaticFiles(packages=[("web", "static")]), name="static")
    add_api_docs(app)
    answer_as_documented(app)
    # A server span per request when traces are on (`runtime.tracing`), paths as logs show them.
    instrument_app(app, shown_path=loggable_path)
    return app
