"""When Concordat's routine checks last ran, and how they ended, for the metrics to read.

The checks run in the worker (the reconciliation, on its schedule) or from the command line
(`concordat audit verify`), and every web process answers Prometheus; one row per check in the
shared database is what lets any of them say when it last succeeded, and several web processes
agree. Overwritten on each run: the record of what the checks found is in the logs and the
timelines, not here.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from models.columns import UtcDateTime, enum_column


class Routine(StrEnum):
    """A check that runs again and again, whose silence someone must notice."""

    RECONCILIATION = "reconciliation"
    """The scheduled repair of incidents, complaints and notices whose workflow never
    started (`workflows.reconcile`)."""
    CHAIN_VERIFICATION = "chain_verification"
    """`concordat audit verify`: every hash chain recomputed."""


class RoutineRun(SQLModel, table=True):
    __tablename__ = "routine_run"

    routine: Routine = Field(sa_column=enum_column(Routine, primary_key=True))
    last_run_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    succeeded: bool
    """How the last run ended: for the chain verification, whether every link held."""
    last_success_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime, nullable=True)
    )
