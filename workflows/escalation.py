"""The escalation chains of an incident: who is asked to acknowledge, and when.

Two chains run side by side, one from the executive member and one from the senior management
member (Concordat commitment c). Silence is met by a reminder, then the deputy, then the chief
executive; if the last level passes too, everyone in the directory hears about it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from enum import Enum

from temporalio import workflow

from workflows.paging import MemberPaging

with workflow.unsafe.imports_passed_through():
    from domain.activity_contracts import NotificationFacts
    from domain.channels import PagingStep
    from domain.directory import MemberContact
    from domain.vocabulary import Chain, EventKind, Language, NotificationKind


class Waited(Enum):
    """How a wait for an acknowledgement ended."""

    ACKNOWLEDGED = "acknowledged"
    """Acknowledged, or the incident closed, meanwhile."""
    TIMED_OUT = "timed_out"
    UNREACHABLE = "unreachable"
    """Every channel to the member failed: no point waiting for them."""


class EscalationChains(MemberPaging):
    """The acknowledgement half of `IncidentWorkflow`."""

    async def _escalate(self, chain: Chain, *, resumed: bool = False) -> None:
        """Tell each level of the chain in turn until somebody in it acknowledges.

        A `resumed` chain was handed over by an earlier run in the middle of a wait: it takes
        that wait up where it was, with the time it had left, and sends nothing again.
        """
        state = self.file.chain(chain)
        if resumed and (self._chain_settled(chain) or state.unacknowledged):
            return
        previous: MemberContact | None = None
        for level, (role, member) in enumerate(self._directory.chain_levels(chain), start=1):
            if self._chain_settled(chain):
                return
            if resumed and level < state.level:
                continue  # passed in an earlier run
            taking_over = resumed and level == state.level
            if taking_over:
                # Whom this level asked, and whether they were the first asked, as the earlier
                # run knew it: a reassessment since may have changed the directory.
                asked = self._directory.member_by_id(state.notified_member_ids[-1]) or member
                if asked is None:
                    continue  # nobody left to wait for at this level
                member, first = asked, len(state.notified_member_ids) == 1
            elif member is None:
                self._record(
                    EventKind.LEVEL_SKIPPED,
                    f"No {role.value.replace('_', ' ')} is named; {chain.value} chain moves on",
                    chain=chain.value,
                    level=level,
                    role=role.value,
                )
                continue
            else:
                first = previous is None
                page = self._ask(chain, level, role.value, member, previous)
            if taking_over:
                page = None
            reminders = self._directory.policy.reminders_before_escalation if first else 0
            since = state.reminder if taking_over else 0
            # A wait taken over is finished even if the policy now has fewer reminders.
            for number in range(since, max(reminders, since) + 1):
                if number > 0 and not (taking_over and number == since):
                    page = self._remind_member(chain, level, member, number)
                step = f"level-{level}" + (f"-reminder-{number}" if number else "")
                left = (
                    state.respond_by - workflow.now() if taking_over and state.respond_by else None
                )
                taking_over = False
                waited = await self._await_acknowledgement(chain, step, left, page=page)
                if waited is Waited.ACKNOWLEDGED:
                    return
                if waited is Waited.UNREACHABLE:
                    break  # no reminder can reach them either: on to the next person
            previous = member

        if self._chain_settled(chain):
            return
        state.unacknowledged = True
        state.respond_by = None
        self._record(
            EventKind.UNACKNOWLEDGED,
            f"Nobody in the {chain.value.replace('_', ' ')} chain acknowledged; all are alerted",
            chain=chain.value,
            notified_member_ids=list(state.notified_member_ids),
        )
        self._log("escalation_exhausted", logging.WARNING, chain=chain.value)
        key = f"{chain.value}/unacknowledged"
        for person in self._everyone_to_alert():
            self._tell(
                NotificationKind.UNACKNOWLEDGED_ALERT,
                person,
                step=PagingStep.ESCALATION,
                key=key,
                facts=self._facts(chain=chain),
                include_acknowledge_link=person.member_id in state.notified_member_ids,
            )
        if self._paging:
            self._broadcast(NotificationKind.UNACKNOWLEDGED_ALERT, key=key)

    def _tell(
        self,
        kind: NotificationKind,
        member: MemberContact,
        *,
        step: PagingStep,
        key: str,
        facts: NotificationFacts,
        include_acknowledge_link: bool,
    ) -> str | None:
        """Page the member on every channel the plan names (a run from before paging sends
        one email); returns the page, whose failure `_await_acknowledgement` watches for."""
        if not self._paging:
            self._send(
                kind,
                member,
                key=key,
                facts=facts,
                include_acknowledge_link=include_acknowledge_link,
            )
            return None
        return self._page(
            kind,
            member,
            step=step,
            key=key,
            facts=facts,
            include_acknowledge_link=include_acknowledge_link,
        )

    def _ask(
        self,
        chain: Chain,
        level: int,
        role: str,
        member: MemberContact,
        previous: MemberContact | None,
    ) -> str | None:
        """Ask one level of the chain to acknowledge: the first asked, or the next escalated to.
        Returns the page that asked them (None if they were asked already, for the other
        chain, or by a run from before paging)."""
        assert member.member_id is not None, "members in a chain are in the directory"
        state = self.file.chain(chain)
        state.level, state.reminder = level, 0
        self._log("chain_level_reached", chain=chain.value, level=level, role=role)
        state.notified_member_ids.append(member.member_id)
        if previous is None:
            state.requested_at = workflow.now()
        # The chief executive heads both chains; one email answers for both.
        already_told = member.member_id in self.file.told_member_ids
        if not already_told:
            self.file.told_member_ids.append(member.member_id)
        self._record(
            EventKind.ACKNOWLEDGEMENT_REQUESTED if previous is None else EventKind.ESCALATED,
            (
                f"Acknowledgement requested from {member.name}"
                if previous is None
                else f"Escalated to {member.name}: {previous.name} did not acknowledge"
            ),
            chain=chain.value,
            level=level,
            member_id=member.member_id,
            name=member.name,
            role=role,
            respond_by=self._respond_by().isoformat(),
            already_told=already_told or None,
        )
        if already_told:
            return None
        return self._tell(
            NotificationKind.ACKNOWLEDGEMENT_REQUEST
            if previous is None
            else NotificationKind.ESCALATION,
            member,
            step=PagingStep.FIRST if previous is None else PagingStep.ESCALATION,
            key=f"{chain.value}/level-{level}",
            facts=self._facts(chain=chain, level=level, previous=previous),
            include_acknowledge_link=True,
        )

    def _remind_member(
        self, chain: Chain, level: int, member: MemberContact, number: int
    ) -> str | None:
        self.file.chain(chain).reminder = number
        self._record(
            EventKind.REMINDER_SENT,
            f"Reminder {number} sent to {member.name}",
            chain=chain.value,
            level=level,
            member_id=member.member_id,
            name=member.name,
            respond_by=self._respond_by().isoformat(),
        )
        return self._tell(
            NotificationKind.ACKNOWLEDGEMENT_REMINDER,
            member,
            step=PagingStep.REMINDER,
            key=f"{chain.value}/level-{level}/reminder-{number}",
            facts=self._facts(chain=chain, level=level, reminder_number=number),
            include_acknowledge_link=True,
        )

    def _stop_unanswered_chains(self) -> None:
        """Closing ends every escalation still waiting; the record says so, and why."""
        for state in self.file.chains:
            if state.acknowledged_by is not None or not state.notified_member_ids:
                continue
            state.stopped_at = workflow.now()
            waiting_on = self._directory.member_by_id(state.notified_member_ids[-1])
            name = waiting_on.name if waiting_on else "nobody"
            chain = state.chain.value.replace("_", " ")
            self._record(
                EventKind.ESCALATION_STOPPED,
                f"Escalation in the {chain} chain stopped: the incident was closed "
                + (
                    "after nobody in the chain acknowledged"
                    if state.unacknowledged
                    else f"while waiting for {name} to acknowledge"
                ),
                chain=state.chain.value,
                level=state.level,
                member_id=waiting_on.member_id if waiting_on else None,
                name=waiting_on.name if waiting_on else None,
                reason="incident_closed",
            )

    def _respond_by(self) -> datetime:
        return workflow.now() + self._directory.policy.ack_timeout(self.file.details.category)

    async def _await_acknowledgement(
        self, chain: Chain, step: str, left: timedelta | None = None, *, page: str | None = None
    ) -> Waited:
        """Wait for the chain's acknowledgement, for the policy's time or for the time `left`
        of a wait taken over from an earlier run, or until every channel of the `page` that
        asked has failed."""
        if left is None:
            timeout = self._directory.policy.ack_timeout(self.file.details.category)
            self.file.chain(chain).respond_by = workflow.now() + timeout
        elif left <= timedelta(0):
            return Waited.ACKNOWLEDGED if self._chain_settled(chain) else Waited.TIMED_OUT
        else:
            timeout = left
        try:
            await workflow.wait_condition(
                lambda: self._chain_settled(chain) or page in self._unreachable,
                timeout=timeout,
                timeout_summary=f"ack-timeout/{chain.value}/{step}",
            )
        except TimeoutError:
            # An acknowledgement in the same instant as the timer still counts.
            if not self._chain_settled(chain):
                return Waited.TIMED_OUT
        if not self._chain_settled(chain):
            return Waited.UNREACHABLE
        self.file.chain(chain).respond_by = None
        return Waited.ACKNOWLEDGED

    def _chain_settled(self, chain: Chain) -> bool:
        return self.file.chain(chain).acknowledged_by is not None or self.file.closed

    def _everyone_to_alert(self) -> list[MemberContact]:
        """The whole directory and the reporting officer: the last level failed, so be loud."""
        reporter = MemberContact(
            member_id=None,
            role=None,
            name=self.file.details.reporter_name,
            email=self.file.details.reporter_email,
            language=Language.UNKNOWN,
        )
        return [*self._directory.members, reporter]
