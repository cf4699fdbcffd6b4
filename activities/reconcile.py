"""Repair incidents whose workflow never started."""

from __future__ import annotations

from temporalio import activity

from domain.activity_contracts import RECONCILE_UNSTARTED
from runtime.database import Database
from services.starts import reconcile_unstarted


class ReconcileActivities:
    def __init__(self, database: Database, task_queue: str) -> None:
        self._database, self._task_queue = database, task_queue

    @activity.defn(name=RECONCILE_UNSTARTED)
    async def reconcile(self) -> list[str]:
        async with self._database.session() as session:
            return await reconcile_unstarted(
                session=session, temporal=activity.client(), task_queue=self._task_queue
            )
