"""The evidence bundle: an incident's evidence as one archive, for the police or an insurer.

One plain tar archive, the same bytes every time it is made from the same record: its members
in sorted order under one folder named after the incident's reference, every member dated
with the time of the incident's last recorded event, owned by uid and gid 0 with no user
names, with fixed modes. It holds:

- `evidence/<name>`: each file, as stored (two files of one name are told apart, the later
  recorded one numbered, the same way every time);
- `manifest.json`: each file's name in the bundle, its recorded name, type, size, SHA-256, who
  uploaded it and when, and the timeline event that recorded it;
- `custody.json`: each hand-over, as recorded;
- `timeline.json`: the incident's sealed timeline, every event with its hashes, and the check
  of its hash chain;
- `README.txt`: what this is and how to check it, in Welsh and English;
- `SHA256SUMS`: every other member, in `sha256sum` format, so that anyone can check the bundle
  without Concordat: `tar -xf BUNDLE.tar && cd REFERENCE && sha256sum -c SHA256SUMS`.

The hashes of the evidence in `SHA256SUMS` are the ones the timeline recorded at upload, and
each file is checked against its hash as it streams out: bytes that are not the recorded
ones end the download, so a bundle that completes is the record. Nothing is held in memory
but the small JSON members and a chunk of one file; the size is known before the first byte.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
import unicodedata
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from audit.hash_chain import timestamp
from domain.vocabulary import EventKind
from models import Authority, Incident, TimelineEvent
from services.evidence import hand_over_of, open_checked
from services.timeline import checked_timeline
from storage import EvidenceStore

BLOCK = tarfile.BLOCKSIZE
RECORD = tarfile.RECORDSIZE
FILE_MODE = 0o644
FOLDER_MODE = 0o755
#: A name's bytes in the bundle, leaving room for a number that tells two apart: most file
#: systems take 255 bytes a name.
MAX_NAME_BYTES = 200


class NothingToBundle(LookupError):
    """The incident keeps no evidence, so there is no bundle to make."""


@dataclass(frozen=True)
class _Evidence:
    """A file as its `evidence_added` event recorded it."""

    sequence: int
    file_id: str
    name: str
    content_type: str
    size: int
    sha256: str
    storage_key: str
    description: str | None
    uploaded_by: str
    uploaded_at: datetime


@dataclass(frozen=True)
class _Member:
    path: str
    """Inside the bundle's folder: "README.txt", "evidence/log.txt"; "" for the folder."""
    folder: bool = False
    data: bytes | None = None
    evidence: _Evidence | None = None

    @property
    def size(self) -> int:
        if self.evidence is not None:
            return self.evidence.size
        return len(self.data or b"")


@dataclass(frozen=True)
class Bundle:
    """An incident's bundle, ready to stream: its name, its exact size, and its members."""

    reference: str
    filename: str
    size: int
    files: int
    _members: tuple[tuple[bytes, _Member], ...]

    @property
    def stored(self) -> list[tuple[str, str]]:
        """Each evidence file's recorded name and storage key."""
        return [
            (member.evidence.name, member.evidence.storage_key)
            for _, member in self._members
            if member.evidence is not None
        ]

    async def stream(self, store: EvidenceStore) -> AsyncIterator[bytes]:
        """The archive's bytes. A stored file that is missing or not its recorded bytes raises
        (`storage.EvidenceStoreError`) part-way, so the archive is never completed wrong."""
        written = 0
        for header, member in self._members:
            yield header
            written += len(header)
            if member.evidence is not None:
                evidence = member.evidence
                chunks = await open_checked(
                    store, key=evidence.storage_key, size=evidence.size, sha256=evidence.sha256
                )
                async for chunk in chunks:
                    yield chunk
            elif member.data:
                yield member.data
            padding = _padding(member.size)
            if padding:
                yield padding
            written += member.size + len(padding)
        yield _end(written)


def _padding(size: int) -> bytes:
    return b"\0" * (-size % BLOCK)


def _end(written: int) -> bytes:
    """Two empty blocks, then nothing up to a whole record, as tar writes an archive's end."""
    end = written + 2 * BLOCK
    return b"\0" * (2 * BLOCK + (-end % RECORD))


