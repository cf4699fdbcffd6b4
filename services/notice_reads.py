"""Reading supplier notices: a council's copies (untriaged first, by the time left), one notice
with the copies a reader may see, what a supplier sent, and the central team's view of each
notice once with every council's triage."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.supplier_notices import NoticeChannel, TriageState
from models import Authority, Incident, NoticeRecipient, Supplier, SupplierNotice

#: The most notices a list shows (the newest); a council triages them long before this.
LIST_LIMIT = 500


@dataclass(frozen=True)
class CouncilCopy:
    """One council's copy of a notice: its triage, its name for the supplier, and the incident
    it was linked to or opened as."""

    recipient: NoticeRecipient
    authority: Authority
    supplier_name: str
    incident: Incident | None

    @property
    def untriaged(self) -> bool:
        return self.recipient.state is TriageState.UNTRIAGED


@dataclass(frozen=True)
class NoticeCopies:
    """A notice and the councils' copies of it a reader may see."""

    notice: SupplierNotice
    copies: list[CouncilCopy]


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


async def _copies(
    notice_ids: list[str], readable: frozenset[int] | None, *, session: AsyncSession
) -> dict[str, list[CouncilCopy]]:
    """The copies of these notices a reader may see (every one for `None`), by council code."""
    if not notice_ids:
        return {}
    query = (
        select(NoticeRecipient, Authority, Supplier, Incident)
        .join(Authority, col(Authority.id) == col(NoticeRecipient.authority_id))
        .join(Supplier, col(Supplier.id) == col(NoticeRecipient.supplier_id))
        .outerjoin(Incident, col(Incident.id) == col(NoticeRecipient.incident_id))
        .where(col(NoticeRecipient.notice_id).in_(notice_ids))
        .order_by(col(Authority.code))
    )
    if readable is not None:
        query = query.where(col(NoticeRecipient.authority_id).in_(readable))
    found: dict[str, list[CouncilCopy]] = defaultdict(list)
    for recipient, authority, supplier, incident in (await session.exec(query)).all():
        found[recipient.notice_id].append(
            CouncilCopy(recipient, authority, supplier.name, incident)
        )
    return found


async def council_copies(
    readable: frozenset[int] | None, *, session: AsyncSession
) -> list[tuple[SupplierNotice, CouncilCopy]]:
    """Every copy the reader's councils hold: the untriaged first, the soonest due first, then
    the rest, the latest triaged first."""
    query = select(NoticeRecipient.notice_id).order_by(col(NoticeRecipient.created_at).desc())
    if readable is not None:
        query = query.where(col(NoticeRecipient.authority_id).in_(readable))
    ids = list(dict.fromkeys((await session.exec(query.limit(LIST_LIMIT))).all()))
    notices = {
        notice.id: notice
        for notice in (
            await session.exec(select(SupplierNotice).where(col(SupplierNotice.id).in_(ids)))
        ).all()
    }
    copies = await _copies(ids, readable, session=session)
    rows = [(notices[notice_id], copy) for notice_id in ids for copy in copies.get(notice_id, [])]
    waiting = sorted((row for row in rows if row[1].untriaged), key=lambda r: r[1].recipient.due_at)
    done = sorted(
        (row for row in rows if not row[1].untriaged),
        key=lambda r: r[1].recipient.triaged_at or r[1].recipient.created_at,
        reverse=True,
    )
    return waiting + done


async def notice_for(
    notice_id: str, readable: frozenset[int] | None, *, session: AsyncSession
) -> NoticeCopies | None:
    """The notice with the copies the reader may see; None when they may see none."""
    notice = await session.get(SupplierNotice, notice_id) if _is_uuid(notice_id) else None
    if notice is None:
        return None
    copies = (await _copies([notice.id], readable, session=session)).get(notice.id, [])
    return NoticeCopies(notice, copies) if copies else None


async def notices_sent_by(supplier_name: str, *, session: AsyncSession) -> list[NoticeCopies]:
    """What a supplier sent with its own tokens, the newest first, with the councils reached."""
    notices = (
        await session.exec(
            select(SupplierNotice)
            .where(
                SupplierNotice.supplier_name == supplier_name,
                SupplierNotice.channel == NoticeChannel.API,
            )
            .order_by(col(SupplierNotice.received_at).desc())
            .limit(LIST_LIMIT)
        )
    ).all()
    copies = await _copies([n.id for n in notices], None, session=session)
    return [NoticeCopies(notice, copies.get(notice.id, [])) for notice in notices]


async def sent_by(
    notice_id: str, supplier_name: str, *, session: AsyncSession
) -> NoticeCopies | None:
    """One notice the supplier sent with its own tokens; None for any other."""
    notice = await session.get(SupplierNotice, notice_id) if _is_uuid(notice_id) else None
    if (
        notice is None
        or notice.supplier_name != supplier_name
        or notice.channel is not NoticeChannel.API
    ):
        return None
    copies = (await _copies([notice.id], None, session=session)).get(notice.id, [])
    return NoticeCopies(notice, copies)


async def national_notices(*, session: AsyncSession) -> list[NoticeCopies]:
    """Every notice once, the newest first, with every council's copy: the central team's
    view."""
    notices = (
        await session.exec(
            select(SupplierNotice)
            .order_by(col(SupplierNotice.received_at).desc())
            .limit(LIST_LIMIT)
        )
    ).all()
    copies = await _copies([n.id for n in notices], None, session=session)
    return [NoticeCopies(notice, copies.get(notice.id, [])) for notice in notices]


async def open_incidents_of(authority_id: int, *, session: AsyncSession) -> list[Incident]:
    """The council's open incidents, the newest first: what a notice may be linked to."""
    return list(
        (
            await session.exec(
                select(Incident)
                .where(Incident.authority_id == authority_id, col(Incident.closed_at).is_(None))
                .order_by(col(Incident.created_at).desc())
                .limit(LIST_LIMIT)
            )
        ).all()
    )
