"""ReconciliationWorkflow: every few minutes (a Temporal Schedule), start any incident whose
row was written but whose workflow never started (see `services.starts`), and any
data-protection complaint recorded without its clock (`services.complaint_clock`), and any
council's copy of a supplier notice whose triage clock never started (`services.notice_clocks`)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.activity_contracts import RECONCILE_UNSTARTED
    from domain.complaints import RECONCILE_UNSTARTED_COMPLAINTS
    from domain.supplier_notices import RECONCILE_UNSTARTED_NOTICES


@workflow.defn
class ReconciliationWorkflow:
    @workflow.run
    async def run(self) -> list[str]:
        repaired: list[str] = await workflow.execute_activity(
            RECONCILE_UNSTARTED,
            result_type=list[str],
            start_to_close_timeout=timedelta(minutes=2),
        )
        if workflow.patched("reconcile-complaints"):
            repaired += await workflow.execute_activity(
                RECONCILE_UNSTARTED_COMPLAINTS,
                result_type=list[str],
                start_to_close_timeout=timedelta(minutes=2),
            )
        if workflow.patched("reconcile-supplier-notices"):
            repaired += await workflow.execute_activity(
                RECONCILE_UNSTARTED_NOTICES,
                result_type=list[str],
                start_to_close_timeout=timedelta(minutes=2),
            )
        return repaired
