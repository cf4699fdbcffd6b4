"""What became of messages after they left: the fallbacks for Notify's callbacks.

Notify posts a receipt for each message and every text received to our callbacks; if a
callback never comes (our web app was down, a network failure), the workflow asks for a
message's status (`check_delivery`) before giving up on it, and a Temporal Schedule polls
for received texts (`poll_received_texts`).
"""

from __future__ import annotations

from datetime import datetime

import structlog
from temporalio import activity

from activities.transports import Deferred
from activities.transports.notify import NotifyService, NotifyTransport
from domain.activity_contracts import (
    CHECK_DELIVERY,
    POLL_RECEIVED_TEXTS,
    DeliveryCheck,
    DeliveryOutcome,
)
from models.notification import DeliveryStatus
from runtime.database import Database
from services import deliveries
from services.text_replies import TextReceived, already_handled, handle_reply

log = structlog.get_logger(__name__)

#: Received texts older than this many pages back are not looked at again.
POLL_PAGES = 4


class DeliveryActivities:
    def __init__(self, database: Database, notify: NotifyService | None) -> None:
        self._database = database
        self._notify = notify

    @activity.defn(name=CHECK_DELIVERY)
    async def check_delivery(self, check: DeliveryCheck) -> DeliveryOutcome:
        """The message's outcome as its channel knows it now."""
        async with self._database.reading() as session:
            record = await deliveries.find(check.idempotency_key, session=session)
        if record is None or record.status is not DeliveryStatus.SENT:
            return DeliveryOutcome.PENDING
        if not record.channel.through_notify:
            return DeliveryOutcome.DELIVERED  # the relay took it: as far as we can know
        if record.delivery_status:
            return DeliveryOutcome.from_notify(record.delivery_status)
        if self._notify is None or record.provider_id is None:
            return DeliveryOutcome.PENDING
        try:
            status = await NotifyTransport(self._notify, record.channel).status(record.provider_id)
        except Deferred:
            return DeliveryOutcome.PENDING  # Notify is away: no news is not delivery
        outcome = DeliveryOutcome.from_notify(status)
        if outcome is not DeliveryOutcome.PENDING:
            async with self._database.session() as session:
                await deliveries.note_receipt(
                    record.idempotency_key,
                    status,
                    delivered=outcome is DeliveryOutcome.DELIVERED,
                    session=session,
                )
        return outcome

    @activity.defn(name=POLL_RECEIVED_TEXTS)
    async def poll_received_texts(self) -> int:
        """Handle texts Notify received that no callback brought; how many were new. Notify
        lists the newest first, so the poll stops at the first page with a text seen before."""
        if self._notify is None:
            return 0
        client = activity.client()
        handled = 0
        older_than: str | None = None
        for _ in range(POLL_PAGES):
            page = await self._notify.call("get_received_texts", older_than)
            texts = page.get("received_text_messages") or []
            reached_known = False
            for text in texts:
                async with self._database.session() as session:
                    if await already_handled(text["id"], session=session):
                        reached_known = True
                        continue
                    await handle_reply(
                        TextReceived(
                            notify_id=text["id"],
                            source_number=text["user_number"],
                            content=text.get("content") or "",
                            received_at=datetime.fromisoformat(text["created_at"]),
                        ),
                        session=session,
                        temporal=client,
                    )
                handled += 1
            if reached_known or not (page.get("links") or {}).get("next") or not texts:
                break
            older_than = texts[-1]["id"]
        if handled:
            log.info("received_texts_polled", handled=handled)
        return handled
