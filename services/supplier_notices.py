"""Each council's triage of its copy of a supplier notice (link it to an open incident, open an
incident from it, dismiss it with a reason), sent to the copy's clock; and a campaign made of a
notice.

A triage is checked against the
database first (the copy is untriaged; a linked incident is the council's own, and open), then
sent to the clock as an update, which starts the clock if its start never happened and refuses
a second decision; the clock writes the decision. A notice the central team made a campaign of
takes each incident linked to it, or opened from it, into the campaign too.
"""

from __future__ import annotations

import uuid

import structlog
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError

from domain.incident import IncidentOrigin
from domain.rules import in_both
from domain.supplier_notices import (
    NOTICE_TRIAGED,
    Triage,
    TriageOutcome,
    TriageState,
    already_triaged,
    notice_workflow_id,
)
from models import Authority, Campaign, Incident, NoticeRecipient, Supplier, SupplierNotice
from services.campaigns import (
    AlreadyLinked,
    CampaignClosed,
    CampaignCreate,
    IncidentSealed,
    link_incident,
)
from services.notice_clocks import clock_for
from services.temporal_gateway import UpdateRefused, WorkflowUnavailable
from workflows import SupplierNoticeWorkflow

log = structlog.get_logger(__name__)


class NoticeNotFound(Exception):
    """No such notice reached the council (or the caller may not see it)."""


class NoticeTriaged(Exception):
    """The council's copy was triaged already; the message says by whom and how."""


class IncidentNotLinkable(Exception):
    """The incident named is not one of the council's open incidents; the message says why."""


class ClockUnavailable(Exception):
    """The notice's clock (Temporal) cannot be reached now; nothing was decided."""


class CampaignExists(Exception):
    """The central team has made a campaign of the notice already."""


# ---------------------------------------------------------------- triage


async def copy_of(
    notice_id: str, authority_id: int, *, session: AsyncSession
) -> tuple[NoticeRecipient, SupplierNotice, Authority] | None:
    """The council's copy of the notice, the notice and the council; None if it has none."""
    try:
        uuid.UUID(notice_id)
    except ValueError:
        return None
    row = (
        await session.exec(
            select(NoticeRecipient, SupplierNotice, Authority)
            .join(SupplierNotice, col(SupplierNotice.id) == col(NoticeRecipient.notice_id))
            .join(Authority, col(Authority.id) == col(NoticeRecipient.authority_id))
            .where(
                NoticeRecipient.notice_id == notice_id, NoticeRecipient.authority_id == authority_id
            )
        )
    ).first()
    return None if row is None else (row[0], row[1], row[2])


async def _untriaged_copy(
    notice_id: str, authority_id: int, *, session: AsyncSession
) -> tuple[NoticeRecipient, SupplierNotice, Authority]:
    found = await copy_of(notice_id, authority_id, session=session)
    if found is None:
        raise NoticeNotFound(notice_id)
    recipient = found[0]
    if recipient.state is not TriageState.UNTRIAGED:
        raise NoticeTriaged(already_triaged(recipient.state, recipient.triaged_by))
    return found


async def origin_of(notice_id: str, authority_id: int, *, session: AsyncSession) -> IncidentOrigin:
    """What an incident opened from the council's copy records as its origin; refused
    (`NoticeNotFound`, `NoticeTriaged`) unless the copy waits to be triaged."""
    recipient, notice, _ = await _untriaged_copy(notice_id, authority_id, session=session)
    entry = await session.get(Supplier, recipient.supplier_id)
    return IncidentOrigin(
        supplier_id=recipient.supplier_id,
        supplier_name=entry.name if entry is not None else notice.supplier_display_name,
        notice_id=notice.id,
    )


