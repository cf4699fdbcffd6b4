"""A codec server, so Temporal's Web UI and CLI can show encrypted payloads to those allowed.

`POST /codec/decode` and `/codec/encode` take and return `{"payloads": [...]}` in Temporal's
JSON form. Decoding reveals any incident's data, so it needs a token (or signed-in session)
that may read timelines of every authority: the central team, or an auditor of them all.

    temporal workflow show -w incident-<id> \
        --codec-endpoint http://127.0.0.1:8000/codec --codec-auth "Bearer cnc_..."
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import JSONResponse
from google.protobuf.json_format import MessageToDict, ParseDict, ParseError
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio.api.common.v1 import Payload, Payloads

from domain.access import Permission
from runtime.payloads import PayloadKeyError
from web.deps import AnyCaller

router = APIRouter(prefix="/codec", tags=["codec"], include_in_schema=False)


class CodecCors:
    """Cross-origin calls from the Temporal Web UI to the codec server, and to nothing else.
    Without credentials: the codec takes a bearer token, never the page session's cookie."""

    def __init__(self, app: ASGIApp, *, origins: list[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=["POST"],
            allow_headers=["Authorization", "Content-Type", "X-Namespace"],
            allow_credentials=False,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/codec/"):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _refuse_unless_national_reader(caller: AnyCaller) -> None:
    if not (caller.can(Permission.READ_TIMELINES) and caller.readable is None):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "Decoding payloads needs permission to read every authority's timelines.",
        )


async def _payloads(request: Request) -> Payloads:
    try:
        sent = await request.json()
        if not isinstance(sent, dict):
            raise ValueError("the body is not a JSON object")
        return ParseDict(sent, Payloads(), ignore_unknown_fields=True)
    except RecursionError:
        # Python's JSON parser recurses once per level: a deep enough body exhausts the stack.
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "The JSON is nested too deeply; expected {'payloads': [...]}. / "
            "Mae'r JSON wedi'i nythu'n rhy ddwfn; disgwylid {'payloads': [...]}.",
        ) from None
    except (ParseError, ValueError, TypeError) as bad:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"Expected {{'payloads': [...]}}: {bad} / Disgwylid {{'payloads': [...]}}: {bad}",
        ) from None


def _answer(payloads: list[Payload]) -> JSONResponse:
    return JSONResponse(MessageToDict(Payloads(payloads=payloads)))


@router.post("/decode")
async def decode(request: Request, caller: AnyCaller) -> JSONResponse:
    _refuse_unless_national_reader(caller)
    codec = request.app.state.temporal.data_converter.payload_codec
    payloads = list((await _payloads(request)).payloads)
    try:
        return _answer(await codec.decode(payloads) if codec else payloads)
    except PayloadKeyError as unknown:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(unknown)) from None


@router.post("/encode")
async def encode(request: Request, caller: AnyCaller) -> JSONResponse:
    _refuse_unless_national_reader(caller)
    codec = request.app.state.temporal.data_converter.payload_codec
    payloads = list((await _payloads(request)).payloads)
    return _answer(await codec.encode(payloads) if codec else payloads)
