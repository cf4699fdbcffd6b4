"""/api/campaigns: the central team links incidents of several authorities into a campaign
(one supplier compromised, one phishing wave) and follows them side by side.

Reading needs the national picture (`READ_NATIONAL`); setting campaigns up and linking needs
`MANAGE_NATIONAL`, and so does closing a campaign (`POST .../closure`) and reopening it
(`DELETE .../closure`): a closed campaign keeps its incidents and refuses links and unlinks until
it is reopened. What an authority's own people see of a campaign is on their incident
(`GET /api/incidents/{id}`, `campaigns`), shaped by `domain.campaigns`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, status
from pydantic import BaseModel, Field, field_validator, model_validator

from domain.commands import Rejection
from domain.obligations import Body, ObligationState
from domain.rules import in_both
from domain.vocabulary import NcscCategory, Stage, Tlp
from models import Campaign, Incident
from services import campaigns as campaign_service
from services.campaigns import (
    AlreadyLinked,
    CampaignClosed,
    CampaignCreate,
    CampaignOpen,
    CampaignRow,
    IncidentSealed,
    NotLinked,
)
from services.incidents import get_incident
from services.temporal_gateway import UpdateRefused, WorkflowUnavailable
from web.api.responses import COMMON
from web.deps import Caller, ManagesNational, ReadsNational, SessionDep, TemporalDep, end_reading
from web.operations import OperationError
from web.schemas import Problem, Strict

router = APIRouter(
    prefix="/api/campaigns",
    tags=["campaigns"],
    responses=COMMON | {404: {"model": Problem, "description": "No such campaign."}},
)

CampaignId = Annotated[int, Path(gt=0, le=2**31 - 1)]

NAME_LENGTH, NOTE_LENGTH, REFERENCE_LENGTH = 200, 5000, 32

_NAME_MISSING = in_both("Give the campaign a name.", "Rhowch enw i'r ymgyrch.")
_NAME_TOO_LONG = in_both(
    f"The campaign's name must be {NAME_LENGTH} characters or fewer.",
    f"Rhaid i enw'r ymgyrch fod yn {NAME_LENGTH} nod neu lai.",
)
_NAME_ONE_LINE = in_both(
    "The campaign's name must be on one line.", "Rhaid i enw'r ymgyrch fod ar un llinell."
)
_NOTE_TOO_LONG = in_both(
    f"The note must be {NOTE_LENGTH} characters or fewer.",
    f"Rhaid i'r nodyn fod yn {NOTE_LENGTH} nod neu lai.",
)
_REFERENCE_MISSING = in_both(
    "Give the incident's reference, like CDF-2026-0001.",
    "Rhowch gyfeirnod y digwyddiad, fel CDF-2026-0001.",
)


def _required(field: str, missing: str) -> Any:
    """A request's check, before its fields are read, that `field` was given at all: pydantic
    says so in English alone, and every refusal here is in both languages."""

    def given(cls: type[BaseModel], data: Any) -> Any:
        if isinstance(data, dict) and data.get(field) is None:
            raise ValueError(missing)
        return data

    return model_validator(mode="before")(given)


class CampaignRequest(Strict):
    """A campaign as the central team sets it up. Every refusal is in English and Welsh."""

    name: str = Field(
        description="What the central team calls it: a supplier, a wave.",
        json_schema_extra={"minLength": 1, "maxLength": NAME_LENGTH},
    )
    tlp: Tlp = Field(
        Tlp.AMBER,
        description="How far its name and note may go: TLP:AMBER or lower shows them to the "
        "councils linked; TLP:AMBER+STRICT and TLP:RED keep them at the centre.",
    )
    note: str | None = Field(
        None,
        description="What the central team knows of it, for the councils when its marking allows.",
        json_schema_extra={"maxLength": NOTE_LENGTH},
    )

    _named = _required("name", _NAME_MISSING)

    @field_validator("name")
    @classmethod
    def _a_name(cls, name: str) -> str:
        if not name:
            raise ValueError(_NAME_MISSING)
        if len(name) > NAME_LENGTH:
            raise ValueError(_NAME_TOO_LONG)
        if "\n" in name or "\r" in name:
            raise ValueError(_NAME_ONE_LINE)
        return name

    @field_validator("note")
    @classmethod
    def _a_note(cls, note: str | None) -> str | None:
        if note is not None and len(note) > NOTE_LENGTH:
            raise ValueError(_NOTE_TOO_LONG)
        return note or None


class LinkRequest(Strict):
    reference: str = Field(
        description="The incident's reference, e.g. CDF-2026-0001, of any authority.",
        json_schema_extra={"minLength": 1, "maxLength": REFERENCE_LENGTH},
    )

    _given = _required("reference", _REFERENCE_MISSING)

    @field_validator("reference")
    @classmethod
    def _a_reference(cls, reference: str) -> str:
        if not reference or len(reference) > REFERENCE_LENGTH:
            raise ValueError(_REFERENCE_MISSING)
        return reference.upper()


class ClockView(BaseModel):
    body: Body
    state: ObligationState
    deadline: datetime | None
    submitted_at: datetime | None
    late: bool


class CampaignIncidentView(BaseModel):
    """One incident beside the others: its stage, who is still to acknowledge, its clocks."""

    incident_id: str
    reference: str
    authority: str
    category: NcscCategory
    stage: Stage
    tlp: Tlp
    exercise: bool
    awaiting_acknowledgement: int = Field(
        description="Chains whose members were asked and nobody has acknowledged yet (0-2)."
    )
    closed_at: datetime | None
    linked_by: str
    linked_at: datetime
    clocks: list[ClockView]


class CampaignSummary(BaseModel):
    id: int
    name: str
    tlp: Tlp
    note: str | None
    created_by: str
    created_at: datetime
    closed_at: datetime | None = Field(
        description="When the central team closed the campaign; null while it is open."
    )
    closed_by: str | None = Field(description="Who at the central team closed it.")
    incident_count: int


class CampaignView(CampaignSummary):
    incidents: list[CampaignIncidentView]


def _not_found(campaign_id: int) -> HTTPException:
    return HTTPException(
        status.HTTP_404_NOT_FOUND,
        in_both(f"No campaign {campaign_id}.", f"Dim ymgyrch {campaign_id}."),
    )


async def _campaign(campaign_id: int, session: SessionDep) -> Campaign:
    campaign = await campaign_service.campaign_by_id(campaign_id, session=session)
    if campaign is None:
        raise _not_found(campaign_id)
    return campaign


async def _campaign_to_read(
    campaign_id: CampaignId, caller: ReadsNational, session: SessionDep
) -> Campaign:
    return await _campaign(campaign_id, session)


async def _campaign_to_manage(
    campaign_id: CampaignId, caller: ManagesNational, session: SessionDep
) -> Campaign:
    return await _campaign(campaign_id, session)


CampaignToRead = Annotated[Campaign, Depends(_campaign_to_read)]
CampaignToManage = Annotated[Campaign, Depends(_campaign_to_manage)]


def incident_view(row: CampaignRow) -> CampaignIncidentView:
    incident = row.incident
    return CampaignIncidentView(
        incident_id=incident.id,
        reference=incident.reference,
        authority=row.authority.code,
        category=incident.category,
        stage=incident.stage,
        tlp=incident.tlp,
        exercise=incident.exercise,
        awaiting_acknowledgement=incident.awaiting_acknowledgement,
        closed_at=incident.closed_at,
        linked_by=row.link.linked_by,
        linked_at=row.link.linked_at,
        clocks=[
            ClockView(
                body=clock.body,
                state=clock.state,
                deadline=clock.deadline,
                submitted_at=clock.submitted_at,
                late=clock.late,
            )
            for clock in row.clocks
        ],
    )


def _summary(campaign: Campaign, count: int) -> dict[str, Any]:
    return campaign.model_dump() | {"incident_count": count}


async def campaign_view(campaign: Campaign, *, session: SessionDep) -> CampaignView:
    assert campaign.id is not None
    rows = await campaign_service.campaign_rows(campaign.id, session=session)
    return CampaignView(
        **_summary(campaign, len(rows)), incidents=[incident_view(row) for row in rows]
    )


def _sealed(reference: str) -> str:
    return in_both(
        f"Incident {reference} is closed: its record is sealed, so it cannot be linked to a "
        "campaign or taken out of one.",
        f"Mae digwyddiad {reference} ar gau: mae ei gofnod wedi'i selio, felly ni ellir ei "
        "gysylltu ag ymgyrch na'i dynnu o un.",
    )


#: A closed campaign's refusal of a link or an unlink.
CAMPAIGN_CLOSED = in_both(
    "This campaign is closed: reopen it to link an incident into it or take one out.",
    "Mae'r ymgyrch hon ar gau: ailagorwch hi i gysylltu digwyddiad â hi neu i dynnu un ohoni.",
)
_ALREADY_CLOSED = in_both("This campaign is already closed.", "Mae'r ymgyrch hon eisoes ar gau.")
_NOT_CLOSED = in_both(
    "This campaign is not closed, so it cannot be reopened.",
    "Nid yw'r ymgyrch hon ar gau, felly ni ellir ei hailagor.",
)


def _refused(failure: UpdateRefused) -> OperationError:
    return OperationError(422 if failure.rejection is Rejection.INVALID else 409, failure.message)


async def link(
    campaign: Campaign,
    reference: str,
    *,
    caller: Caller,
    session: SessionDep,
    temporal: TemporalDep,
) -> Incident:
    """Link the incident with this reference into the campaign, for the API and the page
    alike; a refusal is an `OperationError` in both languages."""
    incident = await campaign_service.incident_by_reference(reference, session=session)
    if incident is None:
        raise OperationError(
            422,
            in_both(
                f"There is no incident with the reference {reference}.",
                f"Nid oes digwyddiad â'r cyfeirnod {reference}.",
            ),
        )
    try:
        await campaign_service.link_incident(
            campaign, incident, actor=caller.name, session=session, temporal=temporal
        )
    except AlreadyLinked:
        raise OperationError(
            409,
            in_both(
                f"Incident {incident.reference} is already part of this campaign.",
                f"Mae digwyddiad {incident.reference} eisoes yn rhan o'r ymgyrch hon.",
            ),
        ) from None
    except CampaignClosed:
        raise OperationError(409, CAMPAIGN_CLOSED) from None
    except IncidentSealed:
        raise OperationError(409, _sealed(incident.reference)) from None
    except UpdateRefused as refused:
        raise _refused(refused) from None
    except WorkflowUnavailable as unavailable:
        raise OperationError(503, str(unavailable)) from unavailable
    return incident


def _not_in_campaign(what: str) -> OperationError:
    # Not "No incident ...": the central team reads every incident, so nothing is being hidden.
    return OperationError(
        404,
        in_both(
            f"Incident {what} is not part of this campaign.",
            f"Nid yw digwyddiad {what} yn rhan o'r ymgyrch hon.",
        ),
    )


async def unlink(
    campaign: Campaign,
    incident_id: str,
    *,
    caller: Caller,
    session: SessionDep,
    temporal: TemporalDep,
) -> Incident:
    """Take the incident out of the campaign, for the API and the page alike."""
    incident = await get_incident(incident_id, authority_id=None, session=session)
    if incident is None:
        raise _not_in_campaign(incident_id)
    try:
        await campaign_service.unlink_incident(
            campaign, incident, actor=caller.name, session=session, temporal=temporal
        )
    except NotLinked:
        raise _not_in_campaign(incident.reference) from None
    except CampaignClosed:
        raise OperationError(409, CAMPAIGN_CLOSED) from None
    except IncidentSealed:
        raise OperationError(409, _sealed(incident.reference)) from None
    except UpdateRefused as refused:
        raise _refused(refused) from None
    except WorkflowUnavailable as unavailable:
        raise OperationError(503, str(unavailable)) from unavailable
    return incident


async def close(campaign: Campaign, *, caller: Caller, session: SessionDep) -> Campaign:
    """Close the campaign, for the API and the page alike; 409 if it already is."""
    try:
        return await campaign_service.close_campaign(campaign, actor=caller.name, session=session)
    except CampaignClosed:
        raise OperationError(409, _ALREADY_CLOSED) from None


async def reopen(campaign: Campaign, *, session: SessionDep) -> Campaign:
    """Reopen the campaign, for the API and the page alike; 409 if it is not closed."""
    try:
        return await campaign_service.reopen_campaign(campaign, session=session)
    except CampaignOpen:
        raise OperationError(409, _NOT_CLOSED) from None


_LINKING: dict[int | str, dict[str, Any]] = {
    409: {
        "model": Problem,
        "description": "Already linked, the incident is closed (its record is sealed), or the "
        "campaign is closed.",
    },
    503: {"model": Problem, "description": "Temporal is unreachable; nothing was changed."},
}


@router.get("", response_model=list[CampaignSummary])
async def list_campaigns(caller: ReadsNational, session: SessionDep) -> list[CampaignSummary]:
    """Every campaign, the newest first, with how many incidents each links."""
    rows = await campaign_service.campaigns_with_counts(session=session)
    return [CampaignSummary(**_summary(campaign, count)) for campaign, count in rows]


@router.post("", response_model=CampaignView, status_code=status.HTTP_201_CREATED)
async def create_campaign(
    campaign_in: CampaignRequest, caller: ManagesNational, session: SessionDep
) -> CampaignView:
    """Set up a campaign, with a name, a TLP marking and a note; link incidents into it next."""
    campaign = await campaign_service.create_campaign(
        CampaignCreate(**campaign_in.model_dump(), created_by=caller.name), session=session
    )
    return await campaign_view(campaign, session=session)


@router.get("/{campaign_id}", response_model=CampaignView)
async def get_campaign(campaign: CampaignToRead, session: SessionDep) -> CampaignView:
    """The campaign's incidents side by side: authority, stage, who is still to acknowledge,
    and each reporting clock's deadline and state."""
    return await campaign_view(campaign, session=session)


