"""Incidents in the database: opening one (its reference, idempotently), and finding them."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator
from sqlalchemy import func, type_coerce
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.clock import UK_TIME
from domain.incident import IncidentDetails, IncidentOrigin, workflow_id_for
from domain.obligations import ObligationState, PersonalDataRisk
from domain.vocabulary import IncidentType, NcscCategory, Stage, Tlp
from models import Authority, Incident, IncidentReferenceCounter, ObligationRecord
from models.columns import UtcDateTime
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
    return (await session.exec(statement)).scalar_one()


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


class IncidentCreate(BaseModel):
    """An incident as it is opened: what its reporting officer says, and who opened it.

    The one list of an incident's reported facts. The API's request and the form check them
    (`web.schemas.IncidentRequest`), and the table row is made from them field by field.
    Strict: each fact arrives as its own type (a category as `NcscCategory`, a flag as a
    bool, a moment as a datetime), never coerced from something that resembles it.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    title: str
    description: str
    incident_type: IncidentType
    category: NcscCategory
    significant: bool = False
    personal_data: bool = False
    personal_data_risk: PersonalDataRisk | None = None
    exercise: bool = False
    email_compromised: bool = False
    detected_at: datetime
    aware_at: datetime | None = None
    """When the council became aware. Left out, it is `detected_at`: the council is aware when
    its officer detects the incident, so the ICO's 72 hours run from then (UK GDPR Art 33(1))."""
    tlp: Tlp = Tlp.AMBER
    reporter_name: str
    reporter_email: str
    opened_by: str
    """The credential that opened it (a person, or an API token's name)."""
    idempotency_key: str | None = None
    fingerprint: str | None = None
    """The request's digest, so a key sent again with a different request is refused."""
    origin: IncidentOrigin | None = None
    """The supplier notice it is opened from, if any (kept on the row, so a repaired start
    carries it too)."""

    @model_validator(mode="after")
    def _aware_when_detected(self) -> IncidentCreate:
        if self.aware_at is None:
            self.aware_at = self.detected_at
        return self


async def open_incident(
    *, session: AsyncSession, authority: Authority, incident_in: IncidentCreate
) -> tuple[Incident, bool]:
    """Insert the incident row; returns it and whether it is new.

    With an idempotency key, a repeated request returns the incident the first one created.
    """
    assert authority.id is not None and incident_in.aware_at is not None
    key, fingerprint = incident_in.idempotency_key, incident_in.fingerprint
    if key is not None:
        existing = await find_by_idempotency_key(authority.id, key, session=session)
        if existing is not None:
            if existing.request_fingerprint != fingerprint:
                raise IdempotencyConflict(key)
            return existing, False
    # The council's year, not the sender's zone.
    year = incident_in.aware_at.astimezone(UK_TIME).year
    number = await _next_number(authority.id, year, session=session)
    incident_id = str(uuid.uuid4())
    incident = Incident(
        **incident_in.model_dump(exclude={"fingerprint"}),
        id=incident_id,
        authority_id=authority.id,
        reference=f"{authority.code}-{year}-{number:04d}",
        year=year,
        number=number,
        workflow_id=workflow_id_for(incident_id),
        request_fingerprint=fingerprint,
    )
    session.add(incident)
    try:
        await session.commit()
    except IntegrityError:
        # A concurrent request with the same key won the race: return its incident.
        await session.rollback()
        if key is None:
            raise
        existing = await find_by_idempotency_key(authority.id, key, session=session)
        if existing is None:
            raise
        if existing.request_fingerprint != fingerprint:
            raise IdempotencyConflict(key) from None
        return existing, False
    return incident, True


async def withdraw_unstarted(incident_id: str, *, session: AsyncSession) -> None:
    """Remove an incident whose workflow could not be started, so nothing is half-created."""
    incident = await session.get(Incident, incident_id)
    if incident is not None:
        await session.delete(incident)
        await session.commit()


def details_of(incident: Incident, authority: Authority) -> IncidentDetails:
    """What the workflow is told about the incident: its row, and the authority's code."""
    assert authority.id is not None and authority.id == incident.authority_id
    return IncidentDetails(
        **incident.model_dump(include=set(IncidentDetails.model_fields)),
        incident_id=incident.id,
        authority_code=authority.code,
    )


