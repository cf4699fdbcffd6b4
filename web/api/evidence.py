"""/api/incidents/{incident_id}/evidence and /custody: an incident's evidence, under TLP.

Files are sent as multipart/form-data and streamed straight into the evidence store
(`web.uploads`): the route reads the request itself, since a declared `UploadFile` would make
FastAPI spool the whole body first, and its body is documented for /docs with `openapi_extra`.
The API and the pages share the operations (`receive`, `record_upload` and `hand_over` in
`web.api.evidence_recording`; `file_response` and `bundle_response` in
`web.api.evidence_downloads`), so both refuse alike, in both languages; the answers are in
`web.api.evidence_models`. This module holds the routes and what they depend on.

Reading the list needs READ_INCIDENTS or READ_TIMELINES; adding files or a hand-over needs
RUN_INCIDENTS for the incident's own authority; downloading needs a reader whom the
incident's TLP marking allows (`services.evidence.download_refusal`), and is recorded each time.
Another authority's incident is a 404, as everywhere.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, status
from fastapi.responses import StreamingResponse

from domain.evidence import MAX_FILES_AT_ONCE
from models import Incident
from storage import EvidenceStore, evidence_store
from web.api.evidence_downloads import bundle_response, file_response
from web.api.evidence_models import (
    CustodyRequest,
    EvidenceAdded,
    EvidenceView,
    HandOverView,
    evidence_view,
)
from web.api.evidence_recording import (
    FILES_FIELD,
    MAX_DESCRIPTION,
    hand_over,
    receive,
    record_upload,
)
from web.api.responses import COMMON
from web.deps import (
    IncidentToRun,
    ListsIncidents,
    RunsIncidents,
    SessionDep,
    SettingsDep,
    TemporalDep,
    end_reading,
    readable_incident,
)
from web.rate_limits import rate_limits
from web.schemas import Problem

router = APIRouter(prefix="/api/incidents", tags=["evidence"], responses=COMMON)

#: Uploads read their own body, a file at a time, under their own limits: the app's limit on
#: a request's size (`web.limits.RequestSizeLimit`) does not apply to these paths' POSTs.
STREAMED_UPLOADS = re.compile(r"(/api)?/incidents/[^/]+/evidence")

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
                        # No "type": a form field is text whatever it looks like ("42" is a
                        # description too), so no value of it is of the wrong type.
                        "description": {
                            "maxLength": MAX_DESCRIPTION,
                            "description": "What the files are, as text, recorded with each "
                            "of them.",
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
