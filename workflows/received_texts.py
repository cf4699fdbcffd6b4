"""ReceivedTextsWorkflow: every minute (a Temporal Schedule), handle any text Notify received
whose callback never reached us, so a reply acknowledges even when our web app was down."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.activity_contracts import POLL_RECEIVED_TEXTS


@workflow.defn
class ReceivedTextsWorkflow:
    @workflow.run
    async def run(self) -> int:
        handled: int = await workflow.execute_activity(
            POLL_RECEIVED_TEXTS,
            result_type=int,
            start_to_close_timeout=timedelta(minutes=1),
        )
        return handled
