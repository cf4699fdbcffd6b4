"""Opening an incident (its row, then its workflow), and repairing one whose start never
happened.

The row is written first (it allocates the reference), then the workflow is started under an id
derived from the incident. If the process dies in between, the row has no workflow:
`reconcile_unstarted` finds such rows (no event ever recorded, older than a grace period so a
create in flight is left alone) and starts their workflows. Starting is idempotent (the workflow
id comes from the incident id), so running it twice, or beside a retrying client, starts each
incident once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from domain.channels import Channel
from models import Authority, Incident
from services import incidents
from services.directory import snapshot_authority
from services.incidents import IncidentCreate
from services.temporal_gateway import (
    WorkflowUnavailable,
    incident_workflow_exists,
    start_incident,
)

log = structlog.get_logger(__name__)

#: A create younger than this may still be starting its workflow; leave it alone.
GRACE = timedelta(minutes=2)


class IncidentNotStarted(Exception):
    """The incident's workflow could not be started; the message says what was kept."""


async def open_and_start(
    *,
    session: AsyncSession,
    temporal: Client,
    task_queue: str,
    authority: Authority,
    incident_in: IncidentCreate,
    channels: list[Channel] | None = None,
) -> tuple[Incident, bool]:
    """Record the incident and start its workflow; returns it and whether it is new.

    If the start fails, a new row is removed again, so no incident is left without its
    workflow; a retry with the same idempotency key is safe at every point, and starts the
    workflow if an earlier attempt did not. Raises `IdempotencyConflict` and
    `IncidentNotStarted`.
    """
    assert authority.id is not None
    # Read before the row is written, and passed in, so the first alerts need no round trip.
    snapshot = await snapshot_authority(authority.id, session=session, channels=channels)
    incident, created = await incidents.open_incident(
        session=session, authority=authority, incident_in=incident_in
    )
    bound = log.bind(
        incident_id=incident.id, workflow_id=incident.workflow_id, authority=authority.code
    )
    try:
        await start_incident(
            incident, authority, temporal=temporal, task_queue=task_queue, snapshot=snapshot
        )
    except WorkflowUnavailable as error:
        bound.error("incident_start_failed", error=str(error), new=created)
        started = await incident_workflow_exists(incident, temporal=temporal)
        if started:  # the start reached the server although its answer did not reach us
            bound.info("incident_start_confirmed")
            return incident, created
        if created and started is False:
            await incidents.withdraw_unstarted(incident.id, session=session)
            saved = "Nothing was saved; try again in a moment"
        else:
            # Whether the workflow exists cannot be known now: keep the row, so that a
            # retry with the same key starts the workflow or finds it.
            bound.warning("incident_start_uncertain")
            saved = (
                f"Incident {incident.reference} was recorded, but its start was not confirmed; "
                "check the incident list before reporting it again, or retry"
            )
        raise IncidentNotStarted(
            "The incident could not be opened because the workflow service is unavailable. "
            + saved
            + (" with the same Idempotency-Key." if incident_in.idempotency_key else ".")
        ) from error
    bound.info(
        "incident_opened" if created else "incident_open_replayed", category=int(incident.category)
    )
    return incident, created


async def reconcile_unstarted(
    *, session: AsyncSession, temporal: Client, task_queue: str, now: datetime | None = None
) -> list[str]:
    """Start the workflow of every incident that has a row but never started; returns their
    references."""
    cutoff = (now or datetime.now(UTC)) - GRACE
    started = []
    for incident, authority in await incidents.never_started(
        created_before=cutoff, session=session
    ):
        if await incident_workflow_exists(incident, temporal=temporal) is not False:
            continue  # running (its first event is on its way) or unknowable now
        await start_incident(incident, authority, temporal=temporal, task_queue=task_queue)
        log.warning(
            "incident_start_repaired",
            incident_id=incident.id,
            workflow_id=incident.workflow_id,
            authority=authority.code,
        )
        started.append(incident.reference)
    return started
