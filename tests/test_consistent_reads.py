"""Every hash-chain check reads one consistent snapshot: a timeline being written is never
reported as tampered with.

The workflow writes an incident's timeline in batches while officers and auditors read it. A
check that read the incident row in one statement and its events in another could see the row
from before a batch and the events from after it, and call an intact chain broken; a false
tamper alarm is as bad as a missed one.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from runtime.database import Database
from services.tokens import issue_token
from tests.test_api import Officer, officer_for

#: Incidents of one authority opened at once, so that several timelines (and the links
#: between their anchors) are being written while they are read.
INCIDENTS = 3
#: Readings of each timeline once it has events; each reader stays within its token's limit.
AFTER_FIRST_EVENTS = 100
GIVE_UP_SECONDS = 30


async def _read_while_written(officer: Officer, incident_id: str) -> list[dict[str, Any]]:
    """Read the timeline as fast as it answers, from before its first event until a while
    after."""
    seen: list[dict[str, Any]] = []
    remaining = AFTER_FIRST_EVENTS
    async with asyncio.timeout(GIVE_UP_SECONDS):
        while remaining:
            response = await officer.get(f"/api/incidents/{incident_id}/timeline")
            assert response.status_code == 200, response.text
            seen.append(response.json())
            if seen[-1]["events"]:
                remaining -= 1
    return seen


async def test_a_timeline_read_while_it_is_written_is_never_reported_broken(
    http: httpx.AsyncClient, database: Database
) -> None:
    council = (await officer_for(database, http)).council

    async def open_and_read(number: int) -> list[dict[str, Any]]:
        async with database.session() as session:
            _, token = await issue_token(
                f"reader {number} of {council.code}", authority_id=council.id, session=session
            )
        officer = Officer(http, token, council)
        created = await officer.open()
        return await _read_while_written(officer, created["id"])

    readings = [
        reading
        for readings in await asyncio.gather(*(open_and_read(n) for n in range(INCIDENTS)))
        for reading in readings
    ]

    broken = [reading["chain"] for reading in readings if not reading["chain"]["intact"]]
    assert not broken, f"{len(broken)} of {len(readings)} readings called the chain broken"
    # The readings did overlap the writing: some saw an empty timeline or part of it.
    lengths = {len(reading["events"]) for reading in readings}
    assert len(lengths) > 1, lengths
    for reading in readings:
        events = reading["events"]
        assert [event["sequence"] for event in events] == list(range(1, len(events) + 1))
        if events:
            last = events[-1]
            assert reading["chain"]["seal"] == (
                f"{reading['reference']}#{last['sequence']}:{last['hash']}"
            )
        else:
            assert reading["chain"]["seal"] is None
