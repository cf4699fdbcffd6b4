"""Reporting obligations: which bodies must be told, by when, and who owns each clock.

Rules are data: national defaults here, overridden per authority, and copied into an
incident's workflow at the moment an obligation starts, so a policy change never moves a
running clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, Field, GetCoreSchemaHandler
from pydantic_core import core_schema

from domain.vocabulary import MemberRole, NcscCategory

#: How a body's key is written: lower case, digits and underscores, as in a regime file.
BODY_KEY_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"


_BODY_KEY = re.compile(BODY_KEY_PATTERN)


class _BodyKeys(type):
    """Iterating `Body` gives every body this process knows: the shipped regime's, then any
    an imported regime added (see `register_bodies`)."""

    def __iter__(cls) -> Iterator[Body]:
        return iter([Body(key) for key in _names()])


class Body(str, metaclass=_BodyKeys):
    """Who may have to be told about an incident, by its key in the reporting regime ("ncsc",
    "ico", or any key a regime file gives). A body is data: its names, stages and deadlines come
    from the regime file (`regimes/`); the constants below are the bodies the code itself must
    name, for the breach register and the NCSC's report."""

    NCSC: ClassVar[Body]
    ICO: ClassVar[Body]
    AFFECTED_INDIVIDUALS: ClassVar[Body]
    REPORT_FRAUD: ClassVar[Body]
    WELSH_GOVERNMENT: ClassVar[Body]
    CYMRUSOC: ClassVar[Body]
    POLICE: ClassVar[Body]
    INSURER: ClassVar[Body]

    __slots__ = ()

    def __new__(cls, key: str) -> Body:
        if not _BODY_KEY.match(key):
            raise ValueError(f"{key!r} is not a reporting body's key")
        return super().__new__(cls, key)

    @property
    def value(self) -> str:
        """The key, as an enum's value reads (templates and URLs use `body.value`)."""
        return str(self)

    @property
    def label(self) -> str:
        return self.name_in(welsh=False)

    @property
    def welsh_label(self) -> str:
        return self.name_in(welsh=True)

    def name_in(self, *, welsh: bool, at: datetime | None = None) -> str:
        """The body's name as the regime gives it at `at` (now by default); its key when no
        regime this process has read names it."""
        names = _names().get(str(self))
        if names is None:
            return str(self)
        return (
            names.at(at or datetime.now(UTC)).cy if welsh else names.at(at or datetime.now(UTC)).en
        )

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> Any:
        return core_schema.no_info_after_validator_function(
            cls,
            core_schema.str_schema(pattern=BODY_KEY_PATTERN),
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )


for (
    _constant
) in "ncsc ico affected_individuals report_fraud welsh_government cymrusoc police insurer".split():
    setattr(Body, _constant.upper(), Body(_constant))

#: The bodies every incident tracked before bodies became data: an incident opened then keeps
#: exactly these clocks, so its recorded history replays.
BUILT_IN_BODIES: tuple[Body, ...] = tuple(
    Body(key)
    for key in "ncsc ico affected_individuals report_fraud welsh_government cymrusoc police "
    "insurer".split()
)


class Naming(BaseModel):
    """A body's name in both languages, with the short name people write in a table."""

    en: str = Field(min_length=1, max_length=200)
    cy: str = Field(min_length=1, max_length=200)
    short_en: str | None = Field(default=None, max_length=80)
    short_cy: str | None = Field(default=None, max_length=80)


class Rename(Naming):
    """A new name from a date on (SI 2026/386: the ICO becomes the Information Commission)."""

    since: date


class BodyNames(Naming):
    """A body's name, and the names it takes from given dates."""

    renamed: list[Rename] = []

    def at(self, moment: datetime) -> Naming:
        """The name in force at `moment` (dates are UK dates; midnight UTC is close enough for
        a name, never for a deadline)."""
        current: Naming = self
        for rename in sorted(self.renamed, key=lambda r: r.since):
            if rename.since <= moment.date():
                current = rename
        return current


_KNOWN_NAMES: dict[str, BodyNames] = {}


