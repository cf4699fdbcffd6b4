"""Data-protection complaints in the database: recording one (its reference, its link to the
breach register), reading them, and writing what its clock records.

The clock (`workflows.complaint`) is the only writer of a complaint's acknowledgement, outcome
and escalation; it writes them through `record_progress`, which sets what is given and never
unsets anything, so a retried or late write cannot undo a newer one."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from pydantic import BaseModel
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.clock import UK_TIME
from domain.complaints import ComplaintChannel, ComplaintProgress
from models import Authority, BreachRecord, Complaint, ComplaintReferenceCounter, Incident
from runtime.database import insert_for

log = structlog.get_logger(__name__)

#: What the clock writes to a complaint's row, by field: set once, never unset.
PROGRESS_FIELDS = (
    "clock_started_at",
    "acknowledged_at",
    "acknowledged_by",
    "acknowledged_how",
    "outcome",
    "outcome_reasons",
    "outcome_at",
    "outcome_by",
    "escalated_at",
)


class BreachNotInRegister(Exception):
    """The breach register entry named is not the authority's (or does not exist)."""

    def __init__(self, breach_record_id: int) -> None:
        super().__init__(
            f"There is no entry {breach_record_id} in this authority's breach register. / "
            f"Nid oes cofnod {breach_record_id} yng nghofrestr achosion o dorri data'r "
            "awdurdod hwn."
        )


class ComplaintDetails(BaseModel):
    """A complaint as it is recorded: when and how it arrived, what it is about (without the
    complainant's name or contact details), and the breach register entry it concerns."""

    received_at: datetime
    received_how: ComplaintChannel
    summary: str
    breach_record_id: int | None = None
    recorded_by: str


@dataclass(frozen=True)
class RecordedComplaint:
    """A complaint with what its pages and views name beside it."""

    complaint: Complaint
    authority: Authority
    breach_incident: Incident | None = None
    """The incident whose breach register entry the complaint is linked to."""

    @property
    def id(self) -> str:
        return self.complaint.id


async def _next_number(authority_id: int, year: int, *, session: AsyncSession) -> int:
    """The next number of the authority's year, taken inside the caller's transaction (one
    upsert, as incident references are: two complaints recorded at once never share one)."""
    counter = ComplaintReferenceCounter.__table__  # type: ignore[attr-defined]
    statement = (
        insert_for(session)(counter)
        .values(authority_id=authority_id, year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=["authority_id", "year"],
            set_={"last_number": counter.c.last_number + 1},
        )
        .returning(counter.c.last_number)
    )
    return int((await session.exec(statement)).scalar_one())


async def breach_entry_of(
    authority_id: int, breach_record_id: int, *, session: AsyncSession
) -> tuple[BreachRecord, Incident] | None:
    """The authority's breach register entry and its incident; None for anyone else's."""
    found = (
        await session.exec(
            select(BreachRecord, Incident)
            .join(Incident, col(Incident.id) == col(BreachRecord.incident_id))
            .where(BreachRecord.id == breach_record_id)
        )
    ).first()
    if found is None or found[0].authority_id != authority_id:
        return None
    return found


async def breach_entries_of(
    authority_id: int, *, session: AsyncSession
) -> list[tuple[BreachRecord, Incident]]:
    """The authority's breach register entries a complaint can be linked to, newest first."""
    rows = await session.exec(
        select(BreachRecord, Incident)
        .join(Incident, col(Incident.id) == col(BreachRecord.incident_id))
        .where(BreachRecord.authority_id == authority_id)
        .order_by(col(BreachRecord.created_at).desc())
    )
    return list(rows.all())


