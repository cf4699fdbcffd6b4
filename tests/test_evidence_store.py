"""Evidence files at rest: what goes in comes out, sealed with the payload keys, and any change
to the stored bytes (a flipped byte, a file cut short, chunks swapped) is caught on reading.

The S3 store runs against a real S3 protocol server (moto's, from the dev extra), started once.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from pydantic import ValidationError

from runtime.payloads import PayloadKeys
from runtime.ports import free_port, wait_for_port
from runtime.settings import Settings
from storage import (
    EvidenceKeyUnavailable,
    FileTooLarge,
    InvalidKey,
    LocalEvidenceStore,
    StoredFileDamaged,
    StoredFileMissing,
    evidence_store,
)
from storage.local import INCOMING
from storage.s3 import S3EvidenceStore
from storage.sealing import MAGIC, TAG_BYTES
from tests.conftest import TEST_PAYLOAD_KEYS

KEYS = PayloadKeys.parse(TEST_PAYLOAD_KEYS)  # tests-2 first, then tests-1
OLD_KEY_ONLY = PayloadKeys((KEYS.keys[1],))
NEW_KEY_ONLY = PayloadKeys((KEYS.keys[0],))
CHUNK = 64  # the smallest chunk allowed, so a few hundred bytes make several chunks


async def pieces(data: bytes, size: int = 50) -> AsyncIterator[bytes]:
    """The data as an upload delivers it: in pieces that do not line up with chunks."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def read_all(store: LocalEvidenceStore | S3EvidenceStore, key: str) -> bytes:
    return b"".join([chunk async for chunk in await store.open(key)])


