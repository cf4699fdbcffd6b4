"""Words a person reads, in both languages (Welsh Language Standards: no less favourably).

Every enum in `domain/` is either here, in `LABELS`, or in `NOT_READ_BY_PEOPLE` with the reason;
`tests/test_completeness.py` holds each new one to that.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import Enum
from typing import Any

from domain.access import AccessRole, Permission, TokenScope
from domain.activity_contracts import DeliveryOutcome
from domain.channels import Channel, PagingStep
from domain.commands import AcknowledgementChannel, Rejection
from domain.commitments import Commitment, CommitmentStatus
from domain.complaints import ComplaintChannel, ComplaintOutcome, ComplaintStage
from domain.evidence import CustodyMethod, CustodyRecipient, Downloader
from domain.national_messages import NationalMessageKind
from domain.obligations import (
    Body,
    ClockStart,
    ObligationState,
    PersonalDataRisk,
    SubmissionPhase,
    Trigger,
)
from domain.post_incident import ActionState, ReviewStatus
from domain.statements import ServiceStatus
from domain.supplier_notices import NoticeChannel, TriageState
from domain.suppliers import ContactKind
from domain.vocabulary import (
    Chain,
    EventKind,
    IncidentType,
    Language,
    MemberRole,
    NcscCategory,
    NotificationKind,
    Stage,
    Tlp,
)
from translations import N_, translate

CATEGORY_NAMES: dict[Language, dict[NcscCategory, str]] = {
    Language.ENGLISH: {
        NcscCategory.NATIONAL_CYBER_EMERGENCY: "National cyber emergency",
        NcscCategory.HIGHLY_SIGNIFICANT: "Highly significant incident",
        NcscCategory.SIGNIFICANT: "Significant incident",
        NcscCategory.SUBSTANTIAL: "Substantial incident",
        NcscCategory.MODERATE: "Moderate incident",
        NcscCategory.LOCALISED: "Localised incident",
    },
    Language.WELSH: {
        NcscCategory.NATIONAL_CYBER_EMERGENCY: "Argyfwng seiber cenedlaethol",
        NcscCategory.HIGHLY_SIGNIFICANT: "Digwyddiad arwyddocaol iawn",
        NcscCategory.SIGNIFICANT: "Digwyddiad arwyddocaol",
        NcscCategory.SUBSTANTIAL: "Digwyddiad sylweddol",
        NcscCategory.MODERATE: "Digwyddiad cymedrol",
        NcscCategory.LOCALISED: "Digwyddiad lleol",
    },
}

INCIDENT_TYPE_NAMES: dict[Language, dict[IncidentType, str]] = {
    Language.ENGLISH: {
        IncidentType.RANSOMWARE: "Ransomware",
        IncidentType.PHISHING: "Phishing",
        IncidentType.BUSINESS_EMAIL_COMPROMISE: "Business email compromise",
        IncidentType.ACCOUNT_COMPROMISE: "Account compromise",
        IncidentType.DENIAL_OF_SERVICE: "Denial of service",
        IncidentType.DATA_LOSS: "Data loss",
        IncidentType.SUPPLY_CHAIN: "Supply chain compromise",
        IncidentType.INSIDER: "Insider threat",
        IncidentType.MALWARE: "Malware",
        IncidentType.VULNERABILITY: "Vulnerability",
        IncidentType.OTHER: "Other",
    },
    Language.WELSH: {
        IncidentType.RANSOMWARE: "Meddalwedd wystlo",
        IncidentType.PHISHING: "Gwe-rwydo",
        IncidentType.BUSINESS_EMAIL_COMPROMISE: "Cyfaddawdu e-bost busnes",
        IncidentType.ACCOUNT_COMPROMISE: "Cyfaddawdu cyfrif",
        IncidentType.DENIAL_OF_SERVICE: "Gwrthod gwasanaeth",
        IncidentType.DATA_LOSS: "Colli data",
        IncidentType.SUPPLY_CHAIN: "Cyfaddawdu'r gadwyn gyflenwi",
        IncidentType.INSIDER: "Bygythiad mewnol",
        IncidentType.MALWARE: "Meddalwedd faleisus",
        IncidentType.VULNERABILITY: "Gwendid",
        IncidentType.OTHER: "Arall",
    },
}

ROLE_NAMES: dict[Language, dict[MemberRole | None, str]] = {
    Language.ENGLISH: {
        MemberRole.EXECUTIVE_MEMBER: "executive member",
        MemberRole.SENIOR_MANAGEMENT_MEMBER: "senior management member",
        MemberRole.DEPUTY_EXECUTIVE_MEMBER: "deputy executive member",
        MemberRole.DEPUTY_SENIOR_MANAGEMENT_MEMBER: "deputy senior management member",
        MemberRole.CHIEF_EXECUTIVE: "chief executive",
        MemberRole.DATA_PROTECTION_OFFICER: "data protection officer",
        None: "reporting officer",
    },
    Language.WELSH: {
        MemberRole.EXECUTIVE_MEMBER: "aelod gweithredol",
        MemberRole.SENIOR_MANAGEMENT_MEMBER: "aelod o'r uwch reolwyr",
        MemberRole.DEPUTY_EXECUTIVE_MEMBER: "dirprwy aelod gweithredol",
        MemberRole.DEPUTY_SENIOR_MANAGEMENT_MEMBER: "dirprwy aelod o'r uwch reolwyr",
        MemberRole.CHIEF_EXECUTIVE: "prif weithredwr",
        MemberRole.DATA_PROTECTION_OFFICER: "swyddog diogelu data",
        None: "swyddog a adroddodd",
    },
}

#: How a message names the central team's duty recipients it was sent to.
CENTRE_NAMES: dict[Language, str] = {
    Language.ENGLISH: "central team duty recipient",
    Language.WELSH: "derbynnydd dyletswydd y tîm canolog",
}


class _BodyNames(Mapping[Body, str]):
    """Reporting bodies' names are data: read from the regime this process knows, now (the
    ICO's name changes on the date the regime file gives)."""

    def __init__(self, *, welsh: bool) -> None:
        self._welsh = welsh

    def __getitem__(self, body: Body) -> str:
        return Body(body).name_in(welsh=self._welsh)

    def __iter__(self) -> Iterator[Body]:
        return iter(Body)

    def __len__(self) -> int:
        return len(list(Body))


