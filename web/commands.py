"""Every request that changes a running incident, declared once: the one way in.

An `Action` says, in one entry of `ACTIONS`: the request it accepts (`web.schemas`), where it is
accepted (the API's `POST /api/incidents/{id}<path>` and the status page's form
`POST /incidents/{id}/actions/<page>`), the permission it needs, how often one incident takes it
(`per_incident`), the workflow update it runs, and how the request and the person asking become
its `domain.commands` command. The API's routes (`web.api.actions`) and the status page's form
handler (`web.pages.incidents`) are both made from `ACTIONS`, so a new step of the workflow is
one entry here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.workflow import UpdateMethodMultiParam

from domain.access import Permission
from domain.commands import (
    Acknowledge,
    AcknowledgementChannel,
    AddNote,
    CloseIncident,
    MarkContained,
    MarkRecovered,
    Reassess,
    RecordSubmission,
    WaiveObligation,
)
from domain.obligations import Body
from domain.state import IncidentState
from models import Incident
from services.directory import member_by_id
from web.deps import Caller, end_reading, refuse_unless_acknowledging_for_self
from web.operations import OperationError, run_update
from web.rate_limits import PerIncident, RateLimits, TooFast
from web.schemas import (
    AcknowledgeRequest,
    AssessmentRequest,
    CloseRequest,
    NcscReportRequest,
    NoteRequest,
    StageNoteRequest,
    SubmissionRequest,
    WaiverRequest,
)
from workflows import IncidentWorkflow

RequestT = TypeVar("RequestT", bound=BaseModel)


@dataclass(frozen=True)
class Asking:
    """Who asks, through which door, and about which body when the URL or the form names one."""

    actor: str
    via: AcknowledgementChannel
    named_body: Body | None = None

    @property
    def body(self) -> Body:
        if self.named_body is None:
            raise ValueError("no body was named")
        return self.named_body


Guard = Callable[[Caller, Incident, Any, AsyncSession], Awaitable[None]]
Completion = Callable[[Any, AsyncSession], Awaitable[Any]]


@dataclass(frozen=True)
class Action(Generic[RequestT]):
    name: str
    """The API operation's name."""
    request: type[RequestT]
    update: UpdateMethodMultiParam[..., IncidentState]
    """The `IncidentWorkflow` update it runs."""
    command: Callable[[RequestT, Asking], BaseModel]
    """The request and the person asking, as the update's command."""
    description: str
    path: str | None = None
    """Under `/api/incidents/{incident_id}`; None when only the pages offer it."""
    page: str | None = None
    """The status page's form, `/incidents/{incident_id}/actions/<page>`; None: API only."""
    permission: Permission = Permission.RUN_INCIDENTS
    guard: Guard | None = None
    """A check beyond the permission, on the valid request, before the update is sent."""
    complete: Completion | None = None
    """Adds to the command what the directory says now, before it is sent."""
    per_incident: PerIncident | None = PerIncident.CHANGES
    """The count it is held to per incident, by everyone together, so that no caller can fill
    an incident's history (`CONCORDAT_RATE_LIMIT_NOTES`, `..._INCIDENT_CHANGES`); None only
    for what must get through whatever else is sent, and cannot be repeated."""
    tag: str = "incidents"

    @property
    def names_body(self) -> bool:
        """The body concerned is in the API's path (`{body}`) and the page form's `body`."""
        return self.path is not None and "{body}" in self.path


async def _acknowledging_for_self(
    caller: Caller, incident: Incident, request: AcknowledgeRequest, session: AsyncSession
) -> None:
    await refuse_unless_acknowledging_for_self(caller, incident, request.member_id, session=session)


async def _with_current_name(command: Acknowledge, session: AsyncSession) -> Acknowledge:
    """The member as the directory names them now: a role's new holder acknowledging an older
    incident is recorded under their own name, not the previous holder's."""
    member = await member_by_id(command.member_id, session=session)
    return command.model_copy(update={"member_name": member.name if member else None})


