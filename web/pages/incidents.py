"""The on-call officer's pages: the incident form, the list and each incident's status page."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from domain.access import Permission
from domain.commands import AcknowledgementChannel
from domain.obligations import Body, PersonalDataRisk
from domain.scorecard import scorecard
from domain.vocabulary import IncidentType, NcscCategory, Tlp
from models import Authority, Incident
from services import incidents as incident_service
from services import reporting
from services.directory import authorities, members_of
from services.temporal_gateway import incident_state
from services.timeline import timeline_of
from web.commands import ON_PAGES, Asking, perform
from web.deps import (
    Caller,
    SessionDep,
    SettingsDep,
    TemporalDep,
    readable_incident,
    refuse_without,
)
from web.operations import OperationError, amend_breach, draft_response, open_incident
from web.pages.common import (
    UK_TIME,
    PageActsOnIncidents,
    PageOpensIncidents,
    PageReadsIncidents,
    PageRunsIncidents,
    from_form,
    render,
    verified_form,
)
from web.rate_limits import rate_limits
from web.schemas import BreachRequest, IncidentRequest

router = APIRouter(include_in_schema=False)

FormData = Annotated[dict[str, Any], Depends(verified_form)]


async def _authorities_for(caller: Caller, session: SessionDep) -> list[Authority]:
    return await authorities(authority_id=caller.authority_id, session=session)


def _field_errors(error: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else "form"
        message = item["msg"].removeprefix("Value error, ")
        errors.setdefault(field, message)
    return errors


def _form_key(form_id: str | None) -> str | None:
    """The form's own idempotency key, if it is one this site issued (32 hex digits)."""
    return form_id if form_id and re.fullmatch(r"[0-9a-f]{32}", form_id) else None


def _describe(invalid: ValidationError) -> str:
    return "; ".join(
        f"{field.replace('_', ' ')}: {problem}" for field, problem in _field_errors(invalid).items()
    )


@router.get("/")
async def home() -> RedirectResponse:
    return RedirectResponse("/incidents", status_code=303)


@router.get("/incidents/new")
async def new_incident_form(request: Request, caller: PageOpensIncidents, session: SessionDep):
    return render(
        request,
        "incident_new.html.j2",
        authorities=await _authorities_for(caller, session),
        errors={},
        # The form carries its own idempotency key: a double click or a resubmitted page
        # opens one incident, not two.
        values={
            "form_id": uuid.uuid4().hex,
            "detected_at": datetime.now(UK_TIME).strftime("%Y-%m-%dT%H:%M"),
        },
        incident_types=list(IncidentType),
        categories=list(NcscCategory),
        markings=list(Tlp),
    )


@router.post("/incidents/new")
async def submit_incident(
    request: Request,
    caller: PageOpensIncidents,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    form: FormData,
):
    values = {key: str(value) for key, value in form.items()}
    # The risk is read only when the breach box is ticked: the list always has a choice.
    reported = values if "personal_data" in values else values | {"personal_data_risk": ""}
    errors: dict[str, str] = {}
    headers: dict[str, str] = {}
    try:
        create = from_form(IncidentRequest, reported)
        incident, _ = await open_incident(
            create,
            caller=caller,
            idempotency_key=_form_key(values.get("form_id")),
            session=session,
            temporal=temporal,
            settings=settings,
            limits=rate_limits(request),
        )
    except ValidationError as invalid:
        errors = _field_errors(invalid)
        status_code = 422
    except OperationError as refused:
        errors = {"form": refused.detail}
        status_code, headers = refused.status_code, refused.headers
    else:
        return RedirectResponse(f"/incidents/{incident.id}", status_code=303)
    page = render(
        request,
        "incident_new.html.j2",
        status_code=status_code,
        authorities=await _authorities_for(caller, session),
        values=values,
        errors=errors,
        incident_types=list(IncidentType),
        categories=list(NcscCategory),
        markings=list(Tlp),
    )
    page.headers.update(headers)
    return page


@router.get("/incidents")
async def incident_list(request: Request, caller: PageReadsIncidents, session: SessionDep):
    rows = await incident_service.list_incidents(
        authority_ids=caller.readable, limit=200, offset=0, session=session
    )
    return render(request, "incident_list.html.j2", rows=rows)


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
        message = _describe(invalid)
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
        message = _describe(invalid)
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
