"""Supplier notices' triage clocks: starting each council's clock once the notice is saved,
repairing a clock whose start never happened, and writing what the clocks do to the database.

The rows are written first (one transaction for the notice and every council's copy), then each
council's clock is started under an id derived from the notice and the council, so a start
tried twice starts one clock. If the process dies, or Temporal is away, between the two, the
copy has no clock: `reconcile_unstarted_notices` (run by the reconciliation schedule every few
minutes) finds copies still untriaged whose clock never recorded its first step, older than a
grace period, and starts them. A triage that arrives first starts the clock itself
(update-with-start, `services.supplier_notices`). A notice never disappears untriaged.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.access import AccessRole
from domain.supplier_notices import (
    NoticeClock,
    NoticeProgress,
    TriageRecord,
    TriageState,
    notice_workflow_id,
)
from domain.vocabulary import NcscCategory
from models import Authority, NoticeRecipient, Supplier, SupplierNotice, User
from services.directory import effective_policy
from workflows import SupplierNoticeWorkflow

log = structlog.get_logger(__name__)

#: A notice younger than this may still be starting its clocks; the repair leaves it alone.
GRACE = timedelta(minutes=2)


def notice_url(base_url: str, notice_id: str) -> str:
    return f"{base_url.rstrip('/')}/notices/{notice_id}"


async def on_call_officers(authority_id: int, *, session: AsyncSession) -> list[int]:
    """The authority's on-call officers now, whom a notice's messages go to (at their own
    addresses, `services.national_messages.addressees`)."""
    rows = await session.exec(
        select(User.id)
        .where(
            User.authority_id == authority_id,
            User.role == AccessRole.ON_CALL_OFFICER,
            col(User.disabled_at).is_(None),
        )
        .order_by(col(User.id))
    )
    return [user_id for user_id in rows.all() if user_id is not None]


async def clock_for(
    recipient: NoticeRecipient,
    notice: SupplierNotice,
    authority: Authority,
    *,
    base_url: str,
    session: AsyncSession,
) -> NoticeClock:
    """One council's clock as it starts: its window and due time as saved with the notice, its
    on-call officers, and its escalation policy's pace, read now."""
    assert recipient.id is not None and authority.id is not None
    entry = await session.get(Supplier, recipient.supplier_id)
    policy = await effective_policy(authority.id, session=session)
    every = policy.ack_timeout(NcscCategory.SUBSTANTIAL)  # a notice is not yet assessed
    return NoticeClock(
        notice_id=notice.id,
        recipient_id=recipient.id,
        authority_id=authority.id,
        authority_code=authority.code,
        supplier_name=entry.name if entry is not None else notice.supplier_display_name,
        supplier_reference=notice.supplier_reference,
        subject=notice.subject,
        received_at=notice.received_at,
        due_at=recipient.due_at,
        window_minutes=recipient.window_minutes,
        reminder_every_minutes=max(int(every.total_seconds() // 60), 1),
        officer_ids=await on_call_officers(authority.id, session=session),
        notice_url=notice_url(base_url, notice.id),
    )


async def _start(clock: NoticeClock, *, temporal: Client, task_queue: str) -> None:
    """Start a council's clock; one already running is joined, and one that has ended (its
    notice triaged) is never started again."""
    try:
        await temporal.start_workflow(
            SupplierNoticeWorkflow.run,
            clock,
            id=notice_workflow_id(clock.notice_id, clock.authority_code),
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        pass


async def start_clocks(
    notice_id: str, *, session: AsyncSession, temporal: Client, task_queue: str, base_url: str
) -> list[str]:
    """Start the clock of every council the notice reached; returns the codes of those whose
    start failed, which the repair starts later."""
    rows = (
        await session.exec(
            select(NoticeRecipient, SupplierNotice, Authority)
            .join(SupplierNotice, col(SupplierNotice.id) == col(NoticeRecipient.notice_id))
            .join(Authority, col(Authority.id) == col(NoticeRecipient.authority_id))
            .where(NoticeRecipient.notice_id == notice_id)
            .order_by(col(Authority.code))
        )
    ).all()
    clocks = [
        await clock_for(recipient, notice, authority, base_url=base_url, session=session)
        for recipient, notice, authority in rows
    ]
    await session.commit()  # no read held open while Temporal is asked (SQLite's one lock)
    failed = []
    for clock in clocks:
        bound = log.bind(
            notice_id=notice_id, recipient_id=clock.recipient_id, authority=clock.authority_code
        )
        try:
            await _start(clock, temporal=temporal, task_queue=task_queue)
        except Exception as error:  # unreachable, timed out, refused: the repair starts it
            bound.warning("supplier_notice_clock_not_started", error=type(error).__name__)
            failed.append(clock.authority_code)
            continue
        bound.info("supplier_notice_clock_started")
    return failed


async def _clock_exists(workflow_id: str, *, temporal: Client) -> bool | None:
    """True or False when Temporal can say whether the clock exists; None when it cannot."""
    try:
        await temporal.get_workflow_handle(workflow_id).describe()
    except RPCError as error:
        return False if error.status == RPCStatusCode.NOT_FOUND else None
    except Exception:  # the server is unreachable: nothing can be known
        return None
    return True


async def reconcile_unstarted_notices(
    *,
    session: AsyncSession,
    temporal: Client,
    task_queue: str,
    base_url: str,
    now: datetime | None = None,
) -> list[str]:
    """Start the clock of every council's copy of a notice that is untriaged and whose clock
    never recorded its first step; returns their clocks' ids."""
    cutoff = (now or datetime.now(UTC)) - GRACE
    rows = (
        await session.exec(
            select(NoticeRecipient, SupplierNotice, Authority)
            .join(SupplierNotice, col(SupplierNotice.id) == col(NoticeRecipient.notice_id))
            .join(Authority, col(Authority.id) == col(NoticeRecipient.authority_id))
            .where(
                NoticeRecipient.state == TriageState.UNTRIAGED,
                col(NoticeRecipient.clock_started_at).is_(None),
                col(NoticeRecipient.created_at) < cutoff,
            )
            .order_by(col(NoticeRecipient.id))
        )
    ).all()
    clocks = [
        await clock_for(recipient, notice, authority, base_url=base_url, session=session)
        for recipient, notice, authority in rows
    ]
    await session.commit()
    started = []
    for clock in clocks:
        workflow_id = notice_workflow_id(clock.notice_id, clock.authority_code)
        if await _clock_exists(workflow_id, temporal=temporal) is not False:
            continue  # running (its first step is on its way) or unknowable now
        await _start(clock, temporal=temporal, task_queue=task_queue)
        log.warning(
            "supplier_notice_clock_repaired",
            notice_id=clock.notice_id,
            recipient_id=clock.recipient_id,
            authority=clock.authority_code,
            workflow_id=workflow_id,
        )
        started.append(workflow_id)
    return started


async def record_progress(progress: NoticeProgress, *, session: AsyncSession) -> None:
    """What the clock has done: each moment is written once (a retry changes nothing)."""
    recipient = await session.get(NoticeRecipient, progress.recipient_id)
    if recipient is None:
        return
    for field in ("started_at", "reminded_at", "escalated_at"):
        moment = getattr(progress, field)
        column = "clock_started_at" if field == "started_at" else field
        if moment is not None and getattr(recipient, column) is None:
            setattr(recipient, column, moment)
    session.add(recipient)
    await session.commit()


async def record_triage(record: TriageRecord, *, session: AsyncSession) -> None:
    """A council's decision, as its clock took it; written again by a retry, to the same."""
    recipient = await session.get(NoticeRecipient, record.recipient_id)
    if recipient is None:
        return
    triage = record.triage
    recipient.state = triage.state
    recipient.triaged_by = triage.actor[:200]
    recipient.triaged_by_user_id = triage.user_id
    recipient.triaged_at = record.triaged_at
    recipient.incident_id = triage.incident_id
    recipient.dismissal_reason = triage.reason
    session.add(recipient)
    await session.commit()
    log.info(
        "supplier_notice_triaged",
        notice_id=recipient.notice_id,
        recipient_id=recipient.id,
        authority_id=recipient.authority_id,
        state=triage.state.value,
    )
