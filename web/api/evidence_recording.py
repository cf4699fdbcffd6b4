"""What the evidence API and the evidence page both record: files received from an upload, and
hand-overs of evidence, each on the incident's timeline.

Shared by the routes (`web.api.evidence`) and the page (`web.pages.evidence`) so that both refuse
alike, in both languages: a refusal is an `OperationError`. Files are streamed straight into the
evidence store as they arrive (`web.uploads`), and anything refused deletes what was stored.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Request, status
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.types import Message, Receive
from temporalio.client import Client

from domain.commands import Rejection
from domain.evidence import MAX_FILES_AT_ONCE, RecordCustody
from domain.rules import in_both
from models import Incident
from runtime.settings import Settings
from services import evidence as evidence_service
from services.temporal_gateway import UpdateRefused, WorkflowUnavailable
from storage import EvidenceStore
from web.api.evidence_models import CustodyRequest, EvidenceFileView, HandOverView
from web.deps import Caller
from web.operations import OperationError
from web.rate_limits import PerIncident, RateLimits, TooFast
from web.uploads import (
    BODY_OVERHEAD,
    ReceivedUpload,
    UploadInvalid,
    UploadTooLarge,
    receive_upload,
)

#: What an upload's form may carry besides its files ("files"); the pages add their CSRF token.
UPLOAD_FIELDS = frozenset({"description"})
FILES_FIELD = "files"
MAX_DESCRIPTION = 2000


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
