"""Data-protection complaints: the Data (Use and Access) Act 2025 duty, from 19 June 2026, to
acknowledge a complaint within 30 days, investigate it, and give its outcome without undue
delay.

A complaint belongs to one authority and may be linked to an entry of its breach register. Each
has its own clock, one `ComplaintWorkflow` (`workflows.complaint`): the data protection officer
is reminded while the acknowledgement is outstanding, the named members are told when the 30
days pass without it, and after the acknowledgement the officer is reminded every so often until
the outcome, with its reasons, is recorded. The clock's timings are data in its input
(`ComplaintClock`), copied when it starts, so changing them never moves a running clock.

No personal data: a complaint is recorded by what it is about, how it arrived and when; the
complainant's name and contact details stay in the council's own case file.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from domain.clock import UK_TIME
from domain.vocabulary import MemberRole

#: Activity names, called by name so the workflow imports no database code.
RECORD_COMPLAINT = "record_complaint"
RECONCILE_UNSTARTED_COMPLAINTS = "reconcile_unstarted_complaints"

COMPLAINT_REFUSED = "ComplaintRefused"
"""The error type of a request the clock refused because of where the complaint stands (409)."""
COMPLAINT_INVALID = "ComplaintInvalid"
"""The error type of a request the clock refused as malformed (422)."""

#: The Act's window for acknowledging a complaint; a deployment may set its own
#: (`CONCORDAT_COMPLAINT_ACKNOWLEDGE_DAYS`).
ACKNOWLEDGE_WITHIN = timedelta(days=30)
#: While the acknowledgement is outstanding, the data protection officer is reminded this long
#: after the complaint arrived.
REMINDERS_AFTER = (timedelta(days=14), timedelta(days=21), timedelta(days=28))
#: After the acknowledgement, the officer is reminded this often until the outcome is given.
OUTCOME_REMINDER_EVERY = timedelta(days=14)
#: The fewest characters of reasons an outcome is recorded with.
MIN_REASONS = 10
#: Clocks on officers' laptops drift; a minute's grace keeps "now" from being "the future".
CLOCK_SKEW = timedelta(minutes=1)

#: Who is reminded; when nobody holds the role, the senior management member is.
REMINDED = MemberRole.DATA_PROTECTION_OFFICER
REMINDED_INSTEAD = MemberRole.SENIOR_MANAGEMENT_MEMBER
#: Who is told when the acknowledgement is overdue.
ESCALATED_TO = (
    MemberRole.DATA_PROTECTION_OFFICER,
    MemberRole.SENIOR_MANAGEMENT_MEMBER,
    MemberRole.EXECUTIVE_MEMBER,
)


def complaint_workflow_id(complaint_id: str) -> str:
    """Derived from the complaint's id alone, so a retried start joins the clock running."""
    return f"complaint-{complaint_id}"


class ComplaintChannel(StrEnum):
    """How a complaint reached the council, or how its acknowledgement was sent."""

    EMAIL = "email"
    LETTER = "letter"
    TELEPHONE = "telephone"
    ONLINE_FORM = "online_form"
    IN_PERSON = "in_person"


class ComplaintOutcome(StrEnum):
    UPHELD = "upheld"
    PARTLY_UPHELD = "partly_upheld"
    NOT_UPHELD = "not_upheld"
    WITHDRAWN = "withdrawn"
    """The complainant withdrew it: the only outcome recorded before an acknowledgement."""


class ComplaintStage(StrEnum):
    """Where a complaint stands, as pages and the API show it (worked out on reading)."""

    AWAITING_ACKNOWLEDGEMENT = "awaiting_acknowledgement"
    ACKNOWLEDGEMENT_OVERDUE = "acknowledgement_overdue"
    INVESTIGATING = "investigating"
    CLOSED = "closed"


def stage_of(
    *,
    acknowledge_by: datetime,
    acknowledged_at: datetime | None,
    outcome: ComplaintOutcome | None,
    now: datetime,
) -> ComplaintStage:
    if outcome is not None:
        return ComplaintStage.CLOSED
    if acknowledged_at is not None:
        return ComplaintStage.INVESTIGATING
    if now >= acknowledge_by:
        return ComplaintStage.ACKNOWLEDGEMENT_OVERDUE
    return ComplaintStage.AWAITING_ACKNOWLEDGEMENT


def whole_days(delta: timedelta) -> int:
    """Days as a person counts them to a deadline: any part of a day left is a day."""
    return max(math.ceil(delta / timedelta(days=1)), 0)