def _names() -> dict[str, BodyNames]:
    """Every body name this process knows, the shipped regime's first (read once, lazily: the
    regime file's reader imports this module)."""
    if not _KNOWN_NAMES:
        from regimes.shipped import SHIPPED_REGIME

        _KNOWN_NAMES.update(
            {key: rule.names for key, rule in SHIPPED_REGIME.rules.items() if rule.names}
        )
    return _KNOWN_NAMES


def register_bodies(names: dict[str, BodyNames]) -> None:
    """Teach this process the names of a regime's bodies (an imported regime may add bodies
    or rename them); names of bodies it dropped stay known, as old incidents still name them."""
    _names().update(names)


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


class DraftField(BaseModel):
    """One thing a stage's submission must say, as the regime file names it. `from_incident`
    names what Concordat already knows that answers it (the draft fills it in)."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    en: str = Field(min_length=1, max_length=300)
    cy: str = Field(min_length=1, max_length=300)
    from_incident: str | None = None


class StageRule(BaseModel):
    """One submission of a staged report, with its own deadline from its own moment: the
    Cyber Security and Resilience Bill's initial notice at 24 hours and full report at 72."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    name: Naming
    window: timedelta = Field(gt=timedelta(0))
    clock_starts: ClockStart = ClockStart.REQUIRED_AT
    reminders_at: list[timedelta] = []
    late_reason_required: bool = False
    reference_required: bool = False
    copy_to: list[Body] = []
    """Bodies told at the same time, as the submission must confirm (the NCSC, for the Bill)."""
    fields: list[DraftField] = []

    def deadline_from(self, start: datetime) -> datetime:
        return start.astimezone(UTC) + self.window


class ObligationRule(BaseModel):
    """How one body's obligation works for one authority.

    A one-stage report (every rule before regimes became data) is the rule's own window,
    reminders and flags, with no `stages`; a staged report lists its stages and the rule's own
    window is that of its first stage.
    """

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
    names: BodyNames | None = None
    """The body's names, as the regime gave them when the clock started (None in rules copied
    before bodies became data: their names are the shipped regime's)."""
    address: str | None = None
    """Where a council reports to the body: its web form or address, for people to read."""
    stages: list[StageRule] = []

    def deadline_from(self, start: datetime) -> datetime:
        """Plain elapsed time: weekends, bank holidays and clock changes all count.

        In UTC, because Python adds a timedelta to a zoned time by the wall clock: 72 hours from
        a Friday before the clocks go forward would otherwise come an hour early.
        """
        return start.astimezone(UTC) + self.window

    def name_at(self, moment: datetime, *, welsh: bool = False) -> str:
        """The body's name at `moment`: the rule's own names, kept from when its clock started."""
        if self.names is None:
            return self.body.name_in(welsh=welsh, at=moment)
        name = self.names.at(moment)
        return name.cy if welsh else name.en

    def stage(self, key: str) -> StageRule | None:
        return next((s for s in self.stages if s.key == key), None)


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
    stage: str | None = None
    """The stage this submission made, for a staged report."""
    copied_to: list[Body] = []
    """The bodies the council confirmed it told at the same time."""


class StageProgress(BaseModel):
    """Where one stage of a staged report stands."""

    key: str
    clock_started_at: datetime
    deadline: datetime
    reminders_sent: int = 0
    overdue_since: datetime | None = None
    submitted_at: datetime | None = None
    late: bool = False
    """Kept once set: a stage submitted late stays late."""


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
    stages: list[StageProgress] = []
    """Each stage's own clock, for a staged report (empty for a one-stage report)."""

    @property
    def late(self) -> bool:
        """Kept once set: a late initial submission stays late."""
        return any(s.late for s in self.submissions if s.phase is SubmissionPhase.INITIAL)

    def stage(self, key: str) -> StageProgress | None:
        return next((s for s in self.stages if s.key == key), None)

    @property
    def next_stage(self) -> StageProgress | None:
        """The first stage not yet submitted."""
        return next((s for s in self.stages if s.submitted_at is None), None)

    @property
    def initial_submission(self) -> Submission | None:
        return next((s for s in self.submissions if s.phase is SubmissionPhase.INITIAL), None)
