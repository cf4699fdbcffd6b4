"""HistoryArchiveWorkflow: keep a closed incident's history after the server lets it go.

The incident's workflow starts this one as its last act and does not wait for it. Its single
activity waits (by failing and being retried by Temporal, with backoff) until the incident's
workflow has closed, then copies every run's history into the database.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from domain.activity_contracts import ARCHIVE_HISTORY, ArchiveRequest


@workflow.defn
class HistoryArchiveWorkflow:
    @workflow.run
    async def run(self, request: ArchiveRequest) -> None:
        await workflow.execute_activity(
            ARCHIVE_HISTORY,
            request,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(seconds=1),
                maximum_interval=timedelta(minutes=5),
            ),
        )
