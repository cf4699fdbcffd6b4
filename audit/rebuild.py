"""Put an incident's replay together: find its history, decode it, check it, fold it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.converter import DataConverter
from temporalio.service import RPCError

from audit.as_of import state_as_of
from audit.history import IncidentHistory, fetch_from_server, load_archive
from audit.replay import (
    compare_with_database,
    joined,
    replay_with_current_code,
    timeline_from_history,
)
from audit.report import IncidentReplay
from domain.post_incident import post_incident_workflow_id
from models import Incident
from services.timeline import checked_timeline, entry_of

Preference = Literal["auto", "server", "archive"]


class NoHistory(LookupError):
    """Neither the server nor the archive has the incident's history."""


async def find_history(
    incident: Incident,
    *,
    client: Client | None,
    session: AsyncSession,
    prefer: Preference = "auto",
) -> IncidentHistory:
    """The live server's copy while it has one (it is the source of truth), else the archive."""
    if prefer != "archive" and client is not None:
        try:
            found = await fetch_from_server(client, incident.workflow_id)
        except RPCError:
            if prefer == "server":
                raise
            found = None  # the server is unreachable: the archive may still answer
        if found is not None:
            return found
    if prefer != "server":
        archived = await load_archive(incident.id, session=session)
        if archived is not None:
            return archived
    where = {"auto": "the server or the archive", "server": "the server", "archive": "the archive"}
    raise NoHistory(f"{where[prefer]} has no history of incident {incident.reference}")


async def rebuild_incident(
    incident: Incident,
    *,
    client: Client | None,
    converter: DataConverter,
    session: AsyncSession,
    prefer: Preference = "auto",
    as_of: datetime | None = None,
    replay_code: bool = True,
) -> IncidentReplay:
    history = await find_history(incident, client=client, session=session, prefer=prefer)
    await session.commit()  # hold no database transaction through the slow part
    recorded = await timeline_from_history(history, converter)
    check = await replay_with_current_code(history, converter) if replay_code else None
    after = await _post_incident_history(incident, client=client, prefer=prefer)
    if after is not None:
        recorded = joined(recorded, await timeline_from_history(after, converter))
        if check is not None:
            check = check + await replay_with_current_code(after, converter)
    stored = await checked_timeline(incident.id, session=session)
    last_known = max((e.sequence for e in [*recorded.entries, *recorded.pending]), default=0)
    unread = [e.sequence for e in stored.events if e.sequence > last_known]
    return IncidentReplay(
        reference=stored.incident.reference,
        incident_id=incident.id,
        authority=stored.authority,
        title=stored.incident.title,
        source=history.source,
        entries=recorded.entries,
        pending=recorded.pending,
        hashes={event.sequence: event.hash for event in stored.events},
        check=check,
        differences=compare_with_database(
            recorded, stored.events, up_to=last_known if after is None and unread else None
        ),
        chain=stored.chain,
        as_of=state_as_of(recorded.entries, as_of) if as_of is not None else None,
        after_closure_unread=len(unread) if after is None else 0,
    )


async def _post_incident_history(
    incident: Incident, *, client: Client | None, prefer: Preference
) -> IncidentHistory | None:
    """The history of the process that holds the timeline after closure, while the server
    has it (it runs for as long as the record may grow); None when it cannot be read."""
    if incident.closed_at is None or client is None or prefer == "archive":
        return None
    try:
        return await fetch_from_server(client, post_incident_workflow_id(incident.workflow_id))
    except RPCError:
        return None


async def rebuild_from_database(
    incident: Incident,
    *,
    session: AsyncSession,
    as_of: datetime | None = None,
    why: str = "no history was available",
) -> IncidentReplay:
    """The database's record alone, for an incident whose history is out of reach."""
    stored = await checked_timeline(incident.id, session=session)
    entries = [entry_of(event) for event in stored.events]
    return IncidentReplay(
        reference=stored.incident.reference,
        incident_id=incident.id,
        authority=stored.authority,
        title=stored.incident.title,
        source=f"database alone ({why})",
        entries=entries,
        hashes={event.sequence: event.hash for event in stored.events},
        chain=stored.chain,
        as_of=state_as_of(entries, as_of) if as_of is not None else None,
    )
