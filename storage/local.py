"""Evidence files in a folder: the embedded default (`var/evidence`).

A file is written under `.incoming/` with a name of its own, flushed to disk, and renamed into
place only when complete, so a reader never finds half a file under a key, and a crash leaves at
most an orphan in `.incoming/` (keys cannot start with a dot, so no key reaches it). Disk work
runs in threads, a chunk at a time, so the event loop keeps serving while a file streams in.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

from runtime.payloads import PayloadKeys
from storage.errors import FileTooLarge, StoredFileMissing
from storage.sealing import DEFAULT_CHUNK_SIZE, Sealer, Unsealed, unseal
from storage.store import StoredFile, StreamedHash, checked_key

INCOMING = ".incoming"


class _FileSource:
    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle

    async def read(self, size: int) -> bytes:
        return await asyncio.to_thread(self._handle.read, size)

    async def close(self) -> None:
        self._handle.close()


def _create(path: Path) -> BinaryIO:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("xb")


def _write(handle: BinaryIO, records: list[bytes]) -> None:
    for record in records:
        handle.write(record)


def _complete(handle: BinaryIO, records: list[bytes], temporary: Path, final: Path) -> None:
    """Write the last records, make them durable, and move the file to its key."""
    _write(handle, records)
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(temporary, final)
    directory = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _discard(handle: BinaryIO | None, temporary: Path) -> None:
    """Quick and synchronous, so it runs even while the task is being cancelled."""
    if handle is not None:
        with contextlib.suppress(OSError):
            handle.close()
    with contextlib.suppress(OSError):
        temporary.unlink(missing_ok=True)


class LocalEvidenceStore(StreamedHash):
    """Files under `root`, sealed with `keys` (unsealed when None: development only)."""

    def __init__(
        self, root: Path, keys: PayloadKeys | None, *, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> None:
        self.root = root
        self._keys = keys
        self._chunk_size = chunk_size

    def path_of(self, key: str) -> Path:
        """Where a key's file lives (for tests and operators; callers use `open`)."""
        return self.root / checked_key(key)

    async def put(self, key: str, chunks: AsyncIterator[bytes], *, limit: int) -> StoredFile:
        final = self.path_of(key)
        sealer = Sealer(self._keys, self._chunk_size)
        temporary = self.root / INCOMING / f"{uuid.uuid4().hex}.part"
        handle: BinaryIO | None = None
        try:
            handle = await asyncio.to_thread(_create, temporary)
            pending, pending_size = [sealer.header], len(sealer.header)
            async for chunk in chunks:
                if sealer.size + len(chunk) > limit:
                    raise FileTooLarge(limit)
                for record in sealer.feed(chunk):
                    pending.append(record)
                    pending_size += len(record)
                if pending_size >= self._chunk_size:  # a thread hop per chunk, not per read
                    await asyncio.to_thread(_write, handle, pending)
                    pending, pending_size = [], 0
            await asyncio.to_thread(_complete, handle, pending + sealer.finish(), temporary, final)
        except BaseException:
            _discard(handle, temporary)
            raise
        return StoredFile(key=key, size=sealer.size, sha256=sealer.sha256, key_id=sealer.key_id)

    async def open(self, key: str) -> Unsealed:
        path = self.path_of(key)
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise StoredFileMissing(key) from None
        return await unseal(_FileSource(handle), self._keys, name=key)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path_of(key).is_file)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path_of(key).unlink, missing_ok=True)
