"""Uploads streamed from the request into the evidence store: several files at once, each
hashed as it arrives; anything refused (too large, too many, malformed, cut short) answers with
a reason in both languages and leaves nothing stored; and 100 MB go through in a few MB of
memory.
"""

from __future__ import annotations

import hashlib
import os
import time
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from runtime.payloads import PayloadKeys
from storage import LocalEvidenceStore
from tests.conftest import TEST_PAYLOAD_KEYS
from web.uploads import (
    UploadInvalid,
    UploadTooLarge,
    readable_size,
    receive_upload,
    sanitised_filename,
)

KEYS = PayloadKeys.parse(TEST_PAYLOAD_KEYS)
LIMIT = 1000
MAX_FILES = 3
BOUNDARY = "concordat-test-boundary"


def uploading_app(store: LocalEvidenceStore) -> Starlette:
    """A route as the evidence API will have one: 413 and 400 for the two kinds of refusal."""

    async def upload(request: Request) -> JSONResponse:
        try:
            received = await receive_upload(
                request,
                store,
                key_prefix="evidence/42",
                file_limit=LIMIT,
                max_files=MAX_FILES,
                field_limit=100,
            )
        except UploadTooLarge as refused:
            return JSONResponse({"detail": str(refused)}, status_code=413)
        except UploadInvalid as refused:
            return JSONResponse({"detail": str(refused)}, status_code=400)
        return JSONResponse(
            {
                "files": [vars(file) for file in received.files],
                "description": received.field("description"),
            }
        )

    return Starlette(routes=[Route("/upload", upload, methods=["POST"])])


@pytest.fixture
def store(tmp_path: Path) -> LocalEvidenceStore:
    return LocalEvidenceStore(tmp_path / "evidence", KEYS, chunk_size=64)


@pytest.fixture
async def client(store: LocalEvidenceStore) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=uploading_app(store))
    async with httpx.AsyncClient(transport=transport, base_url="http://concordat.test") as http:
        yield http


def stored_files(store: LocalEvidenceStore) -> list[Path]:
    return [path for path in store.root.rglob("*") if path.is_file()] if store.root.exists() else []


def part(name: str, content: bytes, filename: str | None = None, type_: str = "") -> bytes:
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    headers = f"Content-Disposition: {disposition}\r\n"
    if type_:
        headers += f"Content-Type: {type_}\r\n"
    return f"--{BOUNDARY}\r\n{headers}\r\n".encode() + content + b"\r\n"