BODY_NAMES: dict[Language, Mapping[Body, str]] = {
    Language.ENGLISH: _BodyNames(welsh=False),
    Language.WELSH: _BodyNames(welsh=True),
}

STAGE_NAMES: dict[Language, dict[Stage, str]] = {
    Language.ENGLISH: {
        Stage.DETECTED: "Detected",
        Stage.TRIAGED: "Triaged",
        Stage.NOTIFYING: "Notifying",
        Stage.ACKNOWLEDGED: "Acknowledged",
        Stage.REPORTING: "Reporting",
        Stage.CONTAINED: "Contained",
        Stage.RECOVERED: "Recovered",
        Stage.CLOSED: "Closed",
    },
    Language.WELSH: {
        Stage.DETECTED: "Wedi'i ganfod",
        Stage.TRIAGED: "Wedi'i frysbennu",
        Stage.NOTIFYING: "Yn hysbysu",
        Stage.ACKNOWLEDGED: "Wedi'i gydnabod",
        Stage.REPORTING: "Yn adrodd",
        Stage.CONTAINED: "Wedi'i gyfyngu",
        Stage.RECOVERED: "Wedi'i adfer",
        Stage.CLOSED: "Wedi'i gau",
    },
}

EVENT_NAMES: dict[Language, dict[EventKind, str]] = {
    Language.ENGLISH: {
        EventKind.OPENED: "Opened",
        EventKind.TRIAGED: "Triaged",
        EventKind.NOTIFICATION_SENT: "Message sent",
        EventKind.NOTIFICATION_FAILED: "Message not delivered",
        EventKind.NOTIFICATION_DELIVERED: "Message delivered",
        EventKind.NOTIFICATION_UNDELIVERED: "Message not received",
        EventKind.MEMBER_UNREACHABLE: "Could not be reached",
        EventKind.ACKNOWLEDGEMENT_REQUESTED: "Acknowledgement requested",
        EventKind.REMINDER_SENT: "Reminder sent",
        EventKind.ESCALATED: "Escalated",
        EventKind.LEVEL_SKIPPED: "Level skipped",
        EventKind.ACKNOWLEDGED: "Acknowledged",
        EventKind.UNACKNOWLEDGED: "Nobody acknowledged",
        EventKind.ESCALATION_STOPPED: "Escalation stopped",
        EventKind.NOTE_ADDED: "Note added",
        EventKind.CORRECTION: "Correction",
        EventKind.REASSESSED: "Reassessed",
        EventKind.OBLIGATION_DUE: "Report due",
        EventKind.OBLIGATION_REMINDER: "Report reminder",
        EventKind.OBLIGATION_OVERDUE: "Report overdue",
        EventKind.OBLIGATION_SUBMITTED: "Report submitted",
        EventKind.OBLIGATION_WAIVED: "Report waived",
        EventKind.OBLIGATION_REOPENED: "Report reopened",
        EventKind.OBLIGATION_NOT_REQUIRED: "Report not required",
        EventKind.BODY_NOTIFICATION_SUPPRESSED: "Body not told (exercise)",
        EventKind.BREACH_RECORD_AMENDED: "Breach register entry amended",
        EventKind.CAMPAIGN_LINKED: "Linked to a campaign",
        EventKind.CAMPAIGN_UNLINKED: "Taken out of a campaign",
        EventKind.CONTAINED: "Contained",
        EventKind.RECOVERED: "Recovered",
        EventKind.CLOSED: "Closed",
        EventKind.EVIDENCE_ADDED: "Evidence added",
        EventKind.CUSTODY_TRANSFERRED: "Evidence handed over",
        EventKind.STATEMENT_PUBLISHED: "Public statement published",
        EventKind.STATEMENT_WITHDRAWN: "Public statement withdrawn",
        EventKind.REVIEW_STARTED: "Review started",
        EventKind.REVIEW_OWNER_NAMED: "Review owner named",
        EventKind.REVIEW_UPDATED: "Review updated",
        EventKind.REVIEW_REMINDED: "Review reminder",
        EventKind.REVIEW_OVERDUE: "Review overdue",
        EventKind.REVIEW_SIGNED_OFF: "Review signed off",
        EventKind.ACTION_ADDED: "Action added",
        EventKind.ACTION_REMINDED: "Action reminder",
        EventKind.ACTION_ESCALATED: "Action escalated",
        EventKind.ACTION_DONE: "Action done",
        EventKind.ACTION_RISK_ACCEPTED: "Action's risk accepted",
    },
    Language.WELSH: {
        EventKind.OPENED: "Agorwyd",
        EventKind.TRIAGED: "Brysbennwyd",
        EventKind.NOTIFICATION_SENT: "Anfonwyd neges",
        EventKind.NOTIFICATION_FAILED: "Neges heb ei danfon",
        EventKind.NOTIFICATION_DELIVERED: "Neges wedi'i danfon",
        EventKind.NOTIFICATION_UNDELIVERED: "Neges heb ei derbyn",
        EventKind.MEMBER_UNREACHABLE: "Dim modd cysylltu",
        EventKind.ACKNOWLEDGEMENT_REQUESTED: "Gofynnwyd am gydnabyddiaeth",
        EventKind.REMINDER_SENT: "Anfonwyd nodyn atgoffa",
        EventKind.ESCALATED: "Uwchgyfeiriwyd",
        EventKind.LEVEL_SKIPPED: "Hepgorwyd lefel",
        EventKind.ACKNOWLEDGED: "Cydnabuwyd",
        EventKind.UNACKNOWLEDGED: "Neb wedi cydnabod",
        EventKind.ESCALATION_STOPPED: "Ataliwyd yr uwchgyfeirio",
        EventKind.NOTE_ADDED: "Ychwanegwyd nodyn",
        EventKind.CORRECTION: "Cywiriad",
        EventKind.REASSESSED: "Ailaseswyd",
        EventKind.OBLIGATION_DUE: "Adroddiad yn ddyledus",
        EventKind.OBLIGATION_REMINDER: "Nodyn atgoffa am adroddiad",
        EventKind.OBLIGATION_OVERDUE: "Adroddiad yn hwyr",
        EventKind.OBLIGATION_SUBMITTED: "Cyflwynwyd adroddiad",
        EventKind.OBLIGATION_WAIVED: "Hepgorwyd adroddiad",
        EventKind.OBLIGATION_REOPENED: "Ailagorwyd adroddiad",
        EventKind.OBLIGATION_NOT_REQUIRED: "Dim angen adroddiad",
        EventKind.BODY_NOTIFICATION_SUPPRESSED: "Ni roddwyd gwybod i'r corff (ymarfer)",
        EventKind.BREACH_RECORD_AMENDED: "Diwygiwyd y cofnod yn y gofrestr torri data",
        EventKind.CAMPAIGN_LINKED: "Cysylltwyd ag ymgyrch",
        EventKind.CAMPAIGN_UNLINKED: "Tynnwyd o ymgyrch",
        EventKind.CONTAINED: "Cyfyngwyd",
        EventKind.RECOVERED: "Adferwyd",
        EventKind.CLOSED: "Caewyd",
        EventKind.EVIDENCE_ADDED: "Ychwanegwyd tystiolaeth",
        EventKind.CUSTODY_TRANSFERRED: "Trosglwyddwyd tystiolaeth",
        EventKind.STATEMENT_PUBLISHED: "Cyhoeddwyd datganiad cyhoeddus",
        EventKind.STATEMENT_WITHDRAWN: "Tynnwyd datganiad cyhoeddus yn ôl",
        EventKind.REVIEW_STARTED: "Dechreuwyd yr adolygiad",
        EventKind.REVIEW_OWNER_NAMED: "Enwyd perchennog yr adolygiad",
        EventKind.REVIEW_UPDATED: "Diweddarwyd yr adolygiad",
        EventKind.REVIEW_REMINDED: "Nodyn atgoffa am yr adolygiad",
        EventKind.REVIEW_OVERDUE: "Adolygiad yn hwyr",
        EventKind.REVIEW_SIGNED_OFF: "Cymeradwywyd yr adolygiad",
        EventKind.ACTION_ADDED: "Ychwanegwyd cam gweithredu",
        EventKind.ACTION_REMINDED: "Nodyn atgoffa am gam gweithredu",
        EventKind.ACTION_ESCALATED: "Uwchgyfeiriwyd cam gweithredu",
        EventKind.ACTION_DONE: "Cwblhawyd cam gweithredu",
        EventKind.ACTION_RISK_ACCEPTED: "Derbyniwyd risg cam gweithredu",
    },
}