async def _decide(
    notice_id: str,
    authority_id: int,
    triage: Triage,
    *,
    session: AsyncSession,
    temporal: Client,
    task_queue: str,
    base_url: str,
) -> TriageOutcome:
    """Send the decision to the copy's clock, starting the clock if it never started."""
    recipient, notice, authority = await _untriaged_copy(notice_id, authority_id, session=session)
    clock = await clock_for(recipient, notice, authority, base_url=base_url, session=session)
    await session.commit()  # no read held open while Temporal is asked (SQLite's one lock)
    workflow_id = notice_workflow_id(notice.id, authority.code)
    bound = log.bind(notice_id=notice.id, recipient_id=recipient.id, authority=authority.code)
    starting = WithStartWorkflowOperation(
        SupplierNoticeWorkflow.run,
        clock,
        id=workflow_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
    )
    try:
        outcome: TriageOutcome = await temporal.execute_update_with_start_workflow(
            SupplierNoticeWorkflow.triage, triage, start_workflow_operation=starting
        )
    except WorkflowUpdateFailedError as failure:
        cause = failure.cause
        if isinstance(cause, ApplicationError) and cause.type == NOTICE_TRIAGED:
            bound.info("supplier_notice_triage_refused")
            raise NoticeTriaged(cause.message) from None
        bound.error("supplier_notice_triage_failed", error=type(cause).__name__)
        raise ClockUnavailable(notice.id) from failure
    except WorkflowAlreadyStartedError:
        # The clock has ended: the copy was triaged a moment ago.
        raise await _triaged_meanwhile(recipient, session=session) from None
    except RPCError as error:
        bound.error("supplier_notice_triage_failed", error=error.status.name)
        raise ClockUnavailable(notice.id) from error
    bound.info("supplier_notice_decided", state=outcome.state.value)
    if outcome.incident_id is not None:
        await session.refresh(notice)  # a campaign may have been made of it meanwhile
        if notice.campaign_id is not None:
            await _into_campaign(
                notice.campaign_id,
                outcome.incident_id,
                triage.actor,
                session=session,
                temporal=temporal,
            )
    return outcome


async def _triaged_meanwhile(recipient: NoticeRecipient, *, session: AsyncSession) -> NoticeTriaged:
    await session.refresh(recipient)
    return NoticeTriaged(already_triaged(recipient.state, recipient.triaged_by))


async def find_open_incident(authority_id: int, named: str, *, session: AsyncSession) -> Incident:
    """One of the council's open incidents, by its reference (CDF-2026-0001) or id."""
    wanted = named.strip()
    incident = (
        await session.exec(
            select(Incident).where(
                Incident.authority_id == authority_id,
                (col(Incident.reference) == wanted.upper()) | (col(Incident.id) == wanted),
            )
        )
    ).first()
    if incident is None:
        raise IncidentNotLinkable(
            in_both(
                f"This council has no incident {wanted}.",
                f"Nid oes gan y cyngor hwn ddigwyddiad {wanted}.",
            )
        )
    if incident.closed_at is not None:
        raise IncidentNotLinkable(
            in_both(
                f"Incident {incident.reference} is closed: link the notice to an open one, or "
                "open a new incident from it.",
                f"Mae digwyddiad {incident.reference} ar gau: cysylltwch yr hysbysiad â "
                "digwyddiad agored, neu agorwch ddigwyddiad newydd ohono.",
            )
        )
    return incident


async def link_notice(
    notice_id: str,
    authority_id: int,
    incident_named: str,
    *,
    actor: str,
    user_id: int | None,
    session: AsyncSession,
    temporal: Client,
    task_queue: str,
    base_url: str,
) -> TriageOutcome:
    """Link the council's copy to one of its open incidents; the clock notes it on the
    incident's timeline, naming the supplier and the notice."""
    await _untriaged_copy(notice_id, authority_id, session=session)
    incident = await find_open_incident(authority_id, incident_named, session=session)
    triage = Triage(
        state=TriageState.LINKED,
        actor=actor,
        user_id=user_id,
        incident_id=incident.id,
        incident_reference=incident.reference,
    )
    return await _decide(
        notice_id,
        authority_id,
        triage,
        session=session,
        temporal=temporal,
        task_queue=task_queue,
        base_url=base_url,
    )