ACTIONS: tuple[Action[Any], ...] = (
    Action(
        "acknowledge",
        AcknowledgeRequest,
        IncidentWorkflow.acknowledge,
        lambda request, asking: Acknowledge(
            member_id=request.member_id, actor=asking.actor, via=asking.via
        ),
        "Record that a named member has seen the incident; it stops their chain escalating. "
        "A named member acknowledges for themselves; an on-call officer records an "
        "acknowledgement given by telephone.",
        path="/acknowledge",
        page="acknowledge",
        permission=Permission.ACKNOWLEDGE,
        guard=_acknowledging_for_self,
        complete=_with_current_name,
        # Each member acknowledges once; a flood of other requests must never hold it back.
        per_incident=None,
    ),
    Action(
        "add_note",
        NoteRequest,
        IncidentWorkflow.add_note,
        lambda request, asking: AddNote(
            text=request.text, corrects=request.corrects, actor=asking.actor
        ),
        "Add a note to the timeline, or a correction of one of its events (`corrects`).",
        path="/notes",
        page="note",
        per_incident=PerIncident.NOTES,
    ),
    Action(
        "reassess",
        AssessmentRequest,
        IncidentWorkflow.reassess,
        lambda request, asking: Reassess(**request.model_dump(), actor=asking.actor),
        "Change the category or flags; becoming significant opens the NCSC step.",
        path="/assessment",
        page="assessment",
    ),
    Action(
        "record_ncsc_report",
        NcscReportRequest,
        IncidentWorkflow.record_submission,
        lambda request, asking: RecordSubmission(
            body=Body.NCSC,
            reference=request.reference,
            submitted_at=request.reported_at,
            summary=None,
            late_reason=request.late_reason,
            actor=asking.actor,
        ),
        "Record the NCSC's case reference: the initial submission of the NCSC obligation.",
        path="/ncsc-report",
    ),
    Action(
        "contain",
        StageNoteRequest,
        IncidentWorkflow.contain,
        lambda request, asking: MarkContained(note=request.note, actor=asking.actor),
        "Mark the incident contained.",
        path="/contain",
        page="contain",
    ),
    Action(
        "recover",
        StageNoteRequest,
        IncidentWorkflow.recover,
        lambda request, asking: MarkRecovered(note=request.note, actor=asking.actor),
        "Mark services recovered; the incident must be contained first.",
        path="/recover",
        page="recover",
    ),
    Action(
        "close",
        CloseRequest,
        IncidentWorkflow.close,
        lambda request, asking: CloseIncident(
            summary=request.summary,
            actor=asking.actor,
            review_exercise=request.review_exercise,
        ),
        "Close the incident with a summary; a significant one needs its NCSC reference first.",
        path="/close",
        page="close",
        # An incident closes once; closing must get through whatever else is sent.
        per_incident=None,
    ),
    Action(
        "record_submission",
        SubmissionRequest,
        IncidentWorkflow.record_submission,
        lambda request, asking: RecordSubmission(
            body=asking.body, **request.model_dump(), actor=asking.actor
        ),
        "Record that the body was told (the initial submission closes its clock, late or not), "
        "or add a follow-up (UK GDPR Article 33(4)).",
        path="/obligations/{body}/submissions",
        page="submission",
        tag="reporting",
    ),
    Action(
        "waive",
        WaiverRequest,
        IncidentWorkflow.waive_obligation,
        lambda request, asking: WaiveObligation(
            body=asking.body, reason=request.reason, actor=asking.actor
        ),
        "Record a decision not to tell the body, with its reason and who took it.",
        path="/obligations/{body}/waiver",
        page="waiver",
        tag="reporting",
    ),
)

#: Every action by its name, and the status page's forms by the name in their URL.
BY_NAME: dict[str, Action[Any]] = {a.name: a for a in ACTIONS}
ON_PAGES: dict[str, Action[Any]] = {a.page: a for a in ACTIONS if a.page is not None}


async def perform(
    action: Action[RequestT],
    request: RequestT,
    *,
    incident: Incident,
    caller: Caller,
    asking: Asking,
    session: AsyncSession,
    temporal: Client,
    limits: RateLimits,
) -> IncidentState:
    """Check the action's guard and the incident's count, then send its command to the
    incident; its new state. Refusals come back as `web.operations.OperationError`."""
    if action.guard is not None:
        await action.guard(caller, incident, request, session)
    command = action.command(request, asking)
    if action.complete is not None:
        command = await action.complete(command, session)
    await end_reading(session)
    if action.per_incident is not None:
        try:
            await limits.check_incident(action.per_incident, incident.id)
        except TooFast as refused:
            raise OperationError(429, refused.message, retry_after=refused.seconds) from None
    return await run_update(incident, action.update, command, temporal=temporal)
