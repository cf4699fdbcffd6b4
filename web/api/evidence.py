"""/api/incidents/{incident_id}/evidence and /custody: an incident's evidence, under TLP.

Files are sent as multipart/form-data and streamed straight into the evidence store
(`web.uploads`): the route reads the request itself, since a declared `UploadFile` would make
FastAPI spool the whole body first, and its body is documented for /docs with `openapi_extra`.
The API and the pages share the operations here (`receive`, `record_upload`, `file_response`,
`bundle_response`, `hand_over`), so both refuse alike, in both languages.

Reading the list needs READ_INCIDENTS or READ_TIMELINES; adding files or a hand-over needs
RUN_INCIDENTS for the incident's own authority; downloading needs a reader whom the
incident's TLP marking allows (`services.evidence.download_refusal`), and is recorded each time.
Another authority's incident is a 404, as everywhere.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, HTTPException, Path, Request, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, StringConstraints, field_validator
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.types import Message, Receive
from temporalio.client import Client

from domain.commands import Rejection
from domain.evidence import (
    MAX_FILES_AT_ONCE,
    CustodyMethod,
    CustodyRecipient,
    RecordCustody,
)
from domain.rules import in_both
from domain.vocabulary import Tlp
from models import EvidenceDownload, Incident
from models import EvidenceFile as EvidenceRow
from runtime.settings import Settings
from services import evidence as evidence_service
from services.evidence import HandOver, download_refusal
from services.evidence_bundle import NothingToBundle, prepare_bundle
from services.temporal_gateway import UpdateRefused, WorkflowUnavailable
from storage import EvidenceStore, EvidenceStoreError, evidence_store
from web.api.responses import COMMON
from web.deps import (
    Caller,
    IncidentToRun,
    ListsIncidents,
    RunsIncidents,
    SessionDep,
    SettingsDep,
    TemporalDep,
    end_reading,
    readable_incident,
)
from web.operations import OperationError
from web.rate_limits import PerIncident, RateLimits, TooFast, rate_limits
from web.schemas import CLOCK_SKEW, Moment, OneLine, Problem, Strict
from web.uploads import (
    BODY_OVERHEAD,
    ReceivedUpload,
    UploadInvalid,
    UploadTooLarge,
    receive_upload,
)

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/api/incidents", tags=["evidence"], responses=COMMON)

#: Uploads read their own body, a file at a time, under their own limits: the app's limit on
#: a request's size (`web.limits.RequestSizeLimit`) does not apply to these paths' POSTs.
STREAMED_UPLOADS = re.compile(r"(/api)?/incidents/[^/]+/evidence")

#: What an upload's form may carry besides its files ("files"); the pages add their CSRF token.
UPLOAD_FIELDS = frozenset({"description"})
FILES_FIELD = "files"
MAX_DESCRIPTION = 2000

FileId = Annotated[str, Path(min_length=1, max_length=64, description="The file's id.")]


def get_evidence_store(request: Request) -> EvidenceStore:
    """The store the deployment configured, made once per app (an S3 client is costly)."""
    store: EvidenceStore | None = getattr(request.app.state, "evidence_store", None)
    if store is None:
        store = evidence_store(request.app.state.settings)
        request.app.state.evidence_store = store
    return store


StoreDep = Annotated[EvidenceStore, Depends(get_evidence_store)]


async def incident_to_read(
    incident_id: str, caller: ListsIncidents, session: SessionDep
) -> Incident:
    """An incident the caller reads (its details or its timeline); another authority's: 404."""
    incident = await readable_incident(incident_id, caller, session)
    await end_reading(session)
    return incident


IncidentToRead = Annotated[Incident, Depends(incident_to_read)]


# ------------------------------------------------------------------ what the API says


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


# ------------------------------------------------------------------ the operations


def _no_files() -> OperationError:
    return OperationError(
        422,
        in_both("Choose at least one file to add.", "Dewiswch o leiaf un ffeil i'w hychwanegu."),
    )


