"""Evidence kept about an incident, and its chain of custody.

A file's bytes live in the evidence store (`storage`), encrypted; what the incident's timeline
records is the file's identity: its SHA-256, size, type, name, and who gave it when. The hash
chain then covers the evidence, and `concordat audit verify` can re-hash each stored file
against what was recorded. Hand-overs to the police, an insurer, a forensic firm or the NCSC
are recorded events too: who, to whom, when, what, and how it was sent.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator

from domain.vocabulary import MemberRole, Tlp

#: Files one request may attach, and one hand-over may name.
MAX_FILES_AT_ONCE = 20

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class EvidenceFile(BaseModel):
    """One stored file, as the timeline records it."""

    file_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=255)
    content_type: str = Field(max_length=255)
    size: int = Field(ge=0)
    sha256: str
    storage_key: str = Field(min_length=1, max_length=500)
    key_id: str | None = Field(None, max_length=64)
    """The payload key the stored bytes are encrypted with (None: stored in development, plain)."""

    @field_validator("sha256")
    @classmethod
    def _hex_digest(cls, value: str) -> str:
        if not _SHA256.match(value):
            raise ValueError("sha256 must be 64 lower-case hex digits")
        return value


class AttachEvidence(BaseModel):
    """Files uploaded together: one timeline event each, written in one go."""

    files: list[EvidenceFile] = Field(min_length=1, max_length=MAX_FILES_AT_ONCE)
    description: str | None = Field(None, max_length=2000)
    actor: str


class CustodyRecipient(StrEnum):
    """Who evidence is handed to; "other" names them in `recipient_name`."""

    POLICE_REGIONAL_CYBER_UNIT = "police_regional_cyber_unit"
    NATIONAL_CRIME_AGENCY = "national_crime_agency"
    NCSC = "ncsc"
    INSURER = "insurer"
    FORENSIC_FIRM = "forensic_firm"
    ICO = "ico"
    OTHER = "other"


class CustodyMethod(StrEnum):
    """How it was sent."""

    SECURE_UPLOAD = "secure_upload"
    ENCRYPTED_EMAIL = "encrypted_email"
    ENCRYPTED_MEDIA = "encrypted_media"
    IN_PERSON = "in_person"
    EVIDENCE_BUNDLE = "evidence_bundle"
    OTHER = "other"


class RecordCustody(BaseModel):
    """A hand-over of some of the incident's evidence."""

    file_ids: list[str] = Field(min_length=1, max_length=200)
    recipient: CustodyRecipient
    recipient_name: str = Field(min_length=1, max_length=200)
    """The organisation or person, e.g. "Tarian regional cyber crime unit, DC Jones"."""
    method: CustodyMethod
    handed_over_at: datetime
    reference: str | None = Field(None, max_length=200)
    """The recipient's crime, claim or case reference."""
    note: str | None = Field(None, max_length=2000)
    actor: str


#: Who may download evidence under each marking, beyond the officers running the incident:
#: RED evidence is for the named members and the officers running the incident alone.
NAMED_MEMBERS: frozenset[MemberRole] = frozenset(
    {
        MemberRole.EXECUTIVE_MEMBER,
        MemberRole.SENIOR_MANAGEMENT_MEMBER,
        MemberRole.DEPUTY_EXECUTIVE_MEMBER,
        MemberRole.DEPUTY_SENIOR_MANAGEMENT_MEMBER,
    }
)


class Downloader(StrEnum):
    """How the person asking stands towards the incident, for `may_download`."""

    RUNNING_OFFICER = "running_officer"
    """An on-call officer or administrator of the incident's authority."""
    NAMED_MEMBER = "named_member"
    """A responsible member holding one of the roles named under commitment c, or a deputy."""
    OTHER_MEMBER = "other_member"
    """A responsible member in another role (the chief executive, the DPO)."""
    AUDITOR = "auditor"
    CENTRAL_TEAM = "central_team"


def may_download(tlp: Tlp, downloader: Downloader) -> bool:
    """Whether evidence under this marking may be downloaded by this reader.

    TLP:RED and TLP:AMBER+STRICT stay with the people running the incident and the named
    members; TLP:AMBER adds the authority's other members and its auditors; GREEN and CLEAR
    add the central team. Reading that a file exists (its name and hash) is wider: whoever
    reads the incident's timeline sees the record.
    """
    inner = {Downloader.RUNNING_OFFICER, Downloader.NAMED_MEMBER}
    if tlp in (Tlp.RED, Tlp.AMBER_STRICT):
        return downloader in inner
    if tlp is Tlp.AMBER:
        return downloader in inner | {Downloader.OTHER_MEMBER, Downloader.AUDITOR}
    return True
