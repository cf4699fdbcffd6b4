"""Where the stack's Python processes spend their CPU while a phase runs, sampled by py-spy.

`bench.speed --profile DIR` samples the worker and the web process during Concordat's throughput
run and writes each process's collapsed stacks to `DIR/<process>.txt` (the format flame graph
tools read), then prints what took most of each: the functions that were on the CPU themselves,
and the share of samples inside each of the libraries that cost an incident something.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.stack import Stack

#: Where a sample's frames say it was: a library, or a part of Concordat.
AREAS = {
    "workflow sandbox": "temporalio/worker/workflow_sandbox",
    "Temporal SDK, other": "temporalio/",
    "Pydantic": "pydantic",
    "SQLAlchemy": "sqlalchemy",
    "SQLite driver": "aiosqlite",
    "PostgreSQL driver": "psycopg",
    "SMTP client": "aiosmtplib",
    "Jinja templates": "jinja2",
    "payload encryption": "cryptography",
    "structlog": "structlog",
    "FastAPI and Starlette": "starlette",
    "OpenTelemetry": "opentelemetry",
    "asyncio event loop": "asyncio/",
}


@contextmanager
def profiled(
    stack: Stack, directory: Path, names: tuple[str, ...] = ("worker", "web")
) -> Iterator[None]:
    """py-spy records each named process of the stack while the block runs."""
    beside = Path(sys.executable).parent / "py-spy"
    py_spy = str(beside) if beside.exists() else shutil.which("py-spy")
    if py_spy is None:
        raise SystemExit("--profile needs py-spy (make install puts it in .venv/bin)")
    directory.mkdir(parents=True, exist_ok=True)
    recorders = [
        subprocess.Popen(  # noqa: S603 (py-spy on our own processes)
            [
                py_spy,
                "record",
                "--pid",
                str(stack.pid_of(name)),
                "--rate",
                "200",
                # Only the thread holding the GIL: Python's own CPU, never a thread waiting
                # (py-spy cannot always tell a thread blocked in a system call from a busy one).
                "--gil",
                "--format",
                "raw",
                "--nonblocking",
                "--output",
                str(directory / f"{name}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name in names
    ]
    try:
        yield
    finally:
        for recorder in recorders:
            recorder.send_signal(signal.SIGINT)  # py-spy writes what it has and stops
        for recorder in recorders:
            recorder.wait(timeout=60)


def summary(path: Path, *, top: int = 12) -> list[str]:
    """The hottest functions of one recording, by samples on the CPU, and the areas' shares."""
    own: Counter[str] = Counter()
    within: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = stack.split(";")
        own[frames[-1]] += samples
        seen = {area for area, marker in AREAS.items() if marker in stack}
        if "workflow sandbox" in seen:
            seen.discard("Temporal SDK, other")
        for area in seen:
            within[area] += samples
    if not total:
        return [f"  {path.stem}: no samples"]
    lines = [f"  {path.stem}: {total} samples; on the CPU itself:"]
    lines += [f"    {100 * n / total:5.1f} %  {frame}" for frame, n in own.most_common(top)]
    lines.append(f"  {path.stem}: share of samples inside")
    lines += [f"    {100 * n / total:5.1f} %  {area}" for area, n in within.most_common()]
    return lines
