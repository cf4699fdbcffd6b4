"""What the API and the pages share when they act on a supplier notice: the refusals as HTTP
answers, and opening an incident from a notice.

An incident opened from a council's copy of a notice carries the supplier as its origin (on the
timeline's first event) and is opened under a key derived from the notice, so the council gets
one incident from one notice however often the request is repeated; the copy is then marked
opened on its clock. A repeat after the incident was opened but before the copy was marked
finds the same incident, and marks the copy.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from fastapi import HTTPException, status
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from domain.clock import UK_TIME
from domain.rules import in_both
from domain.supplier_notices import (
    SUBJECT_LENGTH,
    TriageOutcome,
    TriageState,
    already_triaged,
)
from domain.vocabulary import IncidentType
from models import Incident, Supplier, SupplierNotice
from runtime.settings import Settings
from services import notice_intake
from services import supplier_notices as notices
from services.incidents import find_by_idempotency_key
from web.deps import Caller
from web.operations import OperationError, open_incident
from web.rate_limits import RateLimits
from web.schemas import IncidentRequest

#: The longest title an incident takes (`web.schemas.IncidentRequest`).
TITLE_LENGTH = 200


def no_notice(notice_id: str) -> str:
    return in_both(f"No supplier notice {notice_id}.", f"Dim hysbysiad gan gyflenwr {notice_id}.")


def refusal(error: Exception) -> OperationError:
    """The product's refusal of a notice request as a status and a sentence in both languages."""
    if isinstance(error, notice_intake.NotOnRegister):
        return OperationError(403, str(error))
    if isinstance(error, notices.NoticeNotFound):
        return OperationError(404, no_notice(str(error)))
    if isinstance(error, notices.NoticeTriaged | notices.IncidentNotLinkable):
        return OperationError(409, str(error))
    if isinstance(error, notices.CampaignExists):
        return OperationError(
            409,
            in_both(
                "A campaign has already been made of this notice.",
                "Mae ymgyrch eisoes wedi'i gwneud o'r hysbysiad hwn.",
            ),
        )
    if isinstance(error, notices.ClockUnavailable):
        return OperationError(
            503,
            in_both(
                "The notice's clock cannot be reached just now, so nothing was decided; try "
                "again in a moment.",
                "Ni ellir cyrraedd cloc yr hysbysiad ar hyn o bryd, felly ni phenderfynwyd dim; "
                "rhowch gynnig arall arni mewn munud.",
            ),
            retry_after=5,
        )
    raise error


REFUSALS = (
    notice_intake.NotOnRegister,
    notices.NoticeNotFound,
    notices.NoticeTriaged,
    notices.IncidentNotLinkable,
    notices.CampaignExists,
    notices.ClockUnavailable,
)


def incident_title(supplier: str, subject: str) -> str:
    title = f"Supplier notice from {supplier}: {subject}"
    return title if len(title) <= TITLE_LENGTH else title[: TITLE_LENGTH - 1] + "…"


def incident_description(notice: SupplierNotice) -> str:
    said = notice.text
    if notice.supplier_reference:
        said += f"\n\nThe supplier's reference: {notice.supplier_reference}"
    return said


def prefilled(notice: SupplierNotice, supplier: str, authority_code: str) -> dict[str, Any]:
    """The incident a notice suggests, as the API's request: its title and description from
    the notice, a supply-chain incident, detected when the supplier detected it (or when the
    notice arrived). The category, and who reports it, are the council's to give."""
    detected = notice.detected_at or notice.received_at
    return {
        "authority": authority_code,
        "title": incident_title(supplier, notice.subject[:SUBJECT_LENGTH]),
        "description": incident_description(notice),
        "incident_type": IncidentType.SUPPLY_CHAIN.value,
        "detected_at": detected.astimezone(UTC).isoformat(),
    }


def form_values(notice: SupplierNotice, supplier: str, authority_code: str) -> dict[str, str]:
    """The same for the incident form: its boxes filled in, and the notice it comes from."""
    detected = (notice.detected_at or notice.received_at).astimezone(UK_TIME)
    values = {
        "authority": authority_code,
        "title": incident_title(supplier, notice.subject),
        "description": incident_description(notice),
        "incident_type": IncidentType.SUPPLY_CHAIN.value,
        "notice_id": notice.id,
    }
    for part in ("day", "month", "year", "hour", "minute"):
        values[f"detected_at-{part}"] = str(getattr(detected, part))
    values["detected_at-minute"] = f"{detected.minute:02d}"
    return values


async def open_from_notice(
    notice_id: str,
    request: IncidentRequest,
    *,
    caller: Caller,
    session: AsyncSession,
    temporal: Client,
    settings: Settings,
    limits: RateLimits,
) -> tuple[Incident, TriageOutcome]:
    """Open an incident from the caller's council's copy of the notice, the supplier as its
    origin, and mark the copy opened; the incident, and the decision as the clock took it."""
    if caller.authority_id is None:
        raise refusal(notices.NoticeNotFound(notice_id))
    try:
        origin = await notices.origin_of(notice_id, caller.authority_id, session=session)
    except REFUSALS as refused:
        raise refusal(refused) from None
    key = notices.opening_key(notice_id)
    incident = await find_by_idempotency_key(caller.authority_id, key, session=session)
    if incident is None:
        incident, _ = await open_incident(
            request,
            caller=caller,
            idempotency_key=key,
            session=session,
            temporal=temporal,
            settings=settings,
            limits=limits,
            origin=origin,
        )
    try:
        outcome = await notices.opened_from_notice(
            notice_id,
            caller.authority_id,
            incident,
            actor=caller.name,
            user_id=caller.user_id,
            session=session,
            temporal=temporal,
            task_queue=settings.task_queue,
            base_url=settings.base_url,
        )
    except REFUSALS as refused:
        raise refusal(refused) from None
    return incident, outcome


async def incident_form_values(
    notice_id: str, caller: Caller, *, session: AsyncSession
) -> dict[str, str]:
    """The incident form filled in from the caller's council's copy of a notice (its "Open an
    incident" link); a notice they have no copy of is a 404, one triaged already a 409."""
    found = (
        await notices.copy_of(notice_id, caller.authority_id, session=session)
        if caller.authority_id is not None
        else None
    )
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, no_notice(notice_id))
    recipient, notice, authority = found
    if recipient.state is not TriageState.UNTRIAGED:
        raise HTTPException(
            status.HTTP_409_CONFLICT, already_triaged(recipient.state, recipient.triaged_by)
        )
    entry = await session.get(Supplier, recipient.supplier_id)
    supplier = entry.name if entry is not None else notice.supplier_display_name
    return form_values(notice, supplier, authority.code)
