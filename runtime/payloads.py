"""Temporal payloads encrypted at rest: AES-256-GCM, with the key id beside each payload.

Everything a workflow receives or returns (incident descriptions, names, addresses, timeline
entries) travels through Temporal's history, which its operators can read. The codec encrypts each
payload before it leaves the process; failures are encrypted too, because the failure converter
moves their messages and stack traces into an encoded payload.

Keys come from configuration (`CONCORDAT_PAYLOAD_KEYS`), newest first, as `id:base64key` pairs
separated by commas. New payloads use the first key; older ones are read with the key their
metadata names, so rotating is: add a new key in front, restart, and keep the old one for as long
as any history written with it is kept. Payloads written before encryption was turned on (or the
recorded histories in `tests/histories/`) pass through unchanged. The embedded set-up
(`concordat run`) makes a key of its own in `var/payload-keys`, where every other command finds
it when no keys are configured.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
_NONCE_BYTES = 12


class PayloadKeyError(ValueError):
    """A key is missing, malformed, or does not open a payload."""


@dataclasses.dataclass(frozen=True)
class PayloadKeys:
    """Named AES-256 keys, the one new payloads use first."""

    keys: tuple[tuple[str, bytes], ...]

    @classmethod
    def parse(cls, configured: str) -> PayloadKeys:
        keys: list[tuple[str, bytes]] = []
        for item in filter(None, (part.strip() for part in configured.split(","))):
            key_id, _, encoded = item.partition(":")
            try:
                key = base64.b64decode(encoded, validate=True)
            except binascii.Error:
                key = b""
            if not key_id or len(key) != 32:
                raise PayloadKeyError(
                    f"payload key {key_id or '?'!r} must be written as id:<32 bytes in base64>"
                )
            if any(known == key_id for known, _ in keys):
                raise PayloadKeyError(f"payload key {key_id!r} is configured twice")
            keys.append((key_id, key))
        if not keys:
            raise PayloadKeyError("no payload key is configured")
        return cls(tuple(keys))

    @staticmethod
    def generate(key_id: str) -> str:
        """A new key in the configured form, for `concordat keys new` and the embedded set-up."""
        return f"{key_id}:{base64.b64encode(secrets.token_bytes(32)).decode()}"

    @property
    def active_id(self) -> str:
        return self.keys[0][0]


#: Where, in its `var_dir`, the embedded set-up (`concordat run`) keeps the key it made.
EMBEDDED_KEY_FILE = "payload-keys"


def embedded_keys(var_dir: Path) -> str | None:
    """The keys `concordat run` made for its dev server, if it has run with this `var_dir`:
    every other command needs them to read that server's histories."""
    try:
        return (var_dir / EMBEDDED_KEY_FILE).read_text().strip() or None
    except FileNotFoundError:
        return None


class EncryptionCodec(PayloadCodec):
    def __init__(self, keys: PayloadKeys) -> None:
        super().__init__()
        self._active = keys.active_id
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.keys}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        cipher = self._ciphers[self._active]
        encoded = []
        for payload in payloads:
            nonce = os.urandom(_NONCE_BYTES)
            sealed = cipher.encrypt(nonce, payload.SerializeToString(), self._active.encode())
            encoded.append(
                Payload(
                    metadata={"encoding": ENCODING, KEY_ID: self._active.encode()},
                    data=nonce + sealed,
                )
            )
        return encoded

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._open(payload) for payload in payloads]

    def _open(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # written before encryption, or never encrypted
        key_id = payload.metadata.get(KEY_ID, b"").decode("utf-8", errors="replace")
        if len(payload.data) <= _NONCE_BYTES:
            raise PayloadKeyError("an encrypted payload is too short to be one")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise PayloadKeyError(
                f"payload was encrypted with key {key_id!r}, which is not configured "
                "(keep retired keys in CONCORDAT_PAYLOAD_KEYS while their histories are kept)"
            )
        nonce, sealed = payload.data[:_NONCE_BYTES], payload.data[_NONCE_BYTES:]
        try:
            return Payload.FromString(cipher.decrypt(nonce, sealed, key_id.encode()))
        except InvalidTag:
            raise PayloadKeyError(f"payload does not open with key {key_id!r}") from None


class UnkeyedCodec(PayloadCodec):
    """When no keys are configured: payloads pass as they are, and an encrypted one is
    refused in words, where Temporal's converter would raise a bare `KeyError` for an encoding
    it does not know."""

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        for payload in payloads:
            if payload.metadata.get("encoding") == ENCODING:
                key_id = payload.metadata.get(KEY_ID, b"").decode("utf-8", errors="replace")
                raise PayloadKeyError(
                    f"payload is encrypted with key {key_id!r} and no payload key is configured "
                    "(set CONCORDAT_PAYLOAD_KEYS, or run from where `concordat run` ran: it "
                    f"keeps its key in var/{EMBEDDED_KEY_FILE})"
                )
        return list(payloads)


def data_converter(keys: PayloadKeys | None) -> DataConverter:
    """Pydantic models as JSON, encrypted when keys are given; failures encoded alike."""
    if keys is None:
        return dataclasses.replace(pydantic_data_converter, payload_codec=UnkeyedCodec())
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(keys),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