def _header(path: str, member: _Member, mtime: int) -> bytes:
    info = tarfile.TarInfo(path + ("/" if member.folder else ""))
    info.type = tarfile.DIRTYPE if member.folder else tarfile.REGTYPE
    info.mode = FOLDER_MODE if member.folder else FILE_MODE
    info.size = 0 if member.folder else member.size
    info.mtime = mtime
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def bundle_name(recorded: str) -> str:
    """A recorded name as a file in the bundle: no folders, no control characters, no leading
    dots, no backslashes (which `sha256sum` would escape), at most `MAX_NAME_BYTES` in UTF-8
    with its extension kept; "file" when nothing is left."""
    name = unicodedata.normalize("NFC", recorded).replace("/", "_").replace("\\", "_")
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().lstrip(".")
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension.encode()) > 16:
        stem, extension = name, ""
    ending = f".{extension}" if extension else ""
    room = MAX_NAME_BYTES - len(ending.encode())
    stem = stem.encode()[:room].decode("utf-8", "ignore").strip()
    return (stem + ending) if stem else ("file" + ending)


def _distinct(files: list[_Evidence]) -> list[tuple[str, _Evidence]]:
    """Each file's path in the bundle; a name already taken (letter case aside, as some file
    systems ignore it) gets the lowest free number: "log (2).txt"."""
    taken: set[str] = set()
    named = []
    for evidence in files:
        name = bundle_name(evidence.name)
        stem, dot, extension = name.rpartition(".")
        stem, ending = (stem, dot + extension) if dot and stem else (name, "")
        candidate, number = name, 1
        while candidate.casefold() in taken:
            number += 1
            candidate = f"{stem} ({number}){ending}"
        taken.add(candidate.casefold())
        named.append((f"evidence/{candidate}", evidence))
    return named


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _evidence_of(event: TimelineEvent) -> _Evidence:
    detail = event.detail
    return _Evidence(
        sequence=event.sequence,
        file_id=detail["file_id"],
        name=detail["name"],
        content_type=detail.get("content_type", ""),
        size=int(detail["size"]),
        sha256=detail["sha256"],
        storage_key=detail["storage_key"],
        description=detail.get("description"),
        uploaded_by=event.actor,
        uploaded_at=event.occurred_at,
    )


def _manifest(reference: str, named: list[tuple[str, _Evidence]]) -> dict[str, Any]:
    return {
        "incident": reference,
        "files": [
            {
                "path": path,
                "file_id": evidence.file_id,
                "recorded_name": evidence.name,
                "content_type": evidence.content_type,
                "size": evidence.size,
                "sha256": evidence.sha256,
                "description": evidence.description,
                "uploaded_by": evidence.uploaded_by,
                "uploaded_at": timestamp(evidence.uploaded_at),
                "timeline_event": evidence.sequence,
            }
            for path, evidence in named
        ],
    }


def _custody(reference: str, events: list[TimelineEvent], paths: Mapping[str, str]) -> Any:
    hand_overs = []
    for event in events:
        if event.kind != EventKind.CUSTODY_TRANSFERRED:
            continue
        given = hand_over_of(event.sequence, event.occurred_at, event.actor, event.detail)
        hand_overs.append(
            {
                "timeline_event": given.sequence,
                "recorded_at": timestamp(given.recorded_at),
                "recorded_by": given.recorded_by,
                "handed_over_at": timestamp(given.handed_over_at),
                "recipient": given.recipient.value,
                "recipient_name": given.recipient_name,
                "method": given.method.value,
                "reference": given.reference,
                "note": given.note,
                "files": [
                    {"file_id": file_id, "path": paths.get(file_id)} for file_id in given.file_ids
                ],
            }
        )
    return {"incident": reference, "hand_overs": hand_overs}


def _timeline(
    incident: Incident, authority: Authority, events: list[TimelineEvent], chain: Any
) -> Any:
    last = events[-1] if events else None
    return {
        "incident": {
            "id": incident.id,
            "reference": incident.reference,
            "authority": authority.code,
            "title": incident.title,
            "tlp": incident.tlp.value,
            "detected_at": timestamp(incident.detected_at),
            "chain_position": incident.chain_position,
            "previous_anchor": incident.previous_anchor,
            "anchor": incident.anchor,
        },
        "events": [
            {
                "sequence": event.sequence,
                "kind": str(event.kind),
                "occurred_at": timestamp(event.occurred_at),
                "actor": event.actor,
                "summary": event.summary,
                "detail": event.detail,
                "previous_hash": event.previous_hash,
                "hash": event.hash,
            }
            for event in events
        ],
        "chain": {
            "intact": chain.intact,
            "events_checked": chain.events,
            "breaks": [str(b) for b in chain.breaks],
            "seal": f"{incident.reference}#{last.sequence}:{last.hash}" if last else None,
        },
    }


