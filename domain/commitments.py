"""The Concordat's seven commitments (a-g), and where an authority stands on each.

See ../shared/DOMAIN.md: each authority commits to them, and the central team reviews them
every year. Five are attested with evidence (a, b, d, e, f); two are derived from what
Concordat already knows (c from the named members, g from the incidents). Every status is
worked out on reading, from the evidence and the day, so a certificate that expires overnight
reads "not met" the next morning with nothing having to run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from domain.clock import UK_TIME
from domain.obligations import ObligationState
from domain.vocabulary import MemberRole, NcscCategory


class Commitment(StrEnum):
    """The commitments by their letter in the Concordat."""

    A = "a"
    """Cyber Essentials Plus."""
    B = "b"
    """Cyber risk at senior management level."""
    C = "c"
    """Named executive and senior management members."""
    D = "d"
    """CiSP registration."""
    E = "e"
    """NCSC Active Cyber Defence tools."""
    F = "f"
    """Security clearance of responders."""
    G = "g"
    """Significant incidents reported to the NCSC."""


class CommitmentStatus(StrEnum):
    MET = "met"
    AT_RISK = "at_risk"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"


#: Derived from the directory (c) and the incidents (g): nobody attests them.
DERIVED = frozenset({Commitment.C, Commitment.G})
#: The two roles commitment c names; either left empty and it is not met.
NAMED_ROLES = (MemberRole.EXECUTIVE_MEMBER, MemberRole.SENIOR_MANAGEMENT_MEMBER)

# --- The review year --------------------------------------------------------------------------

#: The Concordat is reviewed yearly, over the councils' financial year: April to March.
REVIEW_YEAR_START_MONTH = 4


def review_year_of(day: date) -> int:
    """The review year a day falls in, named by the year it starts: 2026 is April 2026 to
    March 2027."""
    return day.year if day.month >= REVIEW_YEAR_START_MONTH else day.year - 1


def review_year_days(year: int) -> tuple[date, date]:
    """The review year's first day, and the first day of the next."""
    return date(year, REVIEW_YEAR_START_MONTH, 1), date(year + 1, REVIEW_YEAR_START_MONTH, 1)


def review_year_span(year: int) -> tuple[datetime, datetime]:
    """The review year as moments: from midnight UK time on its first day to midnight on the
    next year's first day (the second excluded)."""
    first, next_first = review_year_days(year)
    return _uk_midnight(first), _uk_midnight(next_first)


def review_year_label(year: int) -> str:
    """How people write a financial year: "2026-27"."""
    return f"{year}-{(year + 1) % 100:02d}"


def _uk_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UK_TIME)


def uk_day(moment: datetime) -> date:
    """The day it is in Wales at a moment."""
    return moment.astimezone(UK_TIME).date()


# --- The evidence -----------------------------------------------------------------------------

#: Nothing the Concordat asks about happened before this; older dates are typing mistakes.
EARLIEST = date(2000, 1, 1)
#: A Cyber Essentials Plus certificate is valid for 12 months: a year and a day at most.
CERTIFICATE_VALIDITY = timedelta(days=366)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _a_date(value: Any) -> Any:
    """A date arrives as ISO 8601 text ("2026-04-01") or as a date: never as a number, which
    pydantic would otherwise read as seconds since 1970."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        return value.strip()
    raise ValueError(
        "must be a date in ISO 8601, e.g. 2026-04-01 / "
        "rhaid iddo fod yn ddyddiad ISO 8601, e.e. 2026-04-01"
    )


def _not_ancient(day: date) -> date:
    if day < EARLIEST:
        raise ValueError("must be a date in 2000 or later")
    return day


Day = Annotated[date, BeforeValidator(_a_date), AfterValidator(_not_ancient)]
OneLine = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[^\r\n]*$")]


class Evidence(BaseModel):
    """What an authority attests for one commitment: structured, so that a status can be
    worked out from it; nothing else is accepted."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        # PostgreSQL text cannot hold NUL; refuse it here rather than fail when saving.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value

    def past_dates(self) -> dict[str, date]:
        """The dates that say something has already happened (issued, considered, registered,
        adopted), by field: none of them may be after the day it is attested."""
        return {}


