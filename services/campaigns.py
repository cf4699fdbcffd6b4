"""Campaigns in the database, and linking incidents into them through their workflows.

A link is two records: the `campaign_incident` row (the campaign's list, read by the pages) and
an event on the incident's own timeline, which only the incident's workflow writes. Linking
writes the row first, so that two people linking the same incident at once cannot both do it
(the row is unique per pair), then sends the workflow its update. If the workflow refuses (the
incident closed meanwhile) or cannot be reached, the row is removed again: nothing is left
half-made. Whether an unreachable workflow took the update cannot be known, so the update is
safe to send twice: the workflow records a link it has already recorded only once, and the
person's retry converges on one row and one event.

Unlinking goes the other way round: the workflow first (a closed incident's record is sealed,
so a refusal leaves the row as it is), then the row; a retry after a failure in between finds
the row still there and sends the update again, which the workflow records once.

Closing a campaign is the central team's own record: the campaign's row says when and by whom
(one statement, so that two people closing it at once close it once), and no incident's
timeline is written. A closed campaign keeps its incidents and refuses links and unlinks until
it is reopened.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from pydantic import BaseModel
from sqlalchemy import delete, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from domain.campaigns import (
    CampaignAsSeen,
    CampaignFacts,
    LinkedIncident,
    as_seen_by,
    link_for_timeline,
)
from domain.commands import Rejection
from domain.obligations import Body
from domain.vocabulary import Tlp
from models import Authority, Campaign, CampaignIncident, Incident, ObligationRecord
from models.columns import utc_now
from runtime.database import insert_for
from services.temporal_gateway import UpdateRefused, update_incident
from workflows import IncidentWorkflow

log = structlog.get_logger(__name__)


class AlreadyLinked(Exception):
    """The incident is already in the campaign."""


class NotLinked(Exception):
    """The incident is not in the campaign."""


class IncidentSealed(Exception):
    """The incident is closed: its record is sealed, and no link is added to it or taken away."""


class CampaignClosed(Exception):
    """The campaign is closed: no incident is linked into it or taken out of it, and it is not
    closed again."""


class CampaignOpen(Exception):
    """The campaign is open: there is no closing to take back."""


class CampaignCreate(BaseModel):
    name: str
    tlp: Tlp = Tlp.AMBER
    note: str | None = None
    created_by: str
    """The person at the central team who set it up."""


async def create_campaign(campaign_in: CampaignCreate, *, session: AsyncSession) -> Campaign:
    campaign = Campaign(**campaign_in.model_dump())
    session.add(campaign)
    await session.commit()
    await session.refresh(campaign)
    log.info("campaign_created", campaign_id=campaign.id, tlp=campaign.tlp.value)
    return campaign


async def campaign_by_id(campaign_id: int, *, session: AsyncSession) -> Campaign | None:
    return await session.get(Campaign, campaign_id)


async def campaigns_with_counts(*, session: AsyncSession) -> list[tuple[Campaign, int]]:
    """Every campaign, the newest first, with how many incidents it links."""
    linked = func.count(col(CampaignIncident.incident_id))
    rows = await session.exec(
        select(Campaign, linked)
        .outerjoin(CampaignIncident, col(CampaignIncident.campaign_id) == Campaign.id)
        .group_by(col(Campaign.id))
        .order_by(col(Campaign.created_at).desc(), col(Campaign.id).desc())
    )
    return [(campaign, int(count)) for campaign, count in rows.all()]


async def incident_by_reference(reference: str, *, session: AsyncSession) -> Incident | None:
    """An incident of any authority by its reference (CDF-2026-0001), as people write it."""
    return (
        await session.exec(select(Incident).where(Incident.reference == reference.strip().upper()))
    ).first()


def facts_of(campaign: Campaign) -> CampaignFacts:
    assert campaign.id is not None
    return CampaignFacts(
        campaign_id=campaign.id,
        name=campaign.name,
        tlp=campaign.tlp,
        note=campaign.note,
        closed_at=campaign.closed_at,
    )


async def close_campaign(campaign: Campaign, *, actor: str, session: AsyncSession) -> Campaign:
    """Close the campaign, recording who did and when; `CampaignClosed` if it already is."""
    assert campaign.id is not None
    closed = await session.exec(
        update(Campaign)
        .where(col(Campaign.id) == campaign.id, col(Campaign.closed_at).is_(None))
        .values(closed_at=utc_now(), closed_by=actor)
        .returning(col(Campaign.id))
    )
    done = closed.first() is not None
    await session.commit()
    await session.refresh(campaign)
    if not done:
        raise CampaignClosed(campaign.id)
    log.info("campaign_closed", campaign_id=campaign.id)
    return campaign


async def reopen_campaign(campaign: Campaign, *, session: AsyncSession) -> Campaign:
    """Reopen a closed campaign, so that incidents may be linked and unlinked again;
    `CampaignOpen` if it is not closed."""
    assert campaign.id is not None
    reopened = await session.exec(
        update(Campaign)
        .where(col(Campaign.id) == campaign.id, col(Campaign.closed_at).is_not(None))
        .values(closed_at=None, closed_by=None)
        .returning(col(Campaign.id))
    )
    done = reopened.first() is not None
    await session.commit()
    await session.refresh(campaign)
    if not done:
        raise CampaignOpen(campaign.id)
    log.info("campaign_reopened", campaign_id=campaign.id)
    return campaign


@dataclass(frozen=True)
class CampaignRow:
    """One incident of a campaign side by side with the others, for the central team: where it
    stands, who is still to acknowledge, and each reporting clock."""

    incident: Incident
    authority: Authority
    link: CampaignIncident
    clocks: list[ObligationRecord]


async def campaign_rows(campaign_id: int, *, session: AsyncSession) -> list[CampaignRow]:
    """The campaign's incidents, by authority then reference, each with its clocks."""
    linked = (
        await session.exec(
            select(CampaignIncident, Incident, Authority)
            .join(Incident, col(Incident.id) == CampaignIncident.incident_id)
            .join(Authority, col(Authority.id) == Incident.authority_id)
            .where(CampaignIncident.campaign_id == campaign_id)
            .order_by(col(Authority.name_en), col(Incident.reference))
        )
    ).all()
    ids = [incident.id for _, incident, _ in linked]
    clocks: dict[str, list[ObligationRecord]] = {incident_id: [] for incident_id in ids}
    if ids:
        records = await session.exec(
            select(ObligationRecord).where(col(ObligationRecord.incident_id).in_(ids))
        )
        order = list(Body)
        for record in sorted(
            records.all(), key=lambda r: order.index(r.body) if r.body in order else len(order)
        ):
            clocks[record.incident_id].append(record)
    return [
        CampaignRow(incident, authority, link, clocks[incident.id])
        for link, incident, authority in linked
    ]