#: What each marking allows (TLP 2.0); the marking itself is written the same in any language.
TLP_NAMES: dict[Language, dict[Tlp, str]] = {
    Language.ENGLISH: {
        Tlp.RED: "TLP:RED: for the people named only",
        Tlp.AMBER_STRICT: "TLP:AMBER+STRICT: within the council only",
        Tlp.AMBER: "TLP:AMBER: within the council and its clients, on a need-to-know basis",
        Tlp.GREEN: "TLP:GREEN: within the community, not in public",
        Tlp.CLEAR: "TLP:CLEAR: may be shared freely",
    },
    Language.WELSH: {
        Tlp.RED: "TLP:RED: i'r bobl a enwir yn unig",
        Tlp.AMBER_STRICT: "TLP:AMBER+STRICT: o fewn y cyngor yn unig",
        Tlp.AMBER: "TLP:AMBER: o fewn y cyngor a'i gleientiaid, ar sail angen gwybod",
        Tlp.GREEN: "TLP:GREEN: o fewn y gymuned, nid yn gyhoeddus",
        Tlp.CLEAR: "TLP:CLEAR: gellir ei rannu'n rhydd",
    },
}

CHAIN_NAMES: dict[Language, dict[Chain, str]] = {
    Language.ENGLISH: {
        Chain.EXECUTIVE: "executive chain",
        Chain.SENIOR_MANAGEMENT: "senior management chain",
    },
    Language.WELSH: {
        Chain.EXECUTIVE: "cadwyn weithredol",
        Chain.SENIOR_MANAGEMENT: "cadwyn yr uwch reolwyr",
    },
}

