"""A long incident continues as a new run: nothing is lost, nothing is sent twice, and the
auditor's replay reads every run as one incident."""

from __future__ import annotations

import uuid
from datetime import timedelta

from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from audit.rebuild import rebuild_incident
from audit.verify import verify
from domain.incident import OpenIncident
from domain.obligations import Body, PersonalDataRisk
from domain.vocabulary import EventKind, MemberRole, NcscCategory
from models import Incident
from runtime.database import Database
from runtime.settings import Settings
from services.incidents import details_of
from tests.support import (
    MailServer,
    acknowledge_both_chains,
    add_notes,
    make_authority,
    open_test_incident,
    timeline,
)
from worker import build_worker
from workflows import IncidentWorkflow

ROLE = MemberRole


async def test_a_long_incident_continues_as_new_and_keeps_its_clocks(
    time_skipping: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    mail_server: MailServer,
) -> None:
    council = await make_authority(database)
    queue = f"continue-{uuid.uuid4()}"
    client = time_skipping.client
    row = await open_test_incident(
        database,
        council,
        category=NcscCategory.SUBSTANTIAL,
        personal_data=True,
        personal_data_risk=PersonalDataRisk.RISK,
    )
    async with build_worker(client, database, settings, task_queue=queue):
        handle = await client.start_workflow(
            IncidentWorkflow.run,
            OpenIncident(details=details_of(row, council.authority), history_limit=150),
            id=row.workflow_id,
            task_queue=queue,
        )
        first_run = (await handle.describe()).run_id
        await mail_server.inbox.wait_for(lambda m: m.to.endswith(council.domain), count=2)
        await acknowledge_both_chains(handle, council)
        await add_notes(handle, 30)
        # The ICO's 24-hour reminder still fires, once, in the later run.
        await time_skipping.sleep(timedelta(hours=25))
        latest = await handle.describe()
        history = await handle.fetch_history()

        incident = await _incident(database, row.id)
        async with database.session() as session:
            replay = await rebuild_incident(
                incident, client=client, converter=client.data_converter, session=session
            )
            chain = await verify(session=session, incident=incident)

    assert latest.run_id != first_run
    started = history.events[0].workflow_execution_started_event_attributes
    assert started.first_execution_run_id == first_run
    assert history.events[0].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED

    events = await timeline(database, handle)
    assert [e.sequence for e in events] == list(range(1, len(events) + 1))
    assert sum(e.kind == EventKind.NOTE_ADDED for e in events) == 30
    reminders = [
        e
        for e in events
        if e.kind == EventKind.OBLIGATION_REMINDER and e.detail["body"] == Body.ICO.value
    ]
    assert [e.detail["reminder_number"] for e in reminders] == [1]
    assert chain.intact

    assert replay.check is not None and replay.check.runs >= 2
    assert replay.sound, replay.findings()
    assert [e.sequence for e in replay.entries] == [e.sequence for e in events]

    reminder_mails = mail_server.inbox.messages(
        lambda m: (
            m.to.endswith(council.domain) and "reminder" in m.subject.lower() and "ICO" in m.text()
        )
    )
    assert len(reminder_mails) == 1  # the ICO clock's owner, once


async def _incident(database: Database, incident_id: str) -> Incident:
    async with database.session() as session:
        found = await session.get(Incident, incident_id, populate_existing=True)
    assert found is not None
    return found
