"""Write a workflow's timeline events and keep the incident's read-side row current."""

from __future__ import annotations

import structlog
from temporalio import activity

from domain.activity_contracts import RECORD_TIMELINE, TimelineBatch
from runtime.database import Database
from services.timeline import record_batch

log = structlog.get_logger(__name__)


class TimelineActivities:
    def __init__(self, database: Database) -> None:
        self._database = database

    @activity.defn(name=RECORD_TIMELINE)
    async def record_timeline(self, batch: TimelineBatch) -> None:
        async with self._database.session() as session:
            await record_batch(batch, session=session)
        log.debug(
            "timeline_recorded",
            incident_id=batch.incident_id,
            workflow_id=activity.info().workflow_id,
            authority=batch.authority_code,
            events=[entry.kind.value for entry in batch.entries],
        )