Reasons = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=MIN_REASONS, max_length=5000)
]


class ComplaintClock(BaseModel):
    """What a complaint's clock is started with: the complaint, and its timings as data."""

    complaint_id: str
    reference: str
    authority_code: str
    received_at: datetime
    acknowledge_by: datetime
    """`received_at` and the deployment's window when the complaint was recorded."""
    reminders_after: list[timedelta] = Field(default_factory=lambda: list(REMINDERS_AFTER))
    """Reminders while unacknowledged, counted from `received_at`; those at or after
    `acknowledge_by`, or already past when the clock starts, are not sent."""
    outcome_reminder_every: timedelta = OUTCOME_REMINDER_EVERY
    complaint_url: str
    """The complaint's page, for the messages."""


class AcknowledgeComplaint(BaseModel):
    """The complainant has been sent the acknowledgement."""

    actor: str
    how: ComplaintChannel
    acknowledged_at: datetime | None = None
    """When it was sent; now, when not said."""


class RecordOutcome(BaseModel):
    actor: str
    outcome: ComplaintOutcome
    reasons: str


class ComplaintProgress(BaseModel):
    """What the clock has recorded: the workflow's state, its query's answer, and the change
    its activity writes to the complaint's row (only what is set; nothing is ever unset)."""

    complaint_id: str
    clock_started_at: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    acknowledged_how: ComplaintChannel | None = None
    outcome: ComplaintOutcome | None = None
    outcome_reasons: str | None = None
    outcome_at: datetime | None = None
    outcome_by: str | None = None
    escalated_at: datetime | None = None
    reminders_sent: int = 0


def acknowledgement_refusal(
    progress: ComplaintProgress,
    command: AcknowledgeComplaint,
    *,
    received_at: datetime,
    now: datetime,
) -> tuple[str, str] | None:
    """Why an acknowledgement cannot be recorded (its error type and a sentence in English and
    Welsh), or None."""
    if progress.outcome is not None:
        return COMPLAINT_REFUSED, (
            "The complaint's outcome is already recorded; it is closed. / "
            "Mae canlyniad y gŵyn wedi'i gofnodi eisoes; mae ar gau."
        )
    if progress.acknowledged_at is not None:
        when = progress.acknowledged_at.astimezone(UK_TIME).strftime("%d/%m/%Y %H:%M")
        by = progress.acknowledged_by or ""
        return COMPLAINT_REFUSED, (
            f"The complaint was already acknowledged on {when} by {by}; it is acknowledged "
            f"once. / Cafodd y gŵyn ei chydnabod eisoes ar {when} gan {by}; caiff ei "
            "chydnabod unwaith."
        )
    sent = command.acknowledged_at
    if sent is not None and sent > now + CLOCK_SKEW:
        return COMPLAINT_INVALID, (
            "The acknowledgement cannot have been sent in the future. / "
            "Ni all y gydnabyddiaeth fod wedi'i hanfon yn y dyfodol."
        )
    if sent is not None and sent < received_at:
        return COMPLAINT_INVALID, (
            "The acknowledgement cannot have been sent before the complaint arrived. / "
            "Ni all y gydnabyddiaeth fod wedi'i hanfon cyn i'r gŵyn ddod i law."
        )
    return None


def outcome_refusal(progress: ComplaintProgress, command: RecordOutcome) -> tuple[str, str] | None:
    """Why an outcome cannot be recorded, or None."""
    if progress.outcome is not None:
        return COMPLAINT_REFUSED, (
            "The complaint's outcome is already recorded; it is given once. / "
            "Mae canlyniad y gŵyn wedi'i gofnodi eisoes; caiff ei roi unwaith."
        )
    if len(command.reasons.strip()) < MIN_REASONS:
        return COMPLAINT_INVALID, (
            f"Give the reasons for the outcome, in {MIN_REASONS} characters or more. / "
            f"Rhowch y rhesymau dros y canlyniad, mewn {MIN_REASONS} nod neu fwy."
        )
    if progress.acknowledged_at is None and command.outcome is not ComplaintOutcome.WITHDRAWN:
        return COMPLAINT_REFUSED, (
            "Record the acknowledgement first: a complaint's outcome follows its "
            "acknowledgement, unless it was withdrawn. / Cofnodwch y gydnabyddiaeth yn gyntaf: "
            "daw canlyniad cwyn ar ôl ei chydnabod, oni bai iddi gael ei thynnu'n ôl."
        )
    return None
