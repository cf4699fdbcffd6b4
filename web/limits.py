"""Request size limits, enforced before the application reads a request's content."""

from __future__ import annotations

import re

from fastapi import status
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class RequestSizeLimit:
    """Answer 413 to a request over the limit, whether it declares its length or is chunked.

    A declared length is checked at once; content without one is read (up to the limit) before
    the application sees it, so a chunked upload cannot slip past. POSTs to the paths `streamed`
    matches (evidence uploads) pass untouched: their routes read the body as it arrives and
    hold it to limits of their own (`web.uploads`).
    """

    def __init__(
        self, app: ASGIApp, limit: int, *, streamed: re.Pattern[str] | None = None
    ) -> None:
        self.app, self.limit, self.streamed = app, limit, streamed

    def _streamed(self, scope: Scope) -> bool:
        return (
            self.streamed is not None
            and scope.get("method") == "POST"
            and self.streamed.fullmatch(scope["path"]) is not None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._streamed(scope):
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:
            if not length.isdigit():
                await self._refuse(
                    scope, receive, send, 400, "The Content-Length header is not a number."
                )
            elif int(length) > self.limit:
                await self._refuse_too_large(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        buffered: list[Message] = []
        size = 0
        while True:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.limit:
                await self._refuse_too_large(scope, receive, send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        await self.app(scope, replay, send)

    async def _refuse_too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._refuse(
            scope,
            receive,
            send,
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"The request is larger than {self.limit // 1024} KiB.",
        )

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, code: int, detail: str) -> None:
        await JSONResponse({"detail": detail}, status_code=code)(scope, receive, send)
