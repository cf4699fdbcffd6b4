"""Reporting obligations: which bodies must be told, by when, and who owns each clock.

Rules are data: national defaults here, overridden per authority, and copied into an
incident's workflow at the moment an obligation starts, so a policy change never moves a
running clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.vocabulary import MemberRole, NcscCategory


class Body(StrEnum):
    """Who may have to be told about an incident."""

    NCSC = "ncsc"
    ICO = "ico"
    AFFECTED_INDIVIDUALS = "affected_individuals"
    REPORT_FRAUD = "report_fraud"
    WELSH_GOVERNMENT = "welsh_government"
    CYMRUSOC = "cymrusoc"
    POLICE = "police"
    INSURER = "insurer"

    @property
    def label(self) -> str:
        return BODY_NAMES[self]

    @property
    def welsh_label(self) -> str:
        return WELSH_BODY_NAMES[self]


BODY_NAMES: dict[Body, str] = {
    Body.NCSC: "the NCSC",
    Body.ICO: "the ICO",
    Body.AFFECTED_INDIVIDUALS: "the affected individuals",
    Body.REPORT_FRAUD: "Report Fraud",
    Body.WELSH_GOVERNMENT: "the Welsh Government Cyber Resilience Unit",
    Body.CYMRUSOC: "CymruSOC",
    Body.POLICE: "the police regional cyber unit",
    Body.INSURER: "the insurer",
}

#: The same in Welsh, for the sentences the domain writes itself (a refusal); everything else
#: reads them through `notifications.labels.label`.
WELSH_BODY_NAMES: dict[Body, str] = {
    Body.NCSC: "yr NCSC",
    Body.ICO: "Swyddfa'r Comisiynydd Gwybodaeth (ICO)",
    Body.AFFECTED_INDIVIDUALS: "yr unigolion yr effeithir arnynt",
    Body.REPORT_FRAUD: "Report Fraud",
    Body.WELSH_GOVERNMENT: "Uned Cydnerthedd Seiber Llywodraeth Cymru",
    Body.CYMRUSOC: "CymruSOC",
    Body.POLICE: "uned seiber ranbarthol yr heddlu",
    Body.INSURER: "yr yswiriwr",
}


class PersonalDataRisk(StrEnum):
    """The council's assessment of the risk a personal-data breach poses to people (Art 33/34)."""

    UNLIKELY = "unlikely"
    """Unlikely to result in a risk to people's rights and freedoms: no ICO notification."""
    RISK = "risk"
    HIGH = "high"
    """High risk: the affected people must be told too (Art 34)."""


class Trigger(StrEnum):
    """When a body's obligation applies."""

    NATIONALLY_SIGNIFICANT = "nationally_significant"
    PERSONAL_DATA_RISK = "personal_data_risk"
    HIGH_RISK_TO_PEOPLE = "high_risk_to_people"
    BELOW_NATIONAL_THRESHOLD = "below_national_threshold"
    """Cybercrime below categories 1-3: Report Fraud (England, Wales and Northern Ireland)."""
    ANY_INCIDENT = "any_incident"


class ClockStart(StrEnum):
    """The moment a deadline is measured from."""

    AWARE_AT = "aware_at"
    """When the council became aware (UK GDPR Art 33: 72 hours from awareness)."""
    REQUIRED_AT = "required_at"
    """When the obligation arose (at opening, or at the reassessment that created it)."""


class Assessment(BaseModel):
    """The facts the triggers read."""

    category: NcscCategory
    significant: bool
    personal_data: bool
    personal_data_risk: PersonalDataRisk | None
    cybercrime: bool = True

    @property
    def nationally_significant(self) -> bool:
        return self.category.nationally_significant or self.significant

    @property
    def risk(self) -> PersonalDataRisk | None:
        """A breach is assumed to be a risk until the council assesses it otherwise."""
        if not self.personal_data:
            return None
        return self.personal_data_risk or PersonalDataRisk.RISK

    def triggers(self, trigger: Trigger) -> bool:
        match trigger:
            case Trigger.NATIONALLY_SIGNIFICANT:
                return self.nationally_significant
            case Trigger.PERSONAL_DATA_RISK:
                return self.risk in (PersonalDataRisk.RISK, PersonalDataRisk.HIGH)
            case Trigger.HIGH_RISK_TO_PEOPLE:
                return self.risk is PersonalDataRisk.HIGH
            case Trigger.BELOW_NATIONAL_THRESHOLD:
                return self.cybercrime and not self.nationally_significant
            case Trigger.ANY_INCIDENT:
                return True


class ObligationRule(BaseModel):
    """How one body's obligation works for one authority."""

    body: Body
    enabled: bool = True
    trigger: Trigger
    window: timedelta = Field(gt=timedelta(0))
    clock_starts: ClockStart = ClockStart.REQUIRED_AT
    reminders_at: list[timedelta] = []
    """Reminders to the owner, measured from the start of the clock."""
    owner: MemberRole
    escalate_to: list[MemberRole]
    """Told when the deadline is missed."""
    late_reason_required: bool = False
    reference_required: bool = False
    """The body answers with a case reference, and the submission is not complete without it."""
    notify_address: str | None = None
    """An address of the body's own to tell automatically (never for an exercise)."""

    def deadline_from(self, start: datetime) -> datetime:
        """Plain elapsed time: weekends, bank holidays and clock changes all count.

        In UTC, because Python adds a timedelta to a zoned time by the wall clock: 72 hours from
        a Friday before the clocks go forward would otherwise come an hour early.
        """
        return start.astimezone(UTC) + self.window


_H = timedelta(hours=1)

