"""Closing an incident that nobody acknowledged: the record says the escalation stopped, and why."""

from __future__ import annotations

import httpx
from temporalio.testing import WorkflowEnvironment

from domain.commands import CloseIncident
from domain.vocabulary import Chain, EventKind, MemberRole
from runtime.database import Database
from runtime.settings import Settings
from tests.support import (
    acknowledge_both_chains,
    make_authority,
    make_user,
    settle_and_close,
    sign_in,
    start_incident,
    timeline,
    wait_for_events,
)
from workflows import IncidentWorkflow


async def test_closing_stops_each_unanswered_chain_on_the_record(
    dev_server: WorkflowEnvironment,
    database: Database,
    dev_settings: Settings,
    dev_worker: None,
    http: httpx.AsyncClient,
) -> None:
    council = await make_authority(database)
    handle = await start_incident(
        dev_server.client, database, council, dev_settings.task_queue, personal_data=True
    )
    await wait_for_events(database, handle, EventKind.ACKNOWLEDGEMENT_REQUESTED, count=2)
    closed = await settle_and_close(handle, "A false alarm: the server was being patched.")

    assert all(chain.stopped_at == closed.closed_at for chain in closed.chains)
    assert all(chain.respond_by is None for chain in closed.chains)
    stopped = await wait_for_events(database, handle, EventKind.ESCALATION_STOPPED, count=2)
    assert {e.detail["chain"] for e in stopped} == {c.value for c in Chain}
    executive = next(e for e in stopped if e.detail["chain"] == Chain.EXECUTIVE.value)
    assert executive.detail["member_id"] == council.members[MemberRole.EXECUTIVE_MEMBER]
    assert executive.detail["reason"] == "incident_closed"
    assert "closed while waiting for Executive Member" in executive.summary
    assert all(e.occurred_at == stopped[0].occurred_at for e in stopped)
    await handle.result()

    officer, password = await make_user(database, council)
    await sign_in(http, officer.email, password)
    http.cookies.set("concordat_language", "en")
    page = (await http.get(f"/incidents/{handle.id.removeprefix('incident-')}")).text
    assert page.count("Stopped when the incident closed") == 2
    assert "Waiting / Yn aros" not in page


async def test_closing_after_both_acknowledged_stops_nothing(
    dev_server: WorkflowEnvironment, database: Database, dev_settings: Settings, dev_worker: None
) -> None:
    council = await make_authority(database, reporting=False)
    handle = await start_incident(dev_server.client, database, council, dev_settings.task_queue)
    await wait_for_events(database, handle, EventKind.ACKNOWLEDGEMENT_REQUESTED, count=2)
    await acknowledge_both_chains(handle, council)
    closed = await handle.execute_update(
        IncidentWorkflow.close,
        CloseIncident(summary="Contained and recovered from backups.", actor="officer"),
    )
    await handle.result()
    assert all(chain.stopped_at is None for chain in closed.chains)
    await wait_for_events(database, handle, EventKind.CLOSED)
    assert not [
        e for e in await timeline(database, handle) if e.kind == EventKind.ESCALATION_STOPPED
    ]
