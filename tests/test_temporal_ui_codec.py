"""`make run`'s Temporal Web UI decodes payloads through the codec server.

The UI is told the codec endpoint when the dev server starts, and the endpoint carries the
development codec key in its path, since the UI sends no credentials of its own. Without a
browser: the dev server's UI reports the endpoint it was given, and the endpoint decodes with
the key and refuses without it.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from google.protobuf.json_format import MessageToDict, ParseDict
from temporalio.api.common.v1 import Payloads
from temporalio.converter import DataConverter

from embedded import stack as embedded_stack
from embedded.ui_codec import (
    DevelopmentCodecGate,
    codec_endpoint,
    development_codec_key,
    ui_codec_args,
)
from runtime.database import Database
from runtime.ports import free_port
from runtime.settings import Settings
from services.tokens import issue_token

UI_ORIGIN = "http://127.0.0.1:8233"


def test_the_codec_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    key_file = tmp_path / "dev-codec-key"
    key = development_codec_key(key_file)
    assert len(key) >= 32 and development_codec_key(key_file) == key
    assert key_file.stat().st_mode & 0o077 == 0
    endpoint = codec_endpoint("http://127.0.0.1:8000/", key)
    assert endpoint == f"http://127.0.0.1:8000/codec/dev/{key}"
    assert ui_codec_args(endpoint) == ["--ui-codec-endpoint", endpoint]


async def test_the_embedded_dev_server_tells_its_web_ui_the_codec_endpoint(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedded_stack, "TEMPORAL_PORT", free_port())
    ui_port = free_port()
    embedded = settings.model_copy(
        update={"temporal_address": None, "temporal_ui_port": ui_port, "var_dir": tmp_path}
    )
    endpoint = codec_endpoint("http://127.0.0.1:8000", "a-development-key")
    async with AsyncExitStack() as stack:
        _, ui_url = await embedded_stack.start_temporal(embedded, stack, codec=endpoint)
        assert ui_url == f"http://127.0.0.1:{ui_port}"
        async with httpx.AsyncClient(base_url=ui_url, timeout=10) as ui:
            told = (await ui.get("/api/v1/settings")).json()
    assert told["Codec"]["Endpoint"] == endpoint


def test_the_web_ui_of_the_embedded_port_may_call_the_codec(settings: Settings) -> None:
    moved = settings.model_copy(update={"temporal_ui_port": 9233})
    origins = embedded_stack.with_ui_origins(moved).codec_allowed_origins
    assert "http://127.0.0.1:9233" in origins and "http://localhost:9233" in origins
    assert embedded_stack.with_ui_origins(embedded_stack.with_ui_origins(moved)) == (
        embedded_stack.with_ui_origins(moved)
    )


async def test_the_codec_decodes_with_the_development_key_and_refuses_without(
    web_app, database: Database, tmp_path: Path
) -> None:
    async with database.session() as session:
        _, token = await issue_token("development", authority_id=None, session=session)
    key = development_codec_key(tmp_path / "dev-codec-key")
    gate = DevelopmentCodecGate(web_app, key=key, token=token)
    converter: DataConverter = web_app.state.temporal.data_converter
    assert converter.payload_codec is not None
    secret = "Files on the revenues share are encrypted"
    [plain] = converter.payload_converter.to_payloads([secret])
    encoded = await converter.payload_codec.encode([plain])
    assert secret.encode() not in encoded[0].data
    body = MessageToDict(Payloads(payloads=encoded))
    headers = {"Origin": UI_ORIGIN, "X-Namespace": "default"}

    transport = httpx.ASGITransport(app=gate)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as ui:
        # What the browser asks first, from the Web UI's origin.
        preflight = await ui.options(
            f"/codec/dev/{key}/decode",
            headers={
                "Origin": UI_ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type,x-namespace",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == UI_ORIGIN

        decoded = await ui.post(f"/codec/dev/{key}/decode", json=body, headers=headers)
        assert decoded.status_code == 200, decoded.text
        assert decoded.headers["access-control-allow-origin"] == UI_ORIGIN
        [payload] = ParseDict(decoded.json(), Payloads()).payloads
        assert converter.payload_converter.from_payloads([payload]) == [secret]

        # Without the key, or with another, nothing is decoded.
        assert (await ui.post("/codec/decode", json=body, headers=headers)).status_code == 401
        wrong = await ui.post("/codec/dev/not-the-key/decode", json=body, headers=headers)
        assert wrong.status_code == 404
        # The key opens the codec's two paths and nothing else.
        elsewhere = await ui.get(f"/codec/dev/{key}/incidents", headers=headers)
        assert elsewhere.status_code == 404