def _linked(incident: Incident, authority: Authority) -> LinkedIncident:
    return LinkedIncident(
        incident_id=incident.id,
        reference=incident.reference,
        authority_id=incident.authority_id,
        authority_code=authority.code,
        authority_name_en=authority.name_en,
        authority_name_cy=authority.name_cy,
        category=incident.category,
        stage=incident.stage,
        tlp=incident.tlp,
        exercise=incident.exercise,
    )


async def campaigns_as_seen(incident: Incident, *, session: AsyncSession) -> list[CampaignAsSeen]:
    """The campaigns the incident is in, each as the incident's own authority may see it
    (`domain.campaigns`): whoever reads the incident reads what its authority may."""
    campaigns = (
        await session.exec(
            select(Campaign)
            .join(CampaignIncident, col(CampaignIncident.campaign_id) == Campaign.id)
            .where(CampaignIncident.incident_id == incident.id)
            .order_by(col(Campaign.id))
        )
    ).all()
    if not campaigns:
        return []
    ids = [c.id for c in campaigns]
    members = (
        await session.exec(
            select(CampaignIncident.campaign_id, Incident, Authority)
            .join(Incident, col(Incident.id) == CampaignIncident.incident_id)
            .join(Authority, col(Authority.id) == Incident.authority_id)
            .where(col(CampaignIncident.campaign_id).in_(ids))
            .order_by(col(Authority.name_en), col(Incident.reference))
        )
    ).all()
    by_campaign: dict[int, list[LinkedIncident]] = {i: [] for i in ids if i is not None}
    for campaign_id, member, authority in members:
        by_campaign[campaign_id].append(_linked(member, authority))
    return [
        as_seen_by(incident.authority_id, facts_of(c), by_campaign[c.id or 0]) for c in campaigns
    ]