class CyberEssentialsPlus(Evidence):
    """Commitment a: the certificate."""

    certificate_number: Annotated[OneLine, StringConstraints(min_length=1, max_length=50)]
    certifying_body: Annotated[OneLine, StringConstraints(min_length=1, max_length=200)]
    issued_on: Day
    expires_on: Day

    @model_validator(mode="after")
    def _valid_for_a_year_at_most(self) -> CyberEssentialsPlus:
        if self.expires_on <= self.issued_on:
            raise ValueError(
                "expires_on must be after issued_on / rhaid i expires_on fod ar ôl issued_on"
            )
        if self.expires_on - self.issued_on > CERTIFICATE_VALIDITY:
            raise ValueError(
                "expires_on must be no more than 12 months after issued_on: a certificate is "
                "valid for 12 months / rhaid i expires_on fod dim mwy na 12 mis ar ôl "
                "issued_on: mae tystysgrif yn ddilys am 12 mis"
            )
        return self

    def past_dates(self) -> dict[str, date]:
        return {"issued_on": self.issued_on}


class RiskReview(Evidence):
    """Commitment b: the corporate risk register's entry for the cyber threat, and when senior
    management last considered it."""

    register_entry: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    """The entry as the register words it."""
    register_reference: Annotated[OneLine, StringConstraints(max_length=100)] | None = None
    """The register's own reference for the entry ("CR-07"), if it has one."""
    last_considered_on: Day

    def past_dates(self) -> dict[str, date]:
        return {"last_considered_on": self.last_considered_on}


class CispRegistration(Evidence):
    """Commitment d: registration with the NCSC's Cyber Security Information Sharing
    Partnership."""

    organisation_name: Annotated[OneLine, StringConstraints(min_length=1, max_length=200)]
    """The organisation's name as CiSP has it."""
    registered_on: Day

    def past_dates(self) -> dict[str, date]:
        return {"registered_on": self.registered_on}


@dataclass(frozen=True)
class DefenceTool:
    """One of the NCSC's Active Cyber Defence services, with its name in both languages."""

    code: str
    name_en: str
    name_cy: str


#: The NCSC's Active Cyber Defence services a council can use. Kept as data: the NCSC adds
#: and retires services, and a change here changes no evidence already given.
ACTIVE_CYBER_DEFENCE_TOOLS: tuple[DefenceTool, ...] = (
    DefenceTool("protective_dns", "Protective DNS", "DNS Amddiffynnol"),
    DefenceTool("web_check", "Web Check", "Gwirio'r We (Web Check)"),
    DefenceTool("mail_check", "Mail Check", "Gwirio Post (Mail Check)"),
    DefenceTool("early_warning", "Early Warning", "Rhybudd Cynnar (Early Warning)"),
    DefenceTool(
        "vulnerability_disclosure",
        "Vulnerability Disclosure Toolkit",
        "Pecyn Cymorth Datgelu Gwendidau",
    ),
    DefenceTool("takedown", "Takedown Service", "Gwasanaeth Tynnu i Lawr (Takedown)"),
    DefenceTool(
        "suspicious_email_reporting",
        "Suspicious Email Reporting Service",
        "Gwasanaeth Adrodd am E-byst Amheus",
    ),
    DefenceTool("exercise_in_a_box", "Exercise in a Box", "Ymarfer mewn Bocs (Exercise in a Box)"),
)
DEFENCE_TOOLS = {tool.code: tool for tool in ACTIVE_CYBER_DEFENCE_TOOLS}


class ToolAdoption(Evidence):
    tool: str = Field(description="The tool's code: " + ", ".join(DEFENCE_TOOLS) + ".")
    adopted_on: Day

    @field_validator("tool")
    @classmethod
    def _known_tool(cls, value: str) -> str:
        if value not in DEFENCE_TOOLS:
            raise ValueError(
                f"must be one of {', '.join(DEFENCE_TOOLS)} / "
                f"rhaid iddo fod yn un o {', '.join(DEFENCE_TOOLS)}"
            )
        return value


