"""What the workflow hands its activities: timeline entries to record and emails to send."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from domain.channels import Channel
from domain.directory import MemberContact
from domain.incident import IncidentDetails
from domain.obligations import Body, Obligation, PersonalDataRisk
from domain.post_incident import Review
from domain.vocabulary import Chain, EventKind, NcscCategory, NotificationKind, Stage

#: Activity names: the workflow calls activities by name so that it never imports database,
#: template or SMTP code into its sandbox.
LOAD_AUTHORITY_SNAPSHOT = "load_authority_snapshot"
RECORD_TIMELINE = "record_timeline"
SEND_NOTIFICATION = "send_notification"
ARCHIVE_HISTORY = "archive_history"
RECONCILE_UNSTARTED = "reconcile_unstarted"
AMEND_BREACH_RECORD = "amend_breach_record"
CHECK_DELIVERY = "check_delivery"
POLL_RECEIVED_TEXTS = "poll_received_texts"

#: The failure type of a notification no retry can deliver (the server refused the address).
RECIPIENT_REJECTED = "RecipientRejected"


class ArchiveRequest(BaseModel):
    incident_id: str
    workflow_id: str
    """The incident's workflow, whose history (every run) is archived once it has closed."""


class SnapshotRequest(BaseModel):
    authority_id: int


class BreachAmendment(BaseModel):
    incident_id: str
    authority_id: int
    changes: dict[str, Any]


class BreachAmended(BaseModel):
    before: dict[str, Any]
    """The value each changed field had; a field that already held its new value is absent."""


class TimelineEntry(BaseModel):
    sequence: int
    """Position in the incident's timeline, assigned by the workflow, so replays agree on it."""
    kind: EventKind
    occurred_at: datetime
    actor: str
    summary: str
    detail: dict[str, Any] = {}


class IcoDecision(BaseModel):
    """Whether the ICO was (or will not be) told about a breach, why, and who decided."""

    decision: str
    """notified, not_notified or pending."""
    reason: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None


class IncidentProjection(BaseModel):
    """The few fields the read side keeps current so lists need no workflow query."""

    stage: Stage
    category: NcscCategory
    significant: bool
    personal_data: bool
    personal_data_risk: PersonalDataRisk | None = None
    email_compromised: bool = False
    obligations: list[Obligation] = []
    ico_decision: IcoDecision | None = None
    closed_at: datetime | None = None
    awaiting_acknowledgement: int = 0
    """Chains whose members were asked and none has acknowledged (a closed incident's: 0)."""
    acknowledgement_requested_at: datetime | None = None
    first_acknowledged_at: datetime | None = None

    @property
    def ncsc_reference(self) -> str | None:
        ncsc = next((o for o in self.obligations if o.body == Body.NCSC), None)
        initial = ncsc.initial_submission if ncsc else None
        return initial.reference if initial else None


class TimelineBatch(BaseModel):
    incident_id: str
    authority_code: str
    entries: list[TimelineEntry]
    projection: IncidentProjection | None
    """The incident's read side as of the batch; None after closure, when the post-incident
    process writes (the incident itself no longer changes)."""
    review: Review | None = None
    """The post-incident review as of the batch, written by the post-incident process."""


class NotificationFacts(BaseModel):
    """What a message says beyond the incident itself; each kind uses the fields it needs."""

    chain: Chain | None = None
    level: int | None = None
    respond_by: datetime | None = None
    previous_recipient: str | None = None
    reminder_number: int | None = None
    closing_summary: str | None = None
    body: Body | None = None
    body_name_en: str | None = None
    body_name_cy: str | None = None
    """The body's names as its rule gave them (None in messages asked for before bodies became
    data: their names are the shipped regime's)."""
    stage_name_en: str | None = None
    stage_name_cy: str | None = None
    """The stage of a staged report the message is about."""
    deadline: datetime | None = None
    clock_started_at: datetime | None = None
    ncsc_contact_email: str | None = None
    sealed_at_event: int | None = None
    """The timeline event whose hash the message quotes (the closure), so the reader holds a
    copy of the record's seal outside Concordat."""
    authority_name_en: str = ""
    authority_name_cy: str = ""


class NotificationRequest(BaseModel):
    idempotency_key: str
    """Business key of this one email (incident, step, level, recipient): sent at most once."""
    kind: NotificationKind
    recipient: MemberContact
    incident: IncidentDetails
    facts: NotificationFacts
    include_acknowledge_link: bool = False
    channel: Channel = Channel.EMAIL
    """How it goes: the council's relay, a text or email through Notify, or Teams."""


class NotificationReceipt(BaseModel):
    message_id: str
    sent_at: datetime
    already_sent: bool = False
    attempts: int = 1
    """How many tries it took; more than one means an outage the timeline should show."""
    last_error: str | None = None
    """Why the last failed try failed."""
    provider_id: str | None = None
    """The message's id at GOV.UK Notify, whose delivery receipt follows."""


class DeliveryOutcome(StrEnum):
    """What became of a message after its channel took it."""

    DELIVERED = "delivered"
    PERMANENT_FAILURE = "permanent-failure"
    TEMPORARY_FAILURE = "temporary-failure"
    TECHNICAL_FAILURE = "technical-failure"
    PENDING = "pending"
    """No receipt yet: still being sent."""

    @classmethod
    def from_notify(cls, status: str) -> DeliveryOutcome:
        """Notify's statuses: created, sending, pending and accepted are still on the way."""
        try:
            return cls(status)
        except ValueError:
            return cls.PENDING

    @property
    def failed(self) -> bool:
        return self not in (DeliveryOutcome.DELIVERED, DeliveryOutcome.PENDING)


class DeliveryReport(BaseModel):
    """A delivery receipt, as the workflow is told it (the `delivery_reported` signal)."""

    idempotency_key: str
    outcome: DeliveryOutcome
    reported_at: datetime


class DeliveryCheck(BaseModel):
    """Ask the channel what became of a message whose receipt has not come."""

    idempotency_key: str
