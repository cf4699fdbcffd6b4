"""Sending what happens after the alarm to whichever process holds the incident's timeline.

While the incident is open, its own workflow records evidence, hand-overs and statements. Once
it is closed, its post-incident process does (`workflows.post_incident`), and also runs the
review. The post-incident process is reached with update-with-start: if it is not running (an
incident closed before it existed, or evidence sent in the moment of closing), the request
starts it, and it takes over the timeline once the incident's workflow has finished.

Temporal's own errors stop here, as in `services.temporal_gateway`: callers see
`UpdateRefused` and `WorkflowUnavailable`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from domain.commands import Rejection
from domain.post_incident import (
    REVIEW_REFUSED,
    PostIncidentStart,
    PostIncidentState,
    post_incident_workflow_id,
)
from models import Incident
from services.temporal_gateway import (
    HAND_OVER_PAUSE,
    HAND_OVER_TRIES,
    UpdateRefused,
    WorkflowUnavailable,
    update_incident,
)
from workflows import IncidentWorkflow, PostIncidentWorkflow

log = structlog.get_logger(__name__)

#: Requests both processes take, by their update's name.
RECORDS = ("attach_evidence", "record_custody", "publish_statement", "withdraw_statement")


async def record_after_alarm(
    incident: Incident, update: str, command: Any, *, temporal: Client, task_queue: str
) -> None:
    """Record evidence, a hand-over or a statement on the incident's timeline."""
    assert update in RECORDS, f"{update} is not a record both processes take"
    if incident.closed_at is None:
        try:
            await update_incident(
                incident, getattr(IncidentWorkflow, update), command, temporal=temporal
            )
            return
        except UpdateRefused as refused:
            if refused.rejection is not Rejection.CLOSED:
                raise
            # It closed a moment ago: its post-incident process takes the request.
    await update_post_incident(incident, update, command, temporal=temporal, task_queue=task_queue)


async def update_post_incident(
    incident: Incident, update: str, command: Any, *, temporal: Client, task_queue: str
) -> PostIncidentState:
    """Send `command` to the incident's post-incident process, starting it if need be."""
    bound = log.bind(
        incident_id=incident.id,
        workflow_id=post_incident_workflow_id(incident.workflow_id),
        authority_id=incident.authority_id,
    )
    if incident.closed_at is None:
        raise UpdateRefused(
            Rejection.CONFLICT,
            "This is done once the incident is closed. / Gwneir hyn ar ôl cau'r digwyddiad.",
        )
    for attempt in range(HAND_OVER_TRIES):
        starting = WithStartWorkflowOperation(
            PostIncidentWorkflow.run,
            PostIncidentStart(
                incident_id=incident.id,
                incident_workflow_id=incident.workflow_id,
                review_wanted=False,
            ),
            id=post_incident_workflow_id(incident.workflow_id),
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        try:
            state: PostIncidentState = await temporal.execute_update_with_start_workflow(
                update,
                command,
                start_workflow_operation=starting,
                result_type=PostIncidentState,
            )
            return state
        except WorkflowUpdateFailedError as failure:
            cause = failure.cause
            if not isinstance(cause, ApplicationError):
                raise
            if cause.type == Rejection.HANDING_OVER.value and attempt + 1 < HAND_OVER_TRIES:
                await asyncio.sleep(HAND_OVER_PAUSE)
                continue
            bound.info("post_incident_update_rejected", update=update, reason=cause.type)
            rejection = (
                Rejection.CONFLICT
                if cause.type in (REVIEW_REFUSED, Rejection.CONFLICT.value)
                else Rejection.INVALID
            )
            raise UpdateRefused(rejection, cause.message) from None
        except RPCError as error:
            bound.error("post_incident_update_failed", update=update, error=error.status.name)
            raise WorkflowUnavailable(
                "The workflow service is unavailable; try again in a moment."
            ) from error
    raise AssertionError("unreachable: the last try returns or raises")


async def post_incident_state(incident: Incident, *, temporal: Client) -> PostIncidentState | None:
    """The post-incident process's own view, or None when it is not running or unreachable."""
    try:
        handle = temporal.get_workflow_handle(post_incident_workflow_id(incident.workflow_id))
        state: PostIncidentState = await handle.query("state", result_type=PostIncidentState)
        return state
    except Exception as error:  # the read side still answers while Temporal is away
        log.info(
            "post_incident_state_unavailable", incident_id=incident.id, error=type(error).__name__
        )
        return None
