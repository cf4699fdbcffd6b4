"""A complaint clock's side effects: writing what it recorded to the complaint's row, and
starting the clock of a complaint recorded without one."""

from __future__ import annotations

from temporalio import activity

from domain.complaints import (
    RECONCILE_UNSTARTED_COMPLAINTS,
    RECORD_COMPLAINT,
    ComplaintProgress,
)
from runtime.database import Database
from runtime.settings import Settings
from services.complaint_clock import reconcile_unstarted_complaints
from services.complaints import record_progress


class ComplaintActivities:
    def __init__(self, database: Database, settings: Settings) -> None:
        self._database, self._settings = database, settings

    @activity.defn(name=RECORD_COMPLAINT)
    async def record_complaint(self, progress: ComplaintProgress) -> bool:
        """Idempotent, and safe in any order: only fields the row lacks are set."""
        async with self._database.session() as session:
            return await record_progress(progress, session=session)

    @activity.defn(name=RECONCILE_UNSTARTED_COMPLAINTS)
    async def reconcile_unstarted_complaints(self) -> list[str]:
        async with self._database.session() as session:
            return await reconcile_unstarted_complaints(
                session=session,
                temporal=activity.client(),
                task_queue=self._settings.task_queue,
                base_url=self._settings.base_url,
            )
