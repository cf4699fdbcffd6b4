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

#: Incidents opened from here on track the bodies of the regime in force at opening (any body a
#: regime file lists), not the eight the code once knew.
REPORTING_REGIMES = "reporting-regimes"

#: Clocks started from here on follow a staged rule stage by stage; before, every rule had one
#: deadline.
REPORT_STAGES = "report-stages"

with workflow.unsafe.imports_passed_through():
    from domain.activity_contracts import NotificationFacts
    from domain.directory import MemberContact
    from domain.obligations import (
        Body,
        ClockStart,
        Obligation,
        ObligationRule,
        ObligationState,
        StageProgress,
        StageRule,
    )
    from domain.vocabulary import EventKind, Language, MemberRole, NotificationKind, Stage


class ObligationClocks(IncidentProcess):
    """The reporting half of `IncidentWorkflow`."""

    def _take_regime_bodies(self) -> None:
        """Track exactly the bodies of the regime in force at opening, in its order: a body a
        later regime adds starts no clock in this incident."""
        self.file.obligations = [
            self.file.obligation(body) for body in self._directory.obligation_rules
        ]
        self.file.obligation_starts = {
            o.body: self.file.obligation_starts.get(o.body, 0) for o in self.file.obligations
        }

    def _body_name(self, obligation: Obligation) -> str:
        """The body's name as its rule gave it when the clock started (the name in the regime
        this process knows, for a clock that never started)."""
        if obligation.rule is not None:
            return obligation.rule.name_at(workflow.now())
        return obligation.body.label

    def _reopen_waived_for_higher_risk(self, reason: str) -> None:
        """A waiver decided at a lower risk no longer stands once the risk is assessed higher."""
        for body in (Body.ICO, Body.AFFECTED_INDIVIDUALS):
            obligation = self.file.obligation(body)
            if obligation.state is ObligationState.WAIVED:
                obligation.state = ObligationState.NOT_REQUIRED
                obligation.not_required_reason = None
                self._record(
                    EventKind.OBLIGATION_REOPENED,
                    f"Decision not to tell {self._body_name(obligation)} reopened: the risk was "
                    "reassessed higher",
                    body=body.value,
                    reason=reason,
                )

    def _rule_requires(self, rule: ObligationRule | None) -> bool:
        """A body the regime in force no longer lists is required by nothing new."""
        return (
            rule is not None
            and rule.enabled
            and self.file.details.assessment.triggers(rule.trigger)
        )

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
            since = None
            if running:
                running = False
                since = self.file.handed_over_at
            else:
                await workflow.wait_condition(
                    lambda: (
                        self._rule_requires(self._directory.obligation_rules.get(body))
                        or self.file.closed
                    )
                )
                if self.file.closed:
                    return
                self._start_clock(obligation)
            if obligation.stages:
                await self._chase_stages(obligation, since=since)
            else:
                await self._chase(obligation, self._reminders_ahead(obligation, since=since))
            if self.file.closed or obligation.state is ObligationState.SUBMITTED:
                return
            if obligation.state is ObligationState.WAIVED:
                waived = True
                continue
            obligation.state = ObligationState.NOT_REQUIRED
            obligation.not_required_reason = self.file.last_reassessment_reason
            self._record(
                EventKind.OBLIGATION_NOT_REQUIRED,
                f"Reporting to {self._body_name(obligation)} is no longer required",
                body=body.value,
                reason=self.file.last_reassessment_reason,
            )

    def _start_clock(self, obligation: Obligation) -> None:
        """Take the rule as it is now, start the clock (each stage's, for a staged report), tell
        the owner (and the body itself if the authority set an address)."""
        body = obligation.body
        rule = self._directory.obligation_rules[body].model_copy(deep=True)
        if rule.stages and not self._changed(REPORT_STAGES):
            rule.stages = []
        now = workflow.now()
        start = self._clock_start(rule.clock_starts)
        self.file.obligation_starts[body] = self.file.obligation_starts.get(body, 0) + 1
        obligation.rule = rule
        obligation.state = ObligationState.DUE
        obligation.required_since = now
        obligation.clock_started_at = start
        obligation.deadline = rule.deadline_from(start)
        obligation.overdue_since = None
        obligation.not_required_reason = None
        obligation.stages = [self._stage_progress(stage) for stage in rule.stages]
        if obligation.stages:
            obligation.deadline = min(stage.deadline for stage in obligation.stages)
        self.file.stage = self.file.stage.advance(Stage.REPORTING)
        self._record(
            EventKind.OBLIGATION_DUE,
            f"Report to {self._body_name(obligation)} required by "
            f"{obligation.deadline:%Y-%m-%d %H:%M} UTC",
            body=body.value,
            clock_started_at=start.isoformat(),
            deadline=obligation.deadline.isoformat(),
            owner=rule.owner.value,
            **self._stage_deadlines(obligation),
        )
        key = f"obligation/{body.value}/{self.file.obligation_starts[body]}"
        facts = self._obligation_facts(obligation)
        for owner in self._owners(rule):
            self._send(NotificationKind.OBLIGATION_DUE, owner, key=f"{key}/due", facts=facts)
        if rule.notify_address:
            self._tell_body(obligation, rule.notify_address, key)

    @staticmethod
    def _stage_deadlines(obligation: Obligation) -> dict[str, Any]:
        """A staged report's deadlines, as the clock's start records them."""
        if not obligation.stages:
            return {}
        return {
            "stages": [
                {"stage": s.key, "deadline": s.deadline.isoformat()} for s in obligation.stages
            ]
        }

    def _clock_start(self, clock_starts: ClockStart) -> datetime:
        if clock_starts is ClockStart.AWARE_AT:
            # Art 33: 72 hours from becoming aware of the personal-data breach, which may come
            # after becoming aware of the incident.
            return self.file.details.breach_aware_at or self.file.details.aware_at
        return workflow.now()

    def _stage_progress(self, stage: StageRule) -> StageProgress:
        start = self._clock_start(stage.clock_starts)
        return StageProgress(
            key=stage.key, clock_started_at=start, deadline=stage.deadline_from(start)
        )

    async def _chase_stages(self, obligation: Obligation, *, since: datetime | None = None) -> None:
        """A staged report's clocks, all at once: each stage reminds on its own schedule and
        escalates at its own deadline, until it is submitted or the obligation is settled."""
        rule = obligation.rule
        assert rule is not None
        key = f"obligation/{obligation.body.value}/{self.file.obligation_starts[obligation.body]}"
        after = since or workflow.now()
        reminders = sorted(
            (progress.clock_started_at + at, progress.key)
            for progress in obligation.stages
            for stage in [rule.stage(progress.key)]
            if stage is not None
            for at in sorted(set(stage.reminders_at))
            if progress.clock_started_at + at > after
        )

        def settled() -> bool:
            return not obligation.state.open or not self._rule_requires(rule) or self.file.closed

        while not settled():
            waiting = [p for p in obligation.stages if p.submitted_at is None]
            submitted = len(obligation.stages) - len(waiting)
            reminders = [(at, k) for at, k in reminders if any(p.key == k for p in waiting)]
            moments = [p.deadline for p in waiting if p.overdue_since is None]
            moments += [at for at, _ in reminders[:1]]

            def changed(submitted: int = submitted) -> bool:
                return settled() or submitted != sum(
                    p.submitted_at is not None for p in obligation.stages
                )

            now = workflow.now()
            if not moments:
                await workflow.wait_condition(changed)
                continue
            wake_at = min(moments)
            if wake_at > now:
                try:
                    await workflow.wait_condition(
                        changed, timeout=wake_at - now, timeout_summary=f"{key}/stages"
                    )
                    continue
                except TimeoutError:
                    if changed():
                        continue
            now = workflow.now()
            for progress in waiting:
                if progress.overdue_since is None and now >= progress.deadline:
                    self._miss_stage(obligation, progress, key)
            while reminders and reminders[0][0] <= now:
                _, stage_key = reminders.pop(0)
                reminded = obligation.stage(stage_key)
                if reminded is not None and reminded.overdue_since is None:
                    self._remind_stage(obligation, reminded, key)

    def _settle_stages(self, obligation: Obligation) -> None:
        """The obligation as its stages stand: submitted once every stage is, overdue while a
        stage past its deadline waits, due otherwise; its deadline the next stage's."""
        waiting = [p for p in obligation.stages if p.submitted_at is None]
        if not waiting:
            obligation.state = ObligationState.SUBMITTED
            return
        overdue = [p for p in waiting if p.overdue_since is not None]
        obligation.state = ObligationState.OVERDUE if overdue else ObligationState.DUE
        obligation.overdue_since = overdue[0].overdue_since if overdue else None
        obligation.deadline = min(p.deadline for p in waiting)

    def _stage_name(self, obligation: Obligation, progress: StageProgress) -> str:
        stage = obligation.rule.stage(progress.key) if obligation.rule else None
        return stage.name.en if stage else progress.key

    def _remind_stage(self, obligation: Obligation, progress: StageProgress, key: str) -> None:
        progress.reminders_sent += 1
        obligation.reminders_sent += 1
        number = progress.reminders_sent
        self._record(
            EventKind.OBLIGATION_REMINDER,
            f"Reminder {number}: {self._stage_name(obligation, progress)} to "
            f"{self._body_name(obligation)} due {progress.deadline:%Y-%m-%d %H:%M} UTC",
            body=obligation.body.value,
            stage=progress.key,
            reminder_number=number,
        )
        assert obligation.rule is not None
        for owner in self._owners(obligation.rule):
            self._send(
                NotificationKind.OBLIGATION_REMINDER,
                owner,
                key=f"{key}/{progress.key}/reminder-{number}",
                facts=self._obligation_facts(
                    obligation,
                    reminder_number=number,
                    stage=progress.key,
                    deadline=progress.deadline,
                ),
            )

    def _miss_stage(self, obligation: Obligation, progress: StageProgress, key: str) -> None:
        assert obligation.rule is not None
        progress.overdue_since = workflow.now()
        self._settle_stages(obligation)
        self._record(
            EventKind.OBLIGATION_OVERDUE,
            f"Deadline missed: {self._stage_name(obligation, progress)} to "
            f"{self._body_name(obligation)} not made by {progress.deadline:%Y-%m-%d %H:%M} UTC",
            body=obligation.body.value,
            stage=progress.key,
            deadline=progress.deadline.isoformat(),
        )
        for member in self._escalation_list(obligation.rule):
            self._send(
                NotificationKind.OBLIGATION_OVERDUE,
                member,
                key=f"{key}/{progress.key}/overdue",
                facts=self._obligation_facts(
                    obligation, stage=progress.key, deadline=progress.deadline
                ),
            )

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
                f"Exercise: {self._body_name(obligation)} was not told",
                body=body.value,
            )
            return
        contact = MemberContact(
            member_id=None,
            role=None,
            name=self._body_name(obligation),
            email=address,
            language=Language.ENGLISH,
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
            f"Reminder {number}: report to {self._body_name(obligation)} due "
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
            f"Deadline missed: {self._body_name(obligation)} not told by "
            f"{obligation.deadline:%Y-%m-%d %H:%M} UTC",
            body=obligation.body.value,
            deadline=obligation.deadline.isoformat() if obligation.deadline else None,
        )
        for member in self._escalation_list(obligation.rule):
            self._send(
                NotificationKind.OBLIGATION_OVERDUE,
                member,
                key=f"{key}/overdue",
                facts=self._obligation_facts(obligation),
            )

    def _escalation_list(self, rule: ObligationRule) -> list[MemberContact]:
        told: list[MemberContact] = []
        for role in rule.escalate_to:
            told += [m for m in self._members_in(role) if m not in told]
        told += [m for m in self._owners(rule) if m not in told]  # never nobody
        return told

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

    def _obligation_facts(
        self, obligation: Obligation, *, stage: str | None = None, **extra: Any
    ) -> NotificationFacts:
        extra.setdefault("deadline", obligation.deadline)
        rule = obligation.rule
        if rule is not None and rule.names is not None:
            extra["body_name_en"] = rule.name_at(workflow.now())
            extra["body_name_cy"] = rule.name_at(workflow.now(), welsh=True)
        stage_rule = rule.stage(stage) if rule is not None and stage else None
        if stage_rule is not None:
            extra["stage_name_en"], extra["stage_name_cy"] = stage_rule.name.en, stage_rule.name.cy
        return self._facts(
            body=obligation.body,
            clock_started_at=obligation.clock_started_at,
            ncsc_contact_email=self._directory.ncsc_contact_email,
            **extra,
        )