async def authority_of(incident: Incident, *, session: AsyncSession) -> Authority:
    authority = await session.get(Authority, incident.authority_id)
    assert authority is not None  # a foreign key: every incident has its authority
    return authority


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


#: How the incident list may be ordered.
IncidentOrder = Literal["detected", "reference", "deadline"]

#: The obligation states whose deadline is still ahead of the council (or already missed).
_PENDING = (ObligationState.DUE, ObligationState.OVERDUE)


@dataclass(frozen=True)
class IncidentFilter:
    """Which incidents a list shows: always within `authority_ids` (`None` is every
    authority), narrowed by the rest when they are given."""

    authority_ids: Collection[int] | None
    authority_id: int | None = None
    stage: Stage | None = None
    category: NcscCategory | None = None
    closed: bool | None = None
    exercise: bool | None = None


@dataclass(frozen=True)
class ListedIncident:
    incident: Incident
    authority: Authority
    next_deadline: datetime | None
    """The earliest deadline of a report still due or overdue; `None` if none is."""


def _filtered(query: Any, chosen: IncidentFilter) -> Any:
    if chosen.authority_ids is not None:
        query = query.where(col(Incident.authority_id).in_(chosen.authority_ids))
    if chosen.authority_id is not None:
        query = query.where(Incident.authority_id == chosen.authority_id)
    if chosen.stage is not None:
        query = query.where(Incident.stage == chosen.stage)
    if chosen.category is not None:
        query = query.where(Incident.category == chosen.category)
    if chosen.closed is not None:
        closed = col(Incident.stage) == Stage.CLOSED
        query = query.where(closed if chosen.closed else ~closed)
    if chosen.exercise is not None:
        query = query.where(Incident.exercise == chosen.exercise)
    return query


async def incident_page(
    chosen: IncidentFilter,
    *,
    order: IncidentOrder,
    limit: int,
    offset: int,
    session: AsyncSession,
) -> tuple[list[ListedIncident], int]:
    """One page of the incidents the filter lets through, each with its next reporting
    deadline (read from the stored obligations, one query), and how many there are in all."""
    deadlines = (
        select(
            col(ObligationRecord.incident_id).label("incident_id"),
            func.min(col(ObligationRecord.deadline)).label("next_deadline"),
        )
        .where(
            col(ObligationRecord.state).in_(_PENDING),
            col(ObligationRecord.deadline).is_not(None),
        )
        .group_by(col(ObligationRecord.incident_id))
        .subquery()
    )
    next_deadline = type_coerce(deadlines.c.next_deadline, UtcDateTime)
    ordering: dict[str, tuple[Any, ...]] = {
        "detected": (col(Incident.detected_at).desc(),),
        "reference": (col(Incident.reference).asc(),),
        "deadline": (next_deadline.is_(None), next_deadline.asc()),
    }
    query = _filtered(
        select(Incident, Authority, next_deadline)
        .join(Authority, col(Authority.id) == Incident.authority_id)
        .outerjoin(deadlines, deadlines.c.incident_id == Incident.id),
        chosen,
    )
    query = query.order_by(*ordering[order], col(Incident.id)).limit(limit).offset(offset)
    rows = (await session.exec(query)).all()
    total = (
        await session.exec(_filtered(select(func.count()).select_from(Incident), chosen))
    ).one()
    return [ListedIncident(incident, authority, due) for incident, authority, due in rows], total


async def never_started(
    *, created_before: datetime, session: AsyncSession
) -> list[tuple[Incident, Authority]]:
    """Incidents saved before the moment whose workflow never recorded an event: either still
    starting, or never started at all (the process that saved the row died first)."""
    return list(
        (
            await session.exec(
                select(Incident, Authority)
                .join(Authority, col(Authority.id) == Incident.authority_id)
                .where(
                    col(Incident.anchor).is_(None),
                    Incident.last_event_sequence == 0,
                    col(Incident.created_at) < created_before,
                )
            )
        ).all()
    )
