"""What the API and the pages accept (`...Request`) and what the API returns (`...View`).

Table rows never leave the server as they are. In Concordat a body is always a regulator
(`domain.obligations.Body`), never what an HTTP request carries."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import pydantic
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from audit.as_of import IncidentAsOf
from domain.campaigns import CampaignAsSeen
from domain.mobiles import NotAUkMobile, uk_mobile
from domain.obligations import Body, PersonalDataRisk, SubmissionPhase
from domain.state import IncidentState
from domain.vocabulary import EventKind, IncidentType, NcscCategory, Stage, Tlp

#: Clocks on officers' laptops drift; a minute's grace keeps "now" from being "the future".
CLOCK_SKEW = timedelta(minutes=1)

OneLine = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[^\r\n]*$")]


def _uk_mobile(value: str) -> str | None:
    """A UK mobile, in the one form it is kept in (E.164); anything else is refused in both
    languages, and an empty answer is none."""
    if not value:
        return None
    try:
        return uk_mobile(value)
    except NotAUkMobile as refused:
        raise PydanticCustomError("uk_mobile", str(refused)) from None


#: A UK mobile number as it is written (07700 900123, +44 7700 900123), kept in E.164.
UkMobile = Annotated[str, StringConstraints(max_length=30), AfterValidator(_uk_mobile)]

#: Nothing Concordat records happened before this; older dates are typing mistakes.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


def _not_ancient(moment: datetime) -> datetime:
    if moment < EARLIEST:
        raise ValueError("must be a date in 2000 or later")
    return moment


#: The shape of an ISO 8601 date and time; anything else (a number of seconds, say) is refused.
_ISO_8601 = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _written_as_a_date(value: Any) -> Any:
    """A moment arrives as ISO 8601 text (the pages hand over a datetime already): never as a
    number, which pydantic would otherwise read as seconds since 1970."""
    if isinstance(value, datetime) or (isinstance(value, str) and _ISO_8601.match(value)):
        return value
    raise ValueError(
        "must be a date and time in ISO 8601, e.g. 2026-11-21T14:30:00Z / "
        "rhaid iddo fod yn ddyddiad ac amser ISO 8601, e.e. 2026-11-21T14:30:00Z"
    )


def _a_number_not_text(value: Any) -> Any:
    """A category is a JSON number: neither "3" nor true (which Python counts as 1)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError(
        "must be a number, 1 to 6, not text or true/false / "
        "rhaid iddo fod yn rhif, 1 i 6, nid testun na gwir/gau"
    )


