"""/api/incidents/{incident_id}/statements: what residents are told, in Welsh and English at once.

Drafting (create, replace) needs `RUN_INCIDENTS`; reading needs `READ_INCIDENTS`; publishing
and withdrawing need `APPROVE_STATEMENTS`, held by a named member or their deputy. Publishing
sends the draft as last saved to the incident's timeline, and is refused (409, nothing
recorded) while either language lacks its title or text, while an affected service is named in
one language only, or while neither the incident nor the statement is marked TLP:CLEAR. The
approver may mark the statement TLP:CLEAR as they publish it. The public page
(`/public/{code}`) shows what was published.

This module holds the routes only: their requests and answers are in `web.api.statement_models`,
and the operations they share with the pages (`web.pages.statements`) in
`web.api.statement_operations`, so both are checked alike and a refusal reads the same; every
refusal is in English and Welsh.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, status

from domain.access import Permission
from models import Incident
from services import statements as statement_service
from web.api.responses import COMMON
from web.api.statement_models import (
    PublishRequest,
    StatementRequest,
    StatementView,
    WithdrawRequest,
    statement_view,
)
from web.api.statement_operations import create, publish, statement_about, withdraw
from web.deps import (
    AnyCaller,
    IncidentToRead,
    IncidentToRun,
    SessionDep,
    SettingsDep,
    TemporalDep,
    incident_for,
)
from web.rate_limits import RateLimits, rate_limits
from web.schemas import Problem

router = APIRouter(prefix="/api/incidents/{incident_id}/statements", tags=["statements"])

StatementId = Annotated[int, Path(gt=0, le=2**31 - 1)]
IncidentToApprove = Annotated[Incident, Depends(incident_for(Permission.APPROVE_STATEMENTS))]
Limits = Annotated[RateLimits, Depends(rate_limits)]

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such incident in your authority, or statement."}
}
_RECORDING: dict[int | str, dict[str, Any]] = {
    409: {
        "model": Problem,
        "description": "Not whole in both languages, not marked TLP:CLEAR (nor its incident), "
        "withdrawn already, or the incident's record refused it; nothing was recorded.",
    },
    503: {"model": Problem, "description": "Temporal is unreachable; try again."},
}


@router.get("", response_model=list[StatementView], responses=COMMON)
async def list_statements(incident: IncidentToRead, session: SessionDep) -> list[StatementView]:
    """The incident's statements, the newest first, each with every version published."""
    return [
        statement_view(record)
        for record in await statement_service.statements_of(incident, session=session)
    ]


@router.post(
    "",
    response_model=StatementView,
    status_code=status.HTTP_201_CREATED,
    responses=COMMON
    | {409: {"model": Problem, "description": "The incident holds its most statements."}},
)
async def create_statement(
    statement_in: StatementRequest, incident: IncidentToRun, caller: AnyCaller, session: SessionDep
) -> StatementView:
    """Draft a statement: titles and texts in Welsh and English, the services affected, and
    its marking (the incident's unless given). Nothing is public until it is published."""
    statement = await create(incident, statement_in, caller=caller, session=session)
    return statement_view(await statement_service.record_of(statement, session=session))


@router.get("/{statement_id}", response_model=StatementView, responses=COMMON | _NOT_FOUND)
async def get_statement(
    statement_id: StatementId, incident: IncidentToRead, session: SessionDep
) -> StatementView:
    """The draft as last saved, and every version published."""
    statement = await statement_about(incident, statement_id, session)
    return statement_view(await statement_service.record_of(statement, session=session))


@router.put("/{statement_id}", response_model=StatementView, responses=COMMON | _NOT_FOUND)
async def replace_statement(
    statement_id: StatementId,
    statement_in: StatementRequest,
    incident: IncidentToRun,
    caller: AnyCaller,
    session: SessionDep,
) -> StatementView:
    """Save the draft, replacing it whole; what was published stays as it was."""
    statement = await statement_about(incident, statement_id, session)
    await statement_service.update_statement(
        statement, statement_in.draft(), actor=caller.name, session=session
    )
    return statement_view(await statement_service.record_of(statement, session=session))


@router.post(
    "/{statement_id}/publish",
    response_model=StatementView,
    responses=COMMON | _NOT_FOUND | _RECORDING,
)
async def publish_statement(
    statement_id: StatementId,
    incident: IncidentToApprove,
    caller: AnyCaller,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    limits: Limits,
    publish_in: Annotated[PublishRequest | None, Body()] = None,
) -> StatementView:
    """Publish the draft as last saved as the statement's next version, approved by you (a
    named member or deputy): a timeline event carrying its text and SHA-256, then the public
    page. Refused, with nothing recorded, unless both languages are whole and the statement or
    its incident is marked TLP:CLEAR."""
    statement = await statement_about(incident, statement_id, session)
    await publish(
        incident,
        statement,
        tlp=publish_in.tlp if publish_in else None,
        caller=caller,
        session=session,
        temporal=temporal,
        task_queue=settings.task_queue,
        limits=limits,
    )
    return statement_view(await statement_service.record_of(statement, session=session))


@router.post(
    "/{statement_id}/withdraw",
    response_model=StatementView,
    responses=COMMON | _NOT_FOUND | _RECORDING,
)
async def withdraw_statement(
    statement_id: StatementId,
    withdraw_in: WithdrawRequest,
    incident: IncidentToApprove,
    caller: AnyCaller,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    limits: Limits,
) -> StatementView:
    """Take a published statement off the public page, with the reason, on the timeline."""
    statement = await statement_about(incident, statement_id, session)
    record = await withdraw(
        incident,
        statement,
        reason=withdraw_in.reason,
        caller=caller,
        session=session,
        temporal=temporal,
        task_queue=settings.task_queue,
        limits=limits,
    )
    return statement_view(record)
