"""The read side of reporting: breach register entries, obligations, and what drafts need."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.directory import MemberContact
from domain.incident import IncidentDetails
from domain.obligations import Body, StageRule
from domain.vocabulary import MemberRole
from models import Authority, BreachRecord, Incident, ResponsibleMember
from notifications.drafts import DraftFacts
from runtime.database import insert_for

#: What a breach register entry records beyond the ICO decision (UK GDPR Art 33(3) and (5)).
BREACH_FIELDS = (
    "facts",
    "effects",
    "remedial_action",
    "data_subject_categories",
    "approximate_data_subjects",
    "record_categories",
    "approximate_records",
    "likely_consequences",
)


async def breach_of(incident_id: str, *, session: AsyncSession) -> BreachRecord | None:
    return (
        await session.exec(select(BreachRecord).where(BreachRecord.incident_id == incident_id))
    ).first()


async def ensure_breach_record(
    incident_id: str, authority_id: int, *, session: AsyncSession
) -> BreachRecord:
    """The incident's register entry, created if it is missing.

    Created with INSERT ... ON CONFLICT, because an officer saving the facts and the timeline
    recording the ICO decision may both be the first to write it, at the same moment.
    """
    # An incident's first timeline batch locks its authority (to join the authority's hash
    # chain) and then writes this entry. Take the authority first here as well, so that a
    # writer arriving at that moment waits its turn instead of deadlocking with the batch.
    await session.exec(
        select(Authority.id).where(Authority.id == authority_id).with_for_update(key_share=True)
    )
    fresh = BreachRecord(authority_id=authority_id, incident_id=incident_id, ico_decision="pending")
    await session.exec(
        insert_for(session)(BreachRecord)
        .values(fresh.model_dump(exclude={"id"}))
        .on_conflict_do_nothing(index_elements=["incident_id"])
    )
    record = await breach_of(incident_id, session=session)
    assert record is not None
    return record


async def amend_breach(
    incident_id: str, authority_id: int, changes: dict[str, Any], *, session: AsyncSession
) -> dict[str, Any]:
    """Apply a change to the register entry; returns what each changed field held before."""
    record = await ensure_breach_record(incident_id, authority_id, session=session)
    before = {
        field: getattr(record, field)
        for field, value in changes.items()
        if field in BREACH_FIELDS and getattr(record, field) != value
    }
    for field in before:
        setattr(record, field, changes[field])
    if before:
        record.updated_at = datetime.now(UTC)
        session.add(record)
    await session.commit()
    return before


async def breach_register(
    *, authority_ids: Collection[int] | None, include_exercises: bool, session: AsyncSession
) -> list[tuple[BreachRecord, Incident]]:
    query = select(BreachRecord, Incident).join(Incident)
    if authority_ids is not None:
        query = query.where(col(BreachRecord.authority_id).in_(authority_ids))
    if not include_exercises:
        query = query.where(col(Incident.exercise).is_(False))
    return list((await session.exec(query.order_by(col(BreachRecord.created_at).desc()))).all())


async def draft_facts(
    incident: IncidentDetails,
    body: Body,
    deadline: datetime | None,
    *,
    session: AsyncSession,
    stage: StageRule | None = None,
    body_name: str | None = None,
) -> DraftFacts:
    authority = await session.get(Authority, incident.authority_id)
    assert authority is not None
    dpo = (
        await session.exec(
            select(ResponsibleMember).where(
                ResponsibleMember.authority_id == incident.authority_id,
                ResponsibleMember.role == MemberRole.DATA_PROTECTION_OFFICER,
            )
        )
    ).first()
    return DraftFacts(
        incident=incident,
        authority_name=authority.name_en,
        body=body,
        deadline=deadline,
        contact_email=authority.ncsc_contact_email,
        dpo=MemberContact(
            member_id=dpo.id,
            role=dpo.role,
            name=dpo.name,
            email=dpo.work_email,
            language=dpo.language,
        )
        if dpo
        else None,
        breach=await breach_of(incident.incident_id, session=session),
        told=["the council's executive member and senior management member (through Concordat)"],
        stage=stage,
        body_name=body_name,
    )