def files_under(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@pytest.fixture
def store(tmp_path: Path) -> LocalEvidenceStore:
    return LocalEvidenceStore(tmp_path / "evidence", KEYS, chunk_size=CHUNK)


@pytest.mark.parametrize(
    "size",
    [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 10],
    ids=lambda size: f"{size}-bytes",
)
async def test_a_file_comes_back_as_it_went_in_and_is_encrypted_on_disk(
    store: LocalEvidenceStore, size: int
) -> None:
    data = os.urandom(size)
    stored = await store.put("evidence/1/a", pieces(data), limit=1000)

    assert stored.size == size
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.key_id == "tests-2"
    assert await read_all(store, "evidence/1/a") == data
    assert await store.sha256("evidence/1/a") == stored.sha256
    on_disk = store.path_of("evidence/1/a").read_bytes()
    assert on_disk.startswith(MAGIC) and b"tests-2" in on_disk
    if size >= 16:
        assert data[:16] not in on_disk
    assert files_under(store.root / INCOMING) == []


async def test_a_file_of_many_megabytes_streams_through_in_default_chunks(tmp_path: Path) -> None:
    store = LocalEvidenceStore(tmp_path, KEYS)
    block = os.urandom(256 * 1024)

    async def blocks() -> AsyncIterator[bytes]:
        for _ in range(12):  # 3 MiB: three full default chunks, then an empty last one
            yield block

    stored = await store.put("big", blocks(), limit=3 * 1024 * 1024)
    chunks = [chunk async for chunk in await store.open("big")]
    assert [len(chunk) for chunk in chunks] == [1024 * 1024] * 3 + [0]
    assert b"".join(chunks) == block * 12
    assert stored.sha256 == hashlib.sha256(block * 12).hexdigest()


async def test_without_keys_a_file_is_kept_plain_and_a_keyed_store_will_not_trust_it(
    tmp_path: Path,
) -> None:
    plain = LocalEvidenceStore(tmp_path, None, chunk_size=CHUNK)
    stored = await plain.put("notes", pieces(b"ransom note, as found"), limit=100)

    assert stored.key_id is None
    assert await read_all(plain, "notes") == b"ransom note, as found"
    with pytest.raises(StoredFileDamaged, match="without encryption"):
        await LocalEvidenceStore(tmp_path, KEYS).open("notes")


async def test_after_rotation_new_files_use_the_new_key_and_old_ones_still_open(
    tmp_path: Path,
) -> None:
    before = LocalEvidenceStore(tmp_path, OLD_KEY_ONLY, chunk_size=CHUNK)
    old = await before.put("old", pieces(b"written before the rotation" * 5), limit=1000)
    assert old.key_id == "tests-1"

    after = LocalEvidenceStore(tmp_path, KEYS, chunk_size=CHUNK)
    new = await after.put("new", pieces(b"written after it"), limit=1000)
    assert new.key_id == "tests-2"
    assert await read_all(after, "old") == b"written before the rotation" * 5

    retired = LocalEvidenceStore(tmp_path, NEW_KEY_ONLY)
    with pytest.raises(EvidenceKeyUnavailable, match="'tests-1', which is not configured"):
        await retired.open("old")
    with pytest.raises(EvidenceKeyUnavailable):
        await LocalEvidenceStore(tmp_path, None).sha256("new")


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


RECORD = CHUNK + TAG_BYTES


def _tamper(stored: bytes, header: int, how: str) -> bytes:
    body = stored[header:]
    if how == "a byte of a chunk flipped":
        return stored[:header] + _flip(body, RECORD + 5)
    if how == "a tag flipped":
        return stored[:header] + _flip(body, RECORD - 1)
    if how == "the header's key id changed":
        return stored.replace(b"tests-2", b"tests-1", 1)
    if how == "the chunk size in the header changed":
        return _flip(stored, len(MAGIC) + 3)
    if how == "cut short at a chunk's end":
        return stored[: header + 2 * RECORD]
    if how == "cut short inside a chunk":
        return stored[: header + RECORD + 30]
    if how == "the first two chunks swapped":
        return stored[:header] + body[RECORD : 2 * RECORD] + body[:RECORD] + body[2 * RECORD :]
    if how == "a chunk dropped":
        return stored[:header] + body[:RECORD] + body[2 * RECORD :]
    if how == "bytes appended":
        return stored + b"more"
    if how == "the header cut":
        return stored[: len(MAGIC) + 2]
    raise AssertionError(how)


@pytest.mark.parametrize(
    "how",
    [
        "a byte of a chunk flipped",
        "a tag flipped",
        "the header's key id changed",
        "the chunk size in the header changed",
        "cut short at a chunk's end",
        "cut short inside a chunk",
        "the first two chunks swapped",
        "a chunk dropped",
        "bytes appended",
        "the header cut",
    ],
)
async def test_a_changed_file_is_named_damaged(store: LocalEvidenceStore, how: str) -> None:
    data = os.urandom(3 * CHUNK + 20)
    await store.put("evidence/9/x", pieces(data), limit=1000)
    path = store.path_of("evidence/9/x")
    stored = path.read_bytes()
    header = len(stored) - (3 * RECORD + 20 + TAG_BYTES)
    path.write_bytes(_tamper(stored, header, how))

    with pytest.raises(StoredFileDamaged):
        await store.sha256("evidence/9/x")


async def test_a_chunk_from_another_file_does_not_pass(store: LocalEvidenceStore) -> None:
    data = os.urandom(2 * CHUNK + 1)
    await store.put("one", pieces(data), limit=1000)
    await store.put("two", pieces(data), limit=1000)
    one, two = store.path_of("one").read_bytes(), store.path_of("two").read_bytes()
    header = len(one) - (2 * RECORD + 1 + TAG_BYTES)
    store.path_of("one").write_bytes(one[: header + RECORD] + two[header + RECORD :])

    with pytest.raises(StoredFileDamaged, match="chunk 1"):
        await store.sha256("one")


async def test_a_missing_file_is_named_missing(store: LocalEvidenceStore) -> None:
    assert not await store.exists("evidence/1/none")
    with pytest.raises(StoredFileMissing):
        await store.open("evidence/1/none")
    with pytest.raises(StoredFileMissing):
        await store.sha256("evidence/1/none")

    await store.put("evidence/1/gone", pieces(b"x"), limit=10)
    assert await store.exists("evidence/1/gone")
    await store.delete("evidence/1/gone")
    await store.delete("evidence/1/gone")  # already gone: not an error
    assert not await store.exists("evidence/1/gone")


async def test_a_file_over_the_limit_leaves_nothing(store: LocalEvidenceStore) -> None:
    with pytest.raises(FileTooLarge):
        await store.put("evidence/1/big", pieces(os.urandom(10 * CHUNK)), limit=5 * CHUNK)
    assert files_under(store.root) == []

    exactly = await store.put("evidence/1/full", pieces(os.urandom(5 * CHUNK)), limit=5 * CHUNK)
    assert exactly.size == 5 * CHUNK


async def test_an_upload_that_fails_midway_leaves_nothing(store: LocalEvidenceStore) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield os.urandom(3 * CHUNK)
        raise ConnectionResetError

    with pytest.raises(ConnectionResetError):
        await store.put("evidence/1/cut", broken(), limit=1000)
    assert files_under(store.root) == []
    assert not await store.exists("evidence/1/cut")


@pytest.mark.parametrize("key", ["../outside", "/etc/passwd", ".incoming/x", "a//b", "a/../b", ""])
async def test_a_key_cannot_reach_outside_the_store(store: LocalEvidenceStore, key: str) -> None:
    with pytest.raises(InvalidKey):
        await store.put(key, pieces(b"x"), limit=10)
    with pytest.raises(InvalidKey):
        await store.open(key)


def test_the_default_store_is_a_folder_under_var_and_others_must_be_s3(tmp_path: Path) -> None:
    store = evidence_store(Settings(var_dir=tmp_path, payload_keys=TEST_PAYLOAD_KEYS))
    assert isinstance(store, LocalEvidenceStore)
    assert store.root == tmp_path / "evidence"

    for wrong in ("/srv/evidence", "s3://", "gs://bucket"):
        with pytest.raises(ValidationError, match="s3://bucket/prefix"):
            Settings(evidence_store=wrong)


# S3, against a real S3 protocol server.

BUCKET = "concordat-evidence"


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's S3 server (the dev extra installs it), once for this module."""
    server = shutil.which("moto_server", path=str(Path(sys.executable).parent))
    if server is None:
        pytest.fail("moto_server is missing: install the dev extra (pip install -e '.[dev]')")
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 (the dev extra's server)
            [server, "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_for_port(port, timeout=20)
        endpoint = f"http://127.0.0.1:{port}"
        _client(endpoint).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        process.terminate()
        process.wait(10)


def _client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def s3_store(s3_endpoint: str) -> S3EvidenceStore:
    return S3EvidenceStore(
        BUCKET,
        KEYS,
        prefix="tests",
        client=_client(s3_endpoint),
        part_size=5 * 1024 * 1024,  # S3's smallest, so 11 MB makes three parts
    )


async def test_s3_streams_a_file_in_parts_and_back(s3_store: S3EvidenceStore) -> None:
    block = os.urandom(512 * 1024)

    async def blocks() -> AsyncIterator[bytes]:
        for _ in range(22):
            yield block

    stored = await s3_store.put("evidence/5/big", blocks(), limit=20 * 1024 * 1024)
    await s3_store.put("evidence/5/small", pieces(b"a screenshot"), limit=100)

    assert stored.size == 22 * len(block) and stored.key_id == "tests-2"
    assert await s3_store.sha256("evidence/5/big") == hashlib.sha256(block * 22).hexdigest()
    assert await read_all(s3_store, "evidence/5/small") == b"a screenshot"
    client = _client_of(s3_store)
    assert client.head_object(Bucket=BUCKET, Key="tests/evidence/5/big")["ContentLength"] > (
        stored.size
    )
    assert await s3_store.exists("evidence/5/small")
    await s3_store.delete("evidence/5/small")
    assert not await s3_store.exists("evidence/5/small")
    with pytest.raises(StoredFileMissing):
        await s3_store.open("evidence/5/small")


def _client_of(store: S3EvidenceStore) -> Any:
    return store._client


async def test_s3_over_the_limit_leaves_no_object_and_no_upload(s3_store: S3EvidenceStore) -> None:
    block = os.urandom(1024 * 1024)

    async def blocks() -> AsyncIterator[bytes]:
        for _ in range(12):
            yield block

    with pytest.raises(FileTooLarge):
        await s3_store.put("evidence/6/big", blocks(), limit=11 * 1024 * 1024)
    client = _client_of(s3_store)
    assert "Contents" not in client.list_objects_v2(Bucket=BUCKET, Prefix="tests/evidence/6/")
    assert "Uploads" not in client.list_multipart_uploads(Bucket=BUCKET)


async def test_s3_a_changed_object_is_named_damaged(s3_store: S3EvidenceStore) -> None:
    await s3_store.put("evidence/7/x", pieces(os.urandom(5000)), limit=10_000)
    client = _client_of(s3_store)
    stored = client.get_object(Bucket=BUCKET, Key="tests/evidence/7/x")["Body"].read()
    client.put_object(Bucket=BUCKET, Key="tests/evidence/7/x", Body=_flip(stored, len(stored) - 40))

    with pytest.raises(StoredFileDamaged):
        await s3_store.sha256("evidence/7/x")


async def test_s3_is_configured_by_settings_and_the_standard_aws_environment(
    s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-2",
    }.items():
        monkeypatch.setenv(name, value)
    settings = Settings(
        var_dir=tmp_path,
        payload_keys=TEST_PAYLOAD_KEYS,
        evidence_store=f"s3://{BUCKET}/deployment/one/",
        evidence_s3_endpoint_url=s3_endpoint,
    )
    store = evidence_store(settings)
    assert isinstance(store, S3EvidenceStore)

    await store.put("evidence/8/a", pieces(b"email headers"), limit=100)
    assert await read_all(store, "evidence/8/a") == b"email headers"
    listed = _client(s3_endpoint).list_objects_v2(Bucket=BUCKET, Prefix="deployment/one/")
    assert [item["Key"] for item in listed["Contents"]] == ["deployment/one/evidence/8/a"]
    assert files_under(tmp_path) == []
