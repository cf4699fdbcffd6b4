"""Evidence files in an S3-compatible object store, for production.

boto3 is synchronous, so each call runs in a thread (`asyncio.to_thread`). A file small enough
for one part is one `PutObject`; a larger one is a multipart upload of about `part_size` bytes a
part, so memory holds one part, never the file. An object appears only when its upload
completes, so nobody reads half a file; a failed upload is aborted, leaving nothing. Reading
streams the object's body a chunk at a time.

Credentials and region come from the standard AWS environment and configuration (environment
variables, `~/.aws/config`, an instance or task role), never from Concordat's settings.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import boto3
import structlog
from botocore.config import Config
from botocore.exceptions import ClientError

from runtime.payloads import PayloadKeys
from storage.errors import FileTooLarge, StoredFileMissing
from storage.sealing import DEFAULT_CHUNK_SIZE, Sealer, Unsealed, unseal
from storage.store import StoredFile, StreamedHash, checked_key

log = structlog.get_logger(__name__)

#: Bytes a part of a multipart upload holds (S3 asks at least 5 MiB of every part but the last).
DEFAULT_PART_SIZE = 8 * 1024 * 1024
_MISSING = {"404", "NoSuchKey", "NotFound"}


def _missing(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code")) in _MISSING


class _BodySource:
    def __init__(self, body: Any) -> None:
        self._body = body

    async def read(self, size: int) -> bytes:
        data: bytes = await asyncio.to_thread(self._body.read, size)
        return data

    async def close(self) -> None:
        self._body.close()


class S3EvidenceStore(StreamedHash):
    """Objects in `bucket` under `prefix`, sealed with `keys` (unsealed when None)."""

    def __init__(
        self,
        bucket: str,
        keys: PayloadKeys | None,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        client: Any = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        part_size: int = DEFAULT_PART_SIZE,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._keys = keys
        self._chunk_size = chunk_size
        self._part_size = part_size
        self._client = client or boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            config=Config(retries={"mode": "standard", "max_attempts": 5}),
        )

    def object_key(self, key: str) -> str:
        checked = checked_key(key)
        return f"{self.prefix}/{checked}" if self.prefix else checked

    async def _call(self, operation: str, **arguments: Any) -> Any:
        return await asyncio.to_thread(
            getattr(self._client, operation), Bucket=self.bucket, **arguments
        )

    async def put(self, key: str, chunks: AsyncIterator[bytes], *, limit: int) -> StoredFile:
        name = self.object_key(key)
        sealer = Sealer(self._keys, self._chunk_size)
        buffer = bytearray(sealer.header)
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []
        committing = False
        try:
            async for chunk in chunks:
                if sealer.size + len(chunk) > limit:
                    raise FileTooLarge(limit)
                for record in sealer.feed(chunk):
                    buffer += record
                if len(buffer) >= self._part_size:
                    if upload_id is None:
                        started = await self._call("create_multipart_upload", Key=name)
                        upload_id = started["UploadId"]
                    parts.append(await self._upload_part(name, upload_id, len(parts) + 1, buffer))
                    buffer.clear()
            for record in sealer.finish():
                buffer += record
            committing = True
            if upload_id is None:
                await self._call("put_object", Key=name, Body=bytes(buffer))
            else:
                if buffer:
                    parts.append(await self._upload_part(name, upload_id, len(parts) + 1, buffer))
                await self._call(
                    "complete_multipart_upload",
                    Key=name,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                )
        except BaseException:
            await asyncio.shield(self._undo(name, upload_id, committing=committing))
            raise
        return StoredFile(key=key, size=sealer.size, sha256=sealer.sha256, key_id=sealer.key_id)

    async def _upload_part(
        self, name: str, upload_id: str, number: int, data: bytearray
    ) -> dict[str, Any]:
        answer = await self._call(
            "upload_part", Key=name, UploadId=upload_id, PartNumber=number, Body=bytes(data)
        )
        return {"PartNumber": number, "ETag": answer["ETag"]}

    async def _undo(self, name: str, upload_id: str | None, *, committing: bool) -> None:
        """Leave nothing: abort the upload, and remove the object if the last call may have
        made it before failing (or before the task was cancelled)."""
        try:
            if upload_id is not None:
                with contextlib.suppress(ClientError):
                    await self._call("abort_multipart_upload", Key=name, UploadId=upload_id)
            if committing:
                await self._call("delete_object", Key=name)
        except Exception as error:  # the original failure matters more; say this one too
            log.warning("evidence_upload_cleanup_failed", key=name, error=type(error).__name__)

    async def open(self, key: str) -> Unsealed:
        try:
            answer = await self._call("get_object", Key=self.object_key(key))
        except ClientError as error:
            if _missing(error):
                raise StoredFileMissing(key) from None
            raise
        return await unseal(_BodySource(answer["Body"]), self._keys, name=key)

    async def exists(self, key: str) -> bool:
        try:
            await self._call("head_object", Key=self.object_key(key))
        except ClientError as error:
            if _missing(error):
                return False
            raise
        return True

    async def delete(self, key: str) -> None:
        await self._call("delete_object", Key=self.object_key(key))
