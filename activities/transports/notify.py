"""Texts and email through GOV.UK Notify, which runs outside the council's IT.

Notify's Python client is synchronous (requests), so each call runs in a thread with a client
of its own (the client is not thread-safe). Notify keeps our reference with every message:
before a retried send, the transport asks for messages with that reference, so a crash after
Notify took a message and before the ledger said so never sends a second one.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from notifications_python_client import NotificationsAPIClient
from notifications_python_client.errors import APIError

from activities.transports import Deferred, Refused, Unaddressable
from domain.channels import Channel
from notifications.compose import Outgoing
from runtime.settings import Settings

#: Seconds one call to Notify may take; well inside the activity's own deadline.
REQUEST_TIMEOUT = 10


class NotifyNotConfigured(RuntimeError):
    """A message for Notify on a deployment without a Notify key or templates."""


@dataclass(frozen=True)
class NotifyService:
    """How to reach the council's Notify service, and its two templates."""

    api_key: str
    base_url: str
    sms_template_id: str
    email_template_id: str
    sms_sender_id: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> NotifyService | None:
        key = settings.notify_api_key
        if key is None:
            return None
        if not (settings.notify_sms_template_id and settings.notify_email_template_id):
            raise NotifyNotConfigured(
                "CONCORDAT_NOTIFY_SMS_TEMPLATE_ID and CONCORDAT_NOTIFY_EMAIL_TEMPLATE_ID must "
                "be set with CONCORDAT_NOTIFY_API_KEY"
            )
        return cls(
            api_key=key.get_secret_value(),
            base_url=settings.notify_base_url,
            sms_template_id=settings.notify_sms_template_id,
            email_template_id=settings.notify_email_template_id,
            sms_sender_id=settings.notify_sms_sender_id,
        )

    def client(self) -> NotificationsAPIClient:
        return NotificationsAPIClient(  # type: ignore[no-untyped-call]
            self.api_key, base_url=self.base_url, timeout=REQUEST_TIMEOUT
        )

    async def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """One call to Notify's API in a thread; failures become the transport's kinds."""

        def in_thread() -> Any:
            return getattr(self.client(), method)(*args, **kwargs)

        try:
            return await asyncio.to_thread(in_thread)
        except APIError as error:
            raise _classified(error) from error


def _classified(error: APIError) -> Exception:
    """Notify's 400s are about this message (a number it will not text, a template it does
    not have) and no retry helps. Everything else waits and tries again: 403 (a key an
    administrator can replace), 429 (a rate limit), 5xx and network failures (503 from the
    client)."""
    if error.status_code == 400:
        return Refused(str(error.message), refused_by="GOV.UK Notify")
    return Deferred(f"GOV.UK Notify answered {error.status_code}: {error.message}")


@dataclass(frozen=True)
class NotifyTransport:
    """One of Notify's two channels: texts (`Channel.SMS`) or email (`Channel.NOTIFY_EMAIL`)."""

    service: NotifyService
    channel: Channel

    async def send(self, message: Outgoing, *, retrying: bool) -> str:
        if not message.reference:
            raise Unaddressable("a Notify message needs a reference")
        if retrying:
            earlier = await self.already_taken(message.reference)
            if earlier is not None:
                return earlier
        if self.channel is Channel.SMS:
            answer = await self.service.call(
                "send_sms_notification",
                phone_number=message.to_address,
                template_id=self.service.sms_template_id,
                personalisation={"message": message.rendered.text},
                reference=message.reference,
                sms_sender_id=self.service.sms_sender_id,
            )
        else:
            answer = await self.service.call(
                "send_email_notification",
                email_address=message.to_address,
                template_id=self.service.email_template_id,
                personalisation={
                    "subject": message.rendered.subject,
                    "body": message.rendered.text,
                },
                reference=message.reference,
            )
        return str(answer["id"])

    async def already_taken(self, reference: str) -> str | None:
        """Notify's id for a message it already took with our reference, if it did."""
        template_type = "sms" if self.channel is Channel.SMS else "email"
        found = await self.service.call(
            "get_all_notifications", template_type=template_type, reference=reference
        )
        notifications = found.get("notifications") or []
        return str(notifications[0]["id"]) if notifications else None

    async def status(self, provider_id: str) -> str:
        """Notify's status for one message (the fallback when its receipt does not come)."""
        found = await self.service.call("get_notification_by_id", provider_id)
        return str(found.get("status", "unknown"))
