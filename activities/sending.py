"""Send one notification on one channel, at most once in effect.

The ledger of deliveries (`services.deliveries`) makes a retried send skip a message the
channel already took; `domain.disclosure` decides where the message goes and how much it says;
`notifications` writes it (an email, a text, or a Teams card); a transport
(`activities.transports`) delivers it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import timedelta
from email.errors import MessageError
from typing import Any, TypeVar

import structlog
from jinja2 import TemplateNotFound
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.transports import Deferred, Refused, Transport, Unaddressable
from domain.activity_contracts import (
    RECIPIENT_REJECTED,
    SEND_NOTIFICATION,
    NotificationReceipt,
    NotificationRequest,
)
from domain.channels import Channel
from domain.disclosure import Disclosure, disclosure_for
from models import SentNotification
from models.notification import DeliveryStatus
from notifications.compose import Outgoing, message_id_for, reference_for
from notifications.drafts import render_draft
from notifications.render import MessageRenderer, RenderedDraft, RenderedMessage
from notifications.sms import sms_text
from notifications.teams import incident_card
from runtime import tracing
from runtime.database import Database
from security.ack_links import AckLinkSigner
from services import deliveries, sms_codes
from services.reporting import draft_facts

log = structlog.get_logger(__name__)

T = TypeVar("T")

#: Shorter than the activity's start-to-close timeout (60 s) in `workflows/process.py`.
SEND_DEADLINE_SECONDS = 45
#: The same for an HTTP channel (Notify, Teams), whose timeout there is 20 s.
HTTP_SEND_DEADLINE_SECONDS = 15
#: How often a send tells Temporal it is alive: well inside the heartbeat timeout (10 s in
#: `workflows/process.py`), so a worker that dies mid-send is noticed in seconds, not after
#: the whole start-to-close time.
HEARTBEAT_EVERY_SECONDS = 2.0

#: The failure type of a message that has no template in a language it must be sent in: no
#: retry can write it, so the send fails at once and the timeline says why.
TEMPLATE_MISSING = "TemplateMissing"


def _rejected(reason: str) -> ApplicationError:
    return ApplicationError(reason, type=RECIPIENT_REJECTED, non_retryable=True)


async def _beating(sending: Coroutine[Any, Any, T]) -> T:
    """Await the send, heartbeating meanwhile."""
    task = asyncio.ensure_future(sending)
    try:
        while not task.done():
            activity.heartbeat()
            await asyncio.wait({task}, timeout=HEARTBEAT_EVERY_SECONDS)
    except BaseException:
        task.cancel()
        raise
    return task.result()


class NotificationActivities:
    def __init__(
        self,
        *,
        database: Database,
        transports: dict[Channel, Transport],
        renderer: MessageRenderer,
        signer: AckLinkSigner,
        base_url: str,
        mail_from: str,
        code_lifetime: timedelta = timedelta(hours=24),
    ) -> None:
        self._database = database
        self._transports = transports
        self._code_lifetime = code_lifetime
        self._renderer = renderer
        self._signer = signer
        self._base_url = base_url.rstrip("/")
        self._mail_from = mail_from

    @activity.defn(name=SEND_NOTIFICATION)
    async def send_notification(self, request: NotificationRequest) -> NotificationReceipt:
        incident = request.incident
        bound = log.bind(
            incident_id=incident.incident_id,
            workflow_id=activity.info().workflow_id,
            authority=incident.authority_code,
            kind=request.kind.value,
            member_id=request.recipient.member_id,
            channel=request.channel.value,
            attempt=activity.info().attempt,
        )
        transport = self._transports.get(request.channel)
        if transport is None:
            raise _rejected(f"this deployment does not send on {request.channel.value}")
        try:
            disclosure = disclosure_for(request)
        except ValueError as unusable:
            raise _rejected(str(unusable)) from unusable
        record = await self._claim(request, disclosure)
        key = record.idempotency_key
        if record.status is DeliveryStatus.SENT:
            bound.info("notification_already_sent")
            assert record.sent_at is not None
            return NotificationReceipt(
                message_id=record.message_id,
                sent_at=record.sent_at,
                already_sent=True,
                provider_id=record.provider_id,
            )
        if record.status is DeliveryStatus.REJECTED:
            raise _rejected(record.last_error or "rejected")

        try:
            message = await self._message(request, disclosure, record)
        except TemplateNotFound as missing:
            # Left as sending, not rejected: once the template is deployed, a reset
            # workflow sends the message.
            reason = f"there is no message template {missing.name}"
            await self._note_failure(key, reason, permanent=False)
            bound.error("notification_template_missing", template=missing.name)
            raise ApplicationError(reason, type=TEMPLATE_MISSING, non_retryable=True) from missing
        except (ValueError, IndexError, MessageError) as unusable:
            raise await self._unaddressable(key, unusable) from unusable
        deadline = (
            SEND_DEADLINE_SECONDS
            if request.channel is Channel.EMAIL
            else HTTP_SEND_DEADLINE_SECONDS
        )
        try:
            # The one step that leaves Concordat, as a span of its own in the incident's trace:
            # ids and kinds only, never the address or the name.
            with tracing.span(
                f"Deliver:{request.channel.value}",
                {
                    "incident_id": incident.incident_id,
                    "workflow_id": activity.info().workflow_id or "",
                    "authority": incident.authority_code,
                    "message_kind": request.kind.value,
                    "channel": request.channel.value,
                    "attempt": record.attempts,
                },
            ):
                # Give up before Temporal's start-to-close timeout, so a retry never overlaps
                # an attempt that is still talking to the server.
                async with asyncio.timeout(deadline):
                    provider_id = await _beating(
                        transport.send(message, retrying=record.attempts > 1)
                    )
        except Unaddressable as unusable:
            raise await self._unaddressable(key, unusable) from unusable
        except Refused as refusal:
            await self._note_failure(key, refusal.reason, permanent=True)
            bound.warning("notification_rejected", reason=refusal.reason)
            raise _rejected(str(refusal)) from refusal
        except (Deferred, TimeoutError) as error:
            await self._note_failure(key, str(error), permanent=False)
            failure = error.__cause__ if isinstance(error, Deferred) else error
            bound.warning("notification_deferred", error=type(failure).__name__)
            raise
        async with self._database.session() as session:
            sent_at = await deliveries.mark_sent(key, provider_id=provider_id, session=session)
        bound.info("notification_sent", message_id=record.message_id, attempts=record.attempts)
        return NotificationReceipt(
            message_id=record.message_id,
            sent_at=sent_at,
            attempts=record.attempts,
            last_error=record.last_error if record.attempts > 1 else None,
            provider_id=provider_id,
        )

    async def _message(
        self, request: NotificationRequest, disclosure: Disclosure, record: SentNotification
    ) -> Outgoing:
        incident, recipient = request.incident, request.recipient
        incident_url = f"{self._base_url}/incidents/{incident.incident_id}"
        if request.channel is Channel.SMS:
            text = sms_text(
                self._renderer,
                request.kind,
                incident=incident,
                language=recipient.language,
                code=await self._code(request, disclosure) if disclosure.acknowledge_link else None,
                incident_url=incident_url,
            )
            return self._outgoing(request, disclosure, record, RenderedMessage("", text, ""))
        if request.channel is Channel.TEAMS:
            card = incident_card(
                request.kind,
                incident=incident,
                incident_url=incident_url,
                restricted=disclosure.restricted,
            )
            outgoing = self._outgoing(request, disclosure, record, RenderedMessage("", "", ""))
            return outgoing._replace(card=card)
        acknowledge_url = (
            self._signer.url_for(
                self._base_url, incident.incident_id, recipient.member_id, disclosure.address
            )
            if disclosure.acknowledge_link and recipient.member_id is not None
            else None
        )
        rendered = self._renderer.render(
            request.kind,
            recipient=recipient,
            incident=incident,
            facts=request.facts,
            acknowledge_url=acknowledge_url,
            incident_url=incident_url,
            draft=await self._draft(request) if disclosure.draft else None,
            record_seal=await self._record_seal(request),
            restricted=disclosure.restricted,
            out_of_band=disclosure.out_of_band,
        )
        return self._outgoing(request, disclosure, record, rendered)

    def _outgoing(
        self,
        request: NotificationRequest,
        disclosure: Disclosure,
        record: SentNotification,
        rendered: RenderedMessage,
    ) -> Outgoing:
        return Outgoing(
            rendered=rendered,
            sender=self._mail_from,
            to_name=request.recipient.name,
            to_address=disclosure.address,
            message_id=record.message_id,
            language=request.recipient.language,
            reference=reference_for(record.idempotency_key),
        )

    async def _code(self, request: NotificationRequest, disclosure: Disclosure) -> str:
        """The code this text carries for acknowledging by reply (the same on every retry)."""
        assert request.recipient.member_id is not None
        async with self._database.session() as session:
            return await sms_codes.issue(
                request.idempotency_key,
                incident_id=request.incident.incident_id,
                member_id=request.recipient.member_id,
                mobile=disclosure.address,
                lifetime=self._code_lifetime,
                session=session,
            )

    async def _draft(self, request: NotificationRequest) -> RenderedDraft:
        assert request.facts.body is not None
        async with self._database.reading() as session:
            facts = await draft_facts(
                request.incident, request.facts.body, request.facts.deadline, session=session
            )
        return render_draft(self._renderer, facts)

    async def _record_seal(self, request: NotificationRequest) -> str | None:
        sequence = request.facts.sealed_at_event
        if sequence is None:
            return None
        async with self._database.reading() as session:
            seal = await deliveries.record_seal(request.incident, sequence, session=session)
        if seal is None:  # the workflow records it first; a retry finds it
            raise ApplicationError(f"timeline event {sequence} is not recorded yet")
        return seal

    async def _claim(
        self, request: NotificationRequest, disclosure: Disclosure
    ) -> SentNotification:
        key = request.idempotency_key
        async with self._database.session() as session:
            return await deliveries.claim(
                SentNotification(
                    idempotency_key=key,
                    incident_id=request.incident.incident_id,
                    kind=request.kind,
                    member_id=request.recipient.member_id,
                    recipient=disclosure.address,
                    language=request.recipient.language.value,
                    message_id=message_id_for(key, self._mail_from),
                    channel=request.channel,
                ),
                session=session,
            )

    async def _unaddressable(self, key: str, unusable: Exception) -> ApplicationError:
        """A stored address or name no message can carry: retrying cannot help."""
        reason = f"the message could not be addressed: {unusable}"
        await self._note_failure(key, reason, permanent=True)
        return _rejected(reason)

    async def _note_failure(self, key: str, reason: str, *, permanent: bool) -> None:
        async with self._database.session() as session:
            await deliveries.note_failure(key, reason, permanent=permanent, session=session)
