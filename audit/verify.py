"""Check the hash chains in the database and name the first broken link.

`verify` walks each authority's chain of incidents (anchors) and each incident's chain of
events (hashes), and the same for its annual reviews (`audit.review_chain`), recomputing every
link from the stored values. It also checks heads exported earlier (`Head`), which is what
catches somebody who rewrote a chain from the start.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from audit.hash_chain import GENESIS, anchor_of, hash_of
from audit.review_chain import anchor_of_review, hash_of_review_event
from models import AnnualReview, Authority, Incident, ReviewEvent, TimelineEvent


@dataclass(frozen=True)
class Break:
    """One broken link: where, and what is wrong with it, in words an auditor can act on."""

    authority: str
    reference: str | None
    sequence: int | None
    problem: str

    def __str__(self) -> str:
        where = self.reference or self.authority
        if not where:
            return self.problem
        if self.sequence is not None:
            where += f" event #{self.sequence}"
        return f"{where}: {self.problem}"


@dataclass(frozen=True)
class Head:
    """A hash kept outside the database: an incident's event (`CDF-2026-0001#42:<hash>`) or an
    authority's latest incident anchor (`CDF@7:<hash>`)."""

    subject: str
    position: int
    digest: str
    of_incident: bool

    _PATTERN = re.compile(
        r"^(?P<subject>[A-Za-z0-9-]+)(?P<sep>[#@])(?P<pos>\d+):(?P<hash>[0-9a-f]{64})$"
    )

    @classmethod
    def parse(cls, text: str) -> Head:
        found = cls._PATTERN.match(text.strip())
        if found is None:
            raise ValueError(
                f"{text!r} is not a chain head: expected REFERENCE#EVENT:HASH "
                "(e.g. CDF-2026-0001#42:9f86...) or AUTHORITY@POSITION:HASH"
            )
        return cls(
            subject=found["subject"],
            position=int(found["pos"]),
            digest=found["hash"],
            of_incident=found["sep"] == "#",
        )

    def __str__(self) -> str:
        return f"{self.subject}{'#' if self.of_incident else '@'}{self.position}:{self.digest}"


@dataclass
class Verification:
    incidents: int = 0
    events: int = 0
    heads: int = 0
    reviews: int = 0
    review_events: int = 0
    evidence_files: int = 0
    """Stored evidence files re-hashed against the timeline (`services.evidence`)."""
    breaks: list[Break] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.breaks


async def verify(
    *,
    session: AsyncSession,
    incident: Incident | None = None,
    authority_code: str | None = None,
    expect: list[Head] | None = None,
) -> Verification:
    """Check one incident (and its link to the previous one), one authority's chains, or every
    chain of every authority."""
    result = Verification()
    authorities = {a.id: a.code for a in (await session.exec(select(Authority))).all()}
    if incident is not None:
        await _check_incident(incident, authorities[incident.authority_id], session, result)
    else:
        for authority_id, code in sorted(authorities.items(), key=lambda item: item[1]):
            if authority_code is None or code == authority_code.upper():
                await _check_authority(authority_id, code, session, result)
                await _check_reviews(authority_id, code, session, result)
    for head in expect or []:
        await _check_head(head, session, result)
    return result


async def _check_authority(
    authority_id: int | None, code: str, session: AsyncSession, result: Verification
) -> None:
    incidents = (
        await session.exec(
            select(Incident)
            .where(Incident.authority_id == authority_id)
            .order_by(col(Incident.chain_position), col(Incident.created_at))
        )
    ).all()
    previous_anchor, expected_position = GENESIS, 1
    for incident in incidents:
        if incident.chain_position is None:
            await _check_unlinked(incident, code, session, result)
            continue
        if incident.chain_position != expected_position:
            result.breaks.append(
                Break(
                    code,
                    incident.reference,
                    None,
                    f"is incident {incident.chain_position} of the authority's chain, but "
                    f"incident {expected_position} is missing",
                )
            )
        elif incident.previous_anchor != previous_anchor:
            result.breaks.append(
                Break(code, incident.reference, None, "does not follow the previous incident")
            )
        await _check_events(incident, code, session, result)
        previous_anchor, expected_position = incident.anchor or "", incident.chain_position + 1


