"""A Microsoft Teams Workflows webhook on loopback, for tests of the Teams transport.

A Workflows webhook takes an Adaptive Card wrapped in a message and answers 202 Accepted: the
card is posted to the channel afterwards, so the answer says only that the body was taken.
This one keeps each body it took, refuses a body that is not such a message with 400 as Teams
does, and can be told to fail, as Teams sometimes does, with 429 or 5xx.
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


def card_problem(body: Any) -> str | None:
    """Why Teams would refuse the body, or None if it is a message with Adaptive Cards."""
    if not isinstance(body, dict) or body.get("type") != "message":
        return 'the body is not {"type": "message", ...}'
    attachments = body.get("attachments")
    if not isinstance(attachments, list) or not attachments:
        return "the message has no attachments"
    for attachment in attachments:
        if not isinstance(attachment, dict):
            return "an attachment is not an object"
        if attachment.get("contentType") != CARD_CONTENT_TYPE:
            return f"an attachment's contentType is not {CARD_CONTENT_TYPE}"
        content = attachment.get("content")
        if not isinstance(content, dict) or content.get("type") != "AdaptiveCard":
            return 'an attachment\'s content is not {"type": "AdaptiveCard", ...}'
    return None


class TeamsWebhook:
    """Webhooks at `url_for(name)`, served from a thread on a free loopback port."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._taken: list[tuple[str, dict[str, Any]]] = []
        self._failures: list[int] = []
        self.attempts = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="teams-webhook", daemon=True
        )
        self._thread.start()

    def url_for(self, name: str) -> str:
        return f"{self.url}/webhook/{name}"

    @property
    def posts(self) -> list[dict[str, Any]]:
        """Every body taken (answered 202), oldest first; not those refused or failed."""
        with self._lock:
            return [body for _, body in self._taken]

    def posts_to(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            return [body for webhook, body in self._taken if webhook == name]

    def fail_next(self, count: int, status: int = 500) -> None:
        """Answer the next `count` posts with `status`, taking nothing."""
        with self._lock:
            self._failures += [status] * count

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _answer(self, path: str, raw: bytes) -> tuple[int, dict[str, Any] | None]:
        prefix = "/webhook/"
        if not path.startswith(prefix) or len(path) == len(prefix):
            return 404, _error("NotFound", "No webhook at this address.")
        with self._lock:
            self.attempts += 1
            if self._failures:
                status = self._failures.pop(0)
                code = HTTPStatus(status).phrase.replace(" ", "")
                return status, _error(code, f"Failed on purpose with {status}.")
        try:
            body = json.loads(raw)
        except ValueError:
            return 400, _error("InvalidRequestContent", "The body is not JSON.")
        problem = card_problem(body)
        if problem is not None:
            return 400, _error("InvalidRequestContent", problem)
        with self._lock:
            self._taken.append((path[len(prefix) :], body))
        return 202, None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, body = webhook._answer(self.path.split("?")[0], raw)
                content = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                if body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # a line per request would bury the test's own output

        return Handler


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}
