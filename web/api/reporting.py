"""Reporting obligations, drafts, the breach register and the scorecard, under /api.
Recording a submission or a waiver is an action: `web.commands`."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import Response

from domain.obligations import Body, Obligation
from domain.scorecard import Scorecard, scorecard
from domain.state import IncidentState
from models import BreachRecord, Incident
from services import reporting
from services.post_incident_reviews import IcoSubmission, ico_submissions
from services.temporal_gateway import incident_state
from web.api.responses import COMMON
from web.deps import (
    IncidentToRead,
    IncidentToRun,
    ReadsIncidents,
    RunsIncidents,
    SessionDep,
    TemporalDep,
)
from web.operations import OperationError, amend_breach, draft_response
from web.rate_limits import RateLimits, rate_limits
from web.schemas import BreachRequest, BreachView, IcoSubmissionView

router = APIRouter(
    prefix="/api",
    tags=["reporting"],
    responses=COMMON,
)


async def _live(incident: Incident, temporal: TemporalDep) -> IncidentState:
    state = await incident_state(incident, temporal=temporal)
    if state is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "The workflow service is unavailable; try again."
        )
    return state


@router.get("/incidents/{incident_id}/obligations", response_model=list[Obligation])
async def list_obligations(incident: IncidentToRead, temporal: TemporalDep) -> list[Obligation]:
    """Every body, with its state, deadline, and the evidence of what was submitted."""
    return (await _live(incident, temporal)).obligations


@router.get(
    "/incidents/{incident_id}/obligations/{body}/draft",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}, "text/html": {}}}},
)
async def draft(
    body: Body,
    incident: IncidentToRead,
    session: SessionDep,
    temporal: TemporalDep,
    format: Annotated[Literal["text", "html"], Query()] = "text",
    stage: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_]{0,39}$")] = None,
) -> Response:
    """The draft submission to the body, as plain text or HTML, from what is recorded now; for
    a report in stages, the stage asked for (the next one waiting by default), with its fields."""
    return await draft_response(
        incident, body, format, session=session, temporal=temporal, stage=stage
    )


def _breach_view(
    record: BreachRecord, incident: Incident, submissions: list[IcoSubmission]
) -> BreachView:
    return BreachView(
        **record.model_dump(exclude={"authority_id", "created_at"}),
        reference=incident.reference,
        exercise=incident.exercise,
        ico_submissions=[IcoSubmissionView.model_validate(asdict(s)) for s in submissions],
    )


@router.get("/incidents/{incident_id}/breach", response_model=BreachView)
async def get_breach(incident: IncidentToRead, session: SessionDep) -> BreachView:
    """The incident's entry in the breach register."""
    record = await reporting.breach_of(incident.id, session=session)
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No personal-data breach is recorded.")
    submissions = await ico_submissions([incident.id], session=session)
    return _breach_view(record, incident, submissions[incident.id])


@router.put("/incidents/{incident_id}/breach", response_model=BreachView)
async def update_breach(
    breach_in: BreachRequest,
    incident: IncidentToRun,
    caller: RunsIncidents,
    session: SessionDep,
    temporal: TemporalDep,
    limits: Annotated[RateLimits, Depends(rate_limits)],
) -> BreachView:
    """Record the breach's facts, effects and remedial action (UK GDPR Article 33(5)); the ICO
    draft uses the numbers and categories given here. Each change is on the incident's
    timeline; a closed incident's entry is not changed (409)."""
    try:
        record = await amend_breach(
            incident,
            breach_in.model_dump(exclude_unset=True),
            actor=caller.name,
            session=session,
            temporal=temporal,
            limits=limits,
        )
    except OperationError as refused:
        headers = {"Retry-After": str(refused.retry_after)} if refused.retry_after else None
        raise HTTPException(refused.status_code, refused.detail, headers=headers) from None
    submissions = await ico_submissions([incident.id], session=session)
    return _breach_view(record, incident, submissions[incident.id])


@router.get("/breaches", response_model=list[BreachView])
async def breach_register(
    caller: ReadsIncidents,
    session: SessionDep,
    include_exercises: Annotated[bool, Query()] = False,
) -> list[BreachView]:
    """The breach register of the authorities the caller may read (every authority for the
    central team)."""
    rows = await reporting.breach_register(
        authority_ids=caller.readable, include_exercises=include_exercises, session=session
    )
    submissions = await ico_submissions([incident.id for _, incident in rows], session=session)
    return [_breach_view(record, incident, submissions[incident.id]) for record, incident in rows]


@router.get("/incidents/{incident_id}/scorecard", response_model=Scorecard)
async def get_scorecard(incident: IncidentToRead, temporal: TemporalDep) -> Scorecard:
    """Each deadline met or missed, and each acknowledgement time: the debrief of an exercise."""
    return scorecard(await _live(incident, temporal), datetime.now(UTC))
