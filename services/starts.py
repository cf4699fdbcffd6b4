"""Starting an incident's workflow, and repairing an incident whose start never happened.

The API writes the incident's row first and then starts its workflow. If the process dies in
between, the row has no workflow. `reconcile_unstarted` finds such rows (no event ever
recorded, older than a grace period so a create in flight is left alone) and starts their
workflows: starting is idempotent (the workflow id comes from the incident id), so running it
twice, or beside a retrying client, starts each incident once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.directory import AuthoritySnapshot
from domain.incident import OpenIncident
from models import Authority, Incident
from services.incidents import details_of
from workflows import IncidentWorkflow

log = structlog.get_logger(__name__)

#: A create younger than this may still be starting its workflow; leave it alone.
GRACE = timedelta(minutes=2)


async def start_incident_workflow(
    incident: Incident,
    authority: Authority,
    temporal: Client,
    task_queue: str,
    *,
    snapshot: AuthoritySnapshot | None = None,
) -> None:
    try:
        await temporal.start_workflow(
            IncidentWorkflow.run,
            OpenIncident(details=details_of(incident, authority), snapshot=snapshot),
            id=incident.workflow_id,
            task_queue=task_queue,
            # A retried start joins the running workflow; a closed incident is never reopened.
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        pass


async def workflow_exists(incident: Incident, temporal: Client) -> bool | None:
    """True or False when Temporal can say whether the workflow exists; None when it cannot."""
    try:
        await temporal.get_workflow_handle(incident.workflow_id).describe()
    except RPCError as error:
        return False if error.status == RPCStatusCode.NOT_FOUND else None
    except Exception:  # the server is unreachable: nothing can be known
        return None
    return True


async def reconcile_unstarted(
    *, session: AsyncSession, temporal: Client, task_queue: str, now: datetime | None = None
) -> list[str]:
    """Start the workflow of every incident that has a row but never started; returns their
    references."""
    cutoff = (now or datetime.now(UTC)) - GRACE
    candidates = (
        await session.exec(
            select(Incident, Authority)
            .join(Authority, col(Authority.id) == Incident.authority_id)
            .where(
                col(Incident.anchor).is_(None),
                Incident.last_event_sequence == 0,
                col(Incident.created_at) < cutoff,
            )
        )
    ).all()
    started = []
    for incident, authority in candidates:
        if await workflow_exists(incident, temporal) is not False:
            continue  # running (its first event is on its way) or unknowable now
        await start_incident_workflow(incident, authority, temporal, task_queue)
        log.warning(
            "incident_start_repaired",
            incident_id=incident.id,
            workflow_id=incident.workflow_id,
            authority=authority.code,
        )
        started.append(incident.reference)
    return started
