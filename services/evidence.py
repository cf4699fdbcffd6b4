"""Evidence attached to an incident: taking files in, handing them over, and letting them out.

Files arrive streamed (`web.uploads.receive_upload`) and are stored before the incident's record
takes them: each `evidence_added` event names the stored key and the SHA-256 the store computed
as the bytes went by, so the hash chain covers exactly what was kept. If the record refuses the
files, or Temporal cannot be reached, the stored files are deleted again: nothing is left
half-created. The process holding the timeline writes the events a moment later, and the
`evidence_file` rows with them; a request waits that moment, so its answer (and the page it
leads to) lists what it added.

Who may take a file out is the TLP rule of `domain.evidence.may_download`, applied to the
incident's marking and to how the reader stands towards the incident. Every file or bundle
given to someone is recorded in `evidence_download`, whoever they are.

`concordat audit verify` re-hashes every stored file against its recorded hash
(`check_kept_files`), and names each file changed or missing with its incident.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

import structlog
from pydantic import ValidationError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from audit.verify import Break
from domain.access import AccessRole
from domain.evidence import (
    NAMED_MEMBERS,
    AttachEvidence,
    CustodyMethod,
    CustodyRecipient,
    Downloader,
    EvidenceFile,
    RecordCustody,
    may_download,
)
from domain.rules import in_both
from domain.vocabulary import EventKind, MemberRole, Tlp
from models import Authority, EvidenceDownload, Incident, TimelineEvent
from models import EvidenceFile as EvidenceRow
from services.after_alarm import record_after_alarm
from services.temporal_gateway import UpdateRefused, WorkflowUnavailable
from storage import (
    EvidenceKeyUnavailable,
    EvidenceStore,
    StoredFileDamaged,
    StoredFileMissing,
)

if TYPE_CHECKING:
    from web.uploads import ReceivedUpload

log = structlog.get_logger(__name__)

#: How long a request waits for the timeline to record what it sent, so that its answer (and
#: the page it leads to) shows it; the recording activity usually takes a moment.
RECORDING_WAIT_SECONDS = 10.0
_POLL_SECONDS = 0.05

#: Types a file may be given out as: none of them runs in a browser. Anything else (HTML, SVG,
#: XML, scripts) goes out as application/octet-stream, whatever the uploader said it was.
SAFE_CONTENT_TYPES = frozenset(
    {
        "application/gzip",
        "application/json",
        "application/msword",
        "application/octet-stream",
        "application/pdf",
        "application/vnd.ms-excel",
        "application/vnd.ms-outlook",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.tcpdump.pcap",
        "application/x-7z-compressed",
        "application/x-tar",
        "application/zip",
        "image/bmp",
        "image/gif",
        "image/jpeg",
        "image/png",
        "image/tiff",
        "image/webp",
        "message/rfc822",
        "text/csv",
        "text/plain",
    }
)


def key_prefix(incident: Incident) -> str:
    """Where an incident's files are stored: `evidence/<incident id>/<uuid>`."""
    return f"evidence/{incident.id}"


def _bound(incident: Incident) -> Any:
    return log.bind(
        incident_id=incident.id,
        workflow_id=incident.workflow_id,
        authority_id=incident.authority_id,
    )


# ------------------------------------------------------------------ taking files in


def attach_command(
    upload: ReceivedUpload, *, description: str | None, actor: str
) -> AttachEvidence:
    """One `EvidenceFile` per stored file, each with an id of its own. Raises pydantic's
    `ValidationError` for a description that is too long."""
    return AttachEvidence(
        files=[
            EvidenceFile(
                file_id=uuid.uuid4().hex,
                name=received.filename,
                content_type=received.content_type,
                size=received.size,
                sha256=received.sha256,
                storage_key=received.key,
                key_id=received.key_id,
            )
            for received in upload.files
        ],
        description=description or None,
        actor=actor,
    )


async def discard(store: EvidenceStore, upload: ReceivedUpload) -> None:
    """Delete what an upload stored, when its record did not take it; a failure here is logged
    and never hides the reason the upload was refused."""
    for received in upload.files:
        try:
            await store.delete(received.key)
        except Exception as error:
            log.error("evidence_not_removed", key=received.key, error=type(error).__name__)