Moment = Annotated[AwareDatetime, BeforeValidator(_written_as_a_date), AfterValidator(_not_ancient)]
Category = Annotated[NcscCategory, BeforeValidator(_a_number_not_text)]
#: true or false, and nothing Python would take for one ("yes", 1, "0").
Flag = Annotated[bool, pydantic.Strict()]
#: a JSON number with no fraction; never true/false (which Python counts as 1 and 0) nor "3".
Whole = Annotated[int, pydantic.Strict()]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        # PostgreSQL text cannot hold NUL; refuse it here rather than fail later in a workflow.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class IncidentRequest(Strict):
    """What an on-call officer reports when opening an incident: the facts of
    `services.incidents.IncidentCreate`, the authority's code, and the checks on each."""

    authority: Annotated[
        str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=2, max_length=8)
    ] = Field(description="The authority's code, e.g. CDF for Cardiff Council.")
    title: Annotated[OneLine, StringConstraints(min_length=3, max_length=200)]
    description: Annotated[str, StringConstraints(min_length=1, max_length=20000)]
    incident_type: IncidentType
    category: Category = Field(description="The council's own assessment, NCSC category 1-6.")
    significant: Flag = Field(False, description="Report to the NCSC whatever the category.")
    personal_data: Flag = Field(False, description="Personal data may be involved.")
    personal_data_risk: PersonalDataRisk | None = Field(
        None,
        description="Risk to people from a personal-data breach: risk (the default) or high. "
        "Assessing it unlikely, which means the ICO is not told, is a reassessment with a reason.",
    )
    email_compromised: Flag = Field(
        False,
        description="The council's email may be read by the attacker: messages go to members' "
        "out-of-band addresses and carry only the reference and a link.",
    )
    exercise: Flag = Field(
        False, description="An exercise: every clock runs, no real body is told."
    )
    detected_at: Moment
    aware_at: Moment | None = Field(
        None,
        description="When the council became aware of the incident. Left out, it is "
        "detected_at: the council is aware when its officer detects it, and the ICO's 72 hours "
        "run from then. A later time is a deliberate choice, recorded on the timeline.",
    )
    tlp: Tlp = Tlp.AMBER
    reporter_name: Annotated[OneLine, StringConstraints(min_length=1, max_length=200)]
    reporter_email: EmailStr

    @model_validator(mode="after")
    def _times_make_sense(self) -> IncidentRequest:
        if self.personal_data_risk is not None and not self.personal_data:
            raise ValueError("personal_data_risk is only for incidents involving personal data")
        if self.personal_data_risk is PersonalDataRisk.UNLIKELY:
            raise ValueError(
                "a breach assessed unlikely to result in a risk is not reported to the ICO, "
                "and that decision needs its reason recorded: open the incident, then reassess it"
            )
        now = datetime.now(UTC)
        if self.detected_at > now + CLOCK_SKEW:
            raise ValueError("detected_at is in the future: give the time it was detected")
        if self.aware_at is not None:
            if self.aware_at > now + CLOCK_SKEW:
                raise ValueError(
                    "aware_at is in the future: give the time the council became aware"
                )
            if self.aware_at < self.detected_at:
                raise ValueError(
                    "aware_at is before detected_at: the council cannot have been aware of "
                    "the incident before it was detected"
                )
        return self


class IncidentCreated(BaseModel):
    id: str
    reference: str
    stage: Stage
    workflow_id: str
    url: str


class IncidentSummary(BaseModel):
    id: str
    reference: str
    authority: str
    title: str
    category: NcscCategory
    significant: bool
    exercise: bool
    stage: Stage
    tlp: Tlp
    detected_at: datetime
    created_at: datetime
    closed_at: datetime | None


class IncidentView(IncidentSummary):
    description: str
    incident_type: IncidentType
    rsit_class: str = Field(description="The Reference Security Incident Taxonomy class.")
    personal_data: bool
    personal_data_risk: PersonalDataRisk | None
    aware_at: datetime
    reporter_name: str
    ncsc_reference: str | None
    live: IncidentState | None = Field(
        description="The running workflow's state; null if unreachable."
    )
    campaigns: list[CampaignAsSeen] = Field(
        default_factory=list,
        description="The campaigns the central team has linked it into, as far as the markings "
        "let its council see them: another council's incident is described only when it and "
        "the campaign allow, and otherwise counted.",
    )


class TimelineEventView(BaseModel):
    sequence: int
    kind: EventKind
    occurred_at: datetime
    actor: str
    summary: str
    detail: dict[str, Any]
    previous_hash: str
    hash: str


class ChainView(BaseModel):
    intact: bool
    """Every stored hash recomputes and links to the one before it."""
    breaks: list[str]
    """The broken links, the first one first, in words."""
    seal: str | None
    """`REFERENCE#EVENT:HASH` of the newest event: keep it elsewhere to check later."""


class AuditTimelineView(BaseModel):
    incident_id: str
    reference: str
    authority: str
    events: list[TimelineEventView]
    chain: ChainView
    as_of: IncidentAsOf | None = None
    """The incident's state at `as_of`, rebuilt from the events up to that moment."""


class AcknowledgeRequest(Strict):
    member_id: Whole = Field(gt=0, le=2**31 - 1)


class NoteRequest(Strict):
    text: Annotated[str, StringConstraints(min_length=1, max_length=5000)]
    corrects: Whole | None = Field(
        default=None, gt=0, le=1_000_000, description="The event number this note corrects."
    )