async def _check_count(limits: RateLimits, incident: Incident) -> None:
    try:
        await limits.check_incident(PerIncident.CHANGES, incident.id)
    except TooFast as refused:
        raise OperationError(429, refused.message, retry_after=refused.seconds) from None


class _Watched:
    """The request's ASGI `receive`, noting when the body has ended (or the client gone)."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self.ended = False

    async def __call__(self) -> Message:
        message = await self._receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            self.ended = True
        return message

    async def drain(self, request: Request, settings: Settings) -> None:
        """Read what is left of a refused upload's body, so the answer reaches a browser that
        is still sending (it would otherwise see the connection cut and no page); a body
        declared larger than any upload may be is left unread."""
        declared = request.headers.get("content-length", "")
        most = settings.evidence_max_bytes * MAX_FILES_AT_ONCE + BODY_OVERHEAD
        if declared.isdigit() and int(declared) > most:
            return
        while not self.ended:
            await self()


async def receive(
    request: Request,
    incident: Incident,
    *,
    store: EvidenceStore,
    settings: Settings,
    limits: RateLimits,
) -> ReceivedUpload:
    """Store the request's files as they arrive; 413 for a file (or a body) over its limit,
    400 for a body that is not a well-formed upload: either way nothing stays stored."""
    await _check_count(limits, incident)
    watched = _Watched(request.receive)
    try:
        return await receive_upload(
            Request(request.scope, watched),
            store,
            key_prefix=evidence_service.key_prefix(incident),
            file_limit=settings.evidence_max_bytes,
            max_files=MAX_FILES_AT_ONCE,
        )
    except UploadTooLarge as refused:
        await watched.drain(request, settings)
        # More files than the documented maxItems is a request that is not valid (422); a file
        # over the size limit is content too large (413).
        too_many = refused.english.startswith(f"Send at most {MAX_FILES_AT_ONCE} files")
        code = 422 if too_many else status.HTTP_413_CONTENT_TOO_LARGE
        raise OperationError(code, str(refused)) from None
    except UploadInvalid as refused:
        await watched.drain(request, settings)
        raise OperationError(status.HTTP_400_BAD_REQUEST, str(refused)) from None


def _description(received: ReceivedUpload, allowed: frozenset[str]) -> str | None:
    """The upload's description; raises `OperationError` (422) for an unknown field, a file
    sent under another name, or a description too long."""
    unknown = sorted({name for name, _ in received.fields} - UPLOAD_FIELDS - allowed)
    unknown += sorted({f.field_name for f in received.files} - {FILES_FIELD})
    if unknown:
        names = ", ".join(unknown)
        raise OperationError(
            422,
            in_both(
                f"Unknown field {names}: send the files as {FILES_FIELD}, and a description.",
                f"Maes anhysbys {names}: anfonwch y ffeiliau fel {FILES_FIELD}, a disgrifiad.",
            ),
        )
    description = (received.field("description") or "").strip()
    if len(description) > MAX_DESCRIPTION or "\x00" in description:
        raise OperationError(
            422,
            in_both(
                f"The description must be text of at most {MAX_DESCRIPTION:,} characters.",
                f"Rhaid i'r disgrifiad fod yn destun o ddim mwy na {MAX_DESCRIPTION:,} nod.",
            ),
        )
    return description or None


def _refused(error: UpdateRefused | WorkflowUnavailable) -> OperationError:
    if isinstance(error, WorkflowUnavailable):
        unavailable = in_both(
            "The workflow service is unavailable, so nothing was kept; try again in a moment.",
            "Nid yw'r gwasanaeth llif gwaith ar gael, felly ni chadwyd dim; rhowch gynnig arall "
            "arni mewn munud.",
        )
        return OperationError(503, unavailable, retry_after=5)
    code = 422 if error.rejection is Rejection.INVALID else 409
    return OperationError(code, error.message)


async def record_upload(
    incident: Incident,
    received: ReceivedUpload,
    *,
    caller: Caller,
    store: EvidenceStore,
    session: AsyncSession,
    temporal: Client,
    settings: Settings,
    allowed_fields: frozenset[str] = frozenset(),
) -> list[EvidenceFileView]:
    """Put the stored files on the incident's timeline and answer with them as recorded;
    anything refused deletes them first."""
    try:
        if not received.files:
            raise _no_files()
        description = _description(received, allowed_fields)
    except OperationError:
        await evidence_service.discard(store, received)
        raise
    try:
        command = await evidence_service.attach(
            incident,
            received,
            description=description,
            actor=caller.name,
            store=store,
            temporal=temporal,
            task_queue=settings.task_queue,
        )
    except (UpdateRefused, WorkflowUnavailable) as refused:
        raise _refused(refused) from None
    file_ids = [file.file_id for file in command.files]
    rows = await evidence_service.recorded_files(incident.id, file_ids, session=session)
    if rows is not None:
        return [EvidenceFileView.of(row) for row in rows]
    return [  # taken, and being recorded: the list shows them in a moment
        EvidenceFileView(
            file_id=file.file_id,
            name=file.name,
            content_type=file.content_type,
            size=file.size,
            sha256=file.sha256,
            description=command.description,
            uploaded_by=command.actor,
            uploaded_at=None,
            timeline_event=None,
        )
        for file in command.files
    ]


async def hand_over(
    incident: Incident,
    request_in: CustodyRequest,
    *,
    caller: Caller,
    session: AsyncSession,
    temporal: Client,
    settings: Settings,
    limits: RateLimits,
) -> HandOverView:
    """Record a hand-over; 422 for a time before the incident, 409 for a file it does not keep."""
    handed_over_at = request_in.handed_over_at or datetime.now(UTC)
    try:
        evidence_service.check_hand_over_time(incident, handed_over_at)
    except ValueError as invalid:
        raise OperationError(422, str(invalid)) from None
    await _check_count(limits, incident)
    file_ids = list(dict.fromkeys(request_in.file_ids))
    command = RecordCustody(
        **request_in.model_dump(exclude={"file_ids", "handed_over_at"}),
        file_ids=file_ids,
        handed_over_at=handed_over_at,
        actor=caller.name,
    )
    try:
        recorded = await evidence_service.record_custody(
            incident,
            command,
            session=session,
            temporal=temporal,
            task_queue=settings.task_queue,
        )
    except (UpdateRefused, WorkflowUnavailable) as refused:
        raise _refused(refused) from None
    if recorded is not None:
        return HandOverView.of(recorded)
    return HandOverView(
        timeline_event=None,
        recorded_at=None,
        recorded_by=caller.name,
        **command.model_dump(exclude={"actor"}),
    )


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


async def evidence_view(
    incident: Incident, *, caller: Caller, session: AsyncSession
) -> EvidenceView:
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


# ------------------------------------------------------------------ the routes

_UPLOAD: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [FILES_FIELD],
                    "properties": {
                        FILES_FIELD: {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "minItems": 1,
                            "maxItems": MAX_FILES_AT_ONCE,
                            "description": "The files: logs, screenshots, the ransom note, "
                            "email headers, forensic reports. Each may be up to "
                            "CONCORDAT_EVIDENCE_MAX_BYTES (default 100 MB).",
                        },
                        "description": {
                            "type": "string",
                            "maxLength": MAX_DESCRIPTION,
                            "description": "What the files are, recorded with each of them.",
                        },
                    },
                    "additionalProperties": False,
                }
            }
        },
    }
}

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    409: {
        "model": Problem,
        "description": "The incident's record refused it (a hand-over naming a file it does "
        "not keep).",
    },
    503: {"model": Problem, "description": "Temporal is unreachable: nothing was kept; try again."},
}

_DOWNLOAD_PROBLEMS: dict[int | str, dict[str, Any]] = {
    403: {
        "model": Problem,
        "description": "The incident's TLP marking does not allow you to download its evidence, "
        "or your role does not allow this.",
    },
    409: {
        "model": Problem,
        "description": "A stored file cannot be read (missing, changed, or its key is not "
        "configured); `concordat audit verify` names it.",
    },
}


def _binary(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": description,
            "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
        }
    }


@router.post(
    "/{incident_id}/evidence",
    status_code=status.HTTP_201_CREATED,
    response_model=EvidenceAdded,
    openapi_extra=_UPLOAD,
    responses={
        400: {
            "model": Problem,
            "description": "Not well-formed multipart/form-data, or cut short: nothing was kept.",
        },
        413: {
            "model": Problem,
            "description": "A file is over CONCORDAT_EVIDENCE_MAX_BYTES: nothing was kept.",
        },
        **_PROBLEMS,
    },
)
async def upload_evidence(
    request: Request,
    incident: IncidentToRun,
    caller: RunsIncidents,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    store: StoreDep,
) -> EvidenceAdded:
    """Attach files to the incident, several at once, as multipart/form-data (`files`, and an
    optional `description`). Each is streamed into the evidence store, encrypted, hashed as it
    arrives, and recorded on the timeline with its SHA-256, size, type, who and when."""
    received = await receive(
        request, incident, store=store, settings=settings, limits=rate_limits(request)
    )
    files = await record_upload(
        incident,
        received,
        caller=caller,
        store=store,
        session=session,
        temporal=temporal,
        settings=settings,
    )
    return EvidenceAdded(files=files)


@router.get("/{incident_id}/evidence", response_model=EvidenceView)
async def list_evidence(
    incident: IncidentToRead, caller: ListsIncidents, session: SessionDep
) -> EvidenceView:
    """The incident's files with their hashes, each hand-over, and each download."""
    return await evidence_view(incident, caller=caller, session=session)


