"""What the statements API and the statement pages both do: find a statement, start one, publish
it and withdraw it.

Shared by the routes (`web.api.statements`) and the pages (`web.pages.statements`), so both are
checked alike and a refusal reads the same; every refusal is an `OperationError` (or a 404), in
English and Welsh. Publishing and withdrawing are changes to the incident's timeline, held to its
count of changes like every other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import HTTPException, status
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from domain.commands import Rejection
from domain.rules import in_both
from domain.vocabulary import Tlp
from models import Incident, PublicStatement, StatementVersion
from services import statements as statement_service
from services.statements import StatementRecord, StatementRefused
from services.temporal_gateway import UpdateRefused, WorkflowUnavailable
from web.api.statement_models import StatementRequest
from web.deps import Caller
from web.operations import OperationError
from web.rate_limits import PerIncident, RateLimits, TooFast

#: Drafts one incident may hold: more than any incident needs, few enough that nobody can
#: fill the database through one.
MAX_STATEMENTS = 50


def no_statement(statement_id: int) -> HTTPException:
    # Not "No incident ...": the incident is one the caller may see.
    return HTTPException(
        status.HTTP_404_NOT_FOUND,
        in_both(
            f"No statement {statement_id} about this incident.",
            f"Dim datganiad {statement_id} am y digwyddiad hwn.",
        ),
    )


async def statement_about(
    incident: Incident, statement_id: int, session: AsyncSession
) -> PublicStatement:
    """The incident's statement of that id; a 404 in both languages for any other."""
    statement = await statement_service.statement_of(incident, statement_id, session=session)
    if statement is None:
        raise no_statement(statement_id)
    return statement


async def create(
    incident: Incident, request: StatementRequest, *, caller: Caller, session: AsyncSession
) -> PublicStatement:
    """A new draft, for the API and the page alike; 409 once the incident holds its most."""
    held = (
        await session.exec(
            select(func.count())
            .select_from(PublicStatement)
            .where(col(PublicStatement.incident_id) == incident.id)
        )
    ).one()
    if held >= MAX_STATEMENTS:
        raise OperationError(
            409,
            in_both(
                f"This incident already has {MAX_STATEMENTS} statements; change one of them.",
                f"Mae gan y digwyddiad hwn {MAX_STATEMENTS} o ddatganiadau eisoes; newidiwch un "
                "ohonynt.",
            ),
        )
    return await statement_service.create_statement(
        incident, request.draft(), actor=caller.name, session=session
    )


def _refused(failure: UpdateRefused) -> OperationError:
    return OperationError(422 if failure.rejection is Rejection.INVALID else 409, failure.message)


async def _changing(incident: Incident, limits: RateLimits) -> None:
    """Publishing and withdrawing are held to the incident's count of changes, as every other
    change to its timeline is."""
    try:
        await limits.check_incident(PerIncident.CHANGES, incident.id)
    except TooFast as refused:
        raise OperationError(429, refused.message, retry_after=refused.seconds) from None


async def _recording(send: Callable[[], Any]) -> Any:
    try:
        return await send()
    except StatementRefused as refused:
        raise OperationError(409, refused.message) from None
    except UpdateRefused as refused:
        raise _refused(refused) from None
    except WorkflowUnavailable as unavailable:
        raise OperationError(503, str(unavailable), retry_after=5) from unavailable


async def publish(
    incident: Incident,
    statement: PublicStatement,
    *,
    tlp: Tlp | None,
    caller: Caller,
    session: AsyncSession,
    temporal: Client,
    task_queue: str,
    limits: RateLimits,
) -> StatementVersion | None:
    """Publish the draft as last saved, approved by the caller, for the API and the page."""
    await _changing(incident, limits)
    version: StatementVersion | None = await _recording(
        lambda: statement_service.publish_statement(
            incident,
            statement,
            approver=statement_service.approver_words(caller.name, caller.member_role),
            actor=caller.name,
            tlp=tlp,
            session=session,
            temporal=temporal,
            task_queue=task_queue,
        )
    )
    return version


async def withdraw(
    incident: Incident,
    statement: PublicStatement,
    *,
    reason: str,
    caller: Caller,
    session: AsyncSession,
    temporal: Client,
    task_queue: str,
    limits: RateLimits,
) -> StatementRecord:
    """Take the statement off the public page, for the API and the page alike."""
    await _changing(incident, limits)
    record: StatementRecord = await _recording(
        lambda: statement_service.withdraw_statement(
            incident,
            statement,
            reason=reason,
            actor=caller.name,
            session=session,
            temporal=temporal,
            task_queue=task_queue,
        )
    )
    return record