NOTIFICATION_NAMES: dict[Language, dict[NotificationKind, str]] = {
    Language.ENGLISH: {kind: kind.label for kind in NotificationKind},
    Language.WELSH: {
        NotificationKind.ACKNOWLEDGEMENT_REQUEST: "cais am gydnabyddiaeth",
        NotificationKind.ACKNOWLEDGEMENT_REMINDER: "nodyn atgoffa i gydnabod",
        NotificationKind.ESCALATION: "uwchgyfeiriad",
        NotificationKind.UNACKNOWLEDGED_ALERT: "rhybudd nad oes neb wedi cydnabod",
        NotificationKind.OBLIGATION_DUE: "rhwymedigaeth yn ddyledus",
        NotificationKind.OBLIGATION_REMINDER: "nodyn atgoffa am rwymedigaeth",
        NotificationKind.OBLIGATION_OVERDUE: "rhwymedigaeth yn hwyr",
        NotificationKind.BODY_NOTIFICATION: "hysbysiad i gorff",
        NotificationKind.INCIDENT_CLOSED: "digwyddiad wedi'i gau",
        NotificationKind.CENTRE_ALERT: "rhybudd i'r tîm canolog",
    },
}

OBLIGATION_STATE_NAMES: dict[Language, dict[ObligationState, str]] = {
    Language.ENGLISH: {
        ObligationState.NOT_REQUIRED: "Not required",
        ObligationState.DUE: "Due",
        ObligationState.OVERDUE: "Overdue",
        ObligationState.SUBMITTED: "Submitted",
        ObligationState.WAIVED: "Waived",
    },
    Language.WELSH: {
        ObligationState.NOT_REQUIRED: "Dim angen",
        ObligationState.DUE: "Yn ddyledus",
        ObligationState.OVERDUE: "Yn hwyr",
        ObligationState.SUBMITTED: "Wedi'i gyflwyno",
        ObligationState.WAIVED: "Wedi'i hepgor",
    },
}

PERSONAL_DATA_RISK_NAMES: dict[Language, dict[PersonalDataRisk, str]] = {
    Language.ENGLISH: {
        PersonalDataRisk.UNLIKELY: "Unlikely to be a risk to people",
        PersonalDataRisk.RISK: "A risk to people's rights and freedoms",
        PersonalDataRisk.HIGH: "A high risk to people's rights and freedoms",
    },
    Language.WELSH: {
        PersonalDataRisk.UNLIKELY: "Annhebygol o fod yn risg i bobl",
        PersonalDataRisk.RISK: "Risg i hawliau a rhyddidau pobl",
        PersonalDataRisk.HIGH: "Risg uchel i hawliau a rhyddidau pobl",
    },
}

