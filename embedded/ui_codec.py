"""The embedded Temporal Web UI decodes payloads through Concordat's codec server.

The Web UI calls `<endpoint>/decode` from the browser with no credentials of its own (it can
pass only an access token from its own sign-in, which the dev server has none of). The codec
server needs a token that may read every authority's timelines, so the embedded run gives the
UI an endpoint with a development codec key in its path: `/codec/dev/<key>/decode`. This
wrapper, around the embedded app alone, checks the key and hands the request on to `/codec/decode`
as the development API token; `concordat web` in production has no such path. Anything else
under `/codec/dev/` answers 404, as a path no route knows.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from starlette.types import ASGIApp, Receive, Scope, Send

#: Where the embedded UI's codec calls go, below the web app's address.
DEV_CODEC_PREFIX = "/codec/dev/"

#: The development codec key, in var/ beside the development API token.
CODEC_KEY_FILE = "dev-codec-key"


def development_codec_key(key_file: Path) -> str:
    """The key the UI's codec endpoint carries: made once, kept in var/ (owner only), so the
    dev server started next time is told the same endpoint."""
    if key_file.exists():
        key = key_file.read_text().strip()
        if key:
            return key
    key = secrets.token_urlsafe(24)
    key_file.write_text(key + "\n")
    key_file.chmod(0o600)
    return key


def codec_endpoint(base_url: str, key: str) -> str:
    """The endpoint the dev server's Web UI is given (`--ui-codec-endpoint`)."""
    return f"{base_url.rstrip('/')}{DEV_CODEC_PREFIX}{key}"


def ui_codec_args(endpoint: str) -> list[str]:
    """The dev server's command-line options that point its Web UI at the codec."""
    return ["--ui-codec-endpoint", endpoint]


class DevelopmentCodecGate:
    """Lets the embedded Web UI's codec calls through as the development API token."""

    def __init__(self, app: ASGIApp, *, key: str, token: str) -> None:
        self.app, self._key, self._token = app, key, token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path.startswith(DEV_CODEC_PREFIX):
            key, _, rest = path.removeprefix(DEV_CODEC_PREFIX).partition("/")
            if rest in ("decode", "encode") and secrets.compare_digest(
                key.encode(), self._key.encode()
            ):
                scope = self._as_token(scope, f"/codec/{rest}")
        await self.app(scope, receive, send)

    def _as_token(self, scope: Scope, path: str) -> Scope:
        """The request as the `temporal` CLI would send it: the codec path, the token."""
        headers = [
            (name, value) for name, value in scope["headers"] if name.lower() != b"authorization"
        ]
        headers.append((b"authorization", f"Bearer {self._token}".encode()))
        return {**scope, "path": path, "raw_path": path.encode(), "headers": headers}
