"""Send one notification email, at most once in effect.

What "exactly once" means over SMTP: the `sent_notification` row keyed by the notification's
business key makes a retried activity skip a message the server has already accepted. The one
window left is a crash after the server accepted the message and before the row says so; the
retry then sends it again with the same deterministic Message-ID, so the receiving system (or
the reader's client) can recognise the copy. No message is ever lost to that window.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.errors import MessageError
from email.message import EmailMessage
from email.utils import parseaddr

import aiosmtplib
import structlog
from sqlalchemy import update
from sqlmodel import col, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from audit.verify import Head
from domain.directory import NAMED_ROLES
from domain.records import (
    RECIPIENT_REJECTED,
    SEND_NOTIFICATION,
    NotificationReceipt,
    NotificationRequest,
)
from domain.vocabulary import NotificationKind, Tlp
from models import SentNotification, TimelineEvent
from models.notification import DeliveryStatus
from notifications.compose import WIRE_POLICY, HeaderInjection, compose_email, message_id_for
from notifications.drafts import render_draft
from notifications.render import MessageRenderer
from runtime.database import Database, insert_for
from runtime.settings import Settings, SmtpTls
from security.ack_links import AckLinkSigner
from services.reporting import draft_facts

log = structlog.get_logger(__name__)

#: Messages that carry a draft submission to the body.
_WITH_DRAFT = (NotificationKind.OBLIGATION_DUE, NotificationKind.BODY_NOTIFICATION)

#: Shorter than the activity's start-to-close timeout (60 s) in `workflows/incident.py`.
SEND_DEADLINE_SECONDS = 45


@dataclass(frozen=True)
class SmtpTransport:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: SmtpTls
    timeout: float

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpTransport:
        return cls(
            host=settings.smtp_host or "127.0.0.1",
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            tls=settings.smtp_tls,
            timeout=settings.smtp_timeout_seconds,
        )

    async def send(self, message: EmailMessage) -> None:
        await aiosmtplib.send(
            message.as_bytes(policy=WIRE_POLICY),
            sender=parseaddr(str(message["From"]))[1],
            recipients=[address.addr_spec for address in message["To"].addresses],
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.tls is SmtpTls.TLS,
            start_tls=True if self.tls is SmtpTls.STARTTLS else False,
            tls_context=ssl.create_default_context() if self.tls is not SmtpTls.NONE else None,
            timeout=self.timeout,
        )


def _permanent_refusal(error: Exception) -> str | None:
    """The server's reason when no retry can help: a 5xx for the address or for the message.

    Everything else is retried: 4xx answers (greylisting, a full mailbox), and refusals of our
    own session (authentication, TLS, sender), which an administrator can put right while the
    message waits.
    """
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        refused = error.recipients
        if refused and all(500 <= r.code < 600 for r in refused):
            return "; ".join(f"{r.code} {r.message}" for r in refused)
        return None
    if isinstance(error, aiosmtplib.SMTPDataError) and 500 <= error.code < 600:
        return f"{error.code} {error.message}"
    return None


def _rejected(reason: str) -> ApplicationError:
    return ApplicationError(reason, type=RECIPIENT_REJECTED, non_retryable=True)


class NotificationActivities:
    def __init__(
        self,
        *,
        database: Database,
        transport: SmtpTransport,
        renderer: MessageRenderer,
        signer: AckLinkSigner,
        base_url: str,
        mail_from: str,
    ) -> None:
        self._database = database
        self._transport = transport
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
            attempt=activity.info().attempt,
        )
        record = await self._claim(request)
        if record.status is DeliveryStatus.SENT:
            bound.info("notification_already_sent")
            assert record.sent_at is not None
            return NotificationReceipt(
                message_id=record.message_id, sent_at=record.sent_at, already_sent=True
            )
        if record.status is DeliveryStatus.REJECTED:
            raise _rejected(record.last_error or "rejected")

        try:
            message = await self._compose(request, record.message_id)
        except (HeaderInjection, ValueError, IndexError, MessageError) as unusable:
            # A stored address or name no message can carry: retrying cannot help.
            reason = f"the message could not be addressed: {unusable}"
            await self._note_failure(record.idempotency_key, reason, permanent=True)
            raise _rejected(reason) from unusable
        try:
            # Give up before Temporal's start-to-close timeout, so a retry never overlaps
            # an attempt that is still talking to the server.
            async with asyncio.timeout(SEND_DEADLINE_SECONDS):
                await self._transport.send(message)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            refusal = _permanent_refusal(error)
            await self._note_failure(
                record.idempotency_key, refusal or str(error), refusal is not None
            )
            if refusal is not None:
                bound.warning("notification_rejected", reason=refusal)
                raise _rejected(f"the mail server refused the message: {refusal}") from error
            bound.warning("notification_deferred", error=type(error).__name__)
            raise
        sent_at = await self._mark_sent(record.idempotency_key)
        bound.info("notification_sent", message_id=record.message_id, attempts=record.attempts)
        return NotificationReceipt(
            message_id=record.message_id,
            sent_at=sent_at,
            attempts=record.attempts,
            last_error=record.last_error if record.attempts > 1 else None,
        )

    async def _compose(self, request: NotificationRequest, message_id: str) -> EmailMessage:
        incident, recipient = request.incident, request.recipient
        address = delivery_address(request)
        restricted = carries_no_detail(request)
        draft = None
        if request.kind in _WITH_DRAFT and request.facts.body is not None and not restricted:
            async with self._database.reading() as session:
                facts = await draft_facts(
                    incident, request.facts.body, request.facts.deadline, session=session
                )
            draft = render_draft(self._renderer, facts)
        acknowledge_url = None
        # A link in a mailbox the attacker may read could be used to silence the escalation.
        exposed = incident.email_compromised and address == recipient.email
        if request.include_acknowledge_link and recipient.member_id is not None and not exposed:
            acknowledge_url = self._signer.url_for(
                self._base_url, incident.incident_id, recipient.member_id, address
            )
        rendered = self._renderer.render(
            request.kind,
            recipient=recipient,
            incident=incident,
            facts=request.facts,
            acknowledge_url=acknowledge_url,
            incident_url=f"{self._base_url}/incidents/{incident.incident_id}",
            draft=draft,
            record_seal=await self._record_seal(request),
            restricted=restricted,
            out_of_band=address != recipient.email,
        )
        return compose_email(
            rendered,
            mail_from=self._mail_from,
            to_name=recipient.name,
            to_address=address,
            message_id=message_id,
            language=recipient.language.value,
        )

    async def _record_seal(self, request: NotificationRequest) -> str | None:
        """`REFERENCE#EVENT:HASH` of the event the message quotes, once it is recorded."""
        sequence = request.facts.sealed_at_event
        if sequence is None:
            return None
        async with self._database.reading() as session:
            digest = (
                await session.exec(
                    select(TimelineEvent.hash).where(
                        TimelineEvent.incident_id == request.incident.incident_id,
                        TimelineEvent.sequence == sequence,
                    )
                )
            ).first()
        if digest is None:  # the workflow records it first; a retry finds it
            raise ApplicationError(f"timeline event {sequence} is not recorded yet")
        return str(Head(request.incident.reference, sequence, digest, of_incident=True))

    async def _claim(self, request: NotificationRequest) -> SentNotification:
        """Find or create the row for this notification and count the attempt, in one short
        transaction (on SQLite every write transaction waits its turn for the one lock)."""
        key = request.idempotency_key
        fresh = SentNotification(
            idempotency_key=key,
            incident_id=request.incident.incident_id,
            kind=request.kind,
            member_id=request.recipient.member_id,
            recipient=delivery_address(request),
            language=request.recipient.language.value,
            message_id=message_id_for(key, self._mail_from),
        )
        async with self._database.session() as session:
            await session.exec(
                insert_for(session)(SentNotification)
                .values(fresh.model_dump(exclude={"id"}))
                .on_conflict_do_nothing(index_elements=["idempotency_key"])
            )
            await session.exec(
                update(SentNotification)
                .where(
                    col(SentNotification.idempotency_key) == key,
                    col(SentNotification.status) == DeliveryStatus.SENDING,
                )
                .values(attempts=col(SentNotification.attempts) + 1)
            )
            record = await self._find(key, session)
            await session.commit()
        assert record is not None
        return record

    async def _note_failure(self, key: str, reason: str, permanent: bool) -> None:
        changes: dict[str, object] = {"last_error": reason[:1000]}
        if permanent:
            changes["status"] = DeliveryStatus.REJECTED
        await self._change(key, changes)

    async def _mark_sent(self, key: str) -> datetime:
        sent_at = datetime.now(UTC)
        await self._change(key, {"status": DeliveryStatus.SENT, "sent_at": sent_at})
        return sent_at

    async def _change(self, key: str, changes: dict[str, object]) -> None:
        async with self._database.session() as session:
            await session.exec(
                update(SentNotification)
                .where(col(SentNotification.idempotency_key) == key)
                .values(**changes)
            )
            await session.commit()

    @staticmethod
    async def _find(key: str, session) -> SentNotification | None:  # type: ignore[no-untyped-def]
        return (
            await session.exec(
                select(SentNotification).where(SentNotification.idempotency_key == key)
            )
        ).first()


def delivery_address(request: NotificationRequest) -> str:
    """Where the message goes: the member's out-of-band address when the council's email may
    be compromised (and they have one), otherwise their work address."""
    recipient = request.recipient
    if request.incident.email_compromised and recipient.out_of_band_email:
        return recipient.out_of_band_email
    return recipient.email


def carries_no_detail(request: NotificationRequest) -> bool:
    """Only the reference and links: when the council's email may be compromised, and for
    anyone but the named members when the incident is marked TLP:RED."""
    incident = request.incident
    return incident.email_compromised or (
        incident.tlp is Tlp.RED and request.recipient.role not in NAMED_ROLES
    )
