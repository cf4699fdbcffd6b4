"""Every table Concordat keeps. Alembic migrations in `migrations/` create them."""

from models.access import ApiToken, ApiTokenGrant, UsedAckLink, User, UserGrant
from models.administration import AdministrationChange
from models.archive import HistoryArchive
from models.authority import (
    Authority,
    EscalationPolicyOverride,
    EscalationTimings,
    ResponsibleMember,
)
from models.campaigns import Campaign, CampaignIncident
from models.commitments import CommitmentEvidence
from models.complaints import Complaint, ComplaintReferenceCounter
from models.evidence import EvidenceDownload, EvidenceFile
from models.incident import Incident, IncidentReferenceCounter
from models.national import CentreRecipient, NationalMessageRecord
from models.notification import ReceivedText, SentNotification, SmsAckCode
from models.post_incident import IncidentReview, ReviewAction
from models.reporting import (
    BreachRecord,
    ObligationRecord,
    ReportingRegimeRecord,
    ReportingRuleOverride,
)
from models.reviews import AnnualReview, ReviewEvent
from models.routine_runs import Routine, RoutineRun
from models.statements import PublicStatement, StatementVersion
from models.supplier_notices import NoticeRecipient, SupplierNotice
from models.suppliers import Supplier, SupplierContact
from models.timeline import TimelineEvent

__all__ = [
    "AdministrationChange",
    "AnnualReview",
    "ApiToken",
    "ApiTokenGrant",
    "Authority",
    "BreachRecord",
    "Campaign",
    "CampaignIncident",
    "CentreRecipient",
    "CommitmentEvidence",
    "Complaint",
    "ComplaintReferenceCounter",
    "EscalationPolicyOverride",
    "EscalationTimings",
    "EvidenceDownload",
    "EvidenceFile",
    "HistoryArchive",
    "Incident",
    "IncidentReferenceCounter",
    "IncidentReview",
    "NationalMessageRecord",
    "NoticeRecipient",
    "ObligationRecord",
    "PublicStatement",
    "ReceivedText",
    "ReportingRegimeRecord",
    "ReportingRuleOverride",
    "ResponsibleMember",
    "ReviewAction",
    "ReviewEvent",
    "Routine",
    "RoutineRun",
    "SentNotification",
    "SmsAckCode",
    "StatementVersion",
    "Supplier",
    "SupplierContact",
    "SupplierNotice",
    "TimelineEvent",
    "UsedAckLink",
    "User",
    "UserGrant",
]