async def attach(
    incident: Incident,
    upload: ReceivedUpload,
    *,
    description: str | None,
    actor: str,
    store: EvidenceStore,
    temporal: Client,
    task_queue: str,
) -> AttachEvidence:
    """Record the stored files on the incident's timeline, one event each; if the record does
    not take them (`UpdateRefused`, `WorkflowUnavailable`, an invalid description), delete
    them and raise."""
    try:
        command = attach_command(upload, description=description, actor=actor)
        await record_after_alarm(
            incident, "attach_evidence", command, temporal=temporal, task_queue=task_queue
        )
    except (ValidationError, UpdateRefused, WorkflowUnavailable) as refused:
        # Not recorded: nothing may stay. (Any other failure leaves the files, which the
        # record may already hold; `concordat audit verify` names a file recorded but gone.)
        _bound(incident).warning("evidence_not_recorded", reason=type(refused).__name__)
        await asyncio.shield(discard(store, upload))
        raise
    _bound(incident).info(
        "evidence_attached",
        files=len(command.files),
        bytes=sum(file.size for file in command.files),
    )
    return command


async def evidence_of(incident_id: str, *, session: AsyncSession) -> list[EvidenceRow]:
    """The incident's files, in the order the timeline recorded them."""
    return list(
        (
            await session.exec(
                select(EvidenceRow)
                .where(EvidenceRow.incident_id == incident_id)
                .order_by(col(EvidenceRow.sequence))
            )
        ).all()
    )


async def evidence_file(
    incident_id: str, file_id: str, *, session: AsyncSession
) -> EvidenceRow | None:
    """One of the incident's files; None when the incident has no file of that id."""
    row = await session.get(EvidenceRow, file_id)
    return row if row is not None and row.incident_id == incident_id else None


async def recorded_files(
    incident_id: str, file_ids: Sequence[str], *, session: AsyncSession
) -> list[EvidenceRow] | None:
    """The files once the timeline has recorded every one of them; None if that takes longer
    than a request waits (they will be: the record took them)."""
    deadline = time.monotonic() + RECORDING_WAIT_SECONDS
    wanted = set(file_ids)
    while True:
        rows = [row for row in await evidence_of(incident_id, session=session) if row.id in wanted]
        await session.commit()  # one short read each time: SQLite's writer is never held up
        if len(rows) == len(wanted):
            return rows
        if time.monotonic() > deadline:
            return None
        await asyncio.sleep(_POLL_SECONDS)


# ------------------------------------------------------------------ custody


@dataclass(frozen=True)
class HandOver:
    """One recorded hand-over of some of the incident's evidence."""

    sequence: int
    recorded_at: datetime
    recorded_by: str
    file_ids: list[str]
    recipient: CustodyRecipient
    recipient_name: str
    method: CustodyMethod
    handed_over_at: datetime
    reference: str | None
    note: str | None


def hand_over_of(
    sequence: int, occurred_at: datetime, actor: str, detail: Mapping[str, Any]
) -> HandOver:
    """A `custody_transferred` event read back from what the workflow recorded."""
    handed = datetime.fromisoformat(detail["handed_over_at"])
    return HandOver(
        sequence=sequence,
        recorded_at=occurred_at,
        recorded_by=actor,
        file_ids=list(detail["file_ids"]),
        recipient=CustodyRecipient(detail["recipient"]),
        recipient_name=detail["recipient_name"],
        method=CustodyMethod(detail["method"]),
        handed_over_at=handed if handed.tzinfo else handed.replace(tzinfo=UTC),
        reference=detail.get("reference"),
        note=detail.get("note"),
    )


async def custody_of(incident_id: str, *, session: AsyncSession) -> list[HandOver]:
    """Every hand-over, in the order the timeline recorded them."""
    events = (
        await session.exec(
            select(TimelineEvent)
            .where(
                TimelineEvent.incident_id == incident_id,
                TimelineEvent.kind == EventKind.CUSTODY_TRANSFERRED,
            )
            .order_by(col(TimelineEvent.sequence))
        )
    ).all()
    return [hand_over_of(e.sequence, e.occurred_at, e.actor, e.detail) for e in events]


def check_hand_over_time(incident: Incident, moment: datetime) -> None:
    """A hand-over happens once the incident is known; raises `ValueError` in both languages."""
    if moment < incident.detected_at:
        raise ValueError(
            in_both(
                "The hand-over cannot be before the incident was detected.",
                "Ni all y trosglwyddo fod cyn i'r digwyddiad gael ei ganfod.",
            )
        )


async def _custody_count(incident_id: str, session: AsyncSession) -> int:
    counted = (
        await session.exec(
            select(func.count()).where(
                TimelineEvent.incident_id == incident_id,
                TimelineEvent.kind == EventKind.CUSTODY_TRANSFERRED,
            )
        )
    ).one()
    await session.commit()
    return int(counted)


