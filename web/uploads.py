"""Files uploaded as multipart/form-data, streamed from the socket into the evidence store.

Starlette's `request.form()` spools the whole body to temporary files before anyone sees a byte;
here the body goes through python-multipart's push parser as it arrives, and each file part
flows straight into `EvidenceStore.put`, which seals and writes it a chunk at a time. A request
holds about one network read and one sealed chunk in memory, however large its files.

Limits are enforced as bytes arrive: a file over the limit, too many files, a text field over a
few KB, a body larger than the files could make it. On any failure every file already stored
for the request is deleted before the exception leaves, so a refused upload leaves nothing.
Refusals are in English and Welsh (`UploadError.english`, `.welsh`; `str()` gives both).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import unicodedata
import uuid
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from domain.rules import in_both
from storage.errors import FileTooLarge
from storage.store import EvidenceStore

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

log = structlog.get_logger(__name__)

MIB = 1024 * 1024
DEFAULT_MAX_FILES = 20
#: Bytes of a text field (a description, a choice) and how many a request may carry.
DEFAULT_FIELD_LIMIT = 8 * 1024
DEFAULT_MAX_FIELDS = 20
#: Room in a body for its boundaries, part headers and text fields, beyond its files.
BODY_OVERHEAD = MIB
MAX_FILENAME_LENGTH = 255
MAX_CONTENT_TYPE_LENGTH = 255
_CONTENT_TYPE = re.compile(r"[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+")


class UploadError(Exception):
    """An upload refused, with the reason in English and in Welsh."""

    def __init__(self, english: str, welsh: str) -> None:
        super().__init__(in_both(english, welsh))
        self.english = english
        self.welsh = welsh


class UploadTooLarge(UploadError):
    """A file, or the request, is over its limit (answer 413)."""


class UploadInvalid(UploadError):
    """The body is not a well-formed upload, or it stopped before its end (answer 400)."""


@dataclass(frozen=True)
class ReceivedFile:
    """One stored file: where it is, and what the uploader said of it."""

    field_name: str
    key: str
    filename: str
    content_type: str
    size: int
    sha256: str
    key_id: str | None


@dataclass(frozen=True)
class ReceivedUpload:
    files: list[ReceivedFile]
    #: Text fields in the order sent; a name may come more than once.
    fields: list[tuple[str, str]]

    def field(self, name: str) -> str | None:
        """The first value sent for a text field, if any."""
        return next((value for sent, value in self.fields if sent == name), None)


def readable_size(size: int, *, welsh: bool = False) -> str:
    """A limit as people read it: "100 MB", "8 KB", "500 bytes" ("500 beit" in Welsh)."""
    if size >= MIB and size % MIB == 0:
        return f"{size // MIB} MB"
    if size >= 1024 and size % 1024 == 0:
        return f"{size // 1024} KB"
    if welsh:
        return f"{size} beit"
    return f"{size} bytes" if size != 1 else "1 byte"


def sanitised_filename(sent: str) -> str:
    """The name without any folders, control characters or leading dots, at most 255
    characters with its extension kept; "file" when nothing is left."""
    name = unicodedata.normalize("NFC", sent).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = name.strip().lstrip(".").strip()
    if len(name) > MAX_FILENAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            name = stem[: MAX_FILENAME_LENGTH - len(extension) - 1] + "." + extension
        else:
            name = name[:MAX_FILENAME_LENGTH]
    return name or "file"


def _content_type(sent: str) -> str:
    """The type as sent when it looks like one; application/octet-stream otherwise."""
    main = sent.split(";", 1)[0].strip()
    if len(main) <= MAX_CONTENT_TYPE_LENGTH and _CONTENT_TYPE.fullmatch(main):
        return main.lower()
    return "application/octet-stream"


def _text(raw: bytes) -> str:
    """Header values as browsers send them: UTF-8, or Latin-1 from older clients."""
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return raw.decode("latin-1")


_MALFORMED = (
    "The upload could not be read: it is not well-formed multipart/form-data.",
    "Nid oedd modd darllen yr uwchlwythiad: nid yw'n multipart/form-data dilys.",
)
_NOT_MULTIPART = (
    "Send the files as multipart/form-data.",
    "Anfonwch y ffeiliau fel multipart/form-data.",
)
_CUT_SHORT = (
    "The upload ended before it was complete; send it again.",
    "Daeth yr uwchlwythiad i ben cyn iddo gael ei gwblhau; anfonwch ef eto.",
)


@dataclass
class _Part:
    """A part begins: its headers have been read."""

    name: str
    filename: str | None
    content_type: str


class _PartEnd:
    """The part's last byte has been given out."""


