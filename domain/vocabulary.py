"""Names from the domain, as `StrEnum`s shared by tables, workflows, emails and the API."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Stage(StrEnum):
    """Where an incident is in its life. Stages only move forward (see `Stage.advance`)."""

    DETECTED = "detected"
    TRIAGED = "triaged"
    NOTIFYING = "notifying"
    ACKNOWLEDGED = "acknowledged"
    REPORTING = "reporting"
    CONTAINED = "contained"
    RECOVERED = "recovered"
    CLOSED = "closed"

    @property
    def rank(self) -> int:
        return list(Stage).index(self)

    def advance(self, to: Stage) -> Stage:
        """The later of two stages: a late acknowledgement never moves a contained incident back."""
        return to if to.rank > self.rank else self


class NcscCategory(IntEnum):
    """The NCSC's incident categories (2018, wording revised 2023); 1 is the most severe."""

    NATIONAL_CYBER_EMERGENCY = 1
    HIGHLY_SIGNIFICANT = 2
    SIGNIFICANT = 3
    SUBSTANTIAL = 4
    MODERATE = 5
    LOCALISED = 6

    @property
    def nationally_significant(self) -> bool:
        """Categories 1-3 must be reported to the NCSC immediately (Concordat commitment g)."""
        return self <= NcscCategory.SIGNIFICANT


class IncidentType(StrEnum):
    """Council-friendly incident types, each mapped onto an RSIT top-level class."""

    RANSOMWARE = "ransomware"
    PHISHING = "phishing"
    BUSINESS_EMAIL_COMPROMISE = "business_email_compromise"
    ACCOUNT_COMPROMISE = "account_compromise"
    DENIAL_OF_SERVICE = "denial_of_service"
    DATA_LOSS = "data_loss"
    SUPPLY_CHAIN = "supply_chain"
    INSIDER = "insider"
    MALWARE = "malware"
    VULNERABILITY = "vulnerability"
    OTHER = "other"

    @property
    def rsit_class(self) -> str:
        return _RSIT_CLASS[self]

    @property
    def cybercrime(self) -> bool:
        """Someone attacked the council: below the national threshold, Report Fraud is told.
        A vulnerability, an accidental loss or an unclassified event may not be a crime."""
        return self not in (IncidentType.VULNERABILITY, IncidentType.DATA_LOSS, IncidentType.OTHER)


_RSIT_CLASS: dict[IncidentType, str] = {
    IncidentType.RANSOMWARE: "Malicious Code",
    IncidentType.PHISHING: "Fraud",
    IncidentType.BUSINESS_EMAIL_COMPROMISE: "Fraud",
    IncidentType.ACCOUNT_COMPROMISE: "Intrusions",
    IncidentType.DENIAL_OF_SERVICE: "Availability",
    IncidentType.DATA_LOSS: "Information Content Security",
    IncidentType.SUPPLY_CHAIN: "Intrusions",
    IncidentType.INSIDER: "Information Content Security",
    IncidentType.MALWARE: "Malicious Code",
    IncidentType.VULNERABILITY: "Vulnerable",
    IncidentType.OTHER: "Other",
}


class Tlp(StrEnum):
    """Traffic Light Protocol 2.0 markings."""

    RED = "TLP:RED"
    AMBER_STRICT = "TLP:AMBER+STRICT"
    AMBER = "TLP:AMBER"
    GREEN = "TLP:GREEN"
    CLEAR = "TLP:CLEAR"


class MemberRole(StrEnum):
    """Roles a council escalates to. The first two are named under Concordat commitment c."""

    EXECUTIVE_MEMBER = "executive_member"
    SENIOR_MANAGEMENT_MEMBER = "senior_management_member"
    DEPUTY_EXECUTIVE_MEMBER = "deputy_executive_member"
    DEPUTY_SENIOR_MANAGEMENT_MEMBER = "deputy_senior_management_member"
    CHIEF_EXECUTIVE = "chief_executive"
    DATA_PROTECTION_OFFICER = "data_protection_officer"


class Language(StrEnum):
    """A member's recorded language preference (Welsh Language Standards)."""

    ENGLISH = "en"
    WELSH = "cy"
    UNKNOWN = "unknown"

    @property
    def message_languages(self) -> tuple[Language, ...]:
        """Languages a message to this person is written in; unknown gets both, Welsh first."""
        if self is Language.UNKNOWN:
            return (Language.WELSH, Language.ENGLISH)
        return (self,)