async def _check_incident(
    incident: Incident, code: str, session: AsyncSession, result: Verification
) -> None:
    if incident.chain_position is None:
        await _check_unlinked(incident, code, session, result)
        return
    expected_previous = GENESIS
    if incident.chain_position > 1:
        previous = (
            await session.exec(
                select(Incident.anchor).where(
                    Incident.authority_id == incident.authority_id,
                    Incident.chain_position == incident.chain_position - 1,
                )
            )
        ).first()
        if previous is None:
            result.breaks.append(
                Break(
                    code, incident.reference, None, "the authority's previous incident is missing"
                )
            )
            expected_previous = incident.previous_anchor or ""
        else:
            expected_previous = previous
    if incident.previous_anchor != expected_previous:
        result.breaks.append(
            Break(code, incident.reference, None, "does not follow the previous incident")
        )
    await _check_events(incident, code, session, result)


async def _check_unlinked(
    incident: Incident, code: str, session: AsyncSession, result: Verification
) -> None:
    """An incident outside the chain is fine only if nothing was ever recorded for it."""
    recorded = (
        await session.exec(
            select(TimelineEvent.sequence).where(TimelineEvent.incident_id == incident.id).limit(1)
        )
    ).first()
    if recorded is not None or incident.last_event_sequence:
        result.breaks.append(
            Break(code, incident.reference, None, "has a timeline but is not in the chain")
        )


async def _check_events(
    incident: Incident, code: str, session: AsyncSession, result: Verification
) -> None:
    result.incidents += 1
    reference = incident.reference
    anchor = anchor_of(
        incident,
        previous_anchor=incident.previous_anchor or "",
        position=incident.chain_position or 0,
    )
    if anchor != incident.anchor:
        result.breaks.append(
            Break(code, reference, None, "the report as opened was altered (its anchor differs)")
        )
        return
    events = (
        await session.exec(
            select(TimelineEvent)
            .where(TimelineEvent.incident_id == incident.id)
            .order_by(col(TimelineEvent.sequence), col(TimelineEvent.id))
        )
    ).all()
    broken, walked = _walk_chain(
        anchor, events, hash_of, last_recorded=incident.last_event_sequence, owner="incident"
    )
    result.events += walked
    if broken is not None:
        result.breaks.append(Break(code, reference, broken.sequence, broken.problem))


class _ChainedEvent(Protocol):
    """What walking a chain reads of an event row (`TimelineEvent` or `ReviewEvent`)."""

    @property
    def id(self) -> int | None: ...
    @property
    def sequence(self) -> int: ...
    @property
    def previous_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...


class _Rehash(Protocol):
    """Recomputes an event's hash from its stored content (`hash_of`, `hash_of_review_event`)."""

    def __call__(self, event: Any, /, *, previous_hash: str) -> str: ...


class _EventBreak(NamedTuple):
    """The event where a chain breaks and what is wrong there; the caller says whose chain."""

    sequence: int
    problem: str


def _walk_chain(
    anchor: str,
    events: Sequence[_ChainedEvent],
    rehash: _Rehash,
    *,
    last_recorded: int,
    owner: str,
) -> tuple[_EventBreak | None, int]:
    """The first broken link of a chain of events hanging from `anchor`, and how many events
    were read to find it (all of them when the chain is whole).

    Incidents and annual reviews keep their records the same way, so one walk serves both and
    an auditor reads the same words for the same fault in either. `events` come in sequence
    order; `last_recorded` is the sequence the owning row says it reached, which is what shows
    events cut from the end; `owner` ("incident", "review") names that row in the message.
    """
    previous_hash, expected, walked = anchor, 1, 0
    for event in events:
        walked += 1
        if event.sequence != expected:
            problem = (
                f"appears twice (rows {event.id})"
                if event.sequence < expected
                else f"follows event #{expected - 1}: "
                + ("one event is" if event.sequence == expected + 1 else "events are")
                + " missing"
            )
            return _EventBreak(event.sequence, problem), walked
        if event.previous_hash != previous_hash:
            return _EventBreak(event.sequence, "does not follow the event before it"), walked
        if rehash(event, previous_hash=previous_hash) != event.hash:
            return _EventBreak(event.sequence, "was altered (its content differs)"), walked
        previous_hash, expected = event.hash, expected + 1
    if last_recorded >= expected:
        problem = f"is missing: the {owner} recorded events up to #{last_recorded}"
        return _EventBreak(expected, problem), walked
    return None, walked


