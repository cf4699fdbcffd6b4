"""Recording when a routine check ran and how it ended, and reading it back for the metrics."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Routine, RoutineRun
from runtime.database import insert_for


async def record_run(
    routine: Routine, *, succeeded: bool, session: AsyncSession, at: datetime | None = None
) -> None:
    """Keep this run as the routine's last (and, if it succeeded, its last success); one
    statement, so two runs at once leave one of them whole, never a mixture. Commits."""
    at = at or datetime.now(UTC)
    values: dict[str, object] = {
        "routine": routine,
        "last_run_at": at,
        "succeeded": succeeded,
        "last_success_at": at if succeeded else None,
    }
    changes: dict[str, object] = {"last_run_at": at, "succeeded": succeeded}
    if succeeded:
        changes["last_success_at"] = at
    await session.exec(
        insert_for(session)(RoutineRun)
        .values(values)
        .on_conflict_do_update(index_elements=["routine"], set_=changes)
    )
    await session.commit()


async def routine_runs(*, session: AsyncSession) -> dict[Routine, RoutineRun]:
    """Every routine that has run at least once."""
    return {run.routine: run for run in await session.exec(select(RoutineRun))}