async def record_custody(
    incident: Incident,
    command: RecordCustody,
    *,
    session: AsyncSession,
    temporal: Client,
    task_queue: str,
) -> HandOver | None:
    """Record a hand-over on the incident's timeline; the hand-over as recorded (None if the
    recording takes longer than a request waits). Raises `UpdateRefused` (a file the incident
    does not keep) and `WorkflowUnavailable`."""
    before = await _custody_count(incident.id, session)
    await record_after_alarm(
        incident, "record_custody", command, temporal=temporal, task_queue=task_queue
    )
    _bound(incident).info(
        "evidence_handed_over",
        files=len(command.file_ids),
        recipient=command.recipient.value,
        method=command.method.value,
    )
    deadline = time.monotonic() + RECORDING_WAIT_SECONDS
    while await _custody_count(incident.id, session) <= before:
        if time.monotonic() > deadline:
            return None
        await asyncio.sleep(_POLL_SECONDS)
    recorded = await custody_of(incident.id, session=session)
    await session.commit()
    return recorded[-1]


# ------------------------------------------------------------------ letting files out


class Reader(Protocol):
    """What the download rule reads of the person asking (`web.deps.Caller`)."""

    @property
    def role(self) -> AccessRole: ...

    @property
    def member_role(self) -> MemberRole | None: ...

    def may_act_for(self, authority_id: int) -> bool: ...


def downloader_of(reader: Reader, incident: Incident) -> Downloader | None:
    """How the reader stands towards the incident, for `may_download`; None for a role that
    never downloads evidence (an administrator reads no incident)."""
    own = reader.may_act_for(incident.authority_id)
    if reader.role is AccessRole.ON_CALL_OFFICER and own:
        return Downloader.RUNNING_OFFICER
    if reader.role is AccessRole.RESPONSIBLE_MEMBER and own:
        if reader.member_role in NAMED_MEMBERS:
            return Downloader.NAMED_MEMBER
        return Downloader.OTHER_MEMBER
    if reader.role is AccessRole.AUDITOR:
        return Downloader.AUDITOR
    if reader.role is AccessRole.CENTRAL_TEAM:
        return Downloader.CENTRAL_TEAM
    return None


def download_refusal(reader: Reader, incident: Incident) -> str | None:
    """Why the reader may not download the incident's evidence, in both languages; None when
    they may."""
    downloader = downloader_of(reader, incident)
    if downloader is None:
        return in_both(
            "Your role does not allow downloading evidence.",
            "Nid yw eich rôl yn caniatáu lawrlwytho tystiolaeth.",
        )
    if may_download(incident.tlp, downloader):
        return None
    tlp = incident.tlp.value
    if incident.tlp is Tlp.AMBER:
        return in_both(
            f"This incident is marked {tlp}: its evidence may be downloaded only by the "
            "council's own people and its auditors.",
            f"Mae'r digwyddiad hwn wedi'i farcio'n {tlp}: dim ond pobl y cyngor ei hun a'i "
            "archwilwyr all lawrlwytho ei dystiolaeth.",
        )
    return in_both(
        f"This incident is marked {tlp}: its evidence may be downloaded only by the officers "
        "running the incident and the named members.",
        f"Mae'r digwyddiad hwn wedi'i farcio'n {tlp}: dim ond y swyddogion sy'n rhedeg y "
        "digwyddiad a'r aelodau a enwir all lawrlwytho ei dystiolaeth.",
    )


def unreadable(name: str) -> str:
    """Why a recorded file cannot be given out: its stored copy is gone, damaged, or sealed
    with a key this process lacks. The record, and its hash, stay."""
    return in_both(
        f"The stored copy of {name} cannot be read (missing, changed, or its key is not "
        "configured); its recorded hash stays on the timeline. Run `concordat audit verify`.",
        f"Nid oes modd darllen y copi o {name} sydd wedi'i storio (ar goll, wedi newid, neu nid "
        "yw ei allwedd wedi'i ffurfweddu); mae ei stwnsh a gofnodwyd yn aros ar y llinell amser. "
        "Rhedwch `concordat audit verify`.",
    )


async def record_download(
    incident: Incident, file_id: str | None, *, who: str, session: AsyncSession
) -> None:
    """One file (or, `file_id` None, the bundle) given to `who`; committed at once, before a
    byte goes out."""
    session.add(EvidenceDownload(incident_id=incident.id, file_id=file_id, downloaded_by=who))
    await session.commit()
    _bound(incident).info("evidence_downloaded", file_id=file_id, bundle=file_id is None)


async def downloads_of(incident_id: str, *, session: AsyncSession) -> list[EvidenceDownload]:
    return list(
        (
            await session.exec(
                select(EvidenceDownload)
                .where(EvidenceDownload.incident_id == incident_id)
                .order_by(col(EvidenceDownload.id))
            )
        ).all()
    )