@router.post(
    "/{campaign_id}/incidents",
    response_model=CampaignView,
    status_code=status.HTTP_201_CREATED,
    responses=_LINKING,
)
async def link_incident(
    link_in: LinkRequest,
    campaign: CampaignToManage,
    caller: ManagesNational,
    session: SessionDep,
    temporal: TemporalDep,
) -> CampaignView:
    """Link an incident (by its reference, of any authority) into the campaign; its timeline
    records it, and its authority sees it is part of a campaign as far as the markings allow."""
    await end_reading(session)
    await link(campaign, link_in.reference, caller=caller, session=session, temporal=temporal)
    return await campaign_view(campaign, session=session)


@router.delete(
    "/{campaign_id}/incidents/{incident_id}", response_model=CampaignView, responses=_LINKING
)
async def unlink_incident(
    incident_id: Annotated[str, Path(max_length=36)],
    campaign: CampaignToManage,
    caller: ManagesNational,
    session: SessionDep,
    temporal: TemporalDep,
) -> CampaignView:
    """Take an incident out of the campaign; its timeline records that too."""
    await end_reading(session)
    await unlink(campaign, incident_id, caller=caller, session=session, temporal=temporal)
    return await campaign_view(campaign, session=session)


@router.post(
    "/{campaign_id}/closure",
    response_model=CampaignView,
    responses={409: {"model": Problem, "description": "The campaign is already closed."}},
)
async def close_campaign(
    campaign: CampaignToManage, caller: ManagesNational, session: SessionDep
) -> CampaignView:
    """Close the campaign: it keeps its incidents, each council reads that it was part of a
    campaign the central team has closed, and no incident is linked or unlinked until it is
    reopened. Who closed it and when are kept on the campaign, not on the incidents' timelines."""
    await close(campaign, caller=caller, session=session)
    return await campaign_view(campaign, session=session)


@router.delete(
    "/{campaign_id}/closure",
    response_model=CampaignView,
    responses={409: {"model": Problem, "description": "The campaign is not closed."}},
)
async def reopen_campaign(
    campaign: CampaignToManage, caller: ManagesNational, session: SessionDep
) -> CampaignView:
    """Reopen a closed campaign, so that incidents may be linked into it and taken out again."""
    await reopen(campaign, session=session)
    return await campaign_view(campaign, session=session)
