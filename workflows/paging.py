"""Paging a member: every channel the plan names at once, then the next, until one delivers.

The escalation policy's channel plan (`domain.channels`) says which channels each step uses
at once. A permanent failure, or no delivery within the policy's delivery timeout, moves on
at once to the member's next channel; when every channel has failed, the member is marked
unreachable and their chain moves on to the next person without waiting for the
acknowledgement timeout. The escalation clock itself never waits for any of this.

Notify reports what became of each message by callback (`delivery_reported`); when no
receipt has come by the deadline, the workflow asks Notify itself before giving up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from temporalio import workflow

from workflows.process import DATABASE_ACTIVITY, IncidentProcess

with workflow.unsafe.imports_passed_through():
    from domain.activity_contracts import (
        CHECK_DELIVERY,
        DeliveryCheck,
        DeliveryOutcome,
        NotificationFacts,
    )
    from domain.channels import Channel, ChannelPlan, PagingStep, member_channels
    from domain.directory import MemberContact
    from domain.vocabulary import EventKind, Language, NotificationKind

#: Patch: members are paged on the plan's channels with failover, and Teams is told.
PAGING_CHANNELS = "paging-channels"

#: Who a Teams card goes to: the authority's channel, not a person.
TEAMS_CHANNEL = MemberContact(
    member_id=None, role=None, name="the Teams channel", email="", language=Language.UNKNOWN
)

_UNDELIVERED_WORDS = {
    DeliveryOutcome.PERMANENT_FAILURE: "permanent failure",
    DeliveryOutcome.TEMPORARY_FAILURE: "temporary failure",
    DeliveryOutcome.TECHNICAL_FAILURE: "technical failure",
}


class MemberPaging(IncidentProcess):
    """Channels, failover and receipts, for `EscalationChains` and the closure."""

    def _start_paging(self) -> None:
        self._unreachable: set[str] = set()
        """Pages (see `_page`) on which every channel failed."""
        self._follow_ups: list[asyncio.Task[None]] = []

    def _following_up(self) -> bool:
        return not all(task.done() for task in self._follow_ups)

    def _plan(self) -> ChannelPlan:
        return self._directory.policy.channels

    # ---------------------------------------------------------------- paging

    def _page(
        self,
        kind: NotificationKind,
        member: MemberContact,
        *,
        step: PagingStep,
        key: str,
        facts: NotificationFacts,
        include_acknowledge_link: bool = False,
    ) -> str:
        """Page the member, following up until one channel delivers; returns the page's id,
        which `_unreachable` holds if every channel failed."""
        who = member.member_id if member.member_id is not None else "reporter"
        page = f"{key}/{kind.value}/{who}"
        planned = self._plan().for_category(self.file.details.category).at(step)
        at_once, fallback = member_channels(
            planned,
            reachable=member.reachable,
            available=frozenset(self._directory.channels),
            email_compromised=self.file.details.email_compromised,
        )

        def send(channel: Channel) -> str:
            return self._send(
                kind,
                member,
                key=key,
                facts=facts,
                include_acknowledge_link=include_acknowledge_link,
                channel=channel,
            )

        keys = [send(channel) for channel in at_once]
        self._follow_ups.append(self._spawn(self._follow_up(page, member, keys, fallback, send)))
        return page

    async def _follow_up(
        self,
        page: str,
        member: MemberContact,
        keys: list[str],
        fallback: list[Channel],
        send: Callable[[Channel], str],
    ) -> None:
        """Watch the page's messages; each one that fails, or is not delivered in time, moves
        the page on to one more channel at once."""
        timeout = self._directory.policy.delivery_timeout
        deadlines: dict[str, datetime] = {key: workflow.now() + timeout for key in keys}
        given_up: set[str] = set()
        timed_out: list[str] = []
        fallback = list(fallback)

        def delivered() -> bool:
            return any(self._outcomes[key] is DeliveryOutcome.DELIVERED for key in keys)

        def settled() -> bool:
            """Closed, or the member has acknowledged (by a link, a reply, or a call)."""
            return self.file.closed or any(
                a.member_id == member.member_id for a in self.file.acknowledgements
            )

        def newly_failed() -> list[str]:
            return [k for k in keys if k not in given_up and self._outcomes[k].failed]

        while not settled() and not delivered():
            lost = newly_failed() + timed_out
            timed_out = []
            given_up.update(lost)
            for _ in lost:
                if fallback:
                    key = send(fallback.pop(0))
                    keys.append(key)
                    deadlines[key] = workflow.now() + timeout
            live = [key for key in keys if key not in given_up]
            if not live:
                self._unreachable.add(page)
                self._record(
                    EventKind.MEMBER_UNREACHABLE,
                    f"{member.name} could not be reached on any channel",
                    member_id=member.member_id,
                    role=member.role.value if member.role else "reporter",
                    channels=[self._requests[key].channel.value for key in keys],
                )
                return
            earliest = min(deadlines[key] for key in live)
            try:
                await workflow.wait_condition(
                    lambda: settled() or delivered() or bool(newly_failed()),
                    timeout=max(earliest - workflow.now(), timedelta(seconds=1)),
                    timeout_summary=f"delivery-timeout/{page}",
                )
            except TimeoutError:
                for key in live:
                    if deadlines[key] <= workflow.now() and not await self._arrived(key):
                        if not self._outcomes[key].failed:  # a failure was recorded as such
                            self._note_undelivered(key, f"no delivery within {_minutes(timeout)}")
                            timed_out.append(key)

    async def _arrived(self, key: str) -> bool:
        """No receipt by the deadline: ask the channel itself before giving up on it."""
        request = self._requests[key]
        if request.channel.through_notify and self._outcomes[key] is DeliveryOutcome.PENDING:
            outcome: DeliveryOutcome = await workflow.execute_activity(
                CHECK_DELIVERY,
                DeliveryCheck(idempotency_key=key),
                result_type=DeliveryOutcome,
                **DATABASE_ACTIVITY,
            )
            if outcome is not DeliveryOutcome.PENDING:
                self._take_outcome(key, outcome)
        return self._outcomes[key] is DeliveryOutcome.DELIVERED

    def _broadcast(self, kind: NotificationKind, *, key: str) -> None:
        """A card in the council's Teams channel, where the deployment has one."""
        if Channel.TEAMS in self._directory.channels:
            self._send(
                kind, TEAMS_CHANNEL, key=f"teams/{key}", facts=self._facts(), channel=Channel.TEAMS
            )

    # ---------------------------------------------------------------- receipts

    def _take_outcome(self, key: str, outcome: DeliveryOutcome) -> None:
        """A channel's word on a message: kept, and put on the timeline, once."""
        known = self._outcomes.get(key)
        request = self._requests.get(key)
        if request is None or outcome is DeliveryOutcome.PENDING:
            return  # a message of an earlier run: the ledger keeps its receipt
        if known is not None and known is not DeliveryOutcome.PENDING:
            return  # a receipt sent twice, or one that came after the send failed
        self._outcomes[key] = outcome
        if outcome is DeliveryOutcome.DELIVERED:
            self._record(
                EventKind.NOTIFICATION_DELIVERED,
                f"Delivered {request.kind.label} to {request.recipient.name}{self._by(request)}",
                **self._message_detail(request),
            )
        else:
            self._note_undelivered(key, _UNDELIVERED_WORDS[outcome], outcome=outcome.value)

    def _note_undelivered(self, key: str, why: str, *, outcome: str = "timed-out") -> None:
        request = self._requests[key]
        self._record(
            EventKind.NOTIFICATION_UNDELIVERED,
            f"Not delivered: {request.kind.label} to {request.recipient.name}"
            f"{self._by(request)} ({why})",
            outcome=outcome,
            **self._message_detail(request),
        )


def _minutes(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds % 60:
        return f"{seconds} seconds"
    minutes = seconds // 60
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
