"""ReviewScheduleWorkflow: once a year (a Temporal Schedule, `worker.ensure_schedules`), open
every authority's annual review of the review year just ended.

Each review is its own workflow, named by authority and year, so running this twice (a retry,
or the central team having opened some by hand) opens nothing twice.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from domain.reviews import OPEN_DUE_REVIEWS, DueReviews, OpenedReviews


@workflow.defn
class ReviewScheduleWorkflow:
    @workflow.run
    async def run(self, due: DueReviews | None = None) -> OpenedReviews:
        opened: OpenedReviews = await workflow.execute_activity(
            OPEN_DUE_REVIEWS,
            due or DueReviews(),
            result_type=OpenedReviews,
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=5)),
        )
        return opened