SUBMISSION_PHASE_NAMES: dict[Language, dict[SubmissionPhase, str]] = {
    Language.ENGLISH: {
        SubmissionPhase.INITIAL: "Initial report",
        SubmissionPhase.FOLLOW_UP: "Follow-up report",
    },
    Language.WELSH: {
        SubmissionPhase.INITIAL: "Adroddiad cychwynnol",
        SubmissionPhase.FOLLOW_UP: "Adroddiad dilynol",
    },
}

LANGUAGE_NAMES: dict[Language, dict[Language, str]] = {
    Language.ENGLISH: {
        Language.ENGLISH: "English",
        Language.WELSH: "Welsh",
        Language.UNKNOWN: "Not known: both languages, Welsh first",
    },
    Language.WELSH: {
        Language.ENGLISH: "Saesneg",
        Language.WELSH: "Cymraeg",
        Language.UNKNOWN: "Anhysbys: y ddwy iaith, Cymraeg yn gyntaf",
    },
}

ACCESS_ROLE_NAMES: dict[Language, dict[AccessRole, str]] = {
    Language.ENGLISH: {
        AccessRole.ON_CALL_OFFICER: "On-call officer",
        AccessRole.RESPONSIBLE_MEMBER: "Responsible member",
        AccessRole.AUTHORITY_ADMIN: "Authority administrator",
        AccessRole.AUDITOR: "Auditor",
        AccessRole.CENTRAL_TEAM: "Central team",
        AccessRole.SUPPLIER: "Supplier",
    },
    Language.WELSH: {
        AccessRole.ON_CALL_OFFICER: "Swyddog ar alwad",
        AccessRole.RESPONSIBLE_MEMBER: "Aelod cyfrifol",
        AccessRole.AUTHORITY_ADMIN: "Gweinyddwr yr awdurdod",
        AccessRole.AUDITOR: "Archwilydd",
        AccessRole.CENTRAL_TEAM: "Tîm canolog",
        AccessRole.SUPPLIER: "Cyflenwr",
    },
}

ACKNOWLEDGEMENT_CHANNEL_NAMES: dict[Language, dict[AcknowledgementChannel, str]] = {
    Language.ENGLISH: {
        AcknowledgementChannel.EMAIL_LINK: "by the link in an email",
        AcknowledgementChannel.API: "through the API",
        AcknowledgementChannel.WEB: "on the website",
        AcknowledgementChannel.SMS: "by SMS",
    },
    Language.WELSH: {
        AcknowledgementChannel.EMAIL_LINK: "drwy'r ddolen mewn e-bost",
        AcknowledgementChannel.API: "drwy'r API",
        AcknowledgementChannel.WEB: "ar y wefan",
        AcknowledgementChannel.SMS: "drwy neges destun (SMS)",
    },
}

CHANNEL_NAMES: dict[Language, dict[Channel, str]] = {
    Language.ENGLISH: {
        Channel.EMAIL: "Email (council mail)",
        Channel.SMS: "Text message",
        Channel.NOTIFY_EMAIL: "Email through GOV.UK Notify",
        Channel.TEAMS: "Microsoft Teams",
    },
    Language.WELSH: {
        Channel.EMAIL: "E-bost (post y cyngor)",
        Channel.SMS: "Neges destun",
        Channel.NOTIFY_EMAIL: "E-bost drwy GOV.UK Notify",
        Channel.TEAMS: "Microsoft Teams",
    },
}

PAGING_STEP_NAMES: dict[Language, dict[PagingStep, str]] = {
    Language.ENGLISH: {
        PagingStep.FIRST: "First request",
        PagingStep.REMINDER: "Reminder",
        PagingStep.ESCALATION: "Escalation",
    },
    Language.WELSH: {
        PagingStep.FIRST: "Cais cyntaf",
        PagingStep.REMINDER: "Nodyn atgoffa",
        PagingStep.ESCALATION: "Uwchgyfeirio",
    },
}

DELIVERY_OUTCOME_NAMES: dict[Language, dict[DeliveryOutcome, str]] = {
    Language.ENGLISH: {
        DeliveryOutcome.DELIVERED: "delivered",
        DeliveryOutcome.PERMANENT_FAILURE: "permanent failure",
        DeliveryOutcome.TEMPORARY_FAILURE: "temporary failure",
        DeliveryOutcome.TECHNICAL_FAILURE: "technical failure",
        DeliveryOutcome.PENDING: "on its way",
    },
    Language.WELSH: {
        DeliveryOutcome.DELIVERED: "wedi'i danfon",
        DeliveryOutcome.PERMANENT_FAILURE: "methiant parhaol",
        DeliveryOutcome.TEMPORARY_FAILURE: "methiant dros dro",
        DeliveryOutcome.TECHNICAL_FAILURE: "methiant technegol",
        DeliveryOutcome.PENDING: "ar ei ffordd",
    },
}


