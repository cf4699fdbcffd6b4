"""The stored form of an evidence file: a short header, then AES-256-GCM in fixed-size chunks.

One AES-GCM message per file would need the whole file in memory to check its tag, so a file is
sealed in chunks (1 MiB by default), each with its own tag, as the STREAM construction does:

    header   = MAGIC, version (1 byte), mode (1 byte), chunk size (4 bytes, big-endian),
               key id length (1 byte), key id (UTF-8), salt (16 bytes; encrypted files only)
    chunk i  = AES-256-GCM(file key, nonce(i, final), plaintext[i], aad(header, i, final))

- Each file has a key of its own, derived (HKDF-SHA256) from the payload key its header names and
  the file's random salt, so nonces can simply count chunks and never repeat under one key, and
  evidence keys are never the very bytes that seal Temporal payloads.
- Each chunk's associated data is the whole header (so the key id, mode and chunk size cannot be
  changed), the chunk's index (so chunks cannot be reordered or dropped from the middle) and
  whether it is the last (so a file cut short at a chunk boundary is not taken as complete).
- Every chunk but the last holds exactly `chunk size` bytes of plaintext and the last holds fewer
  (possibly none), so a reader knows which chunk should be the last without reading ahead.

Without payload keys (development only: production refuses to start without them) the header
says "plaintext" and the bytes follow as they are. A store that has keys refuses such a file as
damaged: anyone who can write to the bucket could forge one, since nothing authenticates it.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from runtime.payloads import PayloadKeys
from storage.errors import EvidenceKeyUnavailable, StoredFileDamaged

MAGIC = b"CONCORDAT-EVIDENCE"
VERSION = 1
PLAINTEXT = 0
AES_256_GCM = 1

#: Plaintext bytes in each sealed chunk unless a store is told otherwise.
DEFAULT_CHUNK_SIZE = 1024 * 1024
#: Bounds on a header's chunk size, checked before anything is allocated for it.
MIN_CHUNK_SIZE = 64
MAX_CHUNK_SIZE = 16 * 1024 * 1024

TAG_BYTES = 16
SALT_BYTES = 16
_FIXED = struct.Struct(">BBIB")  # version, mode, chunk size, key id length
_HKDF_INFO = b"concordat evidence file key v1\x00"


class ByteSource(Protocol):
    """Where sealed bytes are read from: a file, an object's body."""

    async def read(self, size: int) -> bytes:
        """Up to `size` bytes; fewer only at the end; b"" after it."""
        ...

    async def close(self) -> None: ...


def _file_cipher(master: bytes, key_id: str, salt: bytes) -> AESGCM:
    derived = HKDF(
        algorithm=SHA256(), length=32, salt=salt, info=_HKDF_INFO + key_id.encode()
    ).derive(master)
    return AESGCM(derived)


def _nonce(index: int, final: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if final else b"\x00")


def _aad(header: bytes, index: int, final: bool) -> bytes:
    return header + index.to_bytes(8, "big") + (b"\x01" if final else b"\x00")


def _header(mode: int, chunk_size: int, key_id: str, salt: bytes) -> bytes:
    encoded = key_id.encode()
    if len(encoded) > 255:
        raise ValueError("a payload key id is too long to name in an evidence header")
    return MAGIC + _FIXED.pack(VERSION, mode, chunk_size, len(encoded)) + encoded + salt


def _checked_chunk_size(chunk_size: int) -> int:
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"chunk size must be {MIN_CHUNK_SIZE} to {MAX_CHUNK_SIZE} bytes")
    return chunk_size


