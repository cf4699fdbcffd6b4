"""/api/incidents: open incidents, read them, and act on them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response, status

from audit.as_of import state_as_of
from audit.verify import verify
from domain.clock import uk_moment
from domain.commands import (
    Acknowledge,
    AcknowledgementChannel,
    AddNote,
    CloseIncident,
    MarkContained,
    MarkRecovered,
    Reassess,
    RecordSubmission,
)
from domain.obligations import Body
from domain.state import IncidentState
from models import Authority, Incident
from services import incidents as incident_service
from services.timeline import entry_of, timeline_of
from web.api.responses import COMMON, UPDATE
from web.deps import (
    Acknowledges,
    IncidentTimeline,
    IncidentToAcknowledge,
    IncidentToRead,
    IncidentToRun,
    ListsIncidents,
    OpensIncidents,
    RunsIncidents,
    SessionDep,
    SettingsDep,
    TemporalDep,
    refuse_unless_acknowledging_for_self,
)
from web.operations import live_state, open_incident, run_update
from web.rate_limits import rate_limits
from web.schemas import (
    AcknowledgeBody,
    AssessmentBody,
    AuditTimelineView,
    ChainView,
    CloseBody,
    IncidentCreate,
    IncidentCreated,
    IncidentSummary,
    IncidentView,
    NcscReportBody,
    NoteBody,
    Problem,
    StageNoteBody,
    TimelineEventView,
)
from workflows import IncidentWorkflow

router = APIRouter(
    prefix="/api/incidents",
    tags=["incidents"],
    responses=COMMON,
)

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Repeat a create with the same key to get the same incident, not a second.",
    ),
]


def _summary(incident: Incident, authority: Authority) -> dict[str, Any]:
    return {
        "id": incident.id,
        "reference": incident.reference,
        "authority": authority.code,
        "title": incident.title,
        "category": incident.category,
        "significant": incident.significant,
        "exercise": incident.exercise,
        "stage": incident.stage,
        "tlp": incident.tlp,
        "detected_at": incident.detected_at,
        "created_at": incident.created_at,
        "closed_at": incident.closed_at,
    }


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=IncidentCreated,
    responses={
        503: {"model": Problem, "description": "Temporal is unreachable; nothing was saved."}
    },
)
async def create_incident(
    request: Request,
    body: IncidentCreate,
    caller: OpensIncidents,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> IncidentCreated:
    """Open an incident: the named members are emailed at once and the clocks start."""
    incident, created = await open_incident(
        body,
        caller=caller,
        idempotency_key=idempotency_key,
        session=session,
        temporal=temporal,
        settings=settings,
        limits=rate_limits(request),
    )
    if not created:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return IncidentCreated(
        id=incident.id,
        reference=incident.reference,
        stage=incident.stage,
        workflow_id=incident.workflow_id,
        url=f"{settings.base_url.rstrip('/')}/incidents/{incident.id}",
    )


@router.get("", response_model=list[IncidentSummary])
async def list_incidents(
    caller: ListsIncidents,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    exercise: Annotated[
        bool | None, Query(description="Only exercises, or only real ones.")
    ] = None,
) -> list[IncidentSummary]:
    """Incidents the caller may read (their authority's; every authority for the central team;
    the granted ones for an auditor), newest first."""
    rows = await incident_service.list_incidents(
        authority_ids=caller.readable,
        exercise=exercise,
        limit=limit,
        offset=offset,
        session=session,
    )
    return [IncidentSummary(**_summary(incident, authority)) for incident, authority in rows]


@router.get("/{incident_id}", response_model=IncidentView)
async def get_incident(
    incident: IncidentToRead, session: SessionDep, temporal: TemporalDep
) -> IncidentView:
    """The incident with its live state: stage, who has acknowledged, the NCSC step."""
    authority = await session.get(Authority, incident.authority_id)
    assert authority is not None
    return IncidentView(
        **_summary(incident, authority),
        description=incident.description,
        incident_type=incident.incident_type,
        rsit_class=incident.incident_type.rsit_class,
        personal_data=incident.personal_data,
        personal_data_risk=incident.personal_data_risk,
        aware_at=incident.aware_at,
        reporter_name=incident.reporter_name,
        ncsc_reference=incident.ncsc_reference,
        live=await live_state(incident, temporal=temporal),
    )


@router.get("/{incident_id}/timeline", response_model=AuditTimelineView)
async def get_timeline(
    incident: IncidentTimeline,
    session: SessionDep,
    as_of: Annotated[
        str | None,
        Query(
            max_length=40,
            description="Also give the incident's state at this moment (ISO 8601, UK time if "
            "no zone), e.g. 2026-11-21T14:30.",
        ),
    ] = None,
) -> AuditTimelineView:
    """Everything that happened, in order, with the workflow's time of each event, its hash
    chain checked, and optionally the state at a moment. Officers and auditors may read it."""
    events = await timeline_of(incident.id, session=session)
    chain = await verify(session=session, incident=incident)
    authority = await session.get(Authority, incident.authority_id)
    try:
        moment = uk_moment(as_of) if as_of else None
    except ValueError as bad:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(bad)) from None
    return AuditTimelineView(
        incident_id=incident.id,
        reference=incident.reference,
        authority=authority.code if authority else "",
        events=[TimelineEventView.model_validate(e, from_attributes=True) for e in events],
        chain=ChainView(
            intact=chain.intact,
            breaks=[str(b) for b in chain.breaks],
            seal=f"{incident.reference}#{events[-1].sequence}:{events[-1].hash}"
            if events
            else None,
        ),
        as_of=state_as_of([entry_of(e) for e in events], moment) if moment else None,
    )


@router.post("/{incident_id}/acknowledge", response_model=IncidentState, responses=UPDATE)
async def acknowledge(
    body: AcknowledgeBody,
    incident: IncidentToAcknowledge,
    caller: Acknowledges,
    temporal: TemporalDep,
    session: SessionDep,
) -> IncidentState:
    """Record that a named member has seen the incident; it stops their chain escalating.
    A named member acknowledges for themselves; an on-call officer records an acknowledgement
    given by telephone."""
    await refuse_unless_acknowledging_for_self(caller, incident, body.member_id, session=session)
    command = Acknowledge(
        member_id=body.member_id, actor=caller.name, via=AcknowledgementChannel.API
    )
    return await run_update(incident, IncidentWorkflow.acknowledge, command, temporal=temporal)


@router.post("/{incident_id}/notes", response_model=IncidentState, responses=UPDATE)
async def add_note(
    body: NoteBody, incident: IncidentToRun, caller: RunsIncidents, temporal: TemporalDep
) -> IncidentState:
    """Add a note to the timeline, or a correction of one of its events (`corrects`)."""
    command = AddNote(text=body.text, actor=caller.name, corrects=body.corrects)
    return await run_update(incident, IncidentWorkflow.add_note, command, temporal=temporal)


@router.post("/{incident_id}/assessment", response_model=IncidentState, responses=UPDATE)
async def reassess(
    body: AssessmentBody, incident: IncidentToRun, caller: RunsIncidents, temporal: TemporalDep
) -> IncidentState:
    """Change the category or flags; becoming significant opens the NCSC step."""
    command = Reassess(**body.model_dump(), actor=caller.name)
    return await run_update(incident, IncidentWorkflow.reassess, command, temporal=temporal)


@router.post("/{incident_id}/ncsc-report", response_model=IncidentState, responses=UPDATE)
async def record_ncsc_report(
    body: NcscReportBody, incident: IncidentToRun, caller: RunsIncidents, temporal: TemporalDep
) -> IncidentState:
    """Record the NCSC's case reference: the initial submission of the NCSC obligation."""
    command = RecordSubmission(
        body=Body.NCSC,
        reference=body.reference,
        submitted_at=body.reported_at,
        late_reason=body.late_reason,
        actor=caller.name,
    )
    update = IncidentWorkflow.record_submission
    return await run_update(incident, update, command, temporal=temporal)


