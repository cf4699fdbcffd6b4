"""The scorecard of an incident, used after an exercise: each deadline met or missed, and how long
each acknowledgement took."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel

from domain.clock import Duration, SignedDuration
from domain.obligations import Body, ObligationState
from domain.state import IncidentState
from domain.vocabulary import Chain


class DeadlineResult(BaseModel):
    body: Body
    state: ObligationState
    deadline: datetime | None
    submitted_at: datetime | None
    met: bool | None
    """True met, False missed, None still running (or waived)."""
    margin: SignedDuration | None
    """Time to spare (positive) or overrun (negative) at submission."""


class AcknowledgementResult(BaseModel):
    chain: Chain
    requested_at: datetime | None
    acknowledged_at: datetime | None
    time_to_acknowledge: Duration | None
    levels_reached: int
    unacknowledged: bool
    stopped_at: datetime | None = None
    """Closing the incident stopped the chain with nobody acknowledging."""


class Scorecard(BaseModel):
    reference: str
    exercise: bool
    deadlines: list[DeadlineResult]
    acknowledgements: list[AcknowledgementResult]

    @property
    def deadlines_met(self) -> int:
        return sum(1 for d in self.deadlines if d.met)

    @property
    def deadlines_missed(self) -> int:
        return sum(1 for d in self.deadlines if d.met is False)


def scorecard(state: IncidentState, now: datetime) -> Scorecard:
    deadlines = []
    for obligation in state.obligations:
        if obligation.rule is None:
            continue  # never required
        initial = obligation.initial_submission
        submitted_at = initial.submitted_at if initial else None
        met: bool | None = None
        margin = None
        if obligation.deadline is not None and submitted_at is not None:
            margin = obligation.deadline - submitted_at
            met = margin >= timedelta(0)
        elif obligation.state is ObligationState.OVERDUE or (
            obligation.state is ObligationState.DUE
            and obligation.deadline is not None
            and obligation.deadline < now
        ):
            met = False
        deadlines.append(
            DeadlineResult(
                body=obligation.body,
                state=obligation.state,
                deadline=obligation.deadline,
                submitted_at=submitted_at,
                met=met,
                margin=margin,
            )
        )
    acknowledgements = [
        AcknowledgementResult(
            chain=chain.chain,
            requested_at=chain.requested_at,
            acknowledged_at=chain.acknowledged_at,
            time_to_acknowledge=(
                chain.acknowledged_at - chain.requested_at
                if chain.acknowledged_at and chain.requested_at
                else None
            ),
            levels_reached=chain.level,
            unacknowledged=chain.unacknowledged,
            stopped_at=chain.stopped_at,
        )
        for chain in state.chains
    ]
    return Scorecard(
        reference=state.reference,
        exercise=state.exercise,
        deadlines=deadlines,
        acknowledgements=acknowledgements,
    )
