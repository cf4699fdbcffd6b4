"""Connecting to Temporal: one data converter everywhere, so every process reads every payload."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from temporalio.client import Client
from temporalio.converter import DataConverter
from temporalio.runtime import Runtime

from runtime.payloads import data_converter
from runtime.settings import Settings
from runtime.tracing import temporal_interceptors


def converter_for(settings: Settings) -> DataConverter:
    """Pydantic models as JSON, encrypted with the configured keys. The client, the worker,
    the tests and the Replayer must all use the same one."""
    return data_converter(settings.payload_key_ring())


async def connect(
    settings: Settings, address: str | None = None, *, runtime: Runtime | None = None
) -> Client:
    """A client for the configured server; a worker gives the `runtime` that serves its
    metrics (`runtime.metrics.worker_runtime`), everyone else the SDK's default."""
    return await Client.connect(
        address or settings.temporal_address or "127.0.0.1:7233",
        namespace=settings.temporal_namespace,
        data_converter=converter_for(settings),
        # Traces, when `runtime.tracing` is configured; workers on this client take it too.
        interceptors=temporal_interceptors(),
        runtime=runtime,
    )


def bundled_binary(name: str) -> str:
    """Path of a binary installed with the Python packages (`temporal`, `temporal-test-server`).

    Passed to the SDK explicitly: without a path it tries to download the server, and
    machines running Concordat may have no internet access.
    """
    beside_python = Path(sys.executable).parent / name
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed; install the project with `make`")
    return found


def dev_server_command(port: int, state_file: Path) -> list[str]:
    """The bundled dev server on loopback, headless, keeping its state in `state_file`: a
    process of its own, so it can be killed and restarted, or measured, like a real server."""
    return [
        bundled_binary("temporal"),
        "server",
        "start-dev",
        "--headless",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--db-filename",
        str(state_file),
        "--log-level",
        "error",
    ]


def wait_until_serving(port: int, timeout: float = 60) -> None:
    """Block until the dev server on `port` says its frontend is SERVING. An open port comes
    first: a client that connects in between is told "Frontend is not healthy yet"."""
    command = [
        bundled_binary("temporal"),
        "operator",
        "cluster",
        "health",
        "--address",
        f"127.0.0.1:{port}",
    ]
    deadline = time.monotonic() + timeout
    while True:
        answer = subprocess.run(  # noqa: S603 (the bundled Temporal CLI)
            command, capture_output=True, timeout=10, check=False
        )
        if answer.returncode == 0 and b"SERVING" in answer.stdout:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"the Temporal server on port {port} is not serving")
        time.sleep(0.1)