@router.post("/{incident_id}/contain", response_model=IncidentState, responses=UPDATE)
async def contain(
    body: StageNoteBody, incident: IncidentToRun, caller: RunsIncidents, temporal: TemporalDep
) -> IncidentState:
    """Mark the incident contained."""
    command = MarkContained(note=body.note, actor=caller.name)
    return await run_update(incident, IncidentWorkflow.contain, command, temporal=temporal)


@router.post("/{incident_id}/recover", response_model=IncidentState, responses=UPDATE)
async def recover(
    body: StageNoteBody, incident: IncidentToRun, caller: RunsIncidents, temporal: TemporalDep
) -> IncidentState:
    """Mark services recovered; the incident must be contained first."""
    command = MarkRecovered(note=body.note, actor=caller.name)
    return await run_update(incident, IncidentWorkflow.recover, command, temporal=temporal)


@router.post("/{incident_id}/close", response_model=IncidentState, responses=UPDATE)
async def close(
    body: CloseBody, incident: IncidentToRun, caller: RunsIncidents, temporal: TemporalDep
) -> IncidentState:
    """Close the incident with a summary; a significant one needs its NCSC reference first."""
    command = CloseIncident(summary=body.summary, actor=caller.name)
    return await run_update(incident, IncidentWorkflow.close, command, temporal=temporal)
