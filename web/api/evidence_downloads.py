"""Downloads of an incident's evidence, for the API and the evidence page alike: one file, or the
evidence bundle, streamed once the incident's TLP marking allows the reader, and recorded.

Shared by the routes (`web.api.evidence`) and the page (`web.pages.evidence`), so that a
download is refused, and recorded, the same way from either.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import structlog
from fastapi import HTTPException, status
from fastapi.responses import StreamingResponse
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.rules import in_both
from models import Incident
from services import evidence as evidence_service
from services.evidence import download_refusal
from services.evidence_bundle import NothingToBundle, prepare_bundle
from storage import EvidenceStore, EvidenceStoreError
from web.deps import Caller, end_reading
from web.operations import OperationError

log = structlog.get_logger(__name__)


async def _guarded(
    chunks: AsyncIterator[bytes], incident: Incident, what: str
) -> AsyncIterator[bytes]:
    """The bytes as they stream; a stored file that is not the record cuts the download short
    (its length was declared, so the client knows), and is logged."""
    try:
        async for chunk in chunks:
            yield chunk
    except EvidenceStoreError as broken:
        log.error(
            "evidence_download_broken",
            incident_id=incident.id,
            workflow_id=incident.workflow_id,
            authority_id=incident.authority_id,
            what=what,
            error=type(broken).__name__,
        )
        raise


def _refuse_download(caller: Caller, incident: Incident) -> None:
    refusal = download_refusal(caller, incident)
    if refusal is not None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, refusal)


async def file_response(
    incident: Incident,
    file_id: str,
    *,
    caller: Caller,
    session: AsyncSession,
    store: EvidenceStore,
) -> StreamingResponse:
    """One file, streamed, once the TLP rule allows it and the download is recorded."""
    row = await evidence_service.evidence_file(incident.id, file_id, session=session)
    await end_reading(session)
    if row is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            in_both(
                f"No evidence file {file_id} is kept for incident {incident.reference}.",
                f"Nid oes ffeil dystiolaeth {file_id} wedi'i chadw ar gyfer digwyddiad "
                f"{incident.reference}.",
            ),
        )
    _refuse_download(caller, incident)
    try:
        chunks = await evidence_service.open_checked(
            store, key=row.storage_key, size=row.size, sha256=row.sha256
        )
    except EvidenceStoreError:
        raise OperationError(409, evidence_service.unreadable(row.name)) from None
    await evidence_service.record_download(incident, row.id, who=caller.name, session=session)
    return StreamingResponse(
        _guarded(chunks, incident, "file"),
        media_type=evidence_service.safe_content_type(row.content_type),
        headers={
            "Content-Disposition": evidence_service.attachment(row.name),
            "Content-Length": str(row.size),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


async def bundle_response(
    incident: Incident, *, caller: Caller, session: AsyncSession, store: EvidenceStore
) -> StreamingResponse:
    """The evidence bundle, streamed, once the TLP rule allows it and the download is
    recorded."""
    nothing = HTTPException(
        status.HTTP_404_NOT_FOUND,
        in_both(
            f"No evidence is kept for incident {incident.reference}, so there is no bundle.",
            f"Nid oes tystiolaeth wedi'i chadw ar gyfer digwyddiad {incident.reference}, felly "
            "nid oes bwndel.",
        ),
    )
    if not await evidence_service.evidence_of(incident.id, session=session):
        await end_reading(session)
        raise nothing
    await end_reading(session)
    _refuse_download(caller, incident)
    try:
        bundle = await prepare_bundle(incident, session=session)
    except NothingToBundle:
        raise nothing from None
    for name, key in bundle.stored:
        if not await store.exists(key):
            raise OperationError(409, evidence_service.unreadable(name))
    await evidence_service.record_download(incident, None, who=caller.name, session=session)
    return StreamingResponse(
        _guarded(bundle.stream(store), incident, "bundle"),
        media_type="application/x-tar",
        headers={
            "Content-Disposition": evidence_service.attachment(bundle.filename),
            "Content-Length": str(bundle.size),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )
