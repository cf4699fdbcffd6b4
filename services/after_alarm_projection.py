"""The read side of what the incident's record takes in after the alarm.

Evidence files and published statements are rows made from their timeline events, in the same
transaction that records the events: a file is listed, and a statement is on the public page,
exactly when the hash chain covers it. The post-incident review's rows are the review as the
post-incident process last recorded it, never older than what they already show.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.activity_contracts import TimelineBatch, TimelineEntry
from domain.post_incident import Review
from domain.vocabulary import EventKind
from models import EvidenceFile, IncidentReview, ReviewAction, StatementVersion
from runtime.database import insert_for


async def project_after_alarm(
    batch: TimelineBatch, *, authority_id: int, session: AsyncSession
) -> None:
    evidence = [e for e in batch.entries if e.kind is EventKind.EVIDENCE_ADDED]
    if evidence:
        await _insert_ignoring_repeats(
            session, EvidenceFile, [_evidence_row(batch.incident_id, e) for e in evidence], ["id"]
        )
    published = [e for e in batch.entries if e.kind is EventKind.STATEMENT_PUBLISHED]
    if published:
        await _insert_ignoring_repeats(
            session,
            StatementVersion,
            [_version_row(batch.incident_id, authority_id, e) for e in published],
            ["statement_id", "version"],
        )
    for entry in batch.entries:
        if entry.kind is EventKind.STATEMENT_WITHDRAWN:
            await session.exec(
                update(StatementVersion)
                .where(
                    col(StatementVersion.statement_id) == entry.detail["statement_id"],
                    col(StatementVersion.withdrawn_at).is_(None),
                )
                .values(withdrawn_at=entry.occurred_at)
            )
    if batch.review is not None:
        last = max(entry.sequence for entry in batch.entries)
        await _project_review(batch.incident_id, authority_id, batch.review, last, session)


async def _insert_ignoring_repeats(
    session: AsyncSession, table: type, rows: list[dict[str, object]], keys: list[str]
) -> None:
    statement = insert_for(session)(table).on_conflict_do_nothing(index_elements=keys)
    await session.exec(statement, params=rows)


def _evidence_row(incident_id: str, entry: TimelineEntry) -> dict[str, object]:
    detail = entry.detail
    return {
        "id": detail["file_id"],
        "incident_id": incident_id,
        "sequence": entry.sequence,
        "name": detail["name"],
        "content_type": detail.get("content_type", ""),
        "size": detail["size"],
        "sha256": detail["sha256"],
        "storage_key": detail["storage_key"],
        "key_id": detail.get("key_id"),
        "description": detail.get("description"),
        "uploaded_by": entry.actor,
        "uploaded_at": entry.occurred_at,
    }


def _version_row(incident_id: str, authority_id: int, entry: TimelineEntry) -> dict[str, object]:
    detail = entry.detail
    return {
        "statement_id": detail["statement_id"],
        "version": detail["version"],
        "incident_id": incident_id,
        "authority_id": authority_id,
        "sequence": entry.sequence,
        "content": detail["content"],
        "content_sha256": detail["content_sha256"],
        "tlp": detail["tlp"],
        "approver": detail["approver"],
        "published_by": entry.actor,
        "published_at": entry.occurred_at,
    }


async def _project_review(
    incident_id: str, authority_id: int, review: Review, sequence: int, session: AsyncSession
) -> None:
    row = await session.get(IncidentReview, incident_id)
    if row is not None and row.sequence >= sequence:
        return  # a retried, older batch: the rows already show something newer
    values: dict[str, Any] = {
        "authority_id": authority_id,
        "status": review.status,
        "owner_name": review.owner.name,
        "owner_role": review.owner.member_role.value if review.owner.member_role else None,
        "owner_user_id": review.owner.user_id,
        "started_at": review.started_at,
        "due_on": review.due_on,
        "due_at": review.due_at,
        "overdue_at": review.overdue_at,
        "root_cause": review.root_cause,
        "went_well": review.went_well,
        "went_badly": review.went_badly,
        "lessons": review.lessons,
        "commitments": list(review.commitments),
        "signed_off_at": review.signed_off_at,
        "signed_off_by": review.signed_off_by,
        "sign_off_note": review.sign_off_note,
        "sequence": sequence,
    }
    if row is None:
        session.add(IncidentReview(incident_id=incident_id, **values))
    else:
        for field, value in values.items():
            setattr(row, field, value)
        session.add(row)
    await session.exec(delete(ReviewAction).where(col(ReviewAction.incident_id) == incident_id))
    for action in review.actions:
        session.add(
            ReviewAction(
                incident_id=incident_id,
                number=action.number,
                authority_id=authority_id,
                title=action.title,
                owner_name=action.owner.name,
                owner_role=action.owner.member_role.value if action.owner.member_role else None,
                owner_user_id=action.owner.user_id,
                due_on=action.due_on,
                due_at=action.due_at,
                state=action.state,
                added_at=action.added_at,
                added_by=action.added_by,
                reminded_at=action.reminded_at,
                escalated_at=action.escalated_at,
                closed_at=action.closed_at,
                closed_by=action.closed_by,
                done_note=action.done_note,
                risk_reason=action.risk_reason,
                done_in_time=action.done_in_time,
            )
        )
    await session.flush()


async def statement_versions(incident_id: str, *, session: AsyncSession) -> dict[int, int]:
    """The last version published of each of the incident's statements."""
    rows = await session.exec(
        select(StatementVersion.statement_id, StatementVersion.version).where(
            StatementVersion.incident_id == incident_id
        )
    )
    found: dict[int, int] = {}
    for statement_id, version in rows:
        found[statement_id] = max(found.get(statement_id, 0), version)
    return found
