"""The Concordat worker: runs incident workflows and their activities.

Start as many as you like against one Temporal cluster (`concordat worker`, or
`python worker.py`): Temporal shares the work between them and never runs a step twice at once.
"""

from __future__ import annotations

import asyncio
import compileall
import dataclasses
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import structlog
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
)
from temporalio.worker import Worker

import workflows
from activities import build_activities
from runtime.database import Database
from runtime.logging import configure_logging
from runtime.metrics import worker_runtime
from runtime.settings import Settings, get_settings
from runtime.temporal import connect
from runtime.tracing import configure_tracing, shutdown_tracing
from workflows import (
    ALL_WORKFLOWS,
    ReceivedTextsWorkflow,
    ReconciliationWorkflow,
    ReviewScheduleWorkflow,
)

log = structlog.get_logger(__name__)

#: SQLite has one writer at a time: more activities at once only queue on its lock, hold it
#: longer between statements and time each other out. PostgreSQL takes the configured number.
SQLITE_CONCURRENT_ACTIVITIES = 8

#: Longer than an SMTP send may take (`activities.sending.SEND_DEADLINE_SECONDS`).
GRACEFUL_SHUTDOWN = timedelta(seconds=50)


def cache_workflow_bytecode() -> None:
    """Write the workflow modules' bytecode, where the installation lets us.

    The sandbox imports the workflow modules afresh for every workflow it loads into its cache
    (that is its isolation), and Python compiles a module from source each time when no
    bytecode is cached, as under PYTHONDONTWRITEBYTECODE=1, which container images often set.
    Compiling them was a fifth of a busy worker's time; with the bytecode written once, each
    load only reads it.
    """
    compileall.compile_dir(Path(workflows.__file__).parent, quiet=2)


def build_worker(
    client: Client, database: Database, settings: Settings, *, task_queue: str | None = None
) -> Worker:
    cache_workflow_bytecode()
    return Worker(
        client,
        task_queue=task_queue or settings.task_queue,
        workflows=ALL_WORKFLOWS,
        activities=build_activities(database, settings),
        max_cached_workflows=settings.max_cached_workflows,
        max_concurrent_activities=(
            min(settings.max_concurrent_activities, SQLITE_CONCURRENT_ACTIVITIES)
            if database.is_sqlite
            else settings.max_concurrent_activities
        ),
        # On a normal stop, let a send that is talking to the SMTP server finish and record
        # itself, rather than be cancelled after the server accepted the message (and then
        # be sent again by whichever worker retries it).
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
    )


#: The schedule that repairs incidents whose workflow never started.
RECONCILE_SCHEDULE = "concordat-reconcile-unstarted"
RECONCILE_EVERY = timedelta(minutes=5)
#: The schedule that handles texts received whose callback never reached us.
RECEIVED_TEXTS_SCHEDULE = "concordat-poll-received-texts"
RECEIVED_TEXTS_EVERY = timedelta(minutes=1)


async def ensure_schedules(client: Client, settings: Settings) -> None:
    """Create Concordat's schedules if they are missing (any worker may; the first one does)."""
    wanted: list[tuple[str, Any, timedelta]] = [
        (RECONCILE_SCHEDULE, ReconciliationWorkflow.run, RECONCILE_EVERY)
    ]
    if settings.notify_configured:
        wanted.append((RECEIVED_TEXTS_SCHEDULE, ReceivedTextsWorkflow.run, RECEIVED_TEXTS_EVERY))
    for schedule_id, run, every in wanted:
        try:
            await client.create_schedule(
                schedule_id,
                Schedule(
                    action=ScheduleActionStartWorkflow(
                        run, id=f"{schedule_id}-run", task_queue=settings.task_queue
                    ),
                    spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
                    policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
                ),
            )
        except ScheduleAlreadyRunningError:
            pass
    await _ensure_review_schedule(client, settings)


#: The schedule that opens every authority's annual review, once a year.
REVIEW_SCHEDULE = "concordat-annual-reviews"


def review_schedule(settings: Settings) -> Schedule:
    """At 09:00 UK time on the first day of `Settings.review_month` (April by default), open
    every authority's review of the review year just ended; a worker down that morning opens
    them when it is back, within the week."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            ReviewScheduleWorkflow.run, id=f"{REVIEW_SCHEDULE}-run", task_queue=settings.task_queue
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    month=[ScheduleRange(settings.review_month)],
                    day_of_month=[ScheduleRange(1)],
                    hour=[ScheduleRange(9)],
                    comment="Annual Concordat reviews",
                )
            ],
            time_zone_name="Europe/London",
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(days=7)),
    )


async def _ensure_review_schedule(client: Client, settings: Settings) -> None:
    """Created if missing; brought up to date if the configured month changed (paused, it
    stays paused)."""
    wanted = review_schedule(settings)
    try:
        await client.create_schedule(REVIEW_SCHEDULE, wanted)
    except ScheduleAlreadyRunningError:
        await client.get_schedule_handle(REVIEW_SCHEDULE).update(
            lambda current: ScheduleUpdate(
                schedule=dataclasses.replace(wanted, state=current.description.schedule.state)
            )
        )


async def run_worker(settings: Settings) -> None:
    if settings.temporal_address is None:
        raise SystemExit(
            "CONCORDAT_TEMPORAL_ADDRESS is not set: give the Temporal server to work for, "
            "or use `concordat run` for the embedded set-up."
        )
    database = Database(settings.database_url)
    configure_tracing(settings)  # before connecting: the client carries the interceptor
    # Temporal's metrics for Prometheus, when CONCORDAT_WORKER_METRICS_ADDRESS is set.
    client = await connect(settings, runtime=worker_runtime(settings))
    log.info(
        "worker_starting", task_queue=settings.task_queue, namespace=settings.temporal_namespace
    )
    await ensure_schedules(client, settings)
    # SIGTERM (systemd, Kubernetes) stops the worker as gracefully as Ctrl+C: in-flight sends
    # get `GRACEFUL_SHUTDOWN` to finish and record themselves before the process exits.
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(stop_signal, stopping.set)
    try:
        async with build_worker(client, database, settings):
            await stopping.wait()
            log.info("worker_stopping", task_queue=settings.task_queue)
    finally:
        await database.dispose()
        shutdown_tracing()


def main() -> None:
    settings = get_settings()
    configure_logging(settings)
    code = 0
    try:
        asyncio.run(run_worker(settings))
    except KeyboardInterrupt:
        pass
    except SystemExit as exit_:
        print(exit_, file=sys.stderr)
        code = 2
    sys.stdout.flush()
    sys.stderr.flush()
    # The SDK's runtime can abort at interpreter exit (sdk-python #300); leave directly.
    os._exit(code)


if __name__ == "__main__":
    main()
