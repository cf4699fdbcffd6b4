"""How fast a large evidence file uploads, and how little memory the server needs for it.

    .venv/bin/python -m bench.evidence              # a 100 MB file, three times
    .venv/bin/python -m bench.evidence --smoke      # 8 MB, once, to keep it working

Serves the real receiver (`web/uploads.py` into a `LocalEvidenceStore`, sealed with a fresh
payload key, 1 MiB chunks, fsync before the rename) with uvicorn on loopback in this process, and
uploads to it as multipart/form-data from a client in a process of its own (the standard
library's `http.client`, the file made as it is sent), so the server's memory is its own. Beside
it, in the same run, two baselines on the same bytes:

- a plain copy to a file in the same folder, fsync included: what the disk itself allows;
- the same upload to a route that reads the body and drops it: what HTTP on loopback allows.

Prints each one's throughput (MB/s, the best of the runs), the receiver's as a ratio to both, the
server process's resident memory before and at its peak while uploading (sampled every 5 ms),
and the Python heap's peak (tracemalloc, in a run of its own, as it slows allocation). Exits 1 if
an upload did not answer 200 or the stored file does not hash to what was sent; it asserts no
timings.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from runtime.payloads import PayloadKeys
from runtime.ports import free_port, wait_for_port
from storage import LocalEvidenceStore
from web.uploads import receive_upload

MB = 1024 * 1024
BLOCK = 64 * 1024
BOUNDARY = "concordat-bench-evidence"


def _block() -> bytes:
    """Incompressible, and the same in every process: the client and the checks agree."""
    return hashlib.shake_256(b"concordat evidence benchmark").digest(BLOCK)


def _expected_sha256(size: int) -> str:
    digest = hashlib.sha256()
    block = _block()
    for _ in range(size // BLOCK):
        digest.update(block)
    return digest.hexdigest()


def _multipart(size: int) -> tuple[bytes, bytes]:
    head = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="description"\r\n\r\n'
        "Disk image of the revenues server\r\n"
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="files"; filename="revenues.img"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head, f"\r\n--{BOUNDARY}--\r\n".encode()


def client(port: int, path: str, size: int) -> None:
    """The uploading side, in its own process: prints seconds, status and answer as JSON."""
    head, tail = _multipart(size)
    block = _block()

    def body() -> Iterator[bytes]:
        yield head
        for _ in range(size // BLOCK):
            yield block
        yield tail

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    connection.request(
        "POST",
        path,
        body=body(),
        headers={
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Content-Length": str(len(head) + size + len(tail)),
        },
    )
    answer = connection.getresponse()
    text = answer.read().decode()
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "status": answer.status, "answer": text}))


def _app(store: LocalEvidenceStore, limit: int) -> Starlette:
    async def upload(request: Request) -> JSONResponse:
        received = await receive_upload(
            request, store, key_prefix="evidence/bench", file_limit=limit
        )
        return JSONResponse({"files": [vars(file) for file in received.files]})

    async def discard(request: Request) -> JSONResponse:
        count = 0
        async for chunk in request.stream():
            count += len(chunk)
        return JSONResponse({"bytes": count})

    return Starlette(
        routes=[
            Route("/upload", upload, methods=["POST"]),
            Route("/discard", discard, methods=["POST"]),
        ]
    )


def _resident_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class _RssSampler:
    """The process's resident memory every few milliseconds, in a thread, keeping the peak."""

    def __init__(self) -> None:
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, _resident_kib())
            self._stop.wait(0.005)

    def __enter__(self) -> _RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Upload:
    seconds: float
    status: int
    answer: dict[str, object]


async def _upload(port: int, path: str, size: int) -> Upload:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.evidence",
        "--client",
        str(port),
        path,
        str(size),
        stdout=subprocess.PIPE,
    )
    out, _ = await process.communicate()
    result = json.loads(out)
    return Upload(result["seconds"], result["status"], json.loads(result["answer"]))