#: National defaults; every authority can switch a body off, change its window or its owner.
NATIONAL_RULES: dict[Body, ObligationRule] = {
    rule.body: rule
    for rule in (
        # Concordat commitment g: "immediately"; the target and cadence are policy.
        ObligationRule(
            body=Body.NCSC,
            trigger=Trigger.NATIONALLY_SIGNIFICANT,
            window=24 * _H,
            reminders_at=[1 * _H, 4 * _H, 12 * _H],
            owner=MemberRole.SENIOR_MANAGEMENT_MEMBER,
            escalate_to=[
                MemberRole.SENIOR_MANAGEMENT_MEMBER,
                MemberRole.EXECUTIVE_MEMBER,
                MemberRole.CHIEF_EXECUTIVE,
            ],
            reference_required=True,
        ),
        # UK GDPR Art 33(1): 72 hours from awareness, weekends included; late needs reasons.
        ObligationRule(
            body=Body.ICO,
            trigger=Trigger.PERSONAL_DATA_RISK,
            window=72 * _H,
            clock_starts=ClockStart.AWARE_AT,
            reminders_at=[24 * _H, 48 * _H, 60 * _H],
            owner=MemberRole.DATA_PROTECTION_OFFICER,
            escalate_to=[
                MemberRole.SENIOR_MANAGEMENT_MEMBER,
                MemberRole.EXECUTIVE_MEMBER,
                MemberRole.DATA_PROTECTION_OFFICER,
            ],
            late_reason_required=True,
            reference_required=True,
        ),
        # Art 34: "without undue delay"; the window is the council's own target.
        ObligationRule(
            body=Body.AFFECTED_INDIVIDUALS,
            trigger=Trigger.HIGH_RISK_TO_PEOPLE,
            window=72 * _H,
            reminders_at=[24 * _H, 48 * _H],
            owner=MemberRole.DATA_PROTECTION_OFFICER,
            escalate_to=[MemberRole.DATA_PROTECTION_OFFICER, MemberRole.SENIOR_MANAGEMENT_MEMBER],
        ),
        ObligationRule(
            body=Body.REPORT_FRAUD,
            trigger=Trigger.BELOW_NATIONAL_THRESHOLD,
            window=72 * _H,
            reminders_at=[24 * _H, 48 * _H],
            owner=MemberRole.SENIOR_MANAGEMENT_MEMBER,
            escalate_to=[MemberRole.SENIOR_MANAGEMENT_MEMBER],
        ),
        ObligationRule(
            body=Body.WELSH_GOVERNMENT,
            trigger=Trigger.NATIONALLY_SIGNIFICANT,
            window=24 * _H,
            reminders_at=[4 * _H, 12 * _H],
            owner=MemberRole.SENIOR_MANAGEMENT_MEMBER,
            escalate_to=[MemberRole.SENIOR_MANAGEMENT_MEMBER],
        ),
        ObligationRule(
            body=Body.CYMRUSOC,
            trigger=Trigger.NATIONALLY_SIGNIFICANT,
            window=24 * _H,
            reminders_at=[4 * _H, 12 * _H],
            owner=MemberRole.SENIOR_MANAGEMENT_MEMBER,
            escalate_to=[MemberRole.SENIOR_MANAGEMENT_MEMBER],
        ),
        ObligationRule(
            body=Body.POLICE,
            trigger=Trigger.NATIONALLY_SIGNIFICANT,
            window=24 * _H,
            reminders_at=[4 * _H, 12 * _H],
            owner=MemberRole.SENIOR_MANAGEMENT_MEMBER,
            escalate_to=[MemberRole.SENIOR_MANAGEMENT_MEMBER],
        ),
        # Policies differ; a council with cyber cover switches this on with its own window.
        ObligationRule(
            body=Body.INSURER,
            enabled=False,
            trigger=Trigger.ANY_INCIDENT,
            window=48 * _H,
            reminders_at=[24 * _H],
            owner=MemberRole.SENIOR_MANAGEMENT_MEMBER,
            escalate_to=[MemberRole.SENIOR_MANAGEMENT_MEMBER],
        ),
    )
}


class ObligationState(StrEnum):
    NOT_REQUIRED = "not_required"
    DUE = "due"
    OVERDUE = "overdue"
    SUBMITTED = "submitted"
    WAIVED = "waived"

    @property
    def open(self) -> bool:
        """Still waiting for the council: closing the incident is refused while one is open."""
        return self in (ObligationState.DUE, ObligationState.OVERDUE)


class SubmissionPhase(StrEnum):
    """Art 33(4): information may be given in phases."""

    INITIAL = "initial"
    FOLLOW_UP = "follow_up"


class Submission(BaseModel):
    phase: SubmissionPhase
    reference: str | None
    submitted_at: datetime
    recorded_at: datetime
    recorded_by: str
    summary: str | None = None
    """What was sent, in the council's words."""
    late: bool = False
    late_reason: str | None = None


class Obligation(BaseModel):
    """One body's obligation within one incident, with its evidence."""

    body: Body
    state: ObligationState = ObligationState.NOT_REQUIRED
    rule: ObligationRule | None = None
    """The rule as it was when the clock started."""
    required_since: datetime | None = None
    clock_started_at: datetime | None = None
    deadline: datetime | None = None
    reminders_sent: int = 0
    overdue_since: datetime | None = None
    submissions: list[Submission] = []
    waived_reason: str | None = None
    waived_by: str | None = None
    waived_at: datetime | None = None
    not_required_reason: str | None = None

    @property
    def late(self) -> bool:
        """Kept once set: a late initial submission stays late."""
        return any(s.late for s in self.submissions if s.phase is SubmissionPhase.INITIAL)

    @property
    def initial_submission(self) -> Submission | None:
        return next((s for s in self.submissions if s.phase is SubmissionPhase.INITIAL), None)
