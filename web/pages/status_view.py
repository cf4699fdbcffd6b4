"""What needs doing now on one incident, read from its workflow's state.

The status page opens with this view rather than with the raw state, so that an officer at
two in the morning sees at once who is still being waited for, which clock runs out next and
whether the incident can be closed, without reading every table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.obligations import Body, Naming, Obligation, ObligationState, StageProgress
from domain.state import Acknowledgement, ChainState, IncidentState
from domain.vocabulary import Chain, EventKind, Stage
from models import ResponsibleMember, TimelineEvent

#: A running clock with this little of its window left is shown as due soon.
DUE_SOON_SHARE = 0.25
#: ...and never less than this, so a short window still warns in time to pick up a phone.
DUE_SOON_AT_LEAST = timedelta(hours=1)


class Tag(StrEnum):
    """GOV.UK tag colours, one meaning each on this page (never the only sign: every tag
    carries words)."""

    DONE = "govuk-tag--green"
    SETTLED = "govuk-tag--grey"
    OVERDUE = "govuk-tag--red"
    DUE_SOON = "govuk-tag--yellow"
    RUNNING = "govuk-tag--blue"


class ChainStatus(StrEnum):
    NOT_STARTED = "not_started"
    WAITING = "waiting"
    ACKNOWLEDGED = "acknowledged"
    UNACKNOWLEDGED = "unacknowledged"
    STOPPED = "stopped"


@dataclass(frozen=True)
class ChainView:
    """One escalation chain: who acknowledged, or who is being waited for and for how long."""

    chain: Chain
    status: ChainStatus
    level: int
    reminded: bool
    """A reminder has gone out at the current level."""
    waiting_on: ResponsibleMember | None
    """The member last asked, from today's directory (with the phone number to ring)."""
    acknowledgement: Acknowledgement | None
    respond_by: datetime | None
    time_left: timedelta | None

    @property
    def tag(self) -> Tag:
        if self.status is ChainStatus.ACKNOWLEDGED:
            return Tag.DONE
        if self.status is ChainStatus.UNACKNOWLEDGED:
            return Tag.OVERDUE
        if self.status is ChainStatus.STOPPED:
            return Tag.SETTLED
        return Tag.RUNNING


@dataclass(frozen=True)
class ClockView:
    """One body's reporting obligation, with its deadline measured against now."""

    obligation: Obligation
    time_left: timedelta | None
    """Until the deadline while the clock runs (negative once overdue); None once settled."""

    @property
    def body(self) -> Body:
        return self.obligation.body

    @property
    def state(self) -> ObligationState:
        return self.obligation.state

    @property
    def deadline(self) -> datetime | None:
        return self.obligation.deadline

    @property
    def stages(self) -> list[tuple[Naming, StageProgress]]:
        """A staged report's stages, each with its name as the regime gave it."""
        rule = self.obligation.rule
        return [
            (stage.name if stage else Naming(en=progress.key, cy=progress.key), progress)
            for progress in self.obligation.stages
            for stage in [rule.stage(progress.key) if rule else None]
        ]

    @property
    def overdue(self) -> bool:
        return self.state is ObligationState.OVERDUE or (
            self.time_left is not None and self.time_left <= timedelta(0)
        )

    @property
    def due_soon(self) -> bool:
        rule = self.obligation.rule
        if self.overdue or self.time_left is None or rule is None:
            return False
        return self.time_left <= max(rule.window * DUE_SOON_SHARE, DUE_SOON_AT_LEAST)

    @property
    def tag(self) -> Tag:
        if self.state is ObligationState.SUBMITTED:
            return Tag.DONE
        if self.overdue:
            return Tag.OVERDUE
        if self.due_soon:
            return Tag.DUE_SOON
        if self.state.open:
            return Tag.RUNNING
        return Tag.SETTLED


@dataclass(frozen=True)
class NextDeadline:
    """The soonest moment something is due: a body's deadline or a chain's escalation."""

    what: Body | Chain
    at: datetime
    time_left: timedelta

    @property
    def overdue(self) -> bool:
        return self.time_left <= timedelta(0)


@dataclass(frozen=True)
class NowView:
    stage: Stage
    closed: bool
    chains: list[ChainView]
    clocks: list[ClockView]
    next_deadline: NextDeadline | None
    blockers: list[Body]
    """Bodies still waiting to be told or waived: closing is refused until there are none."""
    contained: bool
    recovered: bool

    @property
    def can_close(self) -> bool:
        return not self.closed and not self.blockers

    @property
    def waiting(self) -> list[ChainView]:
        return [c for c in self.chains if c.status is ChainStatus.WAITING]


