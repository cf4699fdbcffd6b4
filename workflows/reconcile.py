"""ReconciliationWorkflow: every few minutes (a Temporal Schedule), start any incident whose
row was written but whose workflow never started (see `services.starts`)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.activity_contracts import RECONCILE_UNSTARTED


@workflow.defn
class ReconciliationWorkflow:
    @workflow.run
    async def run(self) -> list[str]:
        repaired: list[str] = await workflow.execute_activity(
            RECONCILE_UNSTARTED,
            result_type=list[str],
            start_to_close_timeout=timedelta(minutes=2),
        )
        return repaired
