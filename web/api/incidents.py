"""/api/incidents: open incidents and read them. Acting on them: `web.api.actions`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response, status

from audit.as_of import state_as_of
from domain.clock import uk_moment
from models import Authority, Incident
from services import incidents as incident_service
from services.campaigns import campaigns_as_seen
from services.temporal_gateway import incident_state
from services.timeline import checked_timeline, entry_of
from web.api.responses import COMMON
from web.deps import (
    IncidentTimeline,
    IncidentToRead,
    ListsIncidents,
    OpensIncidents,
    SessionDep,
    SettingsDep,
    TemporalDep,
)
from web.operations import open_incident
from web.rate_limits import rate_limits
from web.schemas import (
    AuditTimelineView,
    ChainView,
    IncidentCreated,
    IncidentRequest,
    IncidentSummary,
    IncidentView,
    Problem,
    TimelineEventView,
)

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
    """The row's own fields, as `IncidentSummary` and `IncidentView` name them."""
    return incident.model_dump() | {"authority": authority.code}


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
    incident_in: IncidentRequest,
    caller: OpensIncidents,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> IncidentCreated:
    """Open an incident: the named members are emailed at once and the clocks start."""
    incident, created = await open_incident(
        incident_in,
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
    authority = await incident_service.authority_of(incident, session=session)
    return IncidentView.model_validate(
        _summary(incident, authority)
        | {
            "rsit_class": incident.incident_type.rsit_class,
            "live": await incident_state(incident, temporal=temporal),
            "campaigns": await campaigns_as_seen(incident, session=session),
        }
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
    checked = await checked_timeline(incident.id, session=session)
    incident, events, chain = checked.incident, checked.events, checked.chain
    try:
        moment = uk_moment(as_of) if as_of else None
    except ValueError as bad:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(bad)) from None
    return AuditTimelineView(
        incident_id=incident.id,
        reference=incident.reference,
        authority=checked.authority,
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
