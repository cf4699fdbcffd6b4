"""What the API and the pages share when they act: the product's refusals as HTTP answers.

The services and `services.temporal_gateway` raise the product's exceptions; this module alone
turns them into a status code and a sentence (`OperationError`), which the API sends as JSON and
the pages show on the form.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from domain.commands import AmendBreachRecord, Rejection
from domain.incident import IncidentOrigin
from domain.obligations import Body
from domain.state import IncidentState
from models import BreachRecord, Incident
from notifications.drafts import render_draft
from notifications.render import MessageRenderer
from runtime.settings import Settings
from services import reporting
from services.directory import authority_by_code
from services.incidents import (
    IdempotencyConflict,
    IncidentCreate,
    authority_of,
    details_of,
    find_by_idempotency_key,
    request_fingerprint,
)
from services.starts import IncidentNotStarted, open_and_start
from services.temporal_gateway import (
    UpdateRefused,
    WorkflowUnavailable,
    incident_state,
    update_incident,
)
from web.deps import Caller, end_reading
from web.rate_limits import PerIncident, RateLimits, TooFast
from web.schemas import IncidentRequest
from workflows import IncidentWorkflow


class OperationError(Exception):
    """A request the incident cannot take, with the HTTP status and a sentence for people."""

    def __init__(self, status_code: int, detail: str, *, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail
        self.retry_after = retry_after
        """Seconds to wait before trying again, for a 429 or a 503."""

    @property
    def headers(self) -> dict[str, str]:
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}


async def open_incident(
    request: IncidentRequest,
    *,
    caller: Caller,
    idempotency_key: str | None,
    session: AsyncSession,
    temporal: Client,
    settings: Settings,
    limits: RateLimits,
    origin: IncidentOrigin | None = None,
) -> tuple[Incident, bool]:
    """Open the incident the request reports, for the API and the form alike; returns it and
    whether it is new (see `services.starts.open_and_start`). `origin` names the supplier
    notice it is opened from (`web.notice_operations`)."""
    authority = await authority_by_code(request.authority, session=session)
    if authority is None or authority.id is None or not caller.may_act_for(authority.id):
        raise OperationError(
            422,
            f"Unknown authority code {request.authority!r}. / "
            f"Cod awdurdod anhysbys {request.authority!r}.",
        )
    # A retry returns the incident the first request opened, so it is never held back: only
    # requests that may open a new incident count towards the authority's limit.
    replayed = idempotency_key is not None and (
        await find_by_idempotency_key(authority.id, idempotency_key, session=session) is not None
    )
    if not replayed:
        try:
            await limits.check(
                limits.incidents,
                "Too many incidents have been opened for this authority in the last minute",
                "Agorwyd gormod o ddigwyddiadau i'r awdurdod hwn yn y funud ddiwethaf",
                "open",
                authority.code,
            )
        except TooFast as refused:
            raise OperationError(429, refused.message, retry_after=refused.seconds) from None
    incident_in = IncidentCreate(
        **request.model_dump(exclude={"authority"}),
        opened_by=caller.name,
        origin=origin,
        idempotency_key=idempotency_key,
        fingerprint=request_fingerprint(request.model_dump(mode="json"))
        if idempotency_key
        else None,
    )
    try:
        return await open_and_start(
            session=session,
            temporal=temporal,
            task_queue=settings.task_queue,
            authority=authority,
            incident_in=incident_in,
            channels=settings.channels_for(authority.code),
        )
    except IdempotencyConflict:
        raise OperationError(
            422, "This Idempotency-Key was already used for a different incident; use a new key."
        ) from None
    except IncidentNotStarted as not_started:
        raise OperationError(503, str(not_started)) from not_started


_REJECTION_STATUS = {
    Rejection.CLOSED: 409,
    Rejection.CONFLICT: 409,
    Rejection.NOT_READY: 409,
    Rejection.HANDING_OVER: 409,
    Rejection.INVALID: 422,
}


async def run_update(
    incident: Incident, update: Any, command: Any, *, temporal: Client
) -> IncidentState:
    """Send an update to the incident's workflow; a refusal becomes an `OperationError`."""
    try:
        return await update_incident(incident, update, command, temporal=temporal)
    except UpdateRefused as refused:
        raise OperationError(_REJECTION_STATUS[refused.rejection], refused.message) from None
    except WorkflowUnavailable as unavailable:
        raise OperationError(503, str(unavailable)) from unavailable


