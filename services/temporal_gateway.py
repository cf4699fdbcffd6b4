"""Every call Concordat makes to Temporal's client about an incident: start, update, query,
describe, and the server's health.

Temporal's own errors stop here. Callers see the product's: `UpdateRefused` (the incident said
no, with a `Rejection` and a sentence for people) and `WorkflowUnavailable` (the server cannot be
reached, or the incident's workflow is not running yet), whatever the SDK raised.
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.commands import Rejection
from domain.directory import AuthoritySnapshot
from domain.incident import OpenIncident
from domain.rules import closed_message
from domain.state import IncidentState
from models import Authority, Incident
from services.incidents import details_of
from workflows import IncidentWorkflow

log = structlog.get_logger(__name__)

#: A run handing over to the next refuses updates for a moment (its emails and timeline
#: writes finish first); the request is sent again this often, this far apart, meanwhile.
HAND_OVER_TRIES = 20
HAND_OVER_PAUSE = 0.1


class UpdateRefused(Exception):
    """The incident refused a request: why (`Rejection`), and a sentence for people."""

    def __init__(self, rejection: Rejection, message: str) -> None:
        super().__init__(message)
        self.rejection, self.message = rejection, message


class WorkflowUnavailable(Exception):
    """Temporal cannot be reached, or the incident's workflow is not running yet."""


async def start_incident(
    incident: Incident,
    authority: Authority,
    *,
    temporal: Client,
    task_queue: str,
    snapshot: AuthoritySnapshot | None = None,
) -> None:
    """Start the incident's workflow; starting one that is already running does nothing."""
    opening = OpenIncident(details=details_of(incident, authority), snapshot=snapshot)
    try:
        await temporal.start_workflow(
            IncidentWorkflow.run,
            opening,
            id=incident.workflow_id,
            task_queue=task_queue,
            # A retried start joins the running workflow; a closed incident is never reopened.
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            # Where a worker shares this client (`concordat run`), its first workflow task
            # comes back with the start's answer rather than through a poll; elsewhere the
            # client asks nothing of the server.
            request_eager_start=True,
        )
    except WorkflowAlreadyStartedError:
        pass
    except Exception as error:  # unreachable, timed out, refused: the start is unknown
        raise WorkflowUnavailable(type(error).__name__) from error


async def incident_workflow_exists(incident: Incident, *, temporal: Client) -> bool | None:
    """True or False when Temporal can say whether the workflow exists; None when it cannot."""
    try:
        await temporal.get_workflow_handle(incident.workflow_id).describe()
    except RPCError as error:
        return False if error.status == RPCStatusCode.NOT_FOUND else None
    except Exception:  # the server is unreachable: nothing can be known
        return None
    return True


def _rejection(kind: str | None) -> Rejection:
    try:
        return Rejection(kind or "")
    except ValueError:
        return Rejection.INVALID  # a refusal without a known reason is the request's fault


async def update_incident(
    incident: Incident, update: Any, command: Any, *, temporal: Client
) -> IncidentState:
    """Send `command` to the incident's workflow update `update`; its new state."""
    bound = log.bind(
        incident_id=incident.id,
        workflow_id=incident.workflow_id,
        authority_id=incident.authority_id,
    )
    closed = closed_message(incident.reference)
    if incident.closed_at is not None:
        raise UpdateRefused(Rejection.CLOSED, closed)
    handle = temporal.get_workflow_handle_for(IncidentWorkflow.run, incident.workflow_id)
    try:
        for attempt in range(HAND_OVER_TRIES):
            try:
                return await handle.execute_update(update, command)
            except WorkflowUpdateFailedError as failure:
                cause = failure.cause
                if not isinstance(cause, ApplicationError):
                    raise
                rejection = _rejection(cause.type)
                if rejection is Rejection.HANDING_OVER and attempt + 1 < HAND_OVER_TRIES:
                    # The next run takes the request in a moment: the person need not retry.
                    await asyncio.sleep(HAND_OVER_PAUSE)
                    continue
                bound.info("update_rejected", update=update.__name__, reason=cause.type)
                raise UpdateRefused(rejection, cause.message) from None
        raise AssertionError("unreachable: the last try returns or raises")
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND and incident.last_event_sequence == 0:
            raise WorkflowUnavailable(
                f"Incident {incident.reference} is not running yet; try again in a moment."
            ) from None
        if error.status == RPCStatusCode.NOT_FOUND:
            raise UpdateRefused(Rejection.CLOSED, closed) from None
        bound.error("update_failed", update=update.__name__, error=error.status.name)
        raise WorkflowUnavailable(
            "The workflow service is unavailable; try again in a moment."
        ) from error


async def incident_state(incident: Incident, *, temporal: Client) -> IncidentState | None:
    """The workflow's own view of the incident, or None when it cannot be reached."""
    try:
        handle = temporal.get_workflow_handle_for(IncidentWorkflow.run, incident.workflow_id)
        return await handle.query(IncidentWorkflow.state)
    except Exception as error:  # the read side still answers while Temporal is away
        log.warning("live_state_unavailable", incident_id=incident.id, error=type(error).__name__)
        return None
