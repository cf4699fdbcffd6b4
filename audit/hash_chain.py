"""The hash chain that makes the timeline tamper-evident.

Every timeline event carries the SHA-256 of its own content and of the event before it, so
editing, removing or reordering any row breaks every later link. An incident's first event
chains to the incident's *anchor*, which seals the report as it was opened and chains to the
anchor of the authority's previous incident: deleting a whole incident breaks the next one.

A chain anybody can recompute proves nothing against somebody who rewrites an incident's events
from some point on and recomputes the rest, so heads are kept elsewhere (the closure email's
record seal, `concordat audit head`; `concordat audit verify --expect` checks them), and replay
compares the events with Temporal's own history of the incident.

The canonical form is JSON with sorted keys and UTC timestamps to the microsecond, computed from
the values exactly as stored, so any auditor can recompute it without Concordat's code.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

#: The link before an authority's first incident.
GENESIS = "0" * 64

#: Bumped if the canonical form ever changes; part of every hashed record.
CHAIN_VERSION = 1


def timestamp(moment: datetime) -> str:
    """One spelling of a moment: UTC, microseconds, a Z suffix."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _digest(record: dict[str, Any]) -> str:
    canonical = json.dumps(
        {"chain_version": CHAIN_VERSION, **record},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def event_hash(
    *,
    previous_hash: str,
    incident_id: str,
    sequence: int,
    kind: str,
    occurred_at: datetime,
    actor: str,
    summary: str,
    detail: dict[str, Any],
) -> str:
    return _digest(
        {
            "previous_hash": previous_hash,
            "incident_id": incident_id,
            "sequence": sequence,
            "kind": kind,
            "occurred_at": timestamp(occurred_at),
            "actor": actor,
            "summary": summary,
            "detail": detail,
        }
    )


def incident_anchor(
    *,
    previous_anchor: str,
    position: int,
    incident_id: str,
    authority_id: int,
    reference: str,
    title: str,
    description: str,
    incident_type: str,
    tlp: str,
    exercise: bool,
    detected_at: datetime,
    aware_at: datetime,
    reporter_name: str,
    reporter_email: str,
    opened_by: str,
) -> str:
    """Seals the report as the on-call officer made it; assessments change later, and are
    sealed in the timeline events that record them."""
    return _digest(
        {
            "previous_anchor": previous_anchor,
            "position": position,
            "incident_id": incident_id,
            "authority_id": authority_id,
            "reference": reference,
            "title": title,
            "description": description,
            "incident_type": incident_type,
            "tlp": tlp,
            "exercise": exercise,
            "detected_at": timestamp(detected_at),
            "aware_at": timestamp(aware_at),
            "reporter_name": reporter_name,
            "reporter_email": reporter_email,
            "opened_by": opened_by,
        }
    )


def anchor_of(incident: Any, *, previous_anchor: str, position: int) -> str:
    """The anchor of an incident row (anything with the `Incident` table's attributes)."""
    return incident_anchor(
        previous_anchor=previous_anchor,
        position=position,
        incident_id=incident.id,
        authority_id=incident.authority_id,
        reference=incident.reference,
        title=incident.title,
        description=incident.description,
        incident_type=str(incident.incident_type),
        tlp=str(incident.tlp),
        exercise=bool(incident.exercise),
        detected_at=incident.detected_at,
        aware_at=incident.aware_at,
        reporter_name=incident.reporter_name,
        reporter_email=incident.reporter_email,
        opened_by=incident.opened_by,
    )


def hash_of(event: Any, *, previous_hash: str) -> str:
    """The hash of a timeline row (anything with the `TimelineEvent` table's attributes)."""
    return event_hash(
        previous_hash=previous_hash,
        incident_id=event.incident_id,
        sequence=event.sequence,
        kind=str(event.kind),
        occurred_at=event.occurred_at,
        actor=event.actor,
        summary=event.summary,
        detail=event.detail,
    )
