"""Repair incidents whose workflow never started."""

from __future__ import annotations

from temporalio import activity

from domain.activity_contracts import RECONCILE_UNSTARTED
from models import Routine
from runtime.database import Database
from services.routine_runs import record_run
from services.starts import reconcile_unstarted


class ReconcileActivities:
    def __init__(self, database: Database, task_queue: str) -> None:
        self._database, self._task_queue = database, task_queue

    @activity.defn(name=RECONCILE_UNSTARTED)
    async def reconcile(self) -> list[str]:
        async with self._database.session() as session:
            repaired = await reconcile_unstarted(
                session=session, temporal=activity.client(), task_queue=self._task_queue
            )
        # Its last success, for the metrics (`concordat_reconciliation_last_success_...`).
        # Kept by the run's first step alone, so the workflow's commands stay as recorded
        # histories have them: a run stuck in a later step holds the schedule (overlap SKIP),
        # so no later run records a success either, and the alert still fires.
        async with self._database.session() as session:
            await record_run(Routine.RECONCILIATION, succeeded=True, session=session)
        return repaired
