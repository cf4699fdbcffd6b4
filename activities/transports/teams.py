"""A card in the council's Microsoft Teams incident channel: a broadcast, never a page.

Teams takes an Adaptive Card posted to a Workflows (or older incoming) webhook. The webhook
URL is a secret (whoever has it can post), so it lives in the deployment's settings, one per
authority, and never in a log or the ledger. A webhook has no idempotency of its own: a crash
after Teams took a card and before the ledger said so may post it twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from pydantic import SecretStr

from activities.transports import Deferred, Refused, Unaddressable
from notifications.compose import Outgoing

#: Seconds one post may take.
REQUEST_TIMEOUT = 10.0


@dataclass(frozen=True)
class TeamsTransport:
    webhooks: dict[str, SecretStr]
    """Webhook URL per authority code."""

    async def send(self, message: Outgoing, *, retrying: bool) -> None:
        webhook = self.webhooks.get(message.to_address.upper())
        if webhook is None:
            raise Unaddressable(f"no Teams webhook is set for {message.to_address}")
        if message.card is None:
            raise Unaddressable("a Teams message needs a card")
        body = {
            "type": "message",
            "attachments": [
                {
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "contentUrl": None,
                    "content": message.card,
                }
            ],
        }
        try:
            async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT) as client:
                answer = await client.post(webhook.get_secret_value(), json=body)
        except httpx.HTTPError as error:
            raise Deferred(f"Teams could not be reached: {type(error).__name__}") from error
        if answer.status_code == 429 or answer.status_code >= 500:
            raise Deferred(f"Teams answered {answer.status_code}")
        if answer.status_code >= 400:
            raise Refused(f"{answer.status_code} {answer.text[:200]}", refused_by="Teams")
