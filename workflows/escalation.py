"""The escalation chains of an incident: who is asked to acknowledge, and when.

Two chains run side by side, one from the executive member and one from the senior management
member (Concordat commitment c). Silence is met by a reminder, then the deputy, then the chief
executive; if the last level passes too, everyone in the directory hears about it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.directory import MemberContact
    from domain.state import ChainState
    from domain.vocabulary import Chain, EventKind, Language, NotificationKind

if TYPE_CHECKING:
    from domain.directory import AuthoritySnapshot
    from domain.incident import IncidentDetails


class EscalationChains:
    """The acknowledgement half of `IncidentWorkflow`, on the workflow's record and send."""

    _incident: IncidentDetails
    _chains: dict[Chain, ChainState]
    _told_member_ids: set[int]
    _closed_at: datetime | None

    # IncidentWorkflow provides `_directory`, `_record`, `_send`, `_facts` and `_log`.
    _directory: AuthoritySnapshot

    async def _escalate(self, chain: Chain) -> None:
        """Tell each level of the chain in turn until somebody in it acknowledges."""
        state = self._chains[chain]
        previous: MemberContact | None = None
        for level, (role, member) in enumerate(self._directory.chain_levels(chain), start=1):
            if self._chain_settled(chain):
                return
            if member is None:
                self._record(
                    EventKind.LEVEL_SKIPPED,
                    f"No {role.value.replace('_', ' ')} is named; {chain.value} chain moves on",
                    chain=chain.value,
                    level=level,
                    role=role.value,
                )
                continue
            state.level = level
            self._log("chain_level_reached", chain=chain.value, level=level, role=role.value)
            state.notified_member_ids.append(member.member_id)  # type: ignore[arg-type]
            first = previous is None
            if first:
                state.requested_at = workflow.now()
            # The chief executive heads both chains; one email answers for both.
            already_told = member.member_id in self._told_member_ids
            self._told_member_ids.add(member.member_id)  # type: ignore[arg-type]
            self._record(
                EventKind.ACKNOWLEDGEMENT_REQUESTED if first else EventKind.ESCALATED,
                (
                    f"Acknowledgement requested from {member.name}"
                    if first
                    else f"Escalated to {member.name}: {previous.name} did not acknowledge"
                ),  # type: ignore[union-attr]
                chain=chain.value,
                level=level,
                member_id=member.member_id,
                name=member.name,
                role=role.value,
                respond_by=self._respond_by().isoformat(),
                already_told=already_told or None,
            )
            if not already_told:
                self._send(
                    NotificationKind.ACKNOWLEDGEMENT_REQUEST
                    if first
                    else NotificationKind.ESCALATION,
                    member,
                    key=f"{chain.value}/level-{level}",
                    facts=self._facts(chain=chain, level=level, previous=previous),
                    include_acknowledge_link=True,
                )
            if await self._await_acknowledgement(chain, f"level-{level}"):
                return
            reminders = self._directory.policy.reminders_before_escalation if first else 0
            for number in range(1, reminders + 1):
                self._record(
                    EventKind.REMINDER_SENT,
                    f"Reminder {number} sent to {member.name}",
                    chain=chain.value,
                    level=level,
                    member_id=member.member_id,
                    name=member.name,
                    respond_by=self._respond_by().isoformat(),
                )
                self._send(
                    NotificationKind.ACKNOWLEDGEMENT_REMINDER,
                    member,
                    key=f"{chain.value}/level-{level}/reminder-{number}",
                    facts=self._facts(chain=chain, level=level, reminder_number=number),
                    include_acknowledge_link=True,
                )
                if await self._await_acknowledgement(chain, f"level-{level}-reminder-{number}"):
                    return
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
        for person in self._everyone_to_alert():
            self._send(
                NotificationKind.UNACKNOWLEDGED_ALERT,
                person,
                key=f"{chain.value}/unacknowledged",
                facts=self._facts(chain=chain),
                include_acknowledge_link=person.member_id in state.notified_member_ids,
            )

    def _respond_by(self) -> datetime:
        return workflow.now() + self._directory.policy.ack_timeout(self._incident.category)

    async def _await_acknowledgement(self, chain: Chain, step: str) -> bool:
        timeout = self._directory.policy.ack_timeout(self._incident.category)
        self._chains[chain].respond_by = workflow.now() + timeout
        try:
            await workflow.wait_condition(
                lambda: self._chain_settled(chain),
                timeout=timeout,
                timeout_summary=f"ack-timeout/{chain.value}/{step}",
            )
        except TimeoutError:
            # An acknowledgement in the same instant as the timer still counts.
            if not self._chain_settled(chain):
                return False
        self._chains[chain].respond_by = None
        return True

    def _chain_settled(self, chain: Chain) -> bool:
        return self._chains[chain].acknowledged_by is not None or self._closed_at is not None

    def _everyone_to_alert(self) -> list[MemberContact]:
        """The whole directory and the reporting officer: the last level failed, so be loud."""
        reporter = MemberContact(
            member_id=None,
            role=None,
            name=self._incident.reporter_name,
            email=self._incident.reporter_email,
            language=Language.UNKNOWN,
        )
        return [*self._directory.members, reporter]