class Sealer:
    """Turns plaintext, as it arrives, into the stored form, hashing and counting it as it goes.

    Holds at most one chunk of plaintext: `feed` hands back every sealed chunk that is ready.
    """

    def __init__(self, keys: PayloadKeys | None, chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        self.chunk_size = _checked_chunk_size(chunk_size)
        self.size = 0
        self._hash = hashlib.sha256()
        self._buffer = bytearray()
        self._index = 0
        self._cipher: AESGCM | None
        if keys is None:
            self.key_id: str | None = None
            self._cipher = None
            self.header = _header(PLAINTEXT, self.chunk_size, "", b"")
        else:
            self.key_id, master = keys.keys[0]
            salt = os.urandom(SALT_BYTES)
            self._cipher = _file_cipher(master, self.key_id, salt)
            self.header = _header(AES_256_GCM, self.chunk_size, self.key_id, salt)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def feed(self, data: bytes) -> list[bytes]:
        self.size += len(data)
        self._hash.update(data)
        if self._cipher is None:
            return [data] if data else []
        self._buffer += data
        sealed = []
        # A full chunk is sealed only once a byte beyond it has arrived: until then it may be
        # the last, and the last chunk is always shorter than a full one.
        while len(self._buffer) > self.chunk_size:
            sealed.append(self._seal(bytes(self._buffer[: self.chunk_size]), final=False))
            del self._buffer[: self.chunk_size]
        return sealed

    def finish(self) -> list[bytes]:
        """The last sealed chunks: after this, the stored form is complete."""
        if self._cipher is None:
            return []
        sealed = []
        if len(self._buffer) == self.chunk_size:
            sealed.append(self._seal(bytes(self._buffer), final=False))
            self._buffer.clear()
        sealed.append(self._seal(bytes(self._buffer), final=True))
        self._buffer.clear()
        return sealed

    def _seal(self, plaintext: bytes, *, final: bool) -> bytes:
        assert self._cipher is not None
        index, self._index = self._index, self._index + 1
        return self._cipher.encrypt(
            _nonce(index, final), plaintext, _aad(self.header, index, final)
        )


@dataclass(frozen=True)
class _Header:
    raw: bytes
    mode: int
    chunk_size: int
    key_id: str
    salt: bytes


async def _read_exactly(source: ByteSource, size: int) -> bytes:
    """`size` bytes, or fewer only where the source ends."""
    first = await source.read(size)
    if len(first) == size or not first:
        return first
    parts, got = [first], len(first)
    while got < size:
        more = await source.read(size - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


async def _read_header(source: ByteSource, name: str) -> _Header:
    start = await _read_exactly(source, len(MAGIC) + _FIXED.size)
    if len(start) < len(MAGIC) + _FIXED.size or not start.startswith(MAGIC):
        raise StoredFileDamaged(name, "it does not start with an evidence header")
    version, mode, chunk_size, id_length = _FIXED.unpack(start[len(MAGIC) :])
    if version != VERSION:
        raise StoredFileDamaged(name, f"unknown format version {version}")
    if mode not in (PLAINTEXT, AES_256_GCM):
        raise StoredFileDamaged(name, f"unknown mode {mode}")
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise StoredFileDamaged(name, "its chunk size is out of bounds")
    rest_size = id_length + (SALT_BYTES if mode == AES_256_GCM else 0)
    rest = await _read_exactly(source, rest_size)
    if len(rest) < rest_size:
        raise StoredFileDamaged(name, "its header is cut short")
    try:
        key_id = rest[:id_length].decode()
    except UnicodeDecodeError:
        raise StoredFileDamaged(name, "its key id is not text") from None
    return _Header(start + rest, mode, chunk_size, key_id, rest[id_length:])


class Unsealed(AsyncIterator[bytes]):
    """The plaintext of a stored file, a chunk at a time, each checked before it is given out.

    Raises `StoredFileDamaged` at the first chunk that fails, so a reader who has had some
    chunks must treat them as unverified until the iteration ends without an error. The source
    is closed at the end, on an error, or by `aclose`.
    """

    def __init__(
        self, source: ByteSource, header: _Header, cipher: AESGCM | None, name: str
    ) -> None:
        self._source = source
        self._header = header
        self._cipher = cipher
        self._name = name
        self._index = 0
        self._done = False

    def __aiter__(self) -> Unsealed:
        return self

    async def __anext__(self) -> bytes:
        if self._done:
            raise StopAsyncIteration
        try:
            return await self._next()
        except BaseException:
            await self.aclose()
            raise

    async def _next(self) -> bytes:
        size = self._header.chunk_size
        if self._cipher is None:
            data = await _read_exactly(self._source, size)
            if not data:
                await self.aclose()
                raise StopAsyncIteration
            return data
        record = await _read_exactly(self._source, size + TAG_BYTES)
        final = len(record) < size + TAG_BYTES
        if not record:
            raise StoredFileDamaged(self._name, "it ends before its last chunk")
        index, self._index = self._index, self._index + 1
        try:
            plaintext = self._cipher.decrypt(
                _nonce(index, final), record, _aad(self._header.raw, index, final)
            )
        except InvalidTag:
            raise StoredFileDamaged(self._name, f"chunk {index} fails authentication") from None
        if final:
            if await self._source.read(1):
                raise StoredFileDamaged(self._name, "bytes follow its last chunk")
            await self.aclose()
        return plaintext

    async def aclose(self) -> None:
        if not self._done:
            self._done = True
            await self._source.close()


async def unseal(source: ByteSource, keys: PayloadKeys | None, *, name: str) -> Unsealed:
    """Read and check the header now, so a caller learns of a damaged file or a missing key
    before it has promised anyone the file's contents; the chunks follow as they are read."""
    try:
        header = await _read_header(source, name)
        cipher = None
        if header.mode == AES_256_GCM:
            master = dict(keys.keys).get(header.key_id) if keys is not None else None
            if master is None:
                raise EvidenceKeyUnavailable(name, header.key_id)
            cipher = _file_cipher(master, header.key_id, header.salt)
        elif keys is not None:
            raise StoredFileDamaged(
                name,
                "it is stored without encryption, which this store "
                "refuses: nothing would show whether it was changed",
            )
    except BaseException:
        await source.close()
        raise
    return Unsealed(source, header, cipher, name)
