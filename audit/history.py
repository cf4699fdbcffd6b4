"""An incident's Temporal history: every run, from the live server or from the archive.

Temporal keeps a closed workflow's history only for the namespace's retention period, so when
an incident's workflow closes its whole history (every run, continue-as-new included) is copied
into the database, compressed, and replay reads it from there once the server has let it go.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from models import HistoryArchive
from runtime.database import insert_for

Source = Literal["server", "archive"]


@dataclass(frozen=True)
class IncidentHistory:
    workflow_id: str
    runs: list[WorkflowHistory]
    """Oldest run first; a run that continued as new is followed by the one it started."""
    source: Source

    @property
    def events(self) -> int:
        return sum(len(run.events) for run in self.runs)


class ArchiveDamaged(RuntimeError):
    """The archived bytes no longer match the digest taken when they were written."""


async def is_closed(client: Client, workflow_id: str) -> bool:
    description = await client.get_workflow_handle(workflow_id).describe()
    return description.status not in (None, WorkflowExecutionStatus.RUNNING)


async def fetch_from_server(client: Client, workflow_id: str) -> IncidentHistory | None:
    """Every run of the workflow, or None if the server no longer has it."""
    try:
        latest = await client.get_workflow_handle(workflow_id).fetch_history()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    started = latest.events[0].workflow_execution_started_event_attributes
    run_id: str | None = started.first_execution_run_id or latest.run_id
    runs: list[WorkflowHistory] = []
    while run_id:
        if run_id == latest.run_id:
            run = latest
        else:
            run = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        runs.append(run)
        last = run.events[-1]
        run_id = (
            last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
            if last.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
            else None
        )
    return IncidentHistory(workflow_id=workflow_id, runs=runs, source="server")


def _serialise(history: IncidentHistory) -> bytes:
    document = {
        "workflow_id": history.workflow_id,
        "runs": [r.to_json_dict() for r in history.runs],
    }
    return json.dumps(document, separators=(",", ":")).encode()


async def store_archive(
    incident_id: str, history: IncidentHistory, *, session: AsyncSession
) -> None:
    """Keep the history; a second call for the same incident (a retry) changes nothing."""
    raw = _serialise(history)
    statement = (
        insert_for(session)(HistoryArchive)
        .values(
            incident_id=incident_id,
            workflow_id=history.workflow_id,
            runs=len(history.runs),
            events=history.events,
            sha256=hashlib.sha256(raw).hexdigest(),
            content=gzip.compress(raw, compresslevel=9),
            archived_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing(index_elements=["incident_id"])
    )
    await session.exec(statement)
    await session.commit()


async def load_archive(incident_id: str, *, session: AsyncSession) -> IncidentHistory | None:
    archive = await session.get(HistoryArchive, incident_id)
    if archive is None:
        return None
    raw = gzip.decompress(archive.content)
    if hashlib.sha256(raw).hexdigest() != archive.sha256:
        raise ArchiveDamaged(f"the archived history of incident {incident_id} is damaged")
    document = json.loads(raw)
    runs = [WorkflowHistory.from_json(document["workflow_id"], run) for run in document["runs"]]
    return IncidentHistory(workflow_id=document["workflow_id"], runs=runs, source="archive")
