"""Reporting obligations, drafts, the breach register and the scorecard, under /api."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import Response

from domain.commands import RecordSubmission, WaiveObligation
from domain.obligations import Body, Obligation
from domain.scorecard import Scorecard, scorecard
from domain.state import IncidentState
from models import BreachRecord, Incident
from services import reporting
from web.api.responses import COMMON, UPDATE
from web.deps import (
    IncidentToRead,
    IncidentToRun,
    ReadsIncidents,
    RunsIncidents,
    SessionDep,
    TemporalDep,
)
from web.operations import draft_response, live_state, run_update
from web.schemas import BreachBody, BreachView, SubmissionBody, WaiverBody
from workflows import IncidentWorkflow

router = APIRouter(
    prefix="/api",
    tags=["reporting"],
    responses=COMMON,
)


async def _live(incident: Incident, temporal: TemporalDep) -> IncidentState:
    state = await live_state(incident, temporal=temporal)
    if state is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "The workflow service is unavailable; try again."
        )
    return state


@router.get("/incidents/{incident_id}/obligations", response_model=list[Obligation])
async def list_obligations(incident: IncidentToRead, temporal: TemporalDep) -> list[Obligation]:
    """Every body, with its state, deadline, and the evidence of what was submitted."""
    return (await _live(incident, temporal)).obligations


@router.post(
    "/incidents/{incident_id}/obligations/{body}/submissions",
    response_model=IncidentState,
    responses=UPDATE,
)
async def record_submission(
    body: Body,
    submission: SubmissionBody,
    incident: IncidentToRun,
    caller: RunsIncidents,
    temporal: TemporalDep,
) -> IncidentState:
    """Record that the body was told (the initial submission closes its clock, late or not),
    or add a follow-up (UK GDPR Article 33(4))."""
    command = RecordSubmission(body=body, **submission.model_dump(), actor=caller.name)
    return await run_update(
        incident, IncidentWorkflow.record_submission, command, temporal=temporal
    )


@router.post(
    "/incidents/{incident_id}/obligations/{body}/waiver",
    response_model=IncidentState,
    responses=UPDATE,
)
async def waive(
    body: Body,
    waiver: WaiverBody,
    incident: IncidentToRun,
    caller: RunsIncidents,
    temporal: TemporalDep,
) -> IncidentState:
    """Record a decision not to tell the body, with its reason and who took it."""
    command = WaiveObligation(body=body, reason=waiver.reason, actor=caller.name)
    return await run_update(incident, IncidentWorkflow.waive_obligation, command, temporal=temporal)


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
) -> Response:
    """The draft submission to the body, as plain text or HTML, from what is recorded now."""
    return await draft_response(incident, body, format, session=session, temporal=temporal)


def _breach_view(record: BreachRecord, incident: Incident) -> BreachView:
    return BreachView(
        **record.model_dump(exclude={"id", "authority_id", "created_at"}),
        reference=incident.reference,
        exercise=incident.exercise,
    )


@router.get("/incidents/{incident_id}/breach", response_model=BreachView)
async def get_breach(incident: IncidentToRead, session: SessionDep) -> BreachView:
    """The incident's entry in the breach register."""
    record = await reporting.breach_of(incident.id, session=session)
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No personal-data breach is recorded.")
    return _breach_view(record, incident)


@router.put("/incidents/{incident_id}/breach", response_model=BreachView)
async def update_breach(
    changes: BreachBody, incident: IncidentToRun, session: SessionDep
) -> BreachView:
    """Record the breach's facts, effects and remedial action (UK GDPR Article 33(5)); the ICO
    draft uses the numbers and categories given here."""
    if not incident.personal_data:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            "This incident does not involve personal data; reassess it first.",
        )
    record = await reporting.update_breach(
        incident, changes.model_dump(exclude_unset=True), session=session
    )
    return _breach_view(record, incident)


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
    return [_breach_view(record, incident) for record, incident in rows]


@router.get("/incidents/{incident_id}/scorecard", response_model=Scorecard)
async def get_scorecard(incident: IncidentToRead, temporal: TemporalDep) -> Scorecard:
    """Each deadline met or missed, and each acknowledgement time: the debrief of an exercise."""
    return scorecard(await _live(incident, temporal), datetime.now(UTC))
