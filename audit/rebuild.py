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
from audit.replay import compare_with_database, replay_with_current_code, timeline_from_history
from audit.report import IncidentReplay
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
    stored = await checked_timeline(incident.id, session=session)
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
        differences=compare_with_database(recorded, stored.events),
        chain=stored.chain,
        as_of=state_as_of(recorded.entries, as_of) if as_of is not None else None,
    )


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
