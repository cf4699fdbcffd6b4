"""Reporting obligations as durable clocks, one per body, inside the incident's workflow.

Each body's clock starts when the assessment first requires it (the NCSC for a significant
incident, the ICO for a personal-data breach that is a risk to people, ...), reminds its owner on
the rule's schedule, escalates when the deadline passes, and stops when the council records a
submission or a waiver. A reassessment that drops the requirement marks it not required, with
the reason; one that brings it back starts a new clock from the rule's stated moment.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio import workflow

from workflows.process import IncidentProcess

with workflow.unsafe.imports_passed_through():
    from domain.activity_contracts import NotificationFacts
    from domain.directory import MemberContact
    from domain.obligations import Body, ClockStart, Obligation, ObligationRule, ObligationState
    from domain.vocabulary import EventKind, Language, MemberRole, NotificationKind, Stage


class ObligationClocks(IncidentProcess):
    """The reporting half of `IncidentWorkflow`."""

    def _reopen_waived_for_higher_risk(self, reason: str) -> None:
        """A waiver decided at a lower risk no longer stands once the risk is assessed higher."""
        for body in (Body.ICO, Body.AFFECTED_INDIVIDUALS):
            obligation = self.file.obligation(body)
            if obligation.state is ObligationState.WAIVED:
                obligation.state = ObligationState.NOT_REQUIRED
                obligation.not_required_reason = None
                self._record(
                    EventKind.OBLIGATION_REOPENED,
                    f"Decision not to tell {body.label} reopened: the risk was reassessed higher",
                    body=body.value,
                    reason=reason,
                )

    def _rule_requires(self, rule: ObligationRule) -> bool:
        return rule.enabled and self.file.details.assessment.triggers(rule.trigger)

    async def _track_obligation(self, body: Body, *, resumed: bool = False) -> None:
        """Follow one body's obligation for the whole incident. A `resumed` run (after
        continue-as-new) picks the obligation up in the state the previous run left it."""
        obligation = self.file.obligation(body)
        if resumed and obligation.state is ObligationState.SUBMITTED:
            return
        running = resumed and obligation.state.open
        waived = resumed and obligation.state is ObligationState.WAIVED
        while True:
            if waived:
                # A decision not to report stands unless a reassessment reopens it.
                await workflow.wait_condition(
                    lambda: obligation.state is not ObligationState.WAIVED or self.file.closed
                )
                waived = False
                continue
            if running:
                running = False
                reminders_due = self._reminders_ahead(obligation, since=self.file.handed_over_at)
            else:
                await workflow.wait_condition(
                    lambda: (
                        self._rule_requires(self._directory.obligation_rules[body])
                        or self.file.closed
                    )
                )
                if self.file.closed:
                    return
                reminders_due = self._start_clock(obligation)
            await self._chase(obligation, reminders_due)
            if self.file.closed or obligation.state is ObligationState.SUBMITTED:
                return
            if obligation.state is ObligationState.WAIVED:
                waived = True
                continue
            obligation.state = ObligationState.NOT_REQUIRED
            obligation.not_required_reason = self.file.last_reassessment_reason
            self._record(
                EventKind.OBLIGATION_NOT_REQUIRED,
                f"Reporting to {body.label} is no longer required",
                body=body.value,
                reason=self.file.last_reassessment_reason,
            )

    def _start_clock(self, obligation: Obligation) -> list[datetime]:
        """Take the rule as it is now, start the clock, tell the owner (and the body itself if
        the authority set an address). Returns the reminder times still ahead."""
        body = obligation.body
        rule = self._directory.obligation_rules[body].model_copy(deep=True)
        now = workflow.now()
        start = now
        if rule.clock_starts is ClockStart.AWARE_AT:
            # Art 33: 72 hours from becoming aware of the personal-data breach, which may come
            # after becoming aware of the incident.
            start = self.file.details.breach_aware_at or self.file.details.aware_at
        self.file.obligation_starts[body] = self.file.obligation_starts.get(body, 0) + 1
        obligation.rule = rule
        obligation.state = ObligationState.DUE
        obligation.required_since = now
        obligation.clock_started_at = start
        obligation.deadline = rule.deadline_from(start)
        obligation.overdue_since = None
        obligation.not_required_reason = None
        self.file.stage = self.file.stage.advance(Stage.REPORTING)
        self._record(
            EventKind.OBLIGATION_DUE,
            f"Report to {body.label} required by {obligation.deadline:%Y-%m-%d %H:%M} UTC",
            body=body.value,
            clock_started_at=start.isoformat(),
            deadline=obligation.deadline.isoformat(),
            owner=rule.owner.value,
        )
        key = f"obligation/{body.value}/{self.file.obligation_starts[body]}"
        facts = self._obligation_facts(obligation)
        for owner in self._owners(rule):
            self._send(NotificationKind.OBLIGATION_DUE, owner, key=f"{key}/due", facts=facts)
        if rule.notify_address:
            self._tell_body(obligation, rule.notify_address, key)
        return self._reminders_ahead(obligation)

    def _reminders_ahead(
        self, obligation: Obligation, *, since: datetime | None = None
    ) -> list[datetime]:
        """The reminders still to come: the clock may be partly spent (aware-at in the past),
        and reminders that passed before it started are not sent late. A run that continues an
        earlier one gives `since`, when that run stopped its clocks: a reminder that fell due
        during the hand-over is sent now, not lost."""
        assert obligation.rule is not None and obligation.clock_started_at is not None
        start, after = obligation.clock_started_at, since or workflow.now()
        return [
            t for t in (start + at for at in sorted(set(obligation.rule.reminders_at))) if t > after
        ]

    def _tell_body(self, obligation: Obligation, address: str, key: str) -> None:
        body = obligation.body
        if self.file.details.exercise:
            self._record(
                EventKind.BODY_NOTIFICATION_SUPPRESSED,
                f"Exercise: {body.label} was not told",
                body=body.value,
            )
            return
        contact = MemberContact(
            member_id=None, role=None, name=body.label, email=address, language=Language.ENGLISH
        )
        self._send(
            NotificationKind.BODY_NOTIFICATION,
            contact,
            key=f"{key}/body",
            facts=self._obligation_facts(obligation),
        )

    async def _chase(self, obligation: Obligation, reminders: list[datetime]) -> None:
        """Remind, then escalate at the deadline, until the obligation is settled."""
        body = obligation.body
        rule = obligation.rule
        assert rule is not None and obligation.deadline is not None
        key = f"obligation/{body.value}/{self.file.obligation_starts[body]}"

        def settled() -> bool:
            return not obligation.state.open or not self._rule_requires(rule) or self.file.closed

        while not settled():
            now = workflow.now()
            if obligation.state is ObligationState.DUE:
                wake_at = min([*reminders[:1], obligation.deadline])
                if wake_at > now:
                    try:
                        await workflow.wait_condition(
                            settled,
                            timeout=wake_at - now,
                            timeout_summary=f"{key}/"
                            + ("deadline" if wake_at == obligation.deadline else "reminder"),
                        )
                        return
                    except TimeoutError:
                        if settled():
                            return
            else:
                await workflow.wait_condition(settled)  # overdue: wait for the council
                return
            if workflow.now() >= obligation.deadline:
                self._miss_deadline(obligation, key)
            else:
                reminders.pop(0)
                self._remind(obligation, key)

    def _remind(self, obligation: Obligation, key: str) -> None:
        assert obligation.rule is not None
        obligation.reminders_sent += 1
        number = obligation.reminders_sent
        self._record(
            EventKind.OBLIGATION_REMINDER,
            f"Reminder {number}: report to {obligation.body.label} due "
            f"{obligation.deadline:%Y-%m-%d %H:%M} UTC",
            body=obligation.body.value,
            reminder_number=number,
        )
        for owner in self._owners(obligation.rule):
            self._send(
                NotificationKind.OBLIGATION_REMINDER,
                owner,
                key=f"{key}/reminder-{number}",
                facts=self._obligation_facts(obligation, reminder_number=number),
            )

    def _miss_deadline(self, obligation: Obligation, key: str) -> None:
        assert obligation.rule is not None
        obligation.state = ObligationState.OVERDUE
        obligation.overdue_since = workflow.now()
        self._record(
            EventKind.OBLIGATION_OVERDUE,
            f"Deadline missed: {obligation.body.label} not told by "
            f"{obligation.deadline:%Y-%m-%d %H:%M} UTC",
            body=obligation.body.value,
            deadline=obligation.deadline.isoformat() if obligation.deadline else None,
        )
        told: list[MemberContact] = []
        for role in obligation.rule.escalate_to:
            told += [m for m in self._members_in(role) if m not in told]
        told += [m for m in self._owners(obligation.rule) if m not in told]  # never nobody
        for member in told:
            self._send(
                NotificationKind.OBLIGATION_OVERDUE,
                member,
                key=f"{key}/overdue",
                facts=self._obligation_facts(obligation),
            )

    def _members_in(self, role: MemberRole) -> list[MemberContact]:
        member = self._directory.member(role)
        return [member] if member is not None else []

    def _owners(self, rule: ObligationRule) -> list[MemberContact]:
        """The rule's owner; if the authority has named nobody in that role, the named members
        of Concordat commitment c own it, so no clock runs without somebody watching it."""
        for role in (rule.owner, MemberRole.SENIOR_MANAGEMENT_MEMBER, MemberRole.EXECUTIVE_MEMBER):
            if found := self._members_in(role):
                return found
        return []

    def _obligation_facts(self, obligation: Obligation, **extra: Any) -> NotificationFacts:
        return self._facts(
            body=obligation.body,
            deadline=obligation.deadline,
            clock_started_at=obligation.clock_started_at,
            ncsc_contact_email=self._directory.ncsc_contact_email,
            **extra,
        )