#: Every enum a person reads, with its words in English and in Welsh.
CUSTODY_RECIPIENT_NAMES: dict[Language, dict[CustodyRecipient, str]] = {
    Language.ENGLISH: {
        CustodyRecipient.POLICE_REGIONAL_CYBER_UNIT: "Police regional cyber crime unit",
        CustodyRecipient.NATIONAL_CRIME_AGENCY: "National Crime Agency",
        CustodyRecipient.NCSC: "The National Cyber Security Centre (NCSC)",
        CustodyRecipient.INSURER: "Insurer",
        CustodyRecipient.FORENSIC_FIRM: "Forensic firm",
        CustodyRecipient.ICO: "The Information Commissioner's Office (ICO)",
        CustodyRecipient.OTHER: "Someone else",
    },
    Language.WELSH: {
        CustodyRecipient.POLICE_REGIONAL_CYBER_UNIT: "Uned seiberdroseddu ranbarthol yr heddlu",
        CustodyRecipient.NATIONAL_CRIME_AGENCY: "Yr Asiantaeth Troseddu Genedlaethol",
        CustodyRecipient.NCSC: "Y Ganolfan Seiberddiogelwch Genedlaethol (NCSC)",
        CustodyRecipient.INSURER: "Yswiriwr",
        CustodyRecipient.FORENSIC_FIRM: "Cwmni fforensig",
        CustodyRecipient.ICO: "Swyddfa'r Comisiynydd Gwybodaeth (ICO)",
        CustodyRecipient.OTHER: "Rhywun arall",
    },
}

CUSTODY_METHOD_NAMES: dict[Language, dict[CustodyMethod, str]] = {
    Language.ENGLISH: {
        CustodyMethod.SECURE_UPLOAD: "Secure upload",
        CustodyMethod.ENCRYPTED_EMAIL: "Encrypted email",
        CustodyMethod.ENCRYPTED_MEDIA: "Encrypted media",
        CustodyMethod.IN_PERSON: "In person",
        CustodyMethod.EVIDENCE_BUNDLE: "Evidence bundle from Concordat",
        CustodyMethod.OTHER: "Another way",
    },
    Language.WELSH: {
        CustodyMethod.SECURE_UPLOAD: "Uwchlwytho diogel",
        CustodyMethod.ENCRYPTED_EMAIL: "E-bost wedi'i amgryptio",
        CustodyMethod.ENCRYPTED_MEDIA: "Cyfrwng wedi'i amgryptio",
        CustodyMethod.IN_PERSON: "Wyneb yn wyneb",
        CustodyMethod.EVIDENCE_BUNDLE: "Bwndel tystiolaeth o Concordat",
        CustodyMethod.OTHER: "Ffordd arall",
    },
}

SERVICE_STATUS_NAMES: dict[Language, dict[ServiceStatus, str]] = {
    Language.ENGLISH: {
        ServiceStatus.UNAVAILABLE: "Unavailable",
        ServiceStatus.DISRUPTED: "Disrupted",
        ServiceStatus.RESTORED: "Restored",
    },
    Language.WELSH: {
        ServiceStatus.UNAVAILABLE: "Ddim ar gael",
        ServiceStatus.DISRUPTED: "Wedi'i amharu",
        ServiceStatus.RESTORED: "Wedi'i adfer",
    },
}

ACTION_STATE_NAMES: dict[Language, dict[ActionState, str]] = {
    Language.ENGLISH: {
        ActionState.OPEN: "Open",
        ActionState.DONE: "Done",
        ActionState.RISK_ACCEPTED: "Risk accepted",
    },
    Language.WELSH: {
        ActionState.OPEN: "Ar agor",
        ActionState.DONE: "Wedi'i gwblhau",
        ActionState.RISK_ACCEPTED: "Risg wedi'i derbyn",
    },
}

REVIEW_STATUS_NAMES: dict[Language, dict[ReviewStatus, str]] = {
    Language.ENGLISH: {
        ReviewStatus.NOT_STARTED: "Not started",
        ReviewStatus.OPEN: "In progress",
        ReviewStatus.SIGNED_OFF: "Signed off",
    },
    Language.WELSH: {
        ReviewStatus.NOT_STARTED: "Heb ddechrau",
        ReviewStatus.OPEN: "Ar y gweill",
        ReviewStatus.SIGNED_OFF: "Wedi'i gymeradwyo",
    },
}


