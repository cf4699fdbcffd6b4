"""Words the templates need in both languages (Welsh Language Standards: no less favourably)."""

from __future__ import annotations

from domain.obligations import Body
from domain.vocabulary import IncidentType, Language, MemberRole, NcscCategory

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

WEEKDAYS = {
    Language.ENGLISH: (
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ),
    Language.WELSH: (
        "Dydd Llun",
        "Dydd Mawrth",
        "Dydd Mercher",
        "Dydd Iau",
        "Dydd Gwener",
        "Dydd Sadwrn",
        "Dydd Sul",
    ),
}

MONTHS = {
    Language.ENGLISH: (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    Language.WELSH: (
        "Ionawr",
        "Chwefror",
        "Mawrth",
        "Ebrill",
        "Mai",
        "Mehefin",
        "Gorffennaf",
        "Awst",
        "Medi",
        "Hydref",
        "Tachwedd",
        "Rhagfyr",
    ),
}

BODY_NAMES: dict[Language, dict[Body, str]] = {
    Language.ENGLISH: {body: body.label for body in Body},
    Language.WELSH: {
        Body.NCSC: "yr NCSC",
        Body.ICO: "Swyddfa'r Comisiynydd Gwybodaeth (ICO)",
        Body.AFFECTED_INDIVIDUALS: "yr unigolion yr effeithir arnynt",
        Body.REPORT_FRAUD: "Report Fraud",
        Body.WELSH_GOVERNMENT: "Uned Cydnerthedd Seiber Llywodraeth Cymru",
        Body.CYMRUSOC: "CymruSOC",
        Body.POLICE: "uned seiber ranbarthol yr heddlu",
        Body.INSURER: "yr yswiriwr",
    },
}
