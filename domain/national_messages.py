"""Messages about an authority rather than an incident: a certificate about to expire, a named
role left empty, an annual review opened, overdue, returned or accepted.

They go to the authority's members in the roles named, and to the central team's duty
recipients, through the one activity `SEND_NATIONAL_MESSAGE` (`activities.national_messages`).
Each is sent at most once per idempotency key, whatever the retries, and the ledger of them
(`models.NationalMessageRecord`) shows who was told what and when.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

from domain.vocabulary import MemberRole

SEND_NATIONAL_MESSAGE = "send_national_message"


class NationalMessageKind(StrEnum):
    """One template per kind, in Welsh and English: `notifications/templates/national/`."""

    CERTIFICATE_EXPIRING = "certificate_expiring"
    """Cyber Essentials Plus expires soon (facts: days_left, expires_on, certificate_number)."""
    CERTIFICATE_EXPIRED = "certificate_expired"
    """Cyber Essentials Plus has expired: commitment a is not met (facts: expires_on)."""
    ROLE_EMPTIED = "role_emptied"
    """A named role of commitment c is empty (facts: role)."""
    REVIEW_OPENED = "review_opened"
    """The annual review is open (facts: year, due_on, review_url)."""
    REVIEW_REMINDER = "review_reminder"
    """The annual review is still unanswered (facts: year, due_on, review_url)."""
    REVIEW_OVERDUE = "review_overdue"
    """The annual review is overdue: escalated to the chief executive (facts: year, due_on,
    review_url)."""
    REVIEW_SUBMITTED = "review_submitted"
    """The authority has answered; the central team decides (facts: year, review_url)."""
    REVIEW_RETURNED = "review_returned"
    """The central team returned the review with comments (facts: year, comments,
    review_url)."""
    REVIEW_ACCEPTED = "review_accepted"
    """The central team accepted the review (facts: year, review_url)."""
    INCIDENT_REVIEW_STARTED = "incident_review_started"
    """An incident's post-incident review is theirs (facts: reference, due_on, review_url)."""
    INCIDENT_REVIEW_REMINDER = "incident_review_reminder"
    """The post-incident review is due soon (facts: reference, due_on, review_url)."""
    INCIDENT_REVIEW_OVERDUE = "incident_review_overdue"
    """The post-incident review is overdue (facts: reference, due_on, review_url)."""
    ACTION_OVERDUE = "action_overdue"
    """A review's action is overdue (facts: reference, action, due_on, review_url)."""
    ACTION_ESCALATED = "action_escalated"
    """A review's action is still open long after its date (facts: reference, action,
    due_on, review_url)."""
    COMPLAINT_REMINDER = "complaint_reminder"
    """A data-protection complaint is still to be acknowledged (facts: reference,
    received_on, acknowledge_by, days_left, complaint_url)."""
    COMPLAINT_OVERDUE = "complaint_overdue"
    """A complaint's acknowledgement is overdue: the named members told (facts: reference,
    received_on, acknowledge_by, days_overdue, complaint_url)."""
    COMPLAINT_OUTCOME_DUE = "complaint_outcome_due"
    """A complaint acknowledged still has no outcome (facts: reference, received_on,
    acknowledged_on, days_open, complaint_url)."""
    SUPPLIER_NOTICE_RECEIVED = "supplier_notice_received"
    """A supplier's notice arrived: triage it (facts: supplier, subject, received_at, due_at,
    notice_url)."""
    SUPPLIER_NOTICE_REMINDER = "supplier_notice_reminder"
    """A supplier's notice is still untriaged (facts: supplier, subject, received_at, due_at,
    notice_url, reminder_number; overdue once the window has passed)."""
    SUPPLIER_NOTICE_OVERDUE = "supplier_notice_overdue"
    """A supplier's notice was not triaged in its window: the senior management and executive
    members are told (facts: supplier, subject, received_at, due_at, notice_url)."""


class NationalMessage(BaseModel):
    """One message to some of an authority's named members and, if asked, the centre."""

    idempotency_key: str
    """Business key of this message (kind, authority, what it is about, which one): each
    recipient is sent it at most once."""
    kind: NationalMessageKind
    authority_code: str
    to_roles: list[MemberRole] = []
    """The members named in these roles now; an empty role is skipped (and reported)."""
    to_users: list[int] = []
    """These users of the authority (an owner of a review or an action), at their address."""
    to_centre: bool = False
    """The central team's duty recipients (`models.CentreRecipient`), by email."""
    facts: dict[str, str | int | None] = {}
    """What the template says beyond the authority's name: dates as ISO strings, numbers,
    links. Never a person's details."""


class NationalMessageOutcome(BaseModel):
    sent: int
    """Messages sent now (one per recipient)."""
    already_sent: int = 0
    """Recipients told before, by an earlier attempt with the same key."""
    missing_roles: list[MemberRole] = []
    """Roles asked for that nobody holds: the caller decides whether that matters."""
