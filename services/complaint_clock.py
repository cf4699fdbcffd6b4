"""A complaint's clock in Temporal: recording a complaint and starting its clock, repairing a
complaint whose clock never started, and telling a clock of an acknowledgement or an outcome.

As with incidents (`services.starts`), the row is written first (it takes the reference), then
the clock is started under an id derived from the complaint. If the start fails and the clock
certainly does not exist, the row is removed again: no complaint is left without its clock. If
it cannot be known, the row is kept and `reconcile_unstarted_complaints` (every few minutes,
`workflows.reconcile`) starts the clock of any complaint whose first step was never recorded.
Temporal's own errors stop here: callers see `ClockRefused` and `ClockUnavailable`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog
from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.complaints import (
    COMPLAINT_INVALID,
    ComplaintClock,
    ComplaintProgress,
    complaint_workflow_id,
)
from domain.rules import in_both
from models import Authority, Complaint
from services import complaints
from services.complaints import ComplaintDetails
from workflows import ComplaintWorkflow

log = structlog.get_logger(__name__)

#: A complaint younger than this may still be starting its clock; the repair leaves it alone.
GRACE = timedelta(minutes=2)


class ClockUnavailable(Exception):
    """Temporal cannot be reached, or the clock is not running yet; the message says what was
    kept."""


class ClockRefused(Exception):
    """The clock refused the request: `invalid` (422) or where the complaint stands (409)."""

    def __init__(self, message: str, *, invalid: bool) -> None:
        super().__init__(message)
        self.message, self.invalid = message, invalid


def clock_for(complaint: Complaint, authority: Authority, *, base_url: str) -> ComplaintClock:
    """The clock's input: the complaint as recorded, and the national timings."""
    return ComplaintClock(
        complaint_id=complaint.id,
        reference=complaint.reference,
        authority_code=authority.code,
        received_at=complaint.received_at,
        acknowledge_by=complaint.acknowledge_by,
        complaint_url=f"{base_url.rstrip('/')}/complaints/{complaint.id}",
    )


async def start_clock(
    complaint: Complaint,
    authority: Authority,
    *,
    temporal: Client,
    task_queue: str,
    base_url: str,
) -> None:
    """Start the complaint's clock; starting one that is already running does nothing."""
    try:
        await temporal.start_workflow(
            ComplaintWorkflow.run,
            clock_for(complaint, authority, base_url=base_url),
            id=complaint_workflow_id(complaint.id),
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        pass
    except Exception as error:  # unreachable, timed out, refused: the start is unknown
        raise ClockUnavailable(type(error).__name__) from error


async def clock_exists(complaint_id: str, *, temporal: Client) -> bool | None:
    """True or False when Temporal can say whether the clock exists; None when it cannot."""
    try:
        await temporal.get_workflow_handle(complaint_workflow_id(complaint_id)).describe()
    except RPCError as error:
        return False if error.status == RPCStatusCode.NOT_FOUND else None
    except Exception:  # the server is unreachable: nothing can be known
        return None
    return True


async def record_and_start(
    authority: Authority,
    details: ComplaintDetails,
    *,
    acknowledge_within: timedelta,
    session: AsyncSession,
    temporal: Client,
    task_queue: str,
    base_url: str,
) -> Complaint:
    """Record the complaint and start its clock. Raises `BreachNotInRegister` (nothing
    written) and `ClockUnavailable` (nothing kept, unless the start's fate is unknown)."""
    complaint = await complaints.record_complaint(
        authority, details, acknowledge_within=acknowledge_within, session=session
    )
    bound = log.bind(
        complaint_id=complaint.id,
        workflow_id=complaint_workflow_id(complaint.id),
        authority=authority.code,
    )
    try:
        await start_clock(
            complaint, authority, temporal=temporal, task_queue=task_queue, base_url=base_url
        )
    except ClockUnavailable as error:
        bound.error("complaint_clock_start_failed", error=str(error))
        started = await clock_exists(complaint.id, temporal=temporal)
        if started:
            bound.info("complaint_clock_start_confirmed")
            return complaint
        if started is False:
            await complaints.withdraw_unstarted(complaint.id, session=session)
            english = "Nothing was saved; try again in a moment."
            welsh = "Ni chadwyd dim; rhowch gynnig arall arni cyn hir."
        else:
            bound.warning("complaint_clock_start_uncertain")
            english = (
                f"Complaint {complaint.reference} was recorded, and its clock will start within "
                "minutes; check the breach register before recording it again."
            )
            welsh = (
                f"Cofnodwyd cwyn {complaint.reference}, a bydd ei chloc yn dechrau o fewn "
                "munudau; edrychwch ar y gofrestr achosion o dorri data cyn ei chofnodi eto."
            )
        raise ClockUnavailable(
            in_both(
                f"The workflow service is unavailable. {english}",
                f"Nid yw'r gwasanaeth llif gwaith ar gael. {welsh}",
            )
        ) from error
    bound.info("complaint_clock_started")
    return complaint


async def reconcile_unstarted_complaints(
    *,
    session: AsyncSession,
    temporal: Client,
    task_queue: str,
    base_url: str,
    now: datetime | None = None,
) -> list[str]:
    """Start the clock of every complaint recorded without one; their references."""
    cutoff = (now or datetime.now(UTC)) - GRACE
    started = []
    for complaint, authority in await complaints.never_started(
        created_before=cutoff, session=session
    ):
        if await clock_exists(complaint.id, temporal=temporal) is not False:
            continue  # running (its first step is on its way) or unknowable now
        await start_clock(
            complaint, authority, temporal=temporal, task_queue=task_queue, base_url=base_url
        )
        log.warning(
            "complaint_clock_repaired",
            complaint_id=complaint.id,
            workflow_id=complaint_workflow_id(complaint.id),
            authority=authority.code,
        )
        started.append(complaint.reference)
    return started


async def tell_clock(
    complaint: Complaint, update: str, command: BaseModel, *, temporal: Client
) -> ComplaintProgress:
    """Send an acknowledgement or an outcome to the complaint's clock; what it has recorded."""
    bound = log.bind(
        complaint_id=complaint.id,
        workflow_id=complaint_workflow_id(complaint.id),
        authority_id=complaint.authority_id,
    )
    handle = temporal.get_workflow_handle(complaint_workflow_id(complaint.id))
    try:
        progress: ComplaintProgress = await handle.execute_update(
            update, command, result_type=ComplaintProgress
        )
    except WorkflowUpdateFailedError as failure:
        cause = failure.cause
        if not isinstance(cause, ApplicationError):
            bound.error("complaint_update_failed", update=update, error=type(cause).__name__)
            raise ClockUnavailable(
                "The workflow service is unavailable; try again in a moment. / Nid yw'r "
                "gwasanaeth llif gwaith ar gael; rhowch gynnig arall arni cyn hir."
            ) from failure
        bound.info("complaint_update_refused", update=update, reason=cause.type)
        raise ClockRefused(cause.message, invalid=cause.type == COMPLAINT_INVALID) from None
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND and complaint.outcome is not None:
            raise ClockRefused(
                "The complaint's outcome is already recorded; it is closed. / "
                "Mae canlyniad y gŵyn wedi'i gofnodi eisoes; mae ar gau.",
                invalid=False,
            ) from None
        bound.error("complaint_update_failed", update=update, error=error.status.name)
        raise ClockUnavailable(
            "The complaint's clock cannot be reached; try again in a moment. / Ni ellir "
            "cyrraedd cloc y gŵyn; rhowch gynnig arall arni cyn hir."
        ) from error
    bound.info("complaint_update_recorded", update=update)
    return progress