class Chain(StrEnum):
    """The two escalation chains that run side by side for every incident."""

    EXECUTIVE = "executive"
    SENIOR_MANAGEMENT = "senior_management"


class NotificationKind(StrEnum):
    """One email template per kind, each in English and Welsh."""

    ACKNOWLEDGEMENT_REQUEST = "acknowledgement_request"
    ACKNOWLEDGEMENT_REMINDER = "acknowledgement_reminder"
    ESCALATION = "escalation"
    UNACKNOWLEDGED_ALERT = "unacknowledged_alert"
    OBLIGATION_DUE = "obligation_due"
    OBLIGATION_REMINDER = "obligation_reminder"
    OBLIGATION_OVERDUE = "obligation_overdue"
    BODY_NOTIFICATION = "body_notification"
    INCIDENT_CLOSED = "incident_closed"
    CENTRE_ALERT = "centre_alert"
    """To the central team's duty recipients: a serious incident at an authority."""

    @property
    def label(self) -> str:
        """How the timeline names a message: "NCSC draft report", "escalation"."""
        return self.value.replace("_", " ")


class EventKind(StrEnum):
    """Timeline event kinds; each is one line of the story an auditor reads."""

    OPENED = "opened"
    TRIAGED = "triaged"
    NOTIFICATION_SENT = "notification_sent"
    NOTIFICATION_FAILED = "notification_failed"
    NOTIFICATION_DELIVERED = "notification_delivered"
    """The channel's receipt: the message reached the phone or the mailbox."""
    NOTIFICATION_UNDELIVERED = "notification_undelivered"
    """The channel's receipt said it failed, or none said it arrived in time."""
    MEMBER_UNREACHABLE = "member_unreachable"
    """Every channel to a member failed: the chain moves on without waiting."""
    ACKNOWLEDGEMENT_REQUESTED = "acknowledgement_requested"
    REMINDER_SENT = "reminder_sent"
    ESCALATED = "escalated"
    LEVEL_SKIPPED = "level_skipped"
    ACKNOWLEDGED = "acknowledged"
    UNACKNOWLEDGED = "unacknowledged"
    ESCALATION_STOPPED = "escalation_stopped"
    """Closing the incident ended a chain's escalation with nobody in it acknowledging."""
    NOTE_ADDED = "note_added"
    CORRECTION = "correction"
    """A later statement that an earlier event was wrong; the earlier event is kept."""
    REASSESSED = "reassessed"
    OBLIGATION_DUE = "obligation_due"
    OBLIGATION_REMINDER = "obligation_reminder"
    OBLIGATION_OVERDUE = "obligation_overdue"
    OBLIGATION_SUBMITTED = "obligation_submitted"
    OBLIGATION_WAIVED = "obligation_waived"
    OBLIGATION_REOPENED = "obligation_reopened"
    OBLIGATION_NOT_REQUIRED = "obligation_not_required"
    BODY_NOTIFICATION_SUPPRESSED = "body_notification_suppressed"
    BREACH_RECORD_AMENDED = "breach_record_amended"
    """A change to the breach register entry: which fields, before and after."""
    CAMPAIGN_LINKED = "campaign_linked"
    """The central team linked the incident into a campaign (one attack, several councils)."""
    CAMPAIGN_UNLINKED = "campaign_unlinked"
    CONTAINED = "contained"
    RECOVERED = "recovered"
    CLOSED = "closed"
    EVIDENCE_ADDED = "evidence_added"
    """A file kept as evidence: its name, type, size and SHA-256, and who gave it."""
    CUSTODY_TRANSFERRED = "custody_transferred"
    """Evidence handed over: which files, to whom, how, and when."""
    STATEMENT_PUBLISHED = "statement_published"
    """A public statement's version, in Welsh and English, with its hash."""
    STATEMENT_WITHDRAWN = "statement_withdrawn"
    REVIEW_STARTED = "review_started"
    """The post-incident review: who owns it and when it is due."""
    REVIEW_OWNER_NAMED = "review_owner_named"
    REVIEW_UPDATED = "review_updated"
    REVIEW_REMINDED = "review_reminded"
    REVIEW_OVERDUE = "review_overdue"
    REVIEW_SIGNED_OFF = "review_signed_off"
    ACTION_ADDED = "action_added"
    ACTION_REMINDED = "action_reminded"
    ACTION_ESCALATED = "action_escalated"
    ACTION_DONE = "action_done"
    ACTION_RISK_ACCEPTED = "action_risk_accepted"