def _readme(incident: Incident, authority: Authority, filename: str, seal: str | None) -> bytes:
    ref = incident.reference
    check = f"tar -xf {filename} && cd {ref} && sha256sum -c SHA256SUMS"
    text = f"""\
Bwndel tystiolaeth: {ref}, {authority.name_cy}
{"=" * 60}

Dyma'r dystiolaeth a gadwyd am ddigwyddiad {ref}, fel y'i cofnodwyd gan Concordat:

  evidence/      pob ffeil, fel y'i huwchlwythwyd
  manifest.json  enw, math, maint a SHA-256 pob ffeil, pwy a'i huwchlwythodd a phryd
  custody.json   pob trosglwyddiad o'r dystiolaeth: at bwy, pryd, sut, a pha ffeiliau
  timeline.json  llinell amser y digwyddiad, pob digwyddiad gyda'i stwnsh, a gwiriad y gadwyn
  SHA256SUMS     SHA-256 pob ffeil arall yn y bwndel

Sut i'w wirio, heb Concordat:

  {check}

Dylai pob llinell orffen ag "OK". Y stwnsh ar gyfer pob ffeil dystiolaeth yw'r un a
gofnodwyd ar linell amser y digwyddiad pan uwchlwythwyd hi (gweler manifest.json am rif y
digwyddiad), ac mae pob digwyddiad wedi'i gadwyno wrth yr un o'i flaen â'i stwnsh.
Sêl y llinell amser: {seal or "-"}
Cadwch y sêl yn rhywle arall: mae `concordat audit verify --expect SÊL` yn ei gwirio eto.


Evidence bundle: {ref}, {authority.name_en}
{"=" * 60}

This is the evidence kept about incident {ref}, as Concordat recorded it:

  evidence/      every file, as uploaded
  manifest.json  each file's name, type, size and SHA-256, who uploaded it and when
  custody.json   each hand-over of the evidence: to whom, when, how, and which files
  timeline.json  the incident's timeline, every event with its hash, and the chain's check
  SHA256SUMS     the SHA-256 of every other file in the bundle

How to check it, without Concordat:

  {check}

Every line should end in "OK". Each evidence file's hash is the one recorded on the
incident's timeline when it was uploaded (manifest.json gives the event's number), and each
event is chained to the one before it by its hash.
The timeline's seal: {seal or "-"}
Keep the seal somewhere else: `concordat audit verify --expect SEAL` checks it again.
"""
    return text.encode()


def _sums(members: Mapping[str, bytes], named: list[tuple[str, _Evidence]]) -> bytes:
    lines = {path: hashlib.sha256(data).hexdigest() for path, data in members.items()}
    lines |= {path: evidence.sha256 for path, evidence in named}
    return "".join(f"{digest}  {path}\n" for path, digest in sorted(lines.items())).encode()


async def prepare_bundle(incident: Incident, *, session: AsyncSession) -> Bundle:
    """The incident's bundle as its record stands now, read from one snapshot; raises
    `NothingToBundle` when it keeps no evidence. Nothing is read from the store yet."""
    checked = await checked_timeline(incident.id, session=session)
    incident, events = checked.incident, checked.events
    authority = await session.get(Authority, incident.authority_id)
    assert authority is not None  # a foreign key: every incident has its authority
    await session.commit()
    files = [_evidence_of(e) for e in events if e.kind == EventKind.EVIDENCE_ADDED]
    if not files:
        raise NothingToBundle(incident.reference)
    named = _distinct(files)
    filename = f"{incident.reference}-evidence.tar"
    timeline = _timeline(incident, authority, events, checked.chain)
    small = {
        "README.txt": _readme(incident, authority, filename, timeline["chain"]["seal"]),
        "custody.json": _json(
            _custody(incident.reference, events, {e.file_id: p for p, e in named})
        ),
        "manifest.json": _json(_manifest(incident.reference, named)),
        "timeline.json": _json(timeline),
    }
    members = [
        _Member("", folder=True),
        _Member("evidence", folder=True),
        _Member("SHA256SUMS", data=_sums(small, named)),
        *(_Member(path, data=data) for path, data in small.items()),
        *(_Member(path, evidence=evidence) for path, evidence in named),
    ]
    members.sort(key=lambda member: member.path)
    mtime = int((events[-1].occurred_at if events else incident.created_at).timestamp())
    headed = tuple(
        (_header(f"{incident.reference}/{m.path}".rstrip("/"), m, mtime), m) for m in members
    )
    written = sum(len(header) + m.size + len(_padding(m.size)) for header, m in headed)
    return Bundle(
        reference=incident.reference,
        filename=filename,
        size=written + len(_end(written)),
        files=len(named),
        _members=headed,
    )