async def amend_breach(
    incident: Incident,
    changes: dict[str, Any],
    *,
    actor: str,
    session: AsyncSession,
    temporal: Client,
    limits: RateLimits,
) -> BreachRecord:
    """Change the incident's breach register entry through its workflow, so the change is on
    the hash-chained timeline (who, when, what changed); the API and the status page alike."""
    if not incident.personal_data:
        raise OperationError(
            409,
            "This incident does not involve personal data; reassess it first. / "
            "Nid yw'r digwyddiad hwn yn ymwneud â data personol; ailasesu'n gyntaf.",
        )
    if incident.closed_at is not None:
        raise OperationError(
            409,
            f"Incident {incident.reference} is closed: its breach register entry can no longer "
            "be changed. / "
            f"Mae digwyddiad {incident.reference} ar gau: ni ellir newid ei gofnod yn y gofrestr "
            "torri data mwyach.",
        )
    # Read, not written, here: the entry is written by the workflow, which records the change.
    current = await reporting.breach_of(incident.id, session=session)
    changed = {
        field: value
        for field, value in changes.items()
        if (getattr(current, field) if current else None) != value
    }
    await end_reading(session)
    if changed:
        try:  # held to the incident's count of changes, as every other change is
            await limits.check_incident(PerIncident.CHANGES, incident.id)
        except TooFast as refused:
            raise OperationError(429, refused.message, retry_after=refused.seconds) from None
        await run_update(
            incident,
            IncidentWorkflow.amend_breach_record,
            AmendBreachRecord(changes=changed, actor=actor),
            temporal=temporal,
        )
        if current is None:
            current = await reporting.breach_of(incident.id, session=session)
        else:
            await session.refresh(current)  # as the workflow's activity wrote it
    if current is None:  # nothing given, and the entry not written yet: the incident is new
        raise OperationError(
            409,
            "The incident is still being opened; try again in a moment. / "
            "Mae'r digwyddiad yn dal i gael ei agor; rhowch gynnig arall arni mewn munud.",
        )
    return current


_draft_renderer = MessageRenderer()


async def draft_response(
    incident: Incident,
    body: Body,
    format: str,
    *,
    session: AsyncSession,
    temporal: Client,
    stage: str | None = None,
) -> Response:
    """A draft as a download, for the API and the status page alike. A staged report's draft is
    one stage's: the one asked for, or the next one waiting."""
    authority = await authority_of(incident, session=session)
    state = await incident_state(incident, temporal=temporal)
    obligation = state.obligation(body) if state else None
    rule = obligation.rule if obligation else None
    progress = None
    if obligation is not None and obligation.stages:
        progress = obligation.stage(stage) if stage else obligation.next_stage
        progress = progress or obligation.stages[-1]
    elif stage is not None:
        raise OperationError(
            404,
            f"Reporting to {body.label} has no stage {stage!r}. / "
            f"Nid oes cam {stage!r} wrth roi gwybod i {body.welsh_label}.",
        )
    stage_rule = rule.stage(progress.key) if rule and progress else None
    facts = await reporting.draft_facts(
        details_of(incident, authority),
        body,
        progress.deadline if progress else obligation.deadline if obligation else None,
        session=session,
        stage=stage_rule,
        body_name=rule.name_at(datetime.now(UTC)) if rule else None,
    )
    rendered = render_draft(_draft_renderer, facts)
    suffix = f"-{stage_rule.key}" if stage_rule else ""
    filename = f"{incident.reference}-{body.value}{suffix}.{'txt' if format == 'text' else 'html'}"
    headers = {"Content-Disposition": f'inline; filename="{filename}"'}
    if format == "html":
        return HTMLResponse(rendered.html, headers=headers)
    return PlainTextResponse(rendered.text, headers=headers)
