"""Opening an incident from a page: the form, checked as the API checks it."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from domain.vocabulary import IncidentType, NcscCategory, Tlp
from models import Authority
from services.directory import authorities
from web.deps import (
    Caller,
    SessionDep,
    SettingsDep,
    TemporalDep,
)
from web.operations import OperationError, open_incident
from web.pages.common import (
    UK_TIME,
    PageOpensIncidents,
    from_form,
    render,
    verified_form,
)
from web.pages.form_errors import field_errors
from web.rate_limits import rate_limits
from web.schemas import IncidentRequest

router = APIRouter(include_in_schema=False)

FormData = Annotated[dict[str, Any], Depends(verified_form)]


async def _authorities_for(caller: Caller, session: SessionDep) -> list[Authority]:
    return await authorities(authority_id=caller.authority_id, session=session)


def _form_key(form_id: str | None) -> str | None:
    """The form's own idempotency key, if it is one this site issued (32 hex digits)."""
    return form_id if form_id and re.fullmatch(r"[0-9a-f]{32}", form_id) else None


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
        errors = field_errors(invalid)
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
