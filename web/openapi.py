"""The OpenAPI document, with every answer an operation can give; and answers that keep to it.

FastAPI documents what a route declares. The answers given around the routes are added here,
in one place, from what each operation declares: a token (401, 403, 429, and 503 when the
database that holds the tokens is away), a request body (400 and 413 from the size limit), and
the few operations that refuse a request in conflict with what is recorded (409) or answer a
repeated one with what the first made (200 instead of 201). A 405 names, in `Allow`, every
method of its path, not only those of the first route that matched it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_PROBLEM = {"$ref": "#/components/schemas/Problem"}

_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 0},
    }
}

#: Answers of every operation that takes a token (`web.deps.get_api_caller`).
_WITH_TOKEN: dict[str, tuple[str, dict[str, Any]]] = {
    "401": ("No valid API token.", {}),
    "403": ("Your role, or a read-only token, does not allow this.", {}),
    "429": (
        "Too many requests: from this person or token, for this incident, or (opening "
        "incidents) for this authority; or too many wrong tokens from this address.",
        _RETRY_AFTER,
    ),
    "503": ("The database or Temporal is unreachable; try again.", _RETRY_AFTER),
}

#: Answers of every operation that takes a body (`web.limits.RequestSizeLimit`).
_WITH_BODY: dict[str, tuple[str, dict[str, Any]]] = {
    "400": ("The request is malformed (its Content-Length is not a number).", {}),
    "413": ("The request is larger than 1 MiB.", {}),
}

#: Operations that refuse a request in conflict with what is recorded, and why. The actions
#: on a running incident (`web.api.actions`) declare their own.
CONFLICTS: dict[tuple[str, str], str] = {
    ("put", "/api/incidents/{incident_id}/breach"): (
        "The incident involves no personal data, or is closed."
    ),
    ("post", "/api/authorities/{code}/users"): "That address cannot be used for a new user.",
}

#: Operations that answer a repeated request (the same `Idempotency-Key`) with 200 and what
#: the first one made, instead of its 201.
REPLAYS: dict[tuple[str, str], str] = {
    ("post", "/api/incidents"): "The same Idempotency-Key again: the incident opened the first "
    "time, unchanged.",
    ("post", "/api/supplier-notices"): "The same Idempotency-Key again: the notice sent the "
    "first time, unchanged.",
}


def _add(operation: dict[str, Any], status: str, description: str, headers: dict[str, Any]) -> None:
    answer = operation["responses"].setdefault(
        status,
        {"description": description, "content": {"application/json": {"schema": _PROBLEM}}},
    )
    if headers:
        answer.setdefault("headers", {}).update(headers)


def with_every_answer(document: dict[str, Any]) -> dict[str, Any]:
    """The generated `document`, completed; an entry of `CONFLICTS` or `REPLAYS` naming no
    operation is a mistake, and refused."""
    paths = document["paths"]
    for (method, path), why in CONFLICTS.items():
        if method not in paths.get(path, {}):
            raise LookupError(f"CONFLICTS names {method.upper()} {path}, which does not exist")
        _add(paths[path][method], "409", why, {})
    for (method, path), why in REPLAYS.items():
        if method not in paths.get(path, {}):
            raise LookupError(f"REPLAYS names {method.upper()} {path}, which does not exist")
        answers = paths[path][method]["responses"]
        answers.setdefault(
            "200",
            {
                "description": why,
                "content": answers["201"]["content"],
                "headers": {
                    "Idempotent-Replayed": {
                        "description": "Always `true`: this is a replay.",
                        "required": True,
                        "schema": {"type": "string", "enum": ["true"]},
                    }
                },
            },
        )
    for operations in paths.values():
        for operation in operations.values():
            extra = dict(_WITH_TOKEN) if operation.get("security") else {}
            if "requestBody" in operation:
                extra |= _WITH_BODY
            for status, (description, headers) in extra.items():
                _add(operation, status, description, headers)
    return document


class EveryMethodAllowed:
    """ASGI middleware: a 405's `Allow` lists the methods of every route of the path (Starlette
    names only those of the first route whose path matched)."""

    def __init__(self, app: ASGIApp, *, routes: list[Any]) -> None:
        self.app, self.routes = app, routes

    def methods_of(self, path: str) -> str:
        methods: set[str] = set()
        for route in self.routes:
            if isinstance(route, Route) and route.methods and route.path_regex.match(path):
                methods |= route.methods
        return ", ".join(sorted(methods))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                MutableHeaders(scope=message)["Allow"] = self.methods_of(scope["path"])
            await send(message)

        await self.app(scope, receive, sending)


def answer_as_documented(app: FastAPI) -> None:
    """Serve `with_every_answer` of the generated document at /openapi.json and /docs, and
    give every 405 the whole of its path's `Allow`."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = with_every_answer(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_middleware(EveryMethodAllowed, routes=app.router.routes)