async def open_checked(
    store: EvidenceStore, *, key: str, size: int, sha256: str
) -> AsyncIterator[bytes]:
    """The stored plaintext, a chunk at a time, checked against its record as it goes.

    Opening raises `StoredFileMissing`, `StoredFileDamaged` or `EvidenceKeyUnavailable` before
    any byte is given out; bytes that turn out not to be the recorded ones (damaged, or not the
    recorded size or hash) raise `StoredFileDamaged` at the end, so a download that is not the
    recorded file never completes."""
    chunks = await store.open(key)
    return _checked(chunks, key=key, size=size, sha256=sha256)


async def _checked(
    chunks: AsyncIterator[bytes], *, key: str, size: int, sha256: str
) -> AsyncIterator[bytes]:
    digest, given = hashlib.sha256(), 0
    try:
        async for chunk in chunks:
            given += len(chunk)
            if given > size:
                raise StoredFileDamaged(key, "longer than recorded")
            digest.update(chunk)
            yield chunk
    finally:
        close = getattr(chunks, "aclose", None)
        if close is not None:
            await close()
    if given != size or digest.hexdigest() != sha256:
        log.error("evidence_differs_from_record", key=key)
        raise StoredFileDamaged(key, "it differs from the recorded SHA-256")


def safe_content_type(recorded: str) -> str:
    """The recorded type if no browser would run it; application/octet-stream otherwise."""
    return recorded if recorded in SAFE_CONTENT_TYPES else "application/octet-stream"


def attachment(filename: str) -> str:
    """A Content-Disposition that saves the file under its name: a plain ASCII fallback, and
    the name itself in RFC 5987's UTF-8 form."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;%' else "_" for c in filename)
    encoded = quote(filename, safe="")
    return f"attachment; filename=\"{fallback or 'file'}\"; filename*=UTF-8''{encoded}"


# ------------------------------------------------------------------ verifying stored files


@dataclass(frozen=True)
class KeptFile:
    """A recorded file, with its incident, as `concordat audit verify` checks it."""

    authority: str
    reference: str
    sequence: int
    file_id: str
    name: str
    storage_key: str
    sha256: str
    key_id: str | None


async def kept_files(
    *, session: AsyncSession, incident: Incident | None = None, authority_code: str | None = None
) -> list[KeptFile]:
    """Every recorded file (of one incident, or one authority), in a stable order."""
    query = (
        select(EvidenceRow, Incident.reference, Authority.code)
        .join(Incident, col(Incident.id) == EvidenceRow.incident_id)
        .join(Authority, col(Authority.id) == Incident.authority_id)
    )
    if incident is not None:
        query = query.where(EvidenceRow.incident_id == incident.id)
    if authority_code is not None:
        query = query.where(Authority.code == authority_code.upper())
    rows = await session.exec(
        query.order_by(col(Authority.code), col(Incident.reference), col(EvidenceRow.sequence))
    )
    return [
        KeptFile(
            authority=code,
            reference=reference,
            sequence=row.sequence,
            file_id=row.id,
            name=row.name,
            storage_key=row.storage_key,
            sha256=row.sha256,
            key_id=row.key_id,
        )
        for row, reference, code in rows
    ]


async def _problem_with(store: EvidenceStore, kept: KeptFile) -> str | None:
    what = f"evidence file {kept.name!r} ({kept.file_id})"
    try:
        found = await store.sha256(kept.storage_key)
    except StoredFileMissing:
        return f"{what} is missing from the evidence store"
    except StoredFileDamaged as damaged:
        return f"{what} was changed: its stored bytes fail their check ({damaged.reason})"
    except EvidenceKeyUnavailable as unavailable:
        return (
            f"{what} cannot be checked: it was encrypted with key {unavailable.key_id!r}, "
            "which is not configured"
        )
    except Exception as error:  # the store itself failed: say so, and go on to the next file
        return f"{what} could not be read ({type(error).__name__})"
    if found != kept.sha256:
        return f"{what} was changed: its SHA-256 is {found}, the timeline recorded {kept.sha256}"
    return None


async def check_kept_files(store: EvidenceStore, files: Sequence[KeptFile]) -> list[Break]:
    """Re-hash each stored file; a `Break` for each one changed, missing or unreadable, with
    the incident's reference and the event that recorded it."""
    breaks = []
    for kept in files:
        problem = await _problem_with(store, kept)
        if problem is not None:
            breaks.append(Break(kept.authority, kept.reference, kept.sequence, problem))
    return breaks