class ActiveCyberDefence(Evidence):
    """Commitment e: which of the NCSC's Active Cyber Defence tools the authority uses, each
    with the day it was adopted. An empty list says they were considered and none is used."""

    tools: list[ToolAdoption] = Field(max_length=len(ACTIVE_CYBER_DEFENCE_TOOLS))

    @field_validator("tools")
    @classmethod
    def _each_once(cls, tools: list[ToolAdoption]) -> list[ToolAdoption]:
        codes = [adoption.tool for adoption in tools]
        if len(set(codes)) != len(codes):
            raise ValueError("must name each tool once / rhaid enwi pob offeryn unwaith yn unig")
        return sorted(tools, key=lambda adoption: list(DEFENCE_TOOLS).index(adoption.tool))

    def past_dates(self) -> dict[str, date]:
        return {f"tools.{n}.adopted_on": t.adopted_on for n, t in enumerate(self.tools)}


@dataclass(frozen=True)
class ClearanceLevel:
    """A level of UK national security vetting, with its name in both languages."""

    code: str
    name_en: str
    name_cy: str


#: The levels of national security vetting, lowest first.
CLEARANCE_LEVELS: tuple[ClearanceLevel, ...] = (
    ClearanceLevel(
        "bpss",
        "Baseline Personnel Security Standard (BPSS)",
        "Safon Sylfaenol Diogelwch Personél (BPSS)",
    ),
    ClearanceLevel("ctc", "Counter-Terrorist Check (CTC)", "Gwiriad Gwrthderfysgaeth (CTC)"),
    ClearanceLevel("sc", "Security Check (SC)", "Gwiriad Diogelwch (SC)"),
    ClearanceLevel("dv", "Developed Vetting (DV)", "Fetio Datblygedig (DV)"),
)
LEVELS = {level.code: level for level in CLEARANCE_LEVELS}

#: Refusing anything but counts: commitment f is evidenced without naming anyone.
NO_NAMES = (
    "give only the level, how many responders hold it and when it expires: never a name / "
    "rhowch y lefel, faint o ymatebwyr sydd â hi a phryd y daw i ben yn unig: byth enw"
)
_CLEARANCE_FIELDS = frozenset({"level", "holders", "expires_on"})


