"""The annual review of an authority's Concordat commitments, as its workflow and its record
see it.

Each year every authority confirms, or updates with evidence, where it stands on commitments
a-g; the central team accepts its answer or returns it with comments. The review is one
Temporal workflow (`workflows.annual_review`), and everything that happens to it is one event
on its own hash-chained record (`models.ReviewEvent`), written in the workflow's order.

States, event kinds and changes are `Literal`s rather than enums: people read them through the
pages' own words (`web.pages.reviews`), never through the notifications' labels.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from domain.commitments import Commitment, CommitmentStatus, review_year_of

#: Activity names: the workflow calls its activities by name, never importing their code.
RECORD_REVIEW_EVENT = "record_review_event"
TAKE_REVIEW_SNAPSHOT = "take_review_snapshot"
OPEN_DUE_REVIEWS = "open_due_reviews"

#: Why the workflow refused a request (an `ApplicationError`'s type): the review is not in
#: the state the request needs (already submitted, not yet submitted, accepted). A request
#: that is wrong in itself (no statement, no comments) never reaches it: the API and the pages
#: check it first.
REVIEW_CONFLICT = "review_conflict"

ReviewState = Literal["open", "submitted", "returned", "accepted"]
"""open: waiting for the authority; submitted: waiting for the central team; returned: back
with the authority, with comments; accepted: closed, its snapshot is the year's answer."""

ReviewEventKind = Literal[
    "opened",
    "reminder_sent",
    "escalated",
    "submitted",
    "returned",
    "accepted",
]

Change = Literal["improved", "worse", "unchanged", "not_compared"]
"""How a commitment moved since the previous year's accepted review; `not_compared` when
either year has no accepted review, or either status is unknown."""

#: A status's place from worst to best; unknown has none (it is not a judgement).
_RANK: dict[CommitmentStatus, int] = {
    CommitmentStatus.NOT_MET: 0,
    CommitmentStatus.AT_RISK: 1,
    CommitmentStatus.MET: 2,
}

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


def review_workflow_id(authority_code: str, year: int) -> str:
    """One review per authority and year, whoever starts it: the schedule, the central team's
    button or the command line all name the same workflow."""
    return f"annual-review-{authority_code.upper()}-{year}"


def year_just_ended(day: date) -> int:
    """The review year (April to March, `domain.commitments.review_year_of`) most recently
    ended on `day`: what a review opened that day looks back on. In April 2027 it is 2026
    (April 2026 to March 2027)."""
    return review_year_of(day) - 1


def change_between(before: CommitmentStatus | None, after: CommitmentStatus) -> Change:
    """Better, worse or the same as last year's accepted answer."""
    if before is None or before not in _RANK or after not in _RANK:
        return "not_compared"
    if _RANK[after] == _RANK[before]:
        return "unchanged"
    return "improved" if _RANK[after] > _RANK[before] else "worse"


class OpenReview(BaseModel):
    """What a review starts with: whose, which year, and its dates, fixed by whoever opened
    it so that the page, the messages and the timers agree."""

    authority_id: int
    authority_code: str
    year: int
    opened_by: str
    opened_at: datetime
    remind_at: datetime | None
    """When the senior management member is reminded if nobody has answered; None: never."""
    due_at: datetime
    """When an unanswered review is overdue: the chief executive and the centre are told."""
    review_url: str
    """The review's page, for the messages."""


class CommitmentSnapshot(BaseModel):
    """One commitment as the authority stood on it when the review was accepted."""

    commitment: Commitment
    status: CommitmentStatus
    evidence: dict[str, Any] = {}
    """The evidence summary as recorded then (`CommitmentView.evidence`), as JSON."""
    attested_by: str | None = None
    attested_at: datetime | None = None


class SnapshotRequest(BaseModel):
    authority_id: int
    on: date
    """The day whose statuses are taken (a certificate's expiry is judged against it)."""


class ReviewStatus(BaseModel):
    """Where the review stands: the workflow's answer to every request, and the read side's
    row (`models.AnnualReview`) as the record's activity keeps it."""

    state: ReviewState = "open"
    reminded_at: datetime | None = None
    overdue_at: datetime | None = None
    submissions: int = 0
    submitted_at: datetime | None = None
    submitted_by: str | None = None
    statement: str | None = None
    returned_at: datetime | None = None
    returned_by: str | None = None
    comments: str | None = None
    """The central team's comments when it last returned the review."""
    accepted_at: datetime | None = None
    accepted_by: str | None = None
    snapshot: list[CommitmentSnapshot] | None = None
    """Each commitment as accepted: what the all-Wales report shows for the year."""


class ReviewFile(BaseModel):
    """All of a review's state: how it was opened, where it stands, and its record's count."""

    opening: OpenReview
    status: ReviewStatus = Field(default_factory=ReviewStatus)
    recorded: int = 0
    """Events on the record so far: the next one is `recorded + 1`."""


class SubmitReview(BaseModel):
    """The authority's answer: the commitments as they stand (each kept up to date on its own
    page), confirmed with a statement."""

    actor: str
    statement: Text


class AcceptReview(BaseModel):
    actor: str
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)] | None = None


class ReturnReview(BaseModel):
    actor: str
    comments: Text
    """What the authority must look at again; sent to it."""


class ReviewOutcome(BaseModel):
    """How the review ended: accepted, after so many answers."""

    authority_code: str
    year: int
    accepted_at: datetime
    submissions: int


class ReviewEntry(BaseModel):
    """One event of the review's record, numbered by the workflow so replays agree on it."""

    sequence: int
    kind: ReviewEventKind
    occurred_at: datetime
    actor: str
    summary: str
    detail: dict[str, Any] = {}


class ReviewRecord(BaseModel):
    """An event to append, and the review as it stands after it (for the read side)."""

    authority_id: int
    authority_code: str
    year: int
    entry: ReviewEntry
    status: ReviewStatus


class DueReviews(BaseModel):
    """The schedule's request: open every authority's review of `year`, or the year just
    ended when none is given."""

    year: int | None = None


class OpenedReviews(BaseModel):
    year: int
    opened: list[str] = []
    """Codes of the authorities whose review was started now (or joined, if running)."""
    failed: list[str] = []
