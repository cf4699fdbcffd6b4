"""The ledger of deliveries: one row per notification, keyed by its business key.

What "exactly once" means over SMTP: the row makes a retried send skip a message the server
has already accepted. The one window left is a crash after the server accepted the message and
before the row says so; the retry then sends it again with the same deterministic Message-ID,
so the receiving system (or the reader's client) can recognise the copy. No message is ever
lost to that window.

Over GOV.UK Notify the window is closed: every message carries our reference (a digest of
its key), and a retry first asks Notify for messages with that reference, so a crash after
Notify took a text sends no second text. Teams webhooks cannot be asked, so a card may, in
that one window, be posted twice.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from audit.verify import Head
from domain.incident import IncidentDetails
from models import SentNotification, TimelineEvent
from models.notification import DeliveryStatus
from runtime.database import insert_for


async def claim(delivery: SentNotification, *, session: AsyncSession) -> SentNotification:
    """The row for this notification, created if it is missing, with this attempt counted.

    One short transaction: on SQLite every write transaction waits its turn for the one lock.
    A row already sent or rejected is returned as it is, and its attempts are not counted.
    """
    key = delivery.idempotency_key
    await session.exec(
        insert_for(session)(SentNotification)
        .values(delivery.model_dump(exclude={"id"}))
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
    record = await find(key, session=session)
    await session.commit()
    assert record is not None
    return record


async def find(idempotency_key: str, *, session: AsyncSession) -> SentNotification | None:
    return (
        await session.exec(
            select(SentNotification).where(SentNotification.idempotency_key == idempotency_key)
        )
    ).first()


async def note_failure(
    idempotency_key: str, reason: str, *, permanent: bool, session: AsyncSession
) -> None:
    """Keep why the last try failed; a permanent failure also ends the notification's tries."""
    changes: dict[str, object] = {"last_error": reason[:1000]}
    if permanent:
        changes["status"] = DeliveryStatus.REJECTED
    await _change(idempotency_key, changes, session=session)


async def mark_sent(
    idempotency_key: str, *, provider_id: str | None = None, session: AsyncSession
) -> datetime:
    sent_at = datetime.now(UTC)
    changes: dict[str, object] = {"status": DeliveryStatus.SENT, "sent_at": sent_at}
    if provider_id is not None:
        changes["provider_id"] = provider_id
    await _change(idempotency_key, changes, session=session)
    return sent_at


async def by_provider_id(provider_id: str, *, session: AsyncSession) -> SentNotification | None:
    return (
        await session.exec(
            select(SentNotification).where(SentNotification.provider_id == provider_id)
        )
    ).first()


async def by_reference(reference: str, *, session: AsyncSession) -> SentNotification | None:
    """The message a channel knows by our reference (`notifications.compose.reference_for`),
    which is also the digest in its Message-ID."""
    if not reference.isalnum():
        return None
    return (
        await session.exec(
            select(SentNotification).where(
                col(SentNotification.message_id).startswith(f"<{reference}@")
            )
        )
    ).first()


async def note_provider_id(
    idempotency_key: str, provider_id: str, *, session: AsyncSession
) -> None:
    await _change(idempotency_key, {"provider_id": provider_id}, session=session)


async def note_receipt(
    idempotency_key: str, status: str, *, delivered: bool, session: AsyncSession
) -> None:
    """Keep the channel's last word on a message: delivered, or why not."""
    changes: dict[str, object] = {"delivery_status": status[:40]}
    if delivered:
        changes["delivered_at"] = datetime.now(UTC)
    await _change(idempotency_key, changes, session=session)


async def _change(
    idempotency_key: str, changes: dict[str, object], *, session: AsyncSession
) -> None:
    await session.exec(
        update(SentNotification)
        .where(col(SentNotification.idempotency_key) == idempotency_key)
        .values(**changes)
    )
    await session.commit()


async def record_seal(
    incident: IncidentDetails, sequence: int, *, session: AsyncSession
) -> str | None:
    """`REFERENCE#EVENT:HASH` of the timeline event a message quotes, once it is recorded."""
    digest = (
        await session.exec(
            select(TimelineEvent.hash).where(
                TimelineEvent.incident_id == incident.incident_id,
                TimelineEvent.sequence == sequence,
            )
        )
    ).first()
    if digest is None:
        return None
    return str(Head(incident.reference, sequence, digest, of_incident=True))
