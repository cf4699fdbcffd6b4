"""An incident's evidence as the API says it: each file with its hash, each hand-over, each
download; and the request that records a hand-over.

Kept apart from the routes (`web.api.evidence`) so that the operations the pages share
(`web.api.evidence_recording`) answer in the same shapes, and the evidence page reads the
hand-over from its form as the same request (`web.pages.evidence`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, field_validator
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.evidence import CustodyMethod, CustodyRecipient
from domain.vocabulary import Tlp
from models import EvidenceDownload, Incident
from models import EvidenceFile as EvidenceRow
from services import evidence as evidence_service
from services.evidence import HandOver, download_refusal
from web.deps import Caller
from web.schemas import CLOCK_SKEW, Moment, OneLine, Strict


class EvidenceFileView(BaseModel):
    file_id: str
    name: str
    """The name as uploaded, without folders or control characters."""
    content_type: str
    """As the uploader sent it; a download gives it only if no browser would run it."""
    size: int
    sha256: str
    description: str | None
    uploaded_by: str
    uploaded_at: datetime | None
    """None for a moment after an upload, while the timeline is recording it."""
    timeline_event: int | None
    """The timeline event that records the file, its hash in the hash chain."""

    @classmethod
    def of(cls, row: EvidenceRow) -> EvidenceFileView:
        return cls(
            file_id=row.id,
            name=row.name,
            content_type=row.content_type,
            size=row.size,
            sha256=row.sha256,
            description=row.description,
            uploaded_by=row.uploaded_by,
            uploaded_at=row.uploaded_at,
            timeline_event=row.sequence,
        )


class EvidenceAdded(BaseModel):
    """The files an upload added, each on the timeline with its hash."""

    files: list[EvidenceFileView]


class HandOverView(BaseModel):
    timeline_event: int | None
    """None for a moment after it is sent, while the timeline is recording it."""
    recorded_at: datetime | None
    recorded_by: str
    file_ids: list[str]
    recipient: CustodyRecipient
    recipient_name: str
    method: CustodyMethod
    handed_over_at: datetime
    reference: str | None
    note: str | None

    @classmethod
    def of(cls, given: HandOver) -> HandOverView:
        return cls(
            timeline_event=given.sequence,
            recorded_at=given.recorded_at,
            recorded_by=given.recorded_by,
            file_ids=given.file_ids,
            recipient=given.recipient,
            recipient_name=given.recipient_name,
            method=given.method,
            handed_over_at=given.handed_over_at,
            reference=given.reference,
            note=given.note,
        )


class DownloadView(BaseModel):
    file_id: str | None
    """None: the evidence bundle."""
    downloaded_by: str
    downloaded_at: datetime


class EvidenceView(BaseModel):
    """An incident's evidence: each file with its hash, each hand-over, each download."""

    incident_id: str
    reference: str
    tlp: Tlp
    may_download: bool
    """Whether you may download the files and the bundle, under the incident's marking."""
    download_refusal: str | None
    """Why not, in English and Welsh."""
    files: list[EvidenceFileView]
    custody: list[HandOverView]
    downloads: list[DownloadView]


class CustodyRequest(Strict):
    """A hand-over of some of the incident's evidence: who to, how, when, and which files."""

    file_ids: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=200, description="The files handed over, by their file_id."
    )
    recipient: CustodyRecipient
    recipient_name: Annotated[OneLine, StringConstraints(min_length=1, max_length=200)] = Field(
        description='The organisation or person, e.g. "Tarian regional cyber crime unit, DC Jones".'
    )
    method: CustodyMethod
    handed_over_at: Moment | None = Field(
        None, description="When it was handed over (not in the future); now if left out."
    )
    reference: Annotated[OneLine, StringConstraints(max_length=200)] | None = Field(
        None, description="The recipient's crime, claim or case reference."
    )
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None

    @field_validator("handed_over_at")
    @classmethod
    def _not_in_the_future(cls, moment: datetime | None) -> datetime | None:
        if moment is not None and moment > datetime.now(UTC) + CLOCK_SKEW:
            raise ValueError(
                "The hand-over time cannot be in the future. / "
                "Ni all amser y trosglwyddo fod yn y dyfodol."
            )
        return moment


async def evidence_view(
    incident: Incident, *, caller: Caller, session: AsyncSession
) -> EvidenceView:
    """The list's answer, saying whether this reader may download under the incident's
    marking (and why not)."""
    files = await evidence_service.evidence_of(incident.id, session=session)
    custody = await evidence_service.custody_of(incident.id, session=session)
    downloads: list[EvidenceDownload] = await evidence_service.downloads_of(
        incident.id, session=session
    )
    refusal = download_refusal(caller, incident)
    return EvidenceView(
        incident_id=incident.id,
        reference=incident.reference,
        tlp=incident.tlp,
        may_download=refusal is None,
        download_refusal=refusal,
        files=[EvidenceFileView.of(row) for row in files],
        custody=[HandOverView.of(given) for given in custody],
        downloads=[
            DownloadView(
                file_id=d.file_id, downloaded_by=d.downloaded_by, downloaded_at=d.downloaded_at
            )
            for d in downloads
        ],
    )