_END = _PartEnd()
#: What the body is read as: a part begins, some of its bytes, it ends.
_Event = _Part | bytes | _PartEnd
_Events = AsyncGenerator[_Event, None]


class _Body:
    """The request body through the push parser, as a stream of events. The parser's
    callbacks only collect; the events are handed out after each write, so whoever consumes
    them may await (holding back the socket, which is how a slow disk slows the client)."""

    def __init__(self, request: Request, boundary: bytes, body_limit: int) -> None:
        self._request = request
        self._body_limit = body_limit
        self._events: list[_Event] = []
        self._headers: list[tuple[bytes, bytes]] = []
        self._field = bytearray()
        self._value = bytearray()
        self._finished = False
        callbacks: MultipartCallbacks = {
            "on_part_begin": self._headers.clear,
            "on_header_field": lambda data, start, end: self._field.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._value.extend(data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": lambda data, start, end: self._events.append(data[start:end]),
            "on_part_end": lambda: self._events.append(_END),
            "on_end": self._end,
        }
        try:
            self._parser = MultipartParser(boundary, callbacks)
        except FormParserError:  # a boundary the parser will not take
            raise UploadInvalid(*_NOT_MULTIPART) from None

    def _header_end(self) -> None:
        self._headers.append((bytes(self._field).lower(), bytes(self._value)))
        self._field.clear()
        self._value.clear()

    def _headers_finished(self) -> None:
        headers = dict(self._headers)
        disposition, options = parse_options_header(headers.get(b"content-disposition"))
        name = options.get(b"name")
        if disposition != b"form-data" or name is None:
            raise UploadInvalid(*_MALFORMED)
        filename = options.get(b"filename")
        self._events.append(
            _Part(
                name=_text(name),
                filename=None if filename is None else _text(filename),
                content_type=_text(headers.get(b"content-type", b"")),
            )
        )

    def _end(self) -> None:
        self._finished = True

    async def events(self) -> _Events:
        received = 0
        try:
            async for chunk in self._request.stream():
                received += len(chunk)
                if received > self._body_limit:
                    raise UploadTooLarge(*_too_large_request(self._body_limit))
                try:
                    self._parser.write(chunk)
                except FormParserError:
                    raise UploadInvalid(*_MALFORMED) from None
                events, self._events = self._events, []
                for event in events:
                    yield event
        except ClientDisconnect:
            raise UploadInvalid(*_CUT_SHORT) from None
        if not self._finished:
            raise UploadInvalid(*_CUT_SHORT)


def _too_large_request(limit: int) -> tuple[str, str]:
    size, maint = readable_size(limit), readable_size(limit, welsh=True)
    return (
        f"The upload is larger than {size}, the most accepted at once.",
        f"Mae'r uwchlwythiad yn fwy na {maint}, y mwyaf a dderbynnir ar y tro.",
    )


def _boundary(request: Request) -> bytes:
    content_type, options = parse_options_header(request.headers.get("content-type"))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise UploadInvalid(*_NOT_MULTIPART)
    return boundary


async def _next(events: _Events) -> _Event:
    try:
        return await anext(events)
    except StopAsyncIteration:
        raise UploadInvalid(*_MALFORMED) from None


async def _part_data(events: _Events, first: _Event) -> AsyncGenerator[bytes, None]:
    """One part's bytes, from the shared event stream, until the part ends."""
    event = first
    while isinstance(event, bytes):
        yield event
        event = await _next(events)
    if event is not _END:
        raise UploadInvalid(*_MALFORMED)


async def receive_upload(
    request: Request,
    store: EvidenceStore,
    *,
    key_prefix: str,
    file_limit: int,
    max_files: int = DEFAULT_MAX_FILES,
    field_limit: int = DEFAULT_FIELD_LIMIT,
    max_fields: int = DEFAULT_MAX_FIELDS,
) -> ReceivedUpload:
    """Store every file part of a multipart/form-data request under `<key_prefix>/<uuid>`,
    and collect its text fields.

    Raises `UploadTooLarge` (a file over `file_limit`, more than `max_files` files, a body
    larger than they could make) or `UploadInvalid` (not multipart, malformed, cut short, a
    text field too long or not UTF-8), having deleted whatever it had stored. A part with an
    empty filename and no bytes is a file input left empty, and is skipped.
    """
    boundary = _boundary(request)
    body_limit = file_limit * max_files + BODY_OVERHEAD
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > body_limit:
        raise UploadTooLarge(*_too_large_request(body_limit))

    files: list[ReceivedFile] = []
    fields: list[tuple[str, str]] = []
    body = _Body(request, boundary, body_limit)
    events = body.events()
    try:
        async for part in events:
            if not isinstance(part, _Part):
                raise UploadInvalid(*_MALFORMED)
            first = await _next(events)
            if part.filename is None:
                if len(fields) >= max_fields:
                    raise UploadInvalid(
                        f"The upload has too many fields (at most {max_fields}).",
                        f"Mae gormod o feysydd yn yr uwchlwythiad (dim mwy na {max_fields}).",
                    )
                fields.append((part.name, await _field(events, first, part, field_limit)))
            elif part.filename or first is not _END:
                if len(files) >= max_files:
                    raise UploadTooLarge(
                        f"Send at most {max_files} files at once.",
                        f"Anfonwch {max_files} ffeil ar y mwyaf ar y tro.",
                    )
                files.append(await _store(store, events, first, part, key_prefix, file_limit))
    except BaseException as error:
        await asyncio.shield(_remove(store, files))
        log.warning(
            "evidence_upload_refused",
            reason=type(error).__name__,
            files_removed=len(files),
            key_prefix=key_prefix,
        )
        raise
    finally:
        await events.aclose()
    log.info(
        "evidence_upload_received",
        files=len(files),
        bytes=sum(received.size for received in files),
        key_prefix=key_prefix,
    )
    return ReceivedUpload(files=files, fields=fields)


async def _remove(store: EvidenceStore, files: list[ReceivedFile]) -> None:
    """Delete what a refused upload had stored; a failure here must not hide the refusal."""
    for received in files:
        try:
            await store.delete(received.key)
        except Exception as error:
            log.error("evidence_upload_not_removed", key=received.key, error=type(error).__name__)


async def _field(events: _Events, first: _Event, part: _Part, limit: int) -> str:
    value = bytearray()
    async with contextlib.aclosing(_part_data(events, first)) as data:
        async for piece in data:
            value += piece
            if len(value) > limit:
                raise UploadInvalid(
                    f'The field "{part.name}" is too long (at most {readable_size(limit)}).',
                    f'Mae\'r maes "{part.name}" yn rhy hir '
                    f"(dim mwy na {readable_size(limit, welsh=True)}).",
                )
    try:
        return unicodedata.normalize("NFC", value.decode())
    except UnicodeDecodeError:
        raise UploadInvalid(
            f'The field "{part.name}" is not text in UTF-8.',
            f'Nid yw\'r maes "{part.name}" yn destun UTF-8.',
        ) from None


async def _store(
    store: EvidenceStore,
    events: _Events,
    first: _Event,
    part: _Part,
    key_prefix: str,
    limit: int,
) -> ReceivedFile:
    assert part.filename is not None
    filename = sanitised_filename(part.filename)
    key = f"{key_prefix}/{uuid.uuid4()}"
    try:
        async with contextlib.aclosing(_part_data(events, first)) as data:
            stored = await store.put(key, data, limit=limit)
    except FileTooLarge:
        size, maint = readable_size(limit), readable_size(limit, welsh=True)
        raise UploadTooLarge(
            f'The file "{filename}" is larger than {size}, the largest accepted.',
            f'Mae\'r ffeil "{filename}" yn fwy na {maint}, y maint mwyaf a dderbynnir.',
        ) from None
    return ReceivedFile(
        field_name=part.name,
        key=stored.key,
        filename=filename,
        content_type=_content_type(part.content_type),
        size=stored.size,
        sha256=stored.sha256,
        key_id=stored.key_id,
    )