# Before /{file_id}, which would otherwise take "bundle" for a file's id.
@router.get(
    "/{incident_id}/evidence/bundle",
    response_class=StreamingResponse,
    responses=_binary(
        "application/x-tar",
        "One tar archive: the files, their manifest and SHA256SUMS, the hand-overs and the "
        "sealed timeline; the same bytes each time. Check it with `tar -xf BUNDLE.tar && cd "
        "REFERENCE && sha256sum -c SHA256SUMS`.",
    )
    | _DOWNLOAD_PROBLEMS,
)
async def download_bundle(
    incident: IncidentToRead, caller: ListsIncidents, session: SessionDep, store: StoreDep
) -> StreamingResponse:
    """The evidence bundle for the police or an insurer. The TLP rule applies to the bundle
    as a whole, and the download is recorded."""
    return await bundle_response(incident, caller=caller, session=session, store=store)


@router.get(
    "/{incident_id}/evidence/{file_id}",
    response_class=StreamingResponse,
    responses=_binary(
        "*/*",
        "The file, as an attachment: its recorded type if no browser would run it, "
        "application/octet-stream otherwise.",
    )
    | _DOWNLOAD_PROBLEMS,
)
async def download_file(
    incident: IncidentToRead,
    file_id: FileId,
    caller: ListsIncidents,
    session: SessionDep,
    store: StoreDep,
) -> StreamingResponse:
    """One file, streamed. TLP:RED and TLP:AMBER+STRICT evidence is for the officers running
    the incident and the named members; TLP:AMBER adds the council's other members and its
    auditors; GREEN and CLEAR add the central team. Every download is recorded."""
    return await file_response(incident, file_id, caller=caller, session=session, store=store)


@router.post(
    "/{incident_id}/custody",
    status_code=status.HTTP_201_CREATED,
    response_model=HandOverView,
    responses=_PROBLEMS,
)
async def record_hand_over(
    request: Request,
    request_in: CustodyRequest,
    incident: IncidentToRun,
    caller: RunsIncidents,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
) -> HandOverView:
    """Record that some of the evidence was handed over: to whom, when, what, and how."""
    return await hand_over(
        incident,
        request_in,
        caller=caller,
        session=session,
        temporal=temporal,
        settings=settings,
        limits=rate_limits(request),
    )
