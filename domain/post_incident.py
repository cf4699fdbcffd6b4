"""After closure: the post-incident review and its actions, as one durable process per incident.

When an incident closes, its workflow hands the incident's timeline to a `PostIncidentWorkflow`
(`workflows.post_incident`), which from then on is the only writer of that timeline: evidence,
hand-overs, public statements and follow-ups to regulators arriving after closure are recorded
there, in order, on the same hash chain. Unless the incident was an exercise (or someone asks),
it also runs the review: the senior management member owns it (or names someone), it is due a
number of working days after closure, reminders go out and the chief executive is told when it
is overdue. Each action has its owner, its due date and its clock; it is done only with a note
of what was done, or accepted as a risk with a reason; the review is signed off by the senior
management member once no action is open.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator

from domain.vocabulary import MemberRole, Tlp

TAKE_OVER_TIMELINE = "take_over_timeline"
REVIEW_REFUSED = "ReviewRefused"
"""The error type of an update the post-incident process refused (the API answers 409)."""

#: The Concordat's commitments a review may say it touched.
COMMITMENT_LETTERS = ("a", "b", "c", "d", "e", "f", "g")


def post_incident_workflow_id(incident_workflow_id: str) -> str:
    """Derived from the incident's workflow id: one post-incident process per incident."""
    return f"{incident_workflow_id}-after"


class Owner(BaseModel):
    """Who owns a review or an action: a named role (whoever holds it when a message goes) or
    one of the authority's users."""

    member_role: MemberRole | None = None
    user_id: int | None = None
    name: str = Field(max_length=200)
    """How pages show them: the role's holder or the user, when named."""

    @field_validator("name")
    @classmethod
    def _named(cls, value: str) -> str:
        return value.strip()

    def describes(self) -> str:
        if self.member_role is not None:
            return self.member_role.value.replace("_", " ")
        return f"user {self.user_id}"


class ActionState(StrEnum):
    OPEN = "open"
    DONE = "done"
    RISK_ACCEPTED = "risk_accepted"


class ReviewStatus(StrEnum):
    NOT_STARTED = "not_started"
    OPEN = "open"
    SIGNED_OFF = "signed_off"


class ReviewAction(BaseModel):
    number: int
    title: str
    owner: Owner
    due_on: date
    due_at: datetime
    """The end of `due_on`, UK time: the action is overdue after it."""
    state: ActionState = ActionState.OPEN
    added_at: datetime
    added_by: str
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    done_note: str | None = None
    risk_reason: str | None = None

    @property
    def open(self) -> bool:
        return self.state is ActionState.OPEN

    @property
    def done_in_time(self) -> bool | None:
        if self.state is not ActionState.DONE or self.closed_at is None:
            return None
        return self.closed_at <= self.due_at


class Review(BaseModel):
    """The review's record, as the workflow keeps it and the pages show it."""

    status: ReviewStatus = ReviewStatus.OPEN
    owner: Owner
    started_at: datetime
    due_on: date
    due_at: datetime
    remind_at: datetime
    reminded_at: datetime | None = None
    overdue_at: datetime | None = None
    root_cause: str = ""
    went_well: str = ""
    went_badly: str = ""
    lessons: str = ""
    commitments: list[str] = []
    actions: list[ReviewAction] = []
    signed_off_at: datetime | None = None
    signed_off_by: str | None = None
    sign_off_note: str | None = None

    def action(self, number: int) -> ReviewAction | None:
        return next((a for a in self.actions if a.number == number), None)

    @property
    def open_actions(self) -> list[ReviewAction]:
        return [a for a in self.actions if a.open]


class ReviewTimings(BaseModel):
    """How long a review and an overdue action have (from settings, when the review starts)."""

    review_working_days: int = 20
    review_reminder_working_days: int = 5
    """Working days before the review's due date that its owner is reminded."""
    action_escalation_days: int = 7
    """Days an action may be overdue, after its owner is reminded, before the senior
    management member is told."""


class PostIncidentStart(BaseModel):
    """The one input of `PostIncidentWorkflow`, so fields can be added without breaking
    histories."""

    incident_id: str
    incident_workflow_id: str
    review_wanted: bool
    """False for an exercise (unless asked), and for an incident closed before reviews
    existed whose after-closure record is started by evidence or a statement."""
    carryover: PostIncidentFile | None = None
    history_limit: int = 10_000


class TakeOverRequest(BaseModel):
    incident_id: str
    incident_workflow_id: str
    review_wanted: bool


class TakeOver(BaseModel):
    """What the incident's closed record hands on (read once its own workflow has finished)."""

    reference: str
    authority_id: int
    authority_code: str
    tlp: Tlp
    exercise: bool
    closed_at: datetime | None
    sequence: int
    """The last event on the incident's timeline: the next one follows it."""
    evidence_ids: list[str] = []
    statement_versions: dict[int, int] = {}
    owner: Owner
    """The senior management member, who owns the review until they name someone."""
    due_on: date
    due_at: datetime
    remind_at: datetime
    timings: ReviewTimings = ReviewTimings()
    base_url: str = ""


class PostIncidentFile(BaseModel):
    """Everything the post-incident process knows; exactly what continue-as-new hands on."""

    incident_id: str
    incident_workflow_id: str
    taken_over: TakeOver | None = None
    sequence: int = 0
    evidence_ids: list[str] = []
    statement_versions: dict[int, int] = {}
    withdrawn_statements: list[int] = []
    review: Review | None = None
    run: int = 1

    @property
    def ready(self) -> bool:
        return self.taken_over is not None


# ---------------------------------------------------------------- requests


class StartReview(BaseModel):
    """Start a review that did not start at closure: an exercise's, or an incident's closed
    before reviews began. Its dates are worked out by whoever asks, from today."""

    due_on: date
    due_at: datetime
    remind_at: datetime
    actor: str


class NameReviewOwner(BaseModel):
    owner: Owner
    actor: str


class UpdateReview(BaseModel):
    """The review's findings; a field left out keeps what it says."""

    root_cause: str | None = Field(None, max_length=20000)
    went_well: str | None = Field(None, max_length=20000)
    went_badly: str | None = Field(None, max_length=20000)
    lessons: str | None = Field(None, max_length=20000)
    commitments: list[str] | None = None
    actor: str

    @field_validator("commitments")
    @classmethod
    def _letters(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        letters = sorted({letter.strip().lower() for letter in value})
        unknown = [letter for letter in letters if letter not in COMMITMENT_LETTERS]
        if unknown:
            raise ValueError(f"commitments are letters a to g, not {', '.join(unknown)}")
        return letters


class AddAction(BaseModel):
    title: str = Field(min_length=1, max_length=500)
    owner: Owner
    due_on: date
    due_at: datetime
    """The end of `due_on` in UK time, worked out by whoever asks (time zones are not the
    workflow's to read)."""
    actor: str


class CompleteAction(BaseModel):
    number: int
    note: str = Field(min_length=1, max_length=5000)
    """What was done: an action is never done without it."""
    actor: str


class AcceptActionRisk(BaseModel):
    number: int
    reason: str = Field(min_length=1, max_length=5000)
    actor: str


class SignOffReview(BaseModel):
    note: str | None = Field(None, max_length=5000)
    actor: str


class PostIncidentState(BaseModel):
    """The query's answer, and what each update answers with."""

    incident_id: str
    ready: bool
    review: Review | None = None
    sequence: int = 0


PostIncidentStart.model_rebuild()
