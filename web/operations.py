"""Opening and changing incidents: the one path both the API and the pages take."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain.commands import Rejection
from domain.obligations import Body
from domain.state import IncidentState
from models import Authority, Incident
from notifications.drafts import render_draft
from notifications.render import MessageRenderer
from runtime.settings import Settings
from services import incidents as incident_service
from services import reporting
from services.directory import authority_by_code, snapshot_authority
from services.incidents import details_of
from services.starts import start_incident_workflow, workflow_exists
from web.deps import Caller
from web.rate_limits import RateLimits
from web.schemas import IncidentCreate
from workflows import IncidentWorkflow

log = structlog.get_logger(__name__)


class OperationError(Exception):
    """A request the incident cannot take, with the HTTP status and a sentence for people."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


async def open_incident(
    request: IncidentCreate,
    *,
    caller: Caller,
    idempotency_key: str | None,
    session: AsyncSession,
    temporal: Client,
    settings: Settings,
    limits: RateLimits,
) -> tuple[Incident, bool]:
    """Record the incident and start its workflow; returns it and whether it is new.

    The row is written first (it allocates the reference), then the workflow is started under
    an id derived from the incident. If the start fails, a new row is removed again, so no
    incident is left without its workflow; a retry with the same Idempotency-Key is safe at
    every point, and starts the workflow if an earlier attempt did not.
    """
    authority = await authority_by_code(request.authority, session=session)
    if authority is None or not caller.may_act_for(authority.id or 0):
        raise OperationError(422, f"Unknown authority code {request.authority!r}.")
    if not await limits.allow(limits.incidents, "open", authority.code):
        raise OperationError(
            429, "Too many incidents opened for this authority in the last minute; try again."
        )
    payload = request.model_dump(mode="json")
    aware_at = request.aware_at or datetime.now(UTC)
    assert authority.id is not None
    snapshot = await snapshot_authority(authority.id, session=session)
    try:
        incident, created = await incident_service.open_incident(
            authority,
            title=request.title,
            description=request.description,
            incident_type=request.incident_type,
            category=request.category,
            significant=request.significant,
            personal_data=request.personal_data,
            personal_data_risk=request.personal_data_risk,
            exercise=request.exercise,
            email_compromised=request.email_compromised,
            detected_at=request.detected_at,
            aware_at=aware_at,
            tlp=request.tlp,
            reporter_name=request.reporter_name,
            reporter_email=str(request.reporter_email),
            opened_by=caller.name,
            idempotency_key=idempotency_key,
            fingerprint=incident_service.request_fingerprint(payload) if idempotency_key else None,
            session=session,
        )
    except incident_service.IdempotencyConflict:
        raise OperationError(
            422, "This Idempotency-Key was already used for a different incident; use a new key."
        ) from None
    bound = log.bind(
        incident_id=incident.id, workflow_id=incident.workflow_id, authority=authority.code
    )
    try:
        await start_incident_workflow(
            incident, authority, temporal, settings.task_queue, snapshot=snapshot
        )
    except Exception as error:
        bound.error("incident_start_failed", error=type(error).__name__, new=created)
        started = await workflow_exists(incident, temporal)
        if started:  # the start reached the server although its answer did not reach us
            bound.info("incident_start_confirmed")
            return incident, created
        if created and started is False:
            await incident_service.withdraw_unstarted(incident.id, session=session)
            saved = "Nothing was saved; try again in a moment"
        else:
            # Whether the workflow exists cannot be known now: keep the row, so that a
            # retry with the same key starts the workflow or finds it.
            bound.warning("incident_start_uncertain")
            saved = (
                f"Incident {incident.reference} was recorded, but its start was not confirmed; "
                "check the incident list before reporting it again, or retry"
            )
        raise OperationError(
            503,
            "The incident could not be opened because the workflow service is unavailable. "
            + saved
            + (" with the same Idempotency-Key." if idempotency_key else "."),
        ) from error
    bound.info(
        "incident_opened" if created else "incident_open_replayed", category=int(incident.category)
    )
    return incident, created


_REJECTION_STATUS = {
    Rejection.CLOSED.value: 409,
    Rejection.CONFLICT.value: 409,
    Rejection.NOT_READY.value: 409,
    Rejection.INVALID.value: 422,
}


async def run_update(
    incident: Incident, update: Any, command: Any, *, temporal: Client
) -> IncidentState:
    """Send an update to the incident's workflow and translate a refusal into an HTTP answer."""
    bound = log.bind(
        incident_id=incident.id,
        workflow_id=incident.workflow_id,
        authority_id=incident.authority_id,
    )
    if incident.closed_at is not None:
        raise OperationError(409, f"Incident {incident.reference} is closed.")
    handle = temporal.get_workflow_handle_for(IncidentWorkflow.run, incident.workflow_id)
    try:
        return await handle.execute_update(update, command)
    except WorkflowUpdateFailedError as failure:
        cause = failure.cause
        if isinstance(cause, ApplicationError):
            bound.info("update_rejected", update=update.__name__, reason=cause.type)
            raise OperationError(
                _REJECTION_STATUS.get(cause.type or "", 422), cause.message
            ) from None
        raise
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND and incident.last_event_sequence == 0:
            raise OperationError(
                503, f"Incident {incident.reference} is not running yet; try again in a moment."
            ) from None
        if error.status == RPCStatusCode.NOT_FOUND:
            raise OperationError(409, f"Incident {incident.reference} is closed.") from None
        bound.error("update_failed", update=update.__name__, error=error.status.name)
        raise OperationError(
            503, "The workflow service is unavailable; try again in a moment."
        ) from error


async def live_state(incident: Incident, *, temporal: Client) -> IncidentState | None:
    """The workflow's own view of the incident, or None when it cannot be reached."""
    try:
        handle = temporal.get_workflow_handle_for(IncidentWorkflow.run, incident.workflow_id)
        return await handle.query(IncidentWorkflow.state)
    except Exception as error:  # the read side still answers while Temporal is away
        log.warning("live_state_unavailable", incident_id=incident.id, error=type(error).__name__)
        return None


_draft_renderer = MessageRenderer()


async def draft_response(
    incident: Incident, body: Body, format: str, *, session: AsyncSession, temporal: Client
) -> Response:
    """A draft as a download, for the API and the status page alike."""
    authority = await session.get(Authority, incident.authority_id)
    assert authority is not None
    state = await live_state(incident, temporal=temporal)
    obligation = state.obligation(body) if state else None
    facts = await reporting.draft_facts(
        details_of(incident, authority),
        body,
        obligation.deadline if obligation else None,
        session=session,
    )
    rendered = render_draft(_draft_renderer, facts)
    filename = f"{incident.reference}-{body.value}.{'txt' if format == 'text' else 'html'}"
    headers = {"Content-Disposition": f'inline; filename="{filename}"'}
    if format == "html":
        return HTMLResponse(rendered.html, headers=headers)
    return PlainTextResponse(rendered.text, headers=headers)
