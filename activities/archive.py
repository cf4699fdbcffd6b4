"""Copy a closed incident's whole Temporal history into the database."""

from __future__ import annotations

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from audit.history import fetch_from_server, is_closed, store_archive
from domain.activity_contracts import ARCHIVE_HISTORY, ArchiveRequest
from runtime.database import Database

log = structlog.get_logger(__name__)

#: Failure type while the incident's workflow is still finishing; Temporal retries it.
NOT_CLOSED_YET = "NotClosedYet"


class ArchiveActivities:
    def __init__(self, database: Database) -> None:
        self._database = database

    @activity.defn(name=ARCHIVE_HISTORY)
    async def archive_history(self, request: ArchiveRequest) -> int:
        """Returns how many history events were archived."""
        client = activity.client()
        try:
            closed = await is_closed(client, request.workflow_id)
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                raise ApplicationError(
                    "the server no longer has the history", non_retryable=True
                ) from error
            raise
        if not closed:
            raise ApplicationError(
                "the incident's workflow has not closed yet", type=NOT_CLOSED_YET
            )
        history = await fetch_from_server(client, request.workflow_id)
        if history is None:
            raise ApplicationError("the server no longer has the history", non_retryable=True)
        async with self._database.session() as session:
            await store_archive(request.incident_id, history, session=session)
        log.info(
            "history_archived",
            incident_id=request.incident_id,
            workflow_id=request.workflow_id,
            runs=len(history.runs),
            events=history.events,
        )
        return history.events