def _disk_copy(folder: Path, size: int) -> float:
    block = _block()
    target = folder / "copy.bin"
    started = time.perf_counter()
    with target.open("wb") as out:
        for _ in range(size // BLOCK):
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    seconds = time.perf_counter() - started
    target.unlink()
    return seconds


async def run(size: int, repeats: int) -> int:
    scratch = Path(tempfile.mkdtemp(prefix="concordat-evidence-"))
    store = LocalEvidenceStore(scratch / "evidence", PayloadKeys.parse(PayloadKeys.generate("b")))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            _app(store, size), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    serving = asyncio.create_task(server.serve())
    expected = _expected_sha256(size)
    checks: dict[str, bool] = {}
    try:
        await asyncio.to_thread(wait_for_port, port)
        disk = min(_disk_copy(scratch, size) for _ in range(repeats))
        http_only = min([(await _upload(port, "/discard", size)).seconds for _ in range(repeats)])
        before_kib = _resident_kib()
        uploads: list[Upload] = []
        with _RssSampler() as sampler:
            for _ in range(repeats):
                uploads.append(await _upload(port, "/upload", size))
        tracemalloc.start()
        traced = await _upload(port, "/upload", size)
        _, heap_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        for upload in [*uploads, traced]:
            files = upload.answer.get("files")
            stored = files[0] if isinstance(files, list) and files else {}
            checks.setdefault("every upload answered 200", True)
            checks["every upload answered 200"] &= upload.status == 200
            checks.setdefault("every stored file hashes to what was sent", True)
            checks["every stored file hashes to what was sent"] &= (
                stored.get("sha256") == expected
                and await store.sha256(str(stored.get("key"))) == expected
            )
    finally:
        server.should_exit = True
        await serving
        shutil.rmtree(scratch, ignore_errors=True)

    receiver = min(upload.seconds for upload in uploads)
    megabytes = size / MB

    def rate(seconds: float) -> float:
        return megabytes / seconds

    print(
        f"Evidence upload, {megabytes:.0f} MB file, {os.cpu_count()} cores, best of {repeats}: "
        "multipart over loopback into the local store, AES-256-GCM in 1 MiB chunks"
    )
    print(f"  receiver into the store   {rate(receiver):8.1f} MB/s   {receiver:6.2f} s")
    print(f"  baseline: copy to disk    {rate(disk):8.1f} MB/s   {disk:6.2f} s")
    print(f"  baseline: HTTP, dropped   {rate(http_only):8.1f} MB/s   {http_only:6.2f} s")
    print(
        f"  receiver / disk copy      {rate(receiver) / rate(disk):8.2f}x   "
        f"receiver / HTTP dropped {rate(receiver) / rate(http_only):.2f}x"
    )
    print(
        f"  server resident memory    {before_kib / 1024:8.1f} MiB before, "
        f"{sampler.peak_kib / 1024:.1f} MiB at its peak while uploading "
        f"(+{(sampler.peak_kib - before_kib) / 1024:.1f} MiB)"
    )
    print(f"  Python heap peak          {heap_peak / MB:8.1f} MiB (tracemalloc, one upload)")
    for check, passed in checks.items():
        print(f"  {'yes' if passed else 'NO '}  {check}")
    return 0 if checks and all(checks.values()) else 1


def main() -> None:
    if sys.argv[1:2] == ["--client"]:
        port, path, size = sys.argv[2:5]
        client(int(port), path, int(size))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--megabytes", type=int, default=100, help="The file's size.")
    parser.add_argument("--repeats", type=int, default=3, help="Runs of each; the best counts.")
    parser.add_argument("--smoke", action="store_true", help="8 MB once, to keep it working.")
    args = parser.parse_args()
    if args.smoke:
        args.megabytes, args.repeats = 8, 1
    sys.exit(asyncio.run(run(args.megabytes * MB, args.repeats)))


if __name__ == "__main__":
    main()
