"""Each incident's status page and the actions taken from it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from domain.access import Permission
from domain.commands import AcknowledgementChannel
from domain.obligations import Body, PersonalDataRisk
from domain.scorecard import scorecard
from domain.vocabulary import NcscCategory
from models import Incident
from services import incidents as incident_service
from services import reporting
from services.directory import members_of
from services.temporal_gateway import incident_state
from services.timeline import timeline_of
from web.commands import ON_PAGES, Asking, perform
from web.deps import (
    Caller,
    SessionDep,
    TemporalDep,
    readable_incident,
    refuse_without,
)
from web.operations import OperationError, amend_breach, draft_response
from web.pages.common import (
    PageActsOnIncidents,
    PageReadsIncidents,
    PageRunsIncidents,
    from_form,
    render,
    verified_form,
)
from web.pages.form_errors import describe
from web.rate_limits import rate_limits
from web.schemas import BreachRequest

router = APIRouter(include_in_schema=False)

FormData = Annotated[dict[str, Any], Depends(verified_form)]


async def _visible(
    incident_id: str, caller: Caller, session: SessionDep, *, acting: bool = False
) -> Incident:
    incident = await readable_incident(incident_id, caller, session)
    if acting and not caller.may_act_for(incident.authority_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such incident.")
    return incident


async def _status_page(
    request: Request,
    caller: Caller,
    incident: Incident,
    session: SessionDep,
    temporal: TemporalDep,
    *,
    error: str | None = None,
    status_code: int = 200,
):
    authority = await incident_service.authority_of(incident, session=session)
    members = await members_of(incident.authority_id, session=session)
    state = await incident_state(incident, temporal=temporal)
    return render(
        request,
        "incident_status.html.j2",
        status_code=status_code,
        incident=incident,
        authority=authority,
        state=state,
        timeline=await timeline_of(incident.id, session=session),
        breach=await reporting.breach_of(incident.id, session=session),
        scorecard=scorecard(state, datetime.now(UTC)) if state and incident.exercise else None,
        bodies=list(Body),
        risks=list(PersonalDataRisk),
        members=members,
        categories=list(NcscCategory),
        can_run=caller.can(Permission.RUN_INCIDENTS),
        can_acknowledge=caller.can(Permission.ACKNOWLEDGE),
        error=error,
    )


@router.get("/incidents/{incident_id}")
async def incident_status(
    request: Request,
    incident_id: str,
    caller: PageReadsIncidents,
    session: SessionDep,
    temporal: TemporalDep,
):
    return await _status_page(
        request, caller, await _visible(incident_id, caller, session), session, temporal
    )


@router.get("/incidents/{incident_id}/obligations/{body}/draft")
async def draft_download(
    incident_id: str,
    body: Body,
    caller: PageReadsIncidents,
    session: SessionDep,
    temporal: TemporalDep,
    format: Literal["text", "html"] = "text",
):
    """The draft submission, for the signed-in officer to download from the status page."""
    incident = await _visible(incident_id, caller, session)
    return await draft_response(incident, body, format, session=session, temporal=temporal)


@router.post("/incidents/{incident_id}/breach")
async def breach_form(
    request: Request,
    incident_id: str,
    caller: PageRunsIncidents,
    session: SessionDep,
    temporal: TemporalDep,
    form: FormData,
):
    """The breach register entry, edited from the status page."""
    incident = await _visible(incident_id, caller, session, acting=True)
    try:
        changes = from_form(BreachRequest, form)
    except ValidationError as invalid:
        message = describe(invalid)
        return await _status_page(
            request, caller, incident, session, temporal, error=message, status_code=422
        )
    try:
        await amend_breach(
            incident,
            changes.model_dump(),
            actor=caller.name,
            session=session,
            temporal=temporal,
            limits=rate_limits(request),
        )
    except OperationError as refused:
        return await _status_page(
            request,
            caller,
            incident,
            session,
            temporal,
            error=refused.detail,
            status_code=refused.status_code,
        )
    return RedirectResponse(f"/incidents/{incident.id}#breach", status_code=303)


@router.post("/incidents/{incident_id}/actions/{action}")
async def incident_action(
    request: Request,
    incident_id: str,
    action: str,
    caller: PageActsOnIncidents,
    session: SessionDep,
    temporal: TemporalDep,
    form: FormData,
):
    chosen = ON_PAGES.get(action)
    refuse_without(caller, chosen.permission if chosen else Permission.RUN_INCIDENTS)
    incident = await _visible(incident_id, caller, session, acting=True)
    if chosen is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such action.")
    try:
        request_in = from_form(chosen.request, form)
        named = Body(str(form.get("body") or "")) if chosen.names_body else None
        await perform(
            chosen,
            request_in,
            incident=incident,
            caller=caller,
            asking=Asking(caller.name, AcknowledgementChannel.WEB, named),
            session=session,
            temporal=temporal,
            limits=rate_limits(request),
        )
    except ValidationError as invalid:
        message = describe(invalid)
        return await _status_page(
            request, caller, incident, session, temporal, error=message, status_code=422
        )
    except ValueError:
        return await _status_page(
            request,
            caller,
            incident,
            session,
            temporal,
            error="Choose one of the options.",
            status_code=422,
        )
    except OperationError as refused:
        page = await _status_page(
            request,
            caller,
            incident,
            session,
            temporal,
            error=refused.detail,
            status_code=refused.status_code,
        )
        page.headers.update(refused.headers)
        return page
    return RedirectResponse(f"/incidents/{incident.id}", status_code=303)
