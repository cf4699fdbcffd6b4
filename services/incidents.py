"""Opening incidents on the read side: references, idempotent creation, look-ups."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.clock import UK_TIME
from domain.incident import IncidentDetails, workflow_id_for
from domain.obligations import PersonalDataRisk
from domain.vocabulary import IncidentType, NcscCategory, Tlp
from models import Authority, Incident, IncidentReferenceCounter
from runtime.database import insert_for


class IdempotencyConflict(Exception):
    """The same Idempotency-Key was sent with a different request."""


def request_fingerprint(payload: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


async def _next_number(authority_id: int, year: int, *, session: AsyncSession) -> int:
    """Take the next number of the authority's year inside the caller's transaction.

    One upsert does it: the row lock it takes (PostgreSQL) or the write lock (SQLite) means two
    officers opening incidents at the same moment never get the same reference, even for the
    first incident of a year.
    """
    dialect_insert = insert_for(session)
    counter = IncidentReferenceCounter.__table__  # type: ignore[attr-defined]
    statement = (
        dialect_insert(counter)
        .values(authority_id=authority_id, year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=["authority_id", "year"],
            set_={"last_number": counter.c.last_number + 1},
        )
        .returning(counter.c.last_number)
    )
    return (await session.exec(statement)).scalar_one()  # type: ignore[call-overload]


async def find_by_idempotency_key(
    authority_id: int, key: str, *, session: AsyncSession
) -> Incident | None:
    return (
        await session.exec(
            select(Incident).where(
                Incident.authority_id == authority_id, Incident.idempotency_key == key
            )
        )
    ).first()


async def open_incident(
    authority: Authority,
    *,
    title: str,
    description: str,
    incident_type: IncidentType,
    category: NcscCategory,
    significant: bool,
    personal_data: bool,
    personal_data_risk: PersonalDataRisk | None = None,
    exercise: bool = False,
    email_compromised: bool = False,
    detected_at: datetime,
    aware_at: datetime,
    tlp: Tlp,
    reporter_name: str,
    reporter_email: str,
    opened_by: str,
    idempotency_key: str | None,
    fingerprint: str | None,
    session: AsyncSession,
) -> tuple[Incident, bool]:
    """Insert the incident row; returns it and whether it is new.

    With an idempotency key, a repeated request returns the incident the first one created.
    """
    assert authority.id is not None
    if idempotency_key is not None:
        existing = await find_by_idempotency_key(authority.id, idempotency_key, session=session)
        if existing is not None:
            if existing.request_fingerprint != fingerprint:
                raise IdempotencyConflict(idempotency_key)
            return existing, False
    year = aware_at.astimezone(UK_TIME).year  # the council's year, not the sender's zone
    number = await _next_number(authority.id, year, session=session)
    incident_id = str(uuid.uuid4())
    incident = Incident(
        id=incident_id,
        authority_id=authority.id,
        reference=f"{authority.code}-{year}-{number:04d}",
        year=year,
        number=number,
        workflow_id=workflow_id_for(incident_id),
        title=title,
        description=description,
        incident_type=incident_type,
        category=category,
        significant=significant,
        personal_data=personal_data,
        personal_data_risk=personal_data_risk,
        exercise=exercise,
        email_compromised=email_compromised,
        tlp=tlp,
        detected_at=detected_at,
        aware_at=aware_at,
        reporter_name=reporter_name,
        reporter_email=reporter_email,
        opened_by=opened_by,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
    )
    session.add(incident)
    try:
        await session.commit()
    except IntegrityError:
        # A concurrent request with the same key won the race: return its incident.
        await session.rollback()
        if idempotency_key is None:
            raise
        existing = await find_by_idempotency_key(authority.id, idempotency_key, session=session)
        if existing is None:
            raise
        if existing.request_fingerprint != fingerprint:
            raise IdempotencyConflict(idempotency_key) from None
        return existing, False
    return incident, True


async def withdraw_unstarted(incident_id: str, *, session: AsyncSession) -> None:
    """Remove an incident whose workflow could not be started, so nothing is half-created."""
    incident = await session.get(Incident, incident_id)
    if incident is not None:
        await session.delete(incident)
        await session.commit()


def details_of(incident: Incident, authority: Authority) -> IncidentDetails:
    assert authority.id is not None
    return IncidentDetails(
        incident_id=incident.id,
        reference=incident.reference,
        authority_id=authority.id,
        authority_code=authority.code,
        title=incident.title,
        description=incident.description,
        incident_type=incident.incident_type,
        category=incident.category,
        significant=incident.significant,
        personal_data=incident.personal_data,
        personal_data_risk=incident.personal_data_risk,
        exercise=incident.exercise,
        email_compromised=incident.email_compromised,
        detected_at=incident.detected_at,
        aware_at=incident.aware_at,
        tlp=incident.tlp,
        reporter_name=incident.reporter_name,
        reporter_email=incident.reporter_email,
    )


async def get_incident(
    incident_id: str, *, authority_id: int | None, session: AsyncSession
) -> Incident | None:
    """The incident if the caller's authority may see it; `None` means every authority."""
    try:
        uuid.UUID(incident_id)
    except ValueError:
        return None  # not an incident id at all: the same answer as an unknown one
    incident = await session.get(Incident, incident_id)
    if incident is None or (authority_id is not None and incident.authority_id != authority_id):
        return None
    return incident


async def find_incident(identifier: str, *, session: AsyncSession) -> Incident | None:
    """An incident by its reference (CDF-2026-0001) or id, for the command line."""
    by_reference = (
        await session.exec(select(Incident).where(Incident.reference == identifier.upper()))
    ).first()
    return by_reference or await get_incident(identifier, authority_id=None, session=session)


async def list_incidents(
    *,
    authority_ids: Collection[int] | None,
    limit: int,
    offset: int,
    exercise: bool | None = None,
    session: AsyncSession,
) -> list[tuple[Incident, Authority]]:
    query = select(Incident, Authority).join(Authority)
    if authority_ids is not None:
        query = query.where(col(Incident.authority_id).in_(authority_ids))
    if exercise is not None:
        query = query.where(Incident.exercise == exercise)
    query = query.order_by(col(Incident.created_at).desc()).limit(limit).offset(offset)
    return list((await session.exec(query)).all())