async def record_complaint(
    authority: Authority,
    details: ComplaintDetails,
    *,
    acknowledge_within: timedelta,
    session: AsyncSession,
) -> Complaint:
    """Record the complaint and give it its reference; nothing is written if its breach
    register entry is not the authority's (`BreachNotInRegister`)."""
    assert authority.id is not None
    if details.breach_record_id is not None:
        entry = await breach_entry_of(authority.id, details.breach_record_id, session=session)
        if entry is None:
            raise BreachNotInRegister(details.breach_record_id)
    year = details.received_at.astimezone(UK_TIME).year
    number = await _next_number(authority.id, year, session=session)
    complaint = Complaint(
        id=str(uuid.uuid4()),
        authority_id=authority.id,
        reference=f"CMP-{authority.code}-{year}-{number:04d}",
        year=year,
        number=number,
        received_at=details.received_at,
        received_how=details.received_how,
        summary=details.summary,
        breach_record_id=details.breach_record_id,
        acknowledge_by=details.received_at + acknowledge_within,
        recorded_by=details.recorded_by[:200],
    )
    session.add(complaint)
    await session.commit()
    await session.refresh(complaint)
    await session.commit()  # ends the read: the clock's first step writes this row
    log.info(
        "complaint_recorded",
        complaint_id=complaint.id,
        authority_id=authority.id,
        breach_record_id=complaint.breach_record_id,
    )
    return complaint


async def withdraw_unstarted(complaint_id: str, *, session: AsyncSession) -> None:
    """Remove a complaint whose clock could not be started, so nothing is half-recorded."""
    complaint = await session.get(Complaint, complaint_id)
    if complaint is not None:
        await session.delete(complaint)
        await session.commit()


async def _recorded(
    rows: list[tuple[Complaint, Authority]], *, session: AsyncSession
) -> list[RecordedComplaint]:
    breach_ids = {c.breach_record_id for c, _ in rows if c.breach_record_id is not None}
    incidents: dict[int, Incident] = {}
    if breach_ids:
        found = await session.exec(
            select(BreachRecord.id, Incident)
            .join(Incident, col(Incident.id) == col(BreachRecord.incident_id))
            .where(col(BreachRecord.id).in_(breach_ids))
        )
        incidents = {breach_id: incident for breach_id, incident in found if breach_id}
    return [
        RecordedComplaint(
            complaint,
            authority,
            incidents.get(complaint.breach_record_id) if complaint.breach_record_id else None,
        )
        for complaint, authority in rows
    ]


async def complaint_of(complaint_id: str, *, session: AsyncSession) -> RecordedComplaint | None:
    """A complaint by its id, whoever's it is (the caller checks who may see it)."""
    try:
        uuid.UUID(complaint_id)
    except ValueError:
        return None  # not a complaint's id at all: the same answer as an unknown one
    row = (
        await session.exec(
            select(Complaint, Authority)
            .join(Authority, col(Authority.id) == col(Complaint.authority_id))
            .where(Complaint.id == complaint_id)
        )
    ).first()
    if row is None:
        return None
    (recorded,) = await _recorded([row], session=session)
    return recorded


async def complaints_of(
    authority_ids: Collection[int] | None, *, session: AsyncSession
) -> list[RecordedComplaint]:
    """The complaints of these authorities (every authority for None), the latest first."""
    query = select(Complaint, Authority).join(
        Authority, col(Authority.id) == col(Complaint.authority_id)
    )
    if authority_ids is not None:
        query = query.where(col(Complaint.authority_id).in_(authority_ids))
    rows = await session.exec(
        query.order_by(col(Complaint.received_at).desc(), col(Complaint.reference).desc())
    )
    return await _recorded(list(rows.all()), session=session)


async def record_progress(progress: ComplaintProgress, *, session: AsyncSession) -> bool:
    """Write what the clock has recorded: each field it gives and the row lacks. Idempotent,
    and in any order: nothing set is ever unset or changed. Whether anything changed."""
    complaint = await session.get(Complaint, progress.complaint_id)
    if complaint is None:
        return False  # withdrawn before its clock's first step: nothing to record
    changed = False
    for field in PROGRESS_FIELDS:
        given = getattr(progress, field)
        if given is not None and getattr(complaint, field) is None:
            setattr(complaint, field, given)
            changed = True
    if changed:
        session.add(complaint)
        await session.commit()
    return changed


async def never_started(
    *, created_before: datetime, session: AsyncSession
) -> list[tuple[Complaint, Authority]]:
    """Complaints whose clock never recorded its first step, recorded before `created_before`
    (a younger one may still be starting)."""
    rows = await session.exec(
        select(Complaint, Authority)
        .join(Authority, col(Authority.id) == col(Complaint.authority_id))
        .where(
            col(Complaint.clock_started_at).is_(None),
            col(Complaint.created_at) < created_before,
        )
        .order_by(col(Complaint.created_at))
    )
    return list(rows.all())
