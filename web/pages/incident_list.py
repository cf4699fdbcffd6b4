"""The list of incidents a person may see."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from services import incidents as incident_service
from web.deps import (
    SessionDep,
)
from web.pages.common import (
    PageReadsIncidents,
    render,
    verified_form,
)

router = APIRouter(include_in_schema=False)

FormData = Annotated[dict[str, Any], Depends(verified_form)]


@router.get("/incidents")
async def incident_list(request: Request, caller: PageReadsIncidents, session: SessionDep):
    rows = await incident_service.list_incidents(
        authority_ids=caller.readable, limit=200, offset=0, session=session
    )
    return render(request, "incident_list.html.j2", rows=rows)