async def _check_reviews(
    authority_id: int | None, code: str, session: AsyncSession, result: Verification
) -> None:
    """Each annual review's record, and the chain of the authority's reviews (as incidents)."""
    reviews = (
        await session.exec(
            select(AnnualReview)
            .where(AnnualReview.authority_id == authority_id)
            .order_by(col(AnnualReview.chain_position), col(AnnualReview.created_at))
        )
    ).all()
    previous_anchor, expected_position = GENESIS, 1
    for review in reviews:
        where = f"{code} review {review.year}"
        if review.chain_position is None:
            recorded = (
                await session.exec(
                    select(ReviewEvent.sequence).where(ReviewEvent.review_id == review.id).limit(1)
                )
            ).first()
            if recorded is not None or review.last_event_sequence:
                result.breaks.append(
                    Break(code, where, None, "has a record but is not in the chain")
                )
            continue
        if review.chain_position != expected_position:
            result.breaks.append(
                Break(
                    code,
                    where,
                    None,
                    f"is review {review.chain_position} of the authority's chain, but review "
                    f"{expected_position} is missing",
                )
            )
        elif review.previous_anchor != previous_anchor:
            result.breaks.append(Break(code, where, None, "does not follow the previous review"))
        await _check_review_events(review, code, where, session, result)
        previous_anchor, expected_position = review.anchor or "", review.chain_position + 1


async def _check_review_events(
    review: AnnualReview, code: str, where: str, session: AsyncSession, result: Verification
) -> None:
    result.reviews += 1
    anchor = anchor_of_review(
        review, previous_anchor=review.previous_anchor or "", position=review.chain_position or 0
    )
    if anchor != review.anchor:
        result.breaks.append(
            Break(code, where, None, "the review as opened was altered (its anchor differs)")
        )
        return
    events = (
        await session.exec(
            select(ReviewEvent)
            .where(ReviewEvent.review_id == review.id)
            .order_by(col(ReviewEvent.sequence), col(ReviewEvent.id))
        )
    ).all()
    broken, walked = _walk_chain(
        anchor,
        events,
        hash_of_review_event,
        last_recorded=review.last_event_sequence,
        owner="review",
    )
    result.review_events += walked
    if broken is not None:
        result.breaks.append(Break(code, where, broken.sequence, broken.problem))


async def _check_head(head: Head, session: AsyncSession, result: Verification) -> None:
    result.heads += 1
    if head.of_incident:
        found = (
            await session.exec(
                select(TimelineEvent.hash)
                .join(Incident, col(Incident.id) == TimelineEvent.incident_id)
                .where(Incident.reference == head.subject, TimelineEvent.sequence == head.position)
            )
        ).first()
        what = f"{head.subject} event #{head.position}"
    else:
        found = (
            await session.exec(
                select(Incident.anchor)
                .join(Authority, col(Authority.id) == Incident.authority_id)
                .where(Authority.code == head.subject, Incident.chain_position == head.position)
            )
        ).first()
        what = f"{head.subject} incident {head.position} of its chain"
    if found is None:
        result.breaks.append(Break("", None, None, f"kept head {head}: {what} is gone"))
    elif found != head.digest:
        result.breaks.append(
            Break("", None, None, f"kept head {head}: {what} no longer matches it")
        )


async def heads(*, session: AsyncSession, incident: Incident | None = None) -> list[Head]:
    """The heads to keep elsewhere: each authority's newest incident anchor and each incident's
    newest event (or one incident's only)."""
    query = select(Incident, Authority.code).join(
        Authority, col(Authority.id) == Incident.authority_id
    )
    if incident is not None:
        query = query.where(Incident.id == incident.id)
    found: list[Head] = []
    newest: dict[str, Head] = {}
    for row, code in (await session.exec(query.order_by(col(Incident.reference)))).all():
        if row.chain_position is None or row.anchor is None:
            continue
        last = (
            await session.exec(
                select(TimelineEvent.sequence, TimelineEvent.hash)
                .where(TimelineEvent.incident_id == row.id)
                .order_by(col(TimelineEvent.sequence).desc())
                .limit(1)
            )
        ).first()
        if last is not None:
            found.append(Head(row.reference, last[0], last[1], of_incident=True))
        if incident is None and (code not in newest or newest[code].position < row.chain_position):
            newest[code] = Head(code, row.chain_position, row.anchor, of_incident=False)
    return [*sorted(newest.values(), key=lambda h: h.subject), *found]