class AssessmentRequest(Strict):
    category: Category | None = None
    significant: Flag | None = None
    personal_data: Flag | None = None
    personal_data_risk: PersonalDataRisk | None = None
    breach_aware_at: Moment | None = Field(
        None, description="When the council became aware personal data was involved."
    )
    email_compromised: Flag | None = Field(
        None, description="Whether the council's email may be read by the attacker."
    )
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class NcscReportRequest(Strict):
    reference: Annotated[OneLine, StringConstraints(min_length=1, max_length=64)]
    reported_at: Moment | None = None
    late_reason: Annotated[str, StringConstraints(max_length=5000)] | None = None


def _one_or_many(value: object) -> object:
    """A form's one checked box arrives as its value alone."""
    return [value] if isinstance(value, str) else value


class SubmissionRequest(Strict):
    """Evidence that a body was told; the initial submission closes its clock."""

    phase: SubmissionPhase = SubmissionPhase.INITIAL
    reference: Annotated[OneLine, StringConstraints(max_length=64)] | None = None
    submitted_at: Moment | None = Field(None, description="When it was sent; now if left out.")
    summary: Annotated[str, StringConstraints(max_length=5000)] | None = Field(
        None, description="What was sent, in a few words."
    )
    late_reason: Annotated[str, StringConstraints(max_length=5000)] | None = Field(
        None, description="Required for a late ICO notification (UK GDPR Article 33(1))."
    )
    stage: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")] | None = Field(
        None,
        description="For a report in stages (the regime's `[[body.stage]]` keys): the stage "
        "this submission makes; the next one waiting when left out.",
    )
    copied_to: Annotated[list[Body], BeforeValidator(_one_or_many)] = Field(
        default_factory=list,
        max_length=20,
        description="The bodies told at the same time, as a stage that must be copied confirms "
        '(e.g. ["ncsc"]).',
    )


class WaiverRequest(Strict):
    reason: Annotated[str, StringConstraints(min_length=10, max_length=5000)]


class BreachRequest(Strict):
    """The breach register entry (UK GDPR Article 33(5)); fields left out are unchanged."""

    facts: Annotated[str, StringConstraints(max_length=20000)] | None = None
    effects: Annotated[str, StringConstraints(max_length=20000)] | None = None
    remedial_action: Annotated[str, StringConstraints(max_length=20000)] | None = None
    data_subject_categories: Annotated[str, StringConstraints(max_length=1000)] | None = None
    approximate_data_subjects: Whole | None = Field(None, ge=0, le=100_000_000)
    record_categories: Annotated[str, StringConstraints(max_length=1000)] | None = None
    approximate_records: Whole | None = Field(None, ge=0, le=2**63 - 1)
    likely_consequences: Annotated[str, StringConstraints(max_length=20000)] | None = None


class IcoSubmissionView(BaseModel):
    """What the incident's record says the ICO was told: the notification, then each follow-up
    (UK GDPR Art 33(4)), those recorded after closure among them."""

    phase: SubmissionPhase
    submitted_at: datetime
    recorded_at: datetime
    recorded_by: str
    reference: str | None
    summary: str | None
    late: bool
    after_closure: bool


class BreachView(BaseModel):
    id: int
    """The entry's number, as a data-protection complaint names it (`breach_record_id`)."""
    incident_id: str
    reference: str
    exercise: bool
    risk: str | None
    ico_decision: str | None
    ico_decision_reason: str | None
    ico_decided_by: str | None
    ico_decided_at: datetime | None
    facts: str | None
    effects: str | None
    remedial_action: str | None
    data_subject_categories: str | None
    approximate_data_subjects: int | None
    record_categories: str | None
    approximate_records: int | None
    likely_consequences: str | None
    updated_at: datetime
    ico_submissions: list[IcoSubmissionView] = []
    """The ICO evidence: every submission to the ICO on the incident's timeline, in order."""


class StageNoteRequest(Strict):
    note: Annotated[str, StringConstraints(max_length=5000)] | None = None


class CloseRequest(Strict):
    summary: Annotated[str, StringConstraints(max_length=10000)]
    review_exercise: Flag = Field(
        False,
        description="For an exercise: review it afterwards (a real incident is always reviewed).",
    )


class Problem(BaseModel):
    """Every error the API returns: a sentence for people, and field errors where there are some."""

    detail: str
    errors: list[dict[str, str]] = []
