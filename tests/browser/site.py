"""The web app served on a real loopback port, as `concordat web` serves it, for a browser.

The server runs in its own thread and event loop (as `tests/test_fuzz_api.py` does), so that
the browser, driven from the tests' event loop, talks to it over real HTTP. Its worker runs on
the tests' loop on a task queue of its own, with `base_url` set to the server's origin: the
acknowledge links in the emails it sends open on this server exactly as they are written.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from temporalio.client import Client

from runtime.database import Database
from runtime.settings import Settings
from runtime.temporal import converter_for


@dataclass(frozen=True)
class LiveSite:
    """Where the served app answers, and the settings it and its worker use."""

    origin: str
    host: str
    settings: Settings


def site_settings(settings: Settings, port: int) -> Settings:
    """The app's settings for a browser: its own origin in links, its own task queue, and
    no rate limit in the way of many sign-ins (the limits are tested elsewhere)."""
    origin = f"http://127.0.0.1:{port}"
    relaxed = {
        name: "100000/minute"
        for name in Settings.model_fields
        if name.startswith("rate_limit_") and name != "rate_limit_storage"
    }
    return settings.model_copy(
        update=relaxed
        | {
            "base_url": origin,
            "task_queue": f"browser-{uuid.uuid4()}",
            "web_host": "127.0.0.1",
            "web_port": port,
        }
    )


@contextmanager
def serve(settings: Settings, temporal_target: str) -> Iterator[LiveSite]:
    """The app served until the block ends. Its own database engine and Temporal client,
    since both belong to the event loop that made them."""
    holder: dict[str, uvicorn.Server] = {}
    failed: list[BaseException] = []
    ready = threading.Event()

    async def run() -> None:
        from web.access_log import serving_config
        from web.app import create_app

        database = Database(settings.database_url)
        try:
            client = await Client.connect(temporal_target, data_converter=converter_for(settings))
            app = create_app(settings=settings, database=database, temporal=client)
            server = uvicorn.Server(serving_config(app, settings, log_level="warning"))
            holder["server"] = server
            ready.set()
            await server.serve()
        except BaseException as error:  # reported to the test that waits for the server
            failed.append(error)
            ready.set()
            raise
        finally:
            await database.dispose()

    access_log = logging.getLogger("web.access_log")
    level = access_log.level
    access_log.setLevel(logging.WARNING)
    thread = threading.Thread(target=lambda: asyncio.run(run()), daemon=True)
    thread.start()
    try:
        assert ready.wait(30), "the web server did not start"
        assert not failed, f"the web server failed to start: {failed[0]!r}"
        while not holder["server"].started:
            assert thread.is_alive(), "the web server stopped while starting"
            threading.Event().wait(0.05)
        host = f"127.0.0.1:{settings.web_port}"
        yield LiveSite(origin=f"http://{host}", host=host, settings=settings)
    finally:
        if "server" in holder:
            holder["server"].should_exit = True
        thread.join(30)
        access_log.setLevel(level)
