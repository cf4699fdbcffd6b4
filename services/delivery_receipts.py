"""Delivery receipts from GOV.UK Notify: kept in the ledger, and told to the incident.

The incident's workflow decides what a receipt means (a text delivered, or the next channel
tried at once after a permanent failure); this only finds whose message it was and passes
the outcome on as a signal, which Temporal keeps until the workflow takes it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from domain.activity_contracts import DeliveryOutcome, DeliveryReport
from domain.incident import workflow_id_for
from models import SentNotification
from services import deliveries
from services.temporal_gateway import WorkflowUnavailable
from workflows import IncidentWorkflow

log = structlog.get_logger(__name__)


class UnknownMessage(LookupError):
    """A receipt for a message Concordat did not send."""


async def record_receipt(
    provider_id: str,
    status: str,
    *,
    reference: str | None = None,
    session: AsyncSession,
    temporal: Client,
) -> SentNotification:
    """Keep the receipt and tell the incident; raises `UnknownMessage` or
    `WorkflowUnavailable` (Notify retries a callback that failed).

    A receipt can come before the send has written Notify's id into the ledger (the worker
    was slow to hear Notify's answer, or died first): our reference finds the message then.
    """
    record = await deliveries.by_provider_id(provider_id, session=session)
    if record is None and reference:
        record = await deliveries.by_reference(reference, session=session)
        if record is not None and record.channel.through_notify:
            await deliveries.note_provider_id(record.idempotency_key, provider_id, session=session)
        else:
            record = None
    if record is None:
        raise UnknownMessage(provider_id)
    outcome = DeliveryOutcome.from_notify(status)
    await deliveries.note_receipt(
        record.idempotency_key,
        status,
        delivered=outcome is DeliveryOutcome.DELIVERED,
        session=session,
    )
    report = DeliveryReport(
        idempotency_key=record.idempotency_key, outcome=outcome, reported_at=datetime.now(UTC)
    )
    handle = temporal.get_workflow_handle(workflow_id_for(record.incident_id))
    bound = log.bind(
        incident_id=record.incident_id,
        workflow_id=handle.id,
        channel=record.channel.value,
        outcome=outcome.value,
    )
    try:
        await handle.signal(IncidentWorkflow.delivery_reported, report)
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            bound.error("delivery_receipt_not_passed_on", error=error.status.name)
            raise WorkflowUnavailable("the workflow service is unavailable") from error
        # The incident has closed: the ledger keeps the receipt.
    bound.info("delivery_receipt")
    return record