async def dismiss_notice(
    notice_id: str,
    authority_id: int,
    reason: str,
    *,
    actor: str,
    user_id: int | None,
    session: AsyncSession,
    temporal: Client,
    task_queue: str,
    base_url: str,
) -> TriageOutcome:
    """Dismiss the council's copy with the reason (raises ValueError when it is too short)."""
    triage = Triage(state=TriageState.DISMISSED, actor=actor, user_id=user_id, reason=reason)
    return await _decide(
        notice_id,
        authority_id,
        triage,
        session=session,
        temporal=temporal,
        task_queue=task_queue,
        base_url=base_url,
    )


async def opened_from_notice(
    notice_id: str,
    authority_id: int,
    incident: Incident,
    *,
    actor: str,
    user_id: int | None,
    session: AsyncSession,
    temporal: Client,
    task_queue: str,
    base_url: str,
) -> TriageOutcome:
    """Record that the council opened `incident` from its copy (the incident carries the
    supplier as its origin: `origin_of`)."""
    triage = Triage(
        state=TriageState.OPENED,
        actor=actor,
        user_id=user_id,
        incident_id=incident.id,
        incident_reference=incident.reference,
    )
    return await _decide(
        notice_id,
        authority_id,
        triage,
        session=session,
        temporal=temporal,
        task_queue=task_queue,
        base_url=base_url,
    )


def opening_key(notice_id: str) -> str:
    """The idempotency key of the incident a council opens from a notice: one incident per
    council and notice, however often the request is repeated."""
    return f"supplier-notice-{notice_id}"


# ---------------------------------------------------------------- campaigns


async def _into_campaign(
    campaign_id: int, incident_id: str, actor: str, *, session: AsyncSession, temporal: Client
) -> bool:
    """Link an incident into the notice's campaign; whether it is in it now. A refusal (the
    campaign or the incident closed, Temporal away) is logged: the link can be made by hand."""
    campaign = await session.get(Campaign, campaign_id)
    incident = await session.get(Incident, incident_id)
    if campaign is None or incident is None:
        return False
    try:
        await link_incident(campaign, incident, actor=actor, session=session, temporal=temporal)
    except AlreadyLinked:
        return True
    except (CampaignClosed, IncidentSealed, UpdateRefused, WorkflowUnavailable) as refused:
        log.warning(
            "supplier_notice_campaign_link_failed",
            campaign_id=campaign_id,
            incident_id=incident_id,
            reason=type(refused).__name__,
        )
        return False
    return True


async def start_campaign(
    notice_id: str, campaign_in: CampaignCreate, *, session: AsyncSession, temporal: Client
) -> tuple[Campaign, list[str], list[str]]:
    """Make a campaign of the notice, linking every incident a council linked it to or opened
    from it; returns the campaign and the references linked and not linked."""
    notice = await session.get(SupplierNotice, notice_id) if _is_uuid(notice_id) else None
    if notice is None:
        raise NoticeNotFound(notice_id)
    if notice.campaign_id is not None:
        raise CampaignExists(notice.campaign_id)
    campaign = Campaign(**campaign_in.model_dump())
    session.add(campaign)
    await session.flush()
    claimed = await session.exec(
        update(SupplierNotice)
        .where(col(SupplierNotice.id) == notice_id, col(SupplierNotice.campaign_id).is_(None))
        .values(campaign_id=campaign.id)
    )
    if claimed.rowcount != 1:  # another person made one a moment ago
        await session.rollback()
        raise CampaignExists(notice_id)
    await session.commit()
    await session.refresh(campaign)
    assert campaign.id is not None
    log.info("supplier_notice_campaign_started", notice_id=notice_id, campaign_id=campaign.id)
    incidents = (
        await session.exec(
            select(Incident)
            .join(NoticeRecipient, col(NoticeRecipient.incident_id) == col(Incident.id))
            .where(NoticeRecipient.notice_id == notice_id)
            .order_by(col(Incident.reference))
        )
    ).all()
    linked: list[str] = []
    not_linked: list[str] = []
    for incident in incidents:
        reference = incident.reference
        ok = await _into_campaign(
            campaign.id, incident.id, campaign.created_by, session=session, temporal=temporal
        )
        (linked if ok else not_linked).append(reference)
    return campaign, linked, not_linked


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