def body(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


async def test_several_files_are_stored_together_with_their_hashes(
    client: httpx.AsyncClient, store: LocalEvidenceStore
) -> None:
    log = os.urandom(LIMIT)  # exactly the limit
    note = "Mae eich ffeiliau wedi'u hamgryptio.\nYour files are encrypted. ⚠".encode()
    answer = await client.post(
        "/upload",
        files=[
            ("files", ("logiau'r wal dân.log", log, "text/plain")),
            ("files", ("../../ransom-note.txt", note, "text/plain; charset=utf-8")),
            ("files", ("", b"", "application/octet-stream")),  # a file input left empty
        ],
        data={"description": "Logs a'r nodyn pridwerth"},
    )

    assert answer.status_code == 200, answer.text
    files = answer.json()["files"]
    assert answer.json()["description"] == "Logs a'r nodyn pridwerth"
    assert [(f["filename"], f["content_type"], f["size"]) for f in files] == [
        ("logiau'r wal dân.log", "text/plain", LIMIT),
        ("ransom-note.txt", "text/plain", len(note)),
    ]
    assert [f["sha256"] for f in files] == [
        hashlib.sha256(log).hexdigest(),
        hashlib.sha256(note).hexdigest(),
    ]
    assert {f["key_id"] for f in files} == {"tests-2"}
    assert all(f["key"].startswith("evidence/42/") for f in files)
    assert len({f["key"] for f in files}) == 2
    for file, content in zip(files, (log, note), strict=True):
        assert b"".join([c async for c in await store.open(file["key"])]) == content
    assert len(stored_files(store)) == 2


async def test_an_oversized_file_is_refused_and_nothing_is_left(
    client: httpx.AsyncClient, store: LocalEvidenceStore
) -> None:
    answer = await client.post(
        "/upload",
        files=[
            ("files", ("first.log", b"fits", "text/plain")),
            ("files", ("disk.img", os.urandom(LIMIT + 1), "application/octet-stream")),
        ],
    )

    assert answer.status_code == 413
    assert answer.json()["detail"] == (
        'The file "disk.img" is larger than 1000 bytes, the largest accepted. / '
        'Mae\'r ffeil "disk.img" yn fwy na 1000 beit, y maint mwyaf a dderbynnir.'
    )
    assert stored_files(store) == []


async def test_too_many_files_are_refused_and_nothing_is_left(
    client: httpx.AsyncClient, store: LocalEvidenceStore
) -> None:
    answer = await client.post(
        "/upload",
        files=[("files", (f"{n}.png", b"png", "image/png")) for n in range(MAX_FILES + 1)],
    )

    assert answer.status_code == 413
    assert (
        "Send at most 3 files at once. / Anfonwch 3 ffeil ar y mwyaf ar y tro."
        in (answer.json()["detail"])
    )
    assert stored_files(store) == []


async def test_a_declared_length_too_large_is_refused_before_reading(
    client: httpx.AsyncClient, store: LocalEvidenceStore
) -> None:
    content = body(part("files", b"x", "a.txt"))
    too_long = LIMIT * MAX_FILES + 1024 * 1024 + 1
    answer = await client.post(
        "/upload", content=content, headers=MULTIPART | {"Content-Length": str(too_long)}
    )

    assert answer.status_code == 413
    assert "the most accepted at once" in answer.json()["detail"]
    assert "y mwyaf a dderbynnir ar y tro" in answer.json()["detail"]
    assert stored_files(store) == []


@pytest.mark.parametrize(
    ("content", "headers", "english"),
    [
        (
            body(part("files", b"complete", "one.txt"))[:-30],
            MULTIPART,
            "The upload ended before it was complete",
        ),
        (
            part("files", b"complete", "one.txt") + part("files", b"half of it", "two.txt")[:-12],
            MULTIPART,
            "The upload ended before it was complete",
        ),
        (
            body(part("files", b"ok", "one.txt")).replace(b"Content-Disposition", b"Dispo", 1),
            MULTIPART,
            "not well-formed multipart/form-data",
        ),
        (b'{"files": []}', {"Content-Type": "application/json"}, "as multipart/form-data"),
        (
            b"--" + b"b" * 300 + b"--\r\n",
            {"Content-Type": "multipart/form-data; boundary=" + "b" * 300},
            "as multipart/form-data",
        ),
        (
            body(part("files", b"ok", "one.txt"), part("description", b"x" * 101)),
            MULTIPART,
            'The field "description" is too long (at most 100 bytes)',
        ),
        (
            body(part("description", b"\xff\xfe")),
            MULTIPART,
            'The field "description" is not text in UTF-8',
        ),
    ],
    ids=[
        "cut short",
        "cut inside a file",
        "no disposition",
        "json",
        "boundary too long",
        "long field",
        "not utf-8",
    ],
)
async def test_a_malformed_upload_is_refused_in_both_languages_and_nothing_is_left(
    client: httpx.AsyncClient,
    store: LocalEvidenceStore,
    content: bytes,
    headers: dict[str, str],
    english: str,
) -> None:
    answer = await client.post("/upload", content=content, headers=headers)

    assert answer.status_code == 400
    detail = answer.json()["detail"]
    assert english in detail
    assert " / " in detail and detail.split(" / ")[1].strip()  # the Welsh half
    assert stored_files(store) == []


async def test_a_client_that_goes_away_leaves_nothing(store: LocalEvidenceStore) -> None:
    """The receiver called directly, with the socket closing after the first file."""
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": part("files", b"first file", "a.txt"), "more_body": True},
        {"type": "http.request", "body": part("files", b"second", "b.txt"), "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    scope = {
        "type": "http",
        "method": "POST",
        "headers": [(b"content-type", MULTIPART["Content-Type"].encode())],
    }
    with pytest.raises(UploadInvalid, match="ended before it was complete"):
        await receive_upload(
            Request(scope, receive), store, key_prefix="evidence/1", file_limit=LIMIT
        )
    assert stored_files(store) == []


def test_filenames_lose_folders_and_control_characters() -> None:
    assert sanitised_filename("C:\\Users\\rhys\\Desktop\\nodyn.txt") == "nodyn.txt"
    assert sanitised_filename("../../etc/passwd") == "passwd"
    assert sanitised_filename("..hidden") == "hidden"
    assert sanitised_filename("bad\x00\nname.log") == "badname.log"
    assert sanitised_filename("") == "file"
    long = sanitised_filename("a" * 300 + ".pdf")
    assert len(long) == 255 and long.endswith(".pdf")
    assert readable_size(100 * 1024 * 1024) == "100 MB"
    assert readable_size(8 * 1024, welsh=True) == "8 KB"
    assert readable_size(500, welsh=True) == "500 beit"


async def test_100_mb_stream_through_in_a_few_mb_of_memory(tmp_path: Path) -> None:
    """The production chunk size and limit; the client sends a 100 MB file made as it goes."""
    store = LocalEvidenceStore(tmp_path / "evidence", KEYS)
    size, block = 100 * 1024 * 1024, os.urandom(64 * 1024)
    expected = hashlib.sha256()
    for _ in range(size // len(block)):
        expected.update(block)

    async def upload() -> AsyncIterator[bytes]:
        yield part("description", b"Disk image of the revenues server")
        yield f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; '.encode()
        yield b'filename="revenues.img"\r\nContent-Type: application/octet-stream\r\n\r\n'
        for _ in range(size // len(block)):
            yield block
        yield f"\r\n--{BOUNDARY}--\r\n".encode()

    app = _app_with_limit(store, size)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://concordat.test") as http:
        tracemalloc.start()
        try:
            started = time.perf_counter()
            answer = await http.post("/upload", content=upload(), headers=MULTIPART)
            elapsed = time.perf_counter() - started
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

    assert answer.status_code == 200, answer.text
    (file,) = answer.json()["files"]
    assert (file["size"], file["sha256"]) == (size, expected.hexdigest())
    assert peak < 8 * 1024 * 1024, f"peak {peak / 1024 / 1024:.1f} MB"
    assert store.path_of(file["key"]).stat().st_size > size
    print(f"100 MB in {elapsed:.2f} s, tracemalloc peak {peak / 1024 / 1024:.1f} MB")


def _app_with_limit(store: LocalEvidenceStore, limit: int) -> Starlette:
    async def upload(request: Request) -> JSONResponse:
        received = await receive_upload(request, store, key_prefix="evidence/7", file_limit=limit)
        return JSONResponse({"files": [vars(file) for file in received.files]})

    return Starlette(routes=[Route("/upload", upload, methods=["POST"])])
