"""What every evidence store offers, whatever keeps the bytes: a folder or an object store.

Keys are chosen by Concordat (`evidence/<incident id>/<uuid>`), never by whoever uploads, and are
checked anyway, so no key can reach outside the store's folder or prefix.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from storage.errors import InvalidKey

#: Path segments of letters, digits, '.', '_' and '-', none starting with a dot ('..' included).
_KEY = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*")
MAX_KEY_LENGTH = 512


def checked_key(key: str) -> str:
    if len(key) > MAX_KEY_LENGTH or not _KEY.fullmatch(key):
        raise InvalidKey(f"{key!r} is not a valid evidence key")
    return key


@dataclass(frozen=True)
class StoredFile:
    """What `put` kept: the plaintext's size and SHA-256 (hex), and the key that sealed it
    (None when stored unencrypted, in development without payload keys)."""

    key: str
    size: int
    sha256: str
    key_id: str | None


class EvidenceStore(Protocol):
    """Keeps evidence files, encrypted at rest, streamed both ways."""

    async def put(self, key: str, chunks: AsyncIterator[bytes], *, limit: int) -> StoredFile:
        """Store the plaintext `chunks` under `key`, sealing them as they arrive.

        The file appears under its key only once complete. More than `limit` bytes raise
        `FileTooLarge`; that, or any other failure (the chunks' own included), leaves nothing
        stored.
        """
        ...

    async def open(self, key: str) -> AsyncIterator[bytes]:
        """The plaintext, in chunks. Awaiting this raises `StoredFileMissing`,
        `EvidenceKeyUnavailable`, or `StoredFileDamaged` for a bad header, before any byte is
        given out; a chunk that fails authentication raises `StoredFileDamaged` while iterating.
        """
        ...

    async def sha256(self, key: str) -> str:
        """The plaintext's SHA-256 (hex), read back through `open`, for `concordat audit verify`."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None:
        """Remove the file; removing one already gone is not an error."""
        ...


class StreamedHash:
    """`sha256` for stores that implement `open`: reads everything back, checking every chunk."""

    async def open(self, key: str) -> AsyncIterator[bytes]:
        raise NotImplementedError

    async def sha256(self, key: str) -> str:
        digest = hashlib.sha256()
        async for chunk in await self.open(key):
            digest.update(chunk)
        return digest.hexdigest()