CONTACT_KIND_NAMES: dict[Language, dict[ContactKind, str]] = {
    Language.ENGLISH: {
        ContactKind.SECURITY: "Security contact",
        ContactKind.ESCALATION: "Escalation contact",
    },
    Language.WELSH: {
        ContactKind.SECURITY: "Cyswllt diogelwch",
        ContactKind.ESCALATION: "Cyswllt uwchgyfeirio",
    },
}

COMPLAINT_CHANNEL_NAMES: dict[Language, dict[ComplaintChannel, str]] = {
    Language.ENGLISH: {
        ComplaintChannel.EMAIL: "Email",
        ComplaintChannel.LETTER: "Letter",
        ComplaintChannel.TELEPHONE: "Telephone",
        ComplaintChannel.ONLINE_FORM: "Online form",
        ComplaintChannel.IN_PERSON: "In person",
    },
    Language.WELSH: {
        ComplaintChannel.EMAIL: "E-bost",
        ComplaintChannel.LETTER: "Llythyr",
        ComplaintChannel.TELEPHONE: "Ffôn",
        ComplaintChannel.ONLINE_FORM: "Ffurflen ar-lein",
        ComplaintChannel.IN_PERSON: "Wyneb yn wyneb",
    },
}

COMPLAINT_OUTCOME_NAMES: dict[Language, dict[ComplaintOutcome, str]] = {
    Language.ENGLISH: {
        ComplaintOutcome.UPHELD: "Upheld",
        ComplaintOutcome.PARTLY_UPHELD: "Partly upheld",
        ComplaintOutcome.NOT_UPHELD: "Not upheld",
        ComplaintOutcome.WITHDRAWN: "Withdrawn by the complainant",
    },
    Language.WELSH: {
        ComplaintOutcome.UPHELD: "Wedi'i chadarnhau",
        ComplaintOutcome.PARTLY_UPHELD: "Wedi'i chadarnhau'n rhannol",
        ComplaintOutcome.NOT_UPHELD: "Heb ei chadarnhau",
        ComplaintOutcome.WITHDRAWN: "Wedi'i thynnu'n ôl gan yr achwynydd",
    },
}

COMPLAINT_STAGE_NAMES: dict[Language, dict[ComplaintStage, str]] = {
    Language.ENGLISH: {
        ComplaintStage.AWAITING_ACKNOWLEDGEMENT: "To be acknowledged",
        ComplaintStage.ACKNOWLEDGEMENT_OVERDUE: "Acknowledgement overdue",
        ComplaintStage.INVESTIGATING: "Being investigated",
        ComplaintStage.CLOSED: "Outcome given",
    },
    Language.WELSH: {
        ComplaintStage.AWAITING_ACKNOWLEDGEMENT: "I'w chydnabod",
        ComplaintStage.ACKNOWLEDGEMENT_OVERDUE: "Cydnabyddiaeth yn hwyr",
        ComplaintStage.INVESTIGATING: "Yn cael ei hymchwilio",
        ComplaintStage.CLOSED: "Canlyniad wedi'i roi",
    },
}


NOTICE_CHANNEL_NAMES: dict[Language, dict[NoticeChannel, str]] = {
    Language.ENGLISH: {
        NoticeChannel.API: "Sent by the supplier through the API",
        NoticeChannel.PAGE: "Recorded by an officer",
        NoticeChannel.EMAIL: "Email from the supplier, imported",
    },
    Language.WELSH: {
        NoticeChannel.API: "Anfonwyd gan y cyflenwr drwy'r API",
        NoticeChannel.PAGE: "Cofnodwyd gan swyddog",
        NoticeChannel.EMAIL: "E-bost gan y cyflenwr, wedi'i fewnforio",
    },
}

TRIAGE_STATE_NAMES: dict[Language, dict[TriageState, str]] = {
    Language.ENGLISH: {
        TriageState.UNTRIAGED: "Waiting to be triaged",
        TriageState.LINKED: "Linked to an incident",
        TriageState.OPENED: "Opened as an incident",
        TriageState.DISMISSED: "Dismissed",
    },
    Language.WELSH: {
        TriageState.UNTRIAGED: "Yn aros i gael ei frysbennu",
        TriageState.LINKED: "Wedi'i gysylltu â digwyddiad",
        TriageState.OPENED: "Wedi'i agor fel digwyddiad",
        TriageState.DISMISSED: "Wedi'i ddiystyru",
    },
}


class _FromCatalog(Mapping[Any, str]):
    """Words kept in the gettext catalogs (pages show them too), looked up when read."""

    def __init__(self, english: Mapping[Any, str], language: Language) -> None:
        self._english, self._language = english, language

    def __getitem__(self, key: Any) -> str:
        return translate(self._language, self._english[key])

    def __iter__(self) -> Iterator[Any]:
        return iter(self._english)

    def __len__(self) -> int:
        return len(self._english)