class ClearanceGroup(Evidence):
    """How many of the responders hold one level of clearance that expires on one day."""

    level: str = Field(description="bpss, ctc, sc or dv.")
    holders: int = Field(ge=1, le=10_000, strict=True)
    expires_on: Day

    @model_validator(mode="before")
    @classmethod
    def _counts_not_people(cls, value: Any) -> Any:
        if isinstance(value, dict) and set(value) - _CLEARANCE_FIELDS:
            raise ValueError(NO_NAMES)
        return value

    @field_validator("level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        value = value.lower()
        if value not in LEVELS:
            raise ValueError(
                "must be one of bpss, ctc, sc or dv / rhaid iddo fod yn un o bpss, ctc, sc neu dv"
            )
        return value


class SecurityClearances(Evidence):
    """Commitment f: the responders' security clearances, as counts by level and expiry."""

    clearances: list[ClearanceGroup] = Field(max_length=100)

    @model_validator(mode="before")
    @classmethod
    def _counts_not_people(cls, value: Any) -> Any:
        if isinstance(value, dict) and set(value) - {"clearances"}:
            raise ValueError(NO_NAMES)
        return value


#: The evidence each attested commitment takes.
EVIDENCE: dict[Commitment, type[Evidence]] = {
    Commitment.A: CyberEssentialsPlus,
    Commitment.B: RiskReview,
    Commitment.D: CispRegistration,
    Commitment.E: ActiveCyberDefence,
    Commitment.F: SecurityClearances,
}


def future_dates(evidence: Evidence, today: date) -> list[str]:
    """The fields whose dates are after `today`, though they say something already happened."""
    return [field for field, day in evidence.past_dates().items() if day > today]


# --- The statuses -----------------------------------------------------------------------------

#: A certificate this close to expiry is at risk (the 30-day reminder has gone).
CERTIFICATE_AT_RISK = timedelta(days=30)
#: Days before expiry that the senior management member and the centre are reminded.
CERTIFICATE_REMINDER_DAYS = (90, 30, 7)
#: Reminders go at this hour, UK time, on their day: at the start of a working day.
REMINDER_HOUR = 9
#: How long senior management may leave the cyber risk unconsidered before it is at risk
#: (the deployment may set its own: `Settings.risk_review_interval_days`).
RISK_REVIEW_INTERVAL_DAYS = 182
#: Clearances expiring this soon put commitment f at risk: renewing vetting takes months.
CLEARANCE_AT_RISK = timedelta(days=90)


def certificate_status(evidence: CyberEssentialsPlus | None, today: date) -> CommitmentStatus:
    """Met while the certificate is valid; at risk in its last 30 days; not met from the day
    after it expires."""
    if evidence is None:
        return CommitmentStatus.UNKNOWN
    if today > evidence.expires_on:
        return CommitmentStatus.NOT_MET
    if evidence.expires_on - today <= CERTIFICATE_AT_RISK:
        return CommitmentStatus.AT_RISK
    return CommitmentStatus.MET


def risk_status(
    evidence: RiskReview | None, today: date, interval_days: int = RISK_REVIEW_INTERVAL_DAYS
) -> CommitmentStatus:
    """Met while senior management considered the risk within the interval; at risk after it;
    not met once two intervals (a whole year, by default) have gone by without it."""
    if evidence is None:
        return CommitmentStatus.UNKNOWN
    since = (today - evidence.last_considered_on).days
    if since > 2 * interval_days:
        return CommitmentStatus.NOT_MET
    if since > interval_days:
        return CommitmentStatus.AT_RISK
    return CommitmentStatus.MET


def cisp_status(evidence: CispRegistration | None, today: date) -> CommitmentStatus:
    """Met once registered."""
    if evidence is None:
        return CommitmentStatus.UNKNOWN
    return CommitmentStatus.MET if evidence.registered_on <= today else CommitmentStatus.AT_RISK


def defence_tools_status(evidence: ActiveCyberDefence | None, today: date) -> CommitmentStatus:
    """Met when at least one tool is in use; at risk when the tools were considered and none
    is used yet."""
    if evidence is None:
        return CommitmentStatus.UNKNOWN
    if any(adoption.adopted_on <= today for adoption in evidence.tools):
        return CommitmentStatus.MET
    return CommitmentStatus.AT_RISK


def clearance_status(evidence: SecurityClearances | None, today: date) -> CommitmentStatus:
    """Not met when no responder holds a clearance in date; at risk when any has expired or
    expires within 90 days; met otherwise."""
    if evidence is None:
        return CommitmentStatus.UNKNOWN
    valid = [group for group in evidence.clearances if group.expires_on >= today]
    if not valid:
        return CommitmentStatus.NOT_MET
    if len(valid) < len(evidence.clearances) or any(
        group.expires_on - today <= CLEARANCE_AT_RISK for group in valid
    ):
        return CommitmentStatus.AT_RISK
    return CommitmentStatus.MET


def attested_status(
    commitment: Commitment,
    evidence: Evidence | None,
    today: date,
    *,
    risk_review_days: int = RISK_REVIEW_INTERVAL_DAYS,
) -> CommitmentStatus:
    """The status of one of the attested commitments (a, b, d, e, f) from its evidence."""
    wanted = EVIDENCE.get(commitment)
    if wanted is None or (evidence is not None and not isinstance(evidence, wanted)):
        raise ValueError(f"commitment {commitment.value} is not attested with {evidence!r}")
    if commitment is Commitment.A:
        certificate = evidence if isinstance(evidence, CyberEssentialsPlus) else None
        return certificate_status(certificate, today)
    if commitment is Commitment.B:
        review = evidence if isinstance(evidence, RiskReview) else None
        return risk_status(review, today, risk_review_days)
    if commitment is Commitment.D:
        return cisp_status(evidence if isinstance(evidence, CispRegistration) else None, today)
    if commitment is Commitment.E:
        tools = evidence if isinstance(evidence, ActiveCyberDefence) else None
        return defence_tools_status(tools, today)
    clearances = evidence if isinstance(evidence, SecurityClearances) else None
    return clearance_status(clearances, today)


def named_members_status(named: Mapping[MemberRole, str | None]) -> CommitmentStatus:
    """Commitment c: met while both roles have somebody in them, not met the moment either is
    empty."""
    if all(named.get(role) for role in NAMED_ROLES):
        return CommitmentStatus.MET
    return CommitmentStatus.NOT_MET


#: How one significant incident's report to the NCSC stands (commitment g).
ReportOutcome = Literal["in_time", "late", "unreported", "awaiting"]


class SignificantIncident(BaseModel):
    """An incident that commitment g says the NCSC must be told of: category 1-3 or marked
    significant, not an exercise."""

    incident_id: str
    reference: str
    category: NcscCategory
    significant: bool
    aware_at: datetime
    ncsc_state: ObligationState | None
    """The NCSC obligation's state; None when the incident has none."""
    deadline: datetime | None = None
    submitted_at: datetime | None = None
    late: bool = False

    def outcome(self, today: date) -> ReportOutcome:
        """Reported in time, reported late, not reported, or not reported but not yet due.
        A waiver records the NCSC told by other means (a telephone call), so it counts as a
        report. An incident with no NCSC obligation (the rule switched off) is not reported."""
        match self.ncsc_state:
            case ObligationState.SUBMITTED | ObligationState.WAIVED:
                return "late" if self.late else "in_time"
            case ObligationState.DUE if self.deadline is None or uk_day(self.deadline) >= today:
                return "awaiting"
        return "unreported"


def is_significant(category: NcscCategory, significant: bool, exercise: bool) -> bool:
    """Whether the NCSC must be told of an incident under commitment g."""
    return not exercise and (category.nationally_significant or significant)


def ncsc_reporting_status(incidents: list[SignificantIncident], today: date) -> CommitmentStatus:
    """Commitment g over the review year: met when every significant incident was reported in
    time (or there were none); at risk when one was reported late; not met when one was not
    reported by its deadline."""
    outcomes = {incident.outcome(today) for incident in incidents}
    if "unreported" in outcomes:
        return CommitmentStatus.NOT_MET
    if "late" in outcomes:
        return CommitmentStatus.AT_RISK
    return CommitmentStatus.MET


# --- The reminders of commitment a --------------------------------------------------------------


class ReminderPoint(BaseModel):
    """A moment the certificate's reminders workflow tells people: a number of days before
    expiry, or (`days_before` None) the day after it, when commitment a stops being met."""

    name: str
    """"90", "30", "7" or "expired": part of the message's idempotency key."""
    days_before: int | None
    day: date
    at: datetime


def certificate_reminder_points(expires_on: date) -> list[ReminderPoint]:
    """The reminders 90, 30 and 7 days before expiry, then the expiry message on the day after
    it, each at the start of the working day, UK time."""
    points: list[tuple[str, int | None, date]] = [
        (str(days), days, expires_on - timedelta(days=days)) for days in CERTIFICATE_REMINDER_DAYS
    ]
    points.append(("expired", None, expires_on + timedelta(days=1)))
    return [
        ReminderPoint(
            name=name,
            days_before=days,
            day=day,
            at=datetime.combine(day, time(REMINDER_HOUR, 0), tzinfo=UK_TIME),
        )
        for name, days, day in points
    ]


# --- What others read -------------------------------------------------------------------------


class CommitmentView(BaseModel):
    """Where an authority stands on one commitment, its evidence and who attested it."""

    commitment: Commitment
    status: CommitmentStatus
    evidence: dict[str, Any] = {}
    """The evidence as JSON: the attested fields (a, b, d, e, f), the named members (c), the
    review year's significant incidents (g). Empty when nothing is known."""
    attested_by: str | None = None
    """Who attested it; None for c and g, which nobody attests."""
    attested_at: datetime | None = None


# --- What the workflows are given -------------------------------------------------------------


class CertificateReminders(BaseModel):
    """The certificate whose expiry `CertificateRemindersWorkflow` reminds people of."""

    authority_code: str
    certificate_number: str
    expires_on: date
    commitments_url: str | None = None
    """Where the new certificate is recorded, for the messages to link to."""


class ReminderSent(BaseModel):
    """A reminder point the workflow told people at, and when (its own clock)."""

    name: str
    sent_at: datetime


class RoleEmptied(BaseModel):
    """A role of commitment c left empty by an administrator's change (its record's id)."""

    authority_code: str
    role: MemberRole
    change_id: int
    commitments_url: str | None = None
    """Where commitment c is shown, for the message to link to."""
