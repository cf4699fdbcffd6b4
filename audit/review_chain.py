"""The hash chain that makes each annual review's record tamper-evident.

The same canonical form as the incidents' timeline (`audit.hash_chain`): every event carries
the SHA-256 of its content and of the event before it. A review's first event hangs from the
review's *anchor*, which seals whose review it is, for which year and how it was opened, and
chains to the anchor of the authority's previous review: removing a whole review breaks the
next one, as removing an incident does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from audit.hash_chain import _digest, timestamp


def review_anchor(
    *,
    previous_anchor: str,
    position: int,
    authority_id: int,
    year: int,
    workflow_id: str,
    opened_by: str,
    opened_at: datetime,
    due_at: datetime,
) -> str:
    return _digest(
        {
            "record": "annual_review",
            "previous_anchor": previous_anchor,
            "position": position,
            "authority_id": authority_id,
            "year": year,
            "workflow_id": workflow_id,
            "opened_by": opened_by,
            "opened_at": timestamp(opened_at),
            "due_at": timestamp(due_at),
        }
    )


def review_event_hash(
    *,
    previous_hash: str,
    authority_id: int,
    year: int,
    sequence: int,
    kind: str,
    occurred_at: datetime,
    actor: str,
    summary: str,
    detail: dict[str, Any],
) -> str:
    return _digest(
        {
            "record": "annual_review",
            "previous_hash": previous_hash,
            "authority_id": authority_id,
            "year": year,
            "sequence": sequence,
            "kind": kind,
            "occurred_at": timestamp(occurred_at),
            "actor": actor,
            "summary": summary,
            "detail": detail,
        }
    )


def anchor_of_review(review: Any, *, previous_anchor: str, position: int) -> str:
    """The anchor of a review row (anything with the `AnnualReview` table's attributes)."""
    return review_anchor(
        previous_anchor=previous_anchor,
        position=position,
        authority_id=review.authority_id,
        year=review.year,
        workflow_id=review.workflow_id,
        opened_by=review.opened_by,
        opened_at=review.opened_at,
        due_at=review.due_at,
    )


def hash_of_review_event(event: Any, *, previous_hash: str) -> str:
    """The hash of a review event row (anything with the `ReviewEvent` table's attributes)."""
    return review_event_hash(
        previous_hash=previous_hash,
        authority_id=event.authority_id,
        year=event.year,
        sequence=event.sequence,
        kind=event.kind,
        occurred_at=event.occurred_at,
        actor=event.actor,
        summary=event.summary,
        detail=event.detail,
    )