#: Each Concordat commitment as pages, reports and messages name it.
COMMITMENT_TITLES: dict[Commitment, str] = {
    Commitment.A: N_("Cyber Essentials Plus"),
    Commitment.B: N_("Cyber risk considered by senior management"),
    Commitment.C: N_("Named executive and senior management members"),
    Commitment.D: N_("Registered with CiSP"),
    Commitment.E: N_("NCSC Active Cyber Defence tools"),
    Commitment.F: N_("Security clearance of responders"),
    Commitment.G: N_("Significant incidents reported to the NCSC"),
}

COMMITMENT_STATUS_WORDS: dict[CommitmentStatus, str] = {
    CommitmentStatus.MET: N_("Met"),
    CommitmentStatus.AT_RISK: N_("At risk"),
    CommitmentStatus.NOT_MET: N_("Not met"),
    CommitmentStatus.UNKNOWN: N_("Not known"),
}

COMMITMENT_NAMES: dict[Language, Mapping[Commitment, str]] = {
    Language.ENGLISH: COMMITMENT_TITLES,
    Language.WELSH: _FromCatalog(COMMITMENT_TITLES, Language.WELSH),
}
COMMITMENT_STATUS_NAMES: dict[Language, Mapping[CommitmentStatus, str]] = {
    Language.ENGLISH: COMMITMENT_STATUS_WORDS,
    Language.WELSH: _FromCatalog(COMMITMENT_STATUS_WORDS, Language.WELSH),
}

LABELS: dict[type[Any], Mapping[Language, Mapping[Any, str]]] = {
    Body: BODY_NAMES,
    MemberRole: ROLE_NAMES,
    NcscCategory: CATEGORY_NAMES,
    IncidentType: INCIDENT_TYPE_NAMES,
    Stage: STAGE_NAMES,
    EventKind: EVENT_NAMES,
    Channel: CHANNEL_NAMES,
    PagingStep: PAGING_STEP_NAMES,
    DeliveryOutcome: DELIVERY_OUTCOME_NAMES,
    Tlp: TLP_NAMES,
    Chain: CHAIN_NAMES,
    NotificationKind: NOTIFICATION_NAMES,
    ObligationState: OBLIGATION_STATE_NAMES,
    PersonalDataRisk: PERSONAL_DATA_RISK_NAMES,
    SubmissionPhase: SUBMISSION_PHASE_NAMES,
    Language: LANGUAGE_NAMES,
    AccessRole: ACCESS_ROLE_NAMES,
    AcknowledgementChannel: ACKNOWLEDGEMENT_CHANNEL_NAMES,
    Commitment: COMMITMENT_NAMES,
    CommitmentStatus: COMMITMENT_STATUS_NAMES,
    CustodyRecipient: CUSTODY_RECIPIENT_NAMES,
    CustodyMethod: CUSTODY_METHOD_NAMES,
    ServiceStatus: SERVICE_STATUS_NAMES,
    ActionState: ACTION_STATE_NAMES,
    ReviewStatus: REVIEW_STATUS_NAMES,
    ContactKind: CONTACT_KIND_NAMES,
    NoticeChannel: NOTICE_CHANNEL_NAMES,
    TriageState: TRIAGE_STATE_NAMES,
    ComplaintChannel: COMPLAINT_CHANNEL_NAMES,
    ComplaintOutcome: COMPLAINT_OUTCOME_NAMES,
    ComplaintStage: COMPLAINT_STAGE_NAMES,
}

#: Names written the same in Welsh: names of services and teams, not words to translate.
SAME_IN_WELSH: frozenset[Any] = frozenset(
    {
        Body.REPORT_FRAUD,
        Body.CYMRUSOC,
        Channel.TEAMS,
        Commitment.A,
    }
)

#: The enums in `domain/` that nobody reads as words, and why they need no labels.
NOT_READ_BY_PEOPLE: dict[type[Enum], str] = {
    NationalMessageKind: "which template a message about an authority uses; people read it",
    Rejection: "why a request was refused, for programs: each refusal carries its own message",
    Permission: "what a role may do, checked by the server; people see the role (AccessRole)",
    TokenScope: "an API token's scope, read by programs",
    Trigger: "when a rule applies; people read the obligation it starts and its body",
    ClockStart: "the moment a deadline counts from; people read the deadline itself",
    Downloader: "how a reader stands towards an incident, for the download rule; never shown",
}


def label(value: Enum | Body, language: Language) -> str:
    """How `value` reads in English or Welsh."""
    return LABELS[type(value)][language][value]
