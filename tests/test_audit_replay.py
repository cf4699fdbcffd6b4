"""Auditors replay an incident from its Temporal history: at any moment, after closure, and
after the server has deleted the history (from the archive)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from audit.history import fetch_from_server
from audit.rebuild import rebuild_incident
from audit.verify import Head, verify
from domain.commands import Acknowledge, CloseIncident
from domain.obligations import Body, PersonalDataRisk
from domain.vocabulary import Chain, EventKind, MemberRole, NcscCategory, Stage
from models import HistoryArchive, Incident
from runtime.database import Database
from runtime.settings import Settings
from runtime.temporal import bundled_binary
from tests.conftest import TEST_PAYLOAD_KEYS
from tests.support import MailServer, eventually, make_authority, start_incident, wait_for_events
from worker import build_worker
from workflows import IncidentWorkflow

CONCORDAT = str(Path(sys.executable).parent / "concordat")
ROLE = MemberRole


async def _incident(database: Database, handle: WorkflowHandle) -> Incident:
    async with database.session() as session:
        found = await session.get(
            Incident, handle.id.removeprefix("incident-"), populate_existing=True
        )
    assert found is not None
    return found


async def test_the_state_at_any_moment_of_an_escalated_incident(
    time_skipping: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    mail_server: MailServer,
) -> None:
    council = await make_authority(database)
    queue = f"audit-{uuid.uuid4()}"
    async with build_worker(time_skipping.client, database, settings, task_queue=queue):
        handle = await start_incident(
            time_skipping.client,
            database,
            council,
            queue,
            category=NcscCategory.SUBSTANTIAL,
            personal_data=True,
            personal_data_risk=PersonalDataRisk.RISK,
        )
        await wait_for_events(database, handle, EventKind.ACKNOWLEDGEMENT_REQUESTED, count=2)
        await time_skipping.sleep(timedelta(minutes=30))
        await handle.execute_update(
            IncidentWorkflow.acknowledge,
            Acknowledge(member_id=council.members[ROLE.SENIOR_MANAGEMENT_MEMBER], actor="SMM"),
        )
        await time_skipping.sleep(timedelta(hours=5))
        await wait_for_events(database, handle, EventKind.UNACKNOWLEDGED)

        incident = await _incident(database, handle)
        async with database.session() as session:
            replay = await rebuild_incident(
                incident,
                client=time_skipping.client,
                converter=time_skipping.client.data_converter,
                session=session,
            )

    assert replay.source == "server" and replay.sound, replay.findings()
    opened = next(
        e.occurred_at for e in replay.entries if e.kind == EventKind.ACKNOWLEDGEMENT_REQUESTED
    )
    ico_deadline = incident.aware_at + timedelta(hours=72)

    def at(minutes: int):
        from audit.as_of import state_as_of

        return state_as_of(replay.entries, opened + timedelta(minutes=minutes))

    # Category 4: an hour to acknowledge at each level, one reminder before the deputy.
    early = at(20)
    executive = early.chains[0]
    assert early.stage == Stage.REPORTING  # the ICO clock runs from the start
    assert (executive.chain, executive.level, _minutes(executive.time_left)) == (
        Chain.EXECUTIVE,
        1,
        40,
    )
    assert executive.asked is not None and executive.asked.startswith("Executive Member")
    assert early.acknowledgements == []
    [ico] = [c for c in early.clocks if c.body == Body.ICO]
    assert ico.state == "due" and ico.deadline == ico_deadline
    assert ico.time_left == ico_deadline - (opened + timedelta(minutes=20))

    after_ack = at(90)
    assert [a.who for a in after_ack.acknowledgements] == [
        "Senior Management Member " + executive.asked.split()[-1]
    ]
    assert after_ack.chains[1].acknowledged_by is not None
    assert (after_ack.chains[0].level, _minutes(after_ack.chains[0].time_left)) == (
        1,
        30,  # the reminder at 60 minutes gave another hour
    )

    deputy = at(150).chains[0]
    assert deputy.level == 2 and deputy.asked.startswith("Deputy Executive Member")
    assert _minutes(deputy.time_left) == 30

    late = at(300).chains[0]
    assert late.unacknowledged and late.time_left is None


def _minutes(span: timedelta | None) -> int | None:
    """Timers fire a few milliseconds late; an auditor reads minutes."""
    return None if span is None else round(span / timedelta(minutes=1))


async def _concordat(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own, waited for off the event loop, where the session's
    worker runs."""
    env = os.environ | {
        "CONCORDAT_DATABASE_URL": database_url,
        "CONCORDAT_TEMPORAL_ADDRESS": "127.0.0.1:1",  # nothing listens: the archive must do
        "CONCORDAT_PAYLOAD_KEYS": TEST_PAYLOAD_KEYS,
    }
    return await asyncio.to_thread(
        subprocess.run,  # our own command
        [CONCORDAT, "audit", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


async def test_a_closed_incident_is_archived_and_replays_after_the_server_forgets_it(
    dev_server: WorkflowEnvironment,
    dev_worker: None,
    dev_settings: Settings,
    database: Database,
    database_url: str,
    mail_server: MailServer,
    tmp_path: Path,
) -> None:
    council = await make_authority(database, reporting=False)
    client = dev_server.client
    handle = await start_incident(
        client, database, council, dev_settings.task_queue, category=NcscCategory.LOCALISED
    )
    await wait_for_events(database, handle, EventKind.ACKNOWLEDGEMENT_REQUESTED, count=2)
    for role in (ROLE.EXECUTIVE_MEMBER, ROLE.SENIOR_MANAGEMENT_MEMBER):
        await handle.execute_update(
            IncidentWorkflow.acknowledge, Acknowledge(member_id=council.members[role], actor="m")
        )
    await handle.execute_update(
        IncidentWorkflow.close,
        CloseIncident(actor="On-call Officer", summary="Phishing mailbox cleaned; no data lost."),
    )
    await handle.result()

    # The closure email carries the record's seal: the hash of the closure event.
    closure = await mail_server.inbox.wait_for(
        lambda m: m.to.endswith(council.domain) and "closed" in m.subject, count=2
    )
    seal_line = next(
        line for line in closure[0].text().splitlines() if line.startswith("Record seal: ")
    )
    seal = Head.parse(seal_line.removeprefix("Record seal: "))
    incident = await _incident(database, handle)
    assert seal.subject == incident.reference
    closed_event = await wait_for_events(database, handle, EventKind.CLOSED)
    assert seal.position == closed_event[0].sequence

    async def archived() -> HistoryArchive | None:
        async with database.session() as session:
            return await session.get(HistoryArchive, incident.id)

    archive = await eventually(archived, timeout=60)
    assert archive.runs == 1 and archive.events > 20

    # A server that has never seen the incident, as after the retention period has passed.
    forgetful = await WorkflowEnvironment.start_local(
        data_converter=client.data_converter,
        dev_server_existing_path=bundled_binary("temporal"),
        dev_server_log_level="error",
    )
    try:
        assert await fetch_from_server(forgetful.client, handle.id) is None
        async with database.session() as session:
            replay = await rebuild_incident(
                incident,
                client=forgetful.client,
                converter=forgetful.client.data_converter,
                session=session,
            )
            checked = await verify(session=session, incident=incident, expect=[seal])
    finally:
        await forgetful.shutdown()
    assert replay.source == "archive"
    assert replay.sound, replay.findings()
    assert checked.intact
    kinds = [e.kind for e in replay.entries]
    assert kinds[0] == EventKind.OPENED and EventKind.CLOSED in kinds
    assert kinds.count(EventKind.ACKNOWLEDGED) == 2
    told = [e for e in replay.entries if e.kind == EventKind.NOTIFICATION_SENT]
    assert len(told) == 4  # two requests, two closure emails

    exported = await _concordat(
        database_url, "replay", incident.reference, "--format", "json", "--source", "archive"
    )
    assert exported.returncode == 0, exported.stderr
    document = json.loads(exported.stdout)
    assert document["history_source"] == "archive" and document["checks"]["sound"]
    assert [row["sequence"] for row in document["timeline"]] == list(
        range(1, len(replay.entries) + 1)
    )
    assert all(row["hash"] for row in document["timeline"])

    page = tmp_path / "replay.html"
    written = await _concordat(
        database_url, "replay", incident.reference, "--format", "html", "--output", str(page)
    )
    assert written.returncode == 0, written.stderr
    assert "reading the archive" in written.stderr
    assert f"Incident {incident.reference}" in page.read_text()


@pytest.mark.parametrize("output_format", ["text", "csv"])
async def test_replay_refuses_an_incident_with_no_history(
    database: Database, database_url: str, output_format: str
) -> None:
    from tests.support import open_test_incident

    council = await make_authority(database)
    incident = await open_test_incident(database, council)
    result = await _concordat(database_url, "replay", incident.reference, "--format", output_format)
    assert result.returncode == 2
    assert "No history" in result.stderr
    bad = await _concordat(database_url, "replay", incident.reference, "--as-of", "yesterday")
    assert bad.returncode == 2 and "not a date and time" in bad.stderr
