"""How the web app is served: one structlog line per request, with no secret in it.

uvicorn's own access log writes each request line as it was sent. An acknowledge link's path is
its token, and a token read from a log still works until it expires, so that log is turned off
and `AccessLog` writes one line per request instead: the path with the token replaced, and
never the query string. Nor does uvicorn rewrite the client's address from `X-Forwarded-For`:
which proxies to believe is the application's decision, not a default that trusts loopback.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import structlog
import uvicorn
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime.settings import Settings
from web.rate_limits import client_address

log = structlog.get_logger(__name__)

#: Everything after `/ack/` is an acknowledge link's token (and whatever was pasted after it).
_ACK_TOKEN = re.compile(r"(^|/)(ack)/.*", re.IGNORECASE | re.DOTALL)
#: The development codec's key sits in its path (`/codec/dev/<key>/decode`).
_CODEC_KEY = re.compile(r"(^|/)(codec/dev)/[^/]*", re.IGNORECASE)


def loggable_path(path: str) -> str:
    """The path as a log may show it: an acknowledge link's token and the development codec's
    key are replaced."""
    return _CODEC_KEY.sub(r"\1\2/<redacted>", _ACK_TOKEN.sub(r"\1\2/<redacted>", path))


class AccessLog:
    """ASGI middleware: `request` with method, path (see `loggable_path`), status, duration
    and the client's address, once the answer has been sent (or the app has failed)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        answered: dict[str, int] = {}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                answered["status"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            status = answered.get("status", 500)  # an exception that escaped is a 500
            log.log(
                logging.WARNING if status >= 500 else logging.INFO,
                "request",
                method=scope["method"],
                path=loggable_path(scope["path"]),
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
                client=client_address(Request(scope)),
            )


def serving_config(app: ASGIApp, settings: Settings, **options: Any) -> uvicorn.Config:
    """uvicorn's configuration for `app`, as `concordat web` and `concordat run` serve it.

    Logging is left to `runtime.logging` (uvicorn's own lines go through the same handler),
    uvicorn's access log is replaced by `AccessLog`, and forwarded headers are not trusted.
    """
    return uvicorn.Config(
        AccessLog(app),
        host=settings.web_host,
        port=settings.web_port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        **options,
    )
