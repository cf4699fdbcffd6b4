"""What the post-incident review's API and pages both do: send a request to the incident's
post-incident process, read the review as it stands, and read an authority's lessons.

Shared by the routes (`web.api.post_incident`) and the review's pages
(`web.pages.post_incident`), so that a form and the API are refused alike and in the same words
(Welsh and English): a refusal is an `OperationError`, which the API answers as it is and a
page shows beside its form.
"""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from fastapi import HTTPException, status
from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from domain.commands import RecordSubmission, Rejection
from domain.obligations import Body, SubmissionPhase
from domain.post_incident import Owner, PostIncidentState, post_incident_workflow_id
from models import Authority, Incident
from runtime.settings import Settings
from services import post_incident_reviews as reviews
from services.after_alarm import post_incident_state, update_post_incident
from services.directory import authority_by_code
from services.temporal_gateway import UpdateRefused, WorkflowUnavailable
from services.timeline import timeline_of
from web.api.post_incident_models import (
    ActionRequest,
    FollowUpRequest,
    IncidentReviewView,
    review_view,
)
from web.deps import Caller, end_reading
from web.operations import OperationError
from web.rate_limits import PerIncident, RateLimits, TooFast
from web.schemas import CLOCK_SKEW

log = structlog.get_logger(__name__)

NOT_CLOSED = (
    "The post-incident review and follow-ups after closure begin once the incident is closed. / "
    "Mae'r adolygiad ar ôl digwyddiad a'r adroddiadau dilynol ar ôl cau yn dechrau unwaith y "
    "bydd y digwyddiad wedi'i gau."
)


async def current_review(
    incident: Incident, *, session: AsyncSession, temporal: Client
) -> IncidentReviewView:
    """The review as it stands: the post-incident process's own view when it answers (so a
    change just made shows at once), else the rows it last recorded."""
    events = await timeline_of(incident.id, session=session)
    row, action_rows = await reviews.review_rows(incident.id, session=session)
    await end_reading(session)
    live = None
    if incident.closed_at is not None:
        state = await post_incident_state(incident, temporal=temporal)
        live = state.review if state is not None else None
    return review_view(incident, live=live, row=row, action_rows=action_rows, events=events)


async def ask(
    incident: Incident,
    update: str,
    command: BaseModel,
    *,
    settings: Settings,
    temporal: Client,
    limits: RateLimits,
) -> PostIncidentState:
    """Send a request to the incident's post-incident process, for the API and the pages
    alike; a refusal is an `OperationError` (409 refused, 422 invalid, 429, 503)."""
    if incident.closed_at is None:
        raise OperationError(409, NOT_CLOSED)
    try:
        await limits.check_incident(PerIncident.CHANGES, incident.id)
    except TooFast as refused:
        raise OperationError(429, refused.message, retry_after=refused.seconds) from None
    try:
        state = await update_post_incident(
            incident, update, command, temporal=temporal, task_queue=settings.task_queue
        )
        log.info(
            "post_incident_request_recorded",
            incident_id=incident.id,
            workflow_id=post_incident_workflow_id(incident.workflow_id),
            authority_id=incident.authority_id,
            update=update,
        )
        return state
    except UpdateRefused as refused:
        code = 422 if refused.rejection is Rejection.INVALID else 409
        raise OperationError(code, refused.message) from None
    except WorkflowUnavailable as unavailable:
        raise OperationError(503, str(unavailable), retry_after=5) from None


async def owner_of(incident: Incident, user_id: int | None, *, session: AsyncSession) -> Owner:
    """The owner asked for, or a 422 in both languages."""
    try:
        return await reviews.owner_for(incident, user_id, session=session)
    except reviews.NotAnOwner as refused:
        raise OperationError(422, str(refused)) from None


def action_command(request: ActionRequest, owner: Owner, actor: str) -> BaseModel:
    """The add-action request as the process's command; a due date it cannot take is a 422."""
    try:
        return reviews.add_action(request.title, owner, request.due_on, actor=actor)
    except reviews.NotADueDate as refused:
        raise OperationError(422, str(refused)) from None


def follow_up_command(request: FollowUpRequest, actor: str) -> RecordSubmission:
    """The follow-up as the process records it: sent now unless said, and never in the
    future (a 422)."""
    now = datetime.now(UTC)
    if request.submitted_at is not None and request.submitted_at > now + CLOCK_SKEW:
        raise OperationError(
            422,
            "The follow-up cannot have been sent in the future. / "
            "Ni all yr adroddiad dilynol fod wedi'i anfon yn y dyfodol.",
        )
    return RecordSubmission(
        body=request.body,
        phase=SubmissionPhase.FOLLOW_UP,
        reference=request.reference or None,
        submitted_at=request.submitted_at or now,
        summary=request.summary,
        actor=actor,
    )


def before_closure(incident: Incident, body: Body) -> OperationError:
    """The refusal of a follow-up before closure, saying where it belongs instead."""
    return OperationError(
        409,
        f"Incident {incident.reference} is still open: record a follow-up on its obligation "
        f"(POST /api/incidents/{incident.id}/obligations/{body.value}/submissions with "
        '"phase": "follow_up"). / '
        f"Mae digwyddiad {incident.reference} yn dal ar agor: cofnodwch adroddiad dilynol ar ei "
        f"rwymedigaeth (POST /api/incidents/{incident.id}/obligations/{body.value}/submissions "
        'gyda "phase": "follow_up").',
    )


async def readable_authority(code: str, caller: Caller, session: AsyncSession) -> Authority:
    """An authority the caller may read; any other is a 404, as if it did not exist."""
    authority = await authority_by_code(code, session=session)
    if authority is None or authority.id is None or not caller.may_read(authority.id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No authority {code}.")
    return authority


async def authority_lessons(
    authority: Authority, *, session: AsyncSession
) -> tuple[list[reviews.Lesson], reviews.ActionFigures]:
    """The authority's lessons and its actions' figures (all nought before its first action)."""
    assert authority.id is not None
    scope = frozenset({authority.id})
    found = await reviews.lessons(scope, session=session)
    figures = await reviews.action_figures(scope, session=session)
    return found, figures.get(authority.id, reviews.ActionFigures(authority_id=authority.id))