def _chain_view(
    chain: ChainState,
    acknowledgements: Sequence[Acknowledgement],
    members: dict[int, ResponsibleMember],
    now: datetime,
) -> ChainView:
    acknowledgement = next(
        (a for a in acknowledgements if a.member_id == chain.acknowledged_by), None
    )
    if chain.acknowledged_by is not None:
        status = ChainStatus.ACKNOWLEDGED
    elif chain.unacknowledged:
        status = ChainStatus.UNACKNOWLEDGED
    elif chain.stopped_at is not None:
        status = ChainStatus.STOPPED
    elif chain.notified_member_ids:
        status = ChainStatus.WAITING
    else:
        status = ChainStatus.NOT_STARTED
    last_asked = chain.notified_member_ids[-1] if chain.notified_member_ids else None
    return ChainView(
        chain=chain.chain,
        status=status,
        level=chain.level,
        reminded=chain.reminder > 0,
        waiting_on=members.get(last_asked) if last_asked is not None else None,
        acknowledgement=acknowledgement,
        respond_by=chain.respond_by if status is ChainStatus.WAITING else None,
        time_left=(
            chain.respond_by - now
            if status is ChainStatus.WAITING and chain.respond_by is not None
            else None
        ),
    )


def _clock_view(obligation: Obligation, now: datetime) -> ClockView:
    running = obligation.state.open and obligation.deadline is not None
    return ClockView(
        obligation=obligation,
        time_left=(obligation.deadline - now) if running and obligation.deadline else None,
    )


def _next_deadline(chains: Iterable[ChainView], clocks: Iterable[ClockView]) -> NextDeadline | None:
    candidates = [
        NextDeadline(clock.body, clock.deadline, clock.time_left)
        for clock in clocks
        if clock.deadline is not None and clock.time_left is not None
    ] + [
        NextDeadline(chain.chain, chain.respond_by, chain.time_left)
        for chain in chains
        if chain.respond_by is not None and chain.time_left is not None
    ]
    return min(candidates, key=lambda d: d.at, default=None)


def now_view(state: IncidentState, members: Iterable[ResponsibleMember], now: datetime) -> NowView:
    """The incident as it stands at `now`: chains, running clocks and what blocks closing."""
    directory = {m.id: m for m in members if m.id is not None}
    chains = [_chain_view(c, state.acknowledgements, directory, now) for c in state.chains]
    clocks = [_clock_view(o, now) for o in state.obligations if o.rule is not None]
    return NowView(
        stage=state.stage,
        closed=state.closed,
        chains=chains,
        clocks=clocks,
        next_deadline=_next_deadline(chains, clocks),
        blockers=[o.body for o in state.obligations if o.state.open],
        contained=state.contained_at is not None,
        recovered=state.recovered_at is not None,
    )


def offered_actions(
    state: IncidentState | None, *, can_run: bool, can_acknowledge: bool
) -> list[str]:
    """The status page's actions (`web.commands.ON_PAGES`) that make sense now, in the order a
    response usually takes them. Closing is listed whenever the caller may run the incident:
    the page then says what still blocks it."""
    if state is None or state.closed:
        return []
    offered: list[str] = []
    if can_acknowledge and any(c.acknowledged_by is None for c in state.chains):
        offered.append("acknowledge")
    if not can_run:
        return offered
    reported = [o for o in state.obligations if o.rule is not None]
    if any(o.state.open or o.state is ObligationState.SUBMITTED for o in reported):
        offered.append("submission")
    if any(o.state.open for o in reported):
        offered.append("waiver")
    offered += ["note", "assessment"]
    if state.contained_at is None:
        offered.append("contain")
    elif state.recovered_at is None:
        offered.append("recover")
    offered.append("close")
    return offered


def acknowledgeable(
    state: IncidentState | None, members: Iterable[ResponsibleMember]
) -> list[ResponsibleMember]:
    """Members who could still acknowledge: anyone in the directory who has not yet."""
    done = {a.member_id for a in state.acknowledgements} if state else set()
    return [m for m in members if m.id not in done]


def reportable(state: IncidentState | None) -> list[Obligation]:
    """Obligations a submission can be recorded for: a clock running, or a follow-up."""
    if state is None:
        return []
    return [
        o
        for o in state.obligations
        if o.rule is not None and (o.state.open or o.state is ObligationState.SUBMITTED)
    ]


def waivable(state: IncidentState | None) -> list[Obligation]:
    return [o for o in state.obligations if o.state.open] if state else []


def event_kinds(events: Iterable[TimelineEvent]) -> list[EventKind]:
    """The kinds of event this incident's timeline has, in the vocabulary's order: the filter
    offers only kinds that would show something."""
    present = {EventKind(e.kind) for e in events}
    return [kind for kind in EventKind if kind in present]


def chosen_kinds(values: Iterable[str]) -> list[EventKind]:
    """The filter's choices from the query string; unknown values are ignored, not refused,
    so an old bookmark still opens the page."""
    known = {kind.value: kind for kind in EventKind}
    return [known[v] for v in dict.fromkeys(values) if v in known]


def filtered(events: Iterable[TimelineEvent], kinds: Sequence[EventKind]) -> list[TimelineEvent]:
    return [e for e in events if not kinds or EventKind(e.kind) in kinds]