async def _remove_row(campaign_id: int, incident_id: str, *, session: AsyncSession) -> None:
    await session.exec(
        delete(CampaignIncident).where(
            col(CampaignIncident.campaign_id) == campaign_id,
            col(CampaignIncident.incident_id) == incident_id,
        )
    )
    await session.commit()


async def link_incident(
    campaign: Campaign,
    incident: Incident,
    *,
    actor: str,
    session: AsyncSession,
    temporal: Client,
) -> CampaignIncident:
    """Link the incident into the campaign, on the campaign's list and the incident's timeline
    (this module's docstring says in which order, and why)."""
    assert campaign.id is not None
    bound = log.bind(
        campaign_id=campaign.id, incident_id=incident.id, authority_id=incident.authority_id
    )
    if campaign.closed_at is not None:
        raise CampaignClosed(campaign.id)
    if incident.closed_at is not None:
        raise IncidentSealed(incident.reference)
    link = CampaignIncident(campaign_id=campaign.id, incident_id=incident.id, linked_by=actor)
    # One statement, which the table's key makes the one link of the pair even when two people
    # link the same incident at once; a failed insert would need a rollback, which forgets
    # every row the request has read.
    added = await session.exec(
        insert_for(session)(CampaignIncident)
        .values(**link.model_dump())
        .on_conflict_do_nothing(index_elements=["campaign_id", "incident_id"])
        .returning(col(CampaignIncident.incident_id))
    )
    inserted = added.first() is not None
    await session.commit()
    if not inserted:
        raise AlreadyLinked(incident.reference)
    command = link_for_timeline(facts_of(campaign), actor)
    try:
        await update_incident(
            incident, IncidentWorkflow.campaign_linked, command, temporal=temporal
        )
    except Exception as failure:  # refused, or unreachable: either way, nothing is left linked
        await _remove_row(campaign.id, incident.id, session=session)
        bound.info("campaign_link_undone", reason=type(failure).__name__)
        if isinstance(failure, UpdateRefused) and failure.rejection is Rejection.CLOSED:
            raise IncidentSealed(incident.reference) from None
        raise
    bound.info("campaign_linked")
    return link


async def unlink_incident(
    campaign: Campaign,
    incident: Incident,
    *,
    actor: str,
    session: AsyncSession,
    temporal: Client,
) -> None:
    """Take the incident out of the campaign: its timeline says so first, then the row goes."""
    assert campaign.id is not None
    bound = log.bind(
        campaign_id=campaign.id, incident_id=incident.id, authority_id=incident.authority_id
    )
    link = await session.get(CampaignIncident, (campaign.id, incident.id))
    if link is None:
        raise NotLinked(incident.reference)
    if campaign.closed_at is not None:
        raise CampaignClosed(campaign.id)
    if incident.closed_at is not None:
        raise IncidentSealed(incident.reference)
    await session.commit()  # no read held open while the workflow is asked (SQLite's lock)
    command = link_for_timeline(facts_of(campaign), actor)
    try:
        await update_incident(
            incident, IncidentWorkflow.campaign_unlinked, command, temporal=temporal
        )
    except UpdateRefused as refused:
        if refused.rejection is Rejection.CLOSED:
            raise IncidentSealed(incident.reference) from None
        raise
    await _remove_row(campaign.id, incident.id, session=session)
    bound.info("campaign_unlinked")
