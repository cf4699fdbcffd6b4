"""After closure: the incident's timeline passes to its post-incident process, which records
what arrives later on the same hash chain and runs the review."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from audit.verify import verify
from domain.commands import RecordSubmission
from domain.evidence import (
    AttachEvidence,
    CustodyMethod,
    CustodyRecipient,
    EvidenceFile,
    RecordCustody,
)
from domain.obligations import Body, SubmissionPhase
from domain.post_incident import (
    AddAction,
    CompleteAction,
    Owner,
    ReviewStatus,
    SignOffReview,
    UpdateReview,
)
from domain.vocabulary import EventKind, MemberRole
from models import EvidenceFile as EvidenceRow
from models import Incident, IncidentReview, ReviewAction
from runtime.database import Database
from runtime.settings import Settings
from services.after_alarm import record_after_alarm, update_post_incident
from services.temporal_gateway import UpdateRefused
from tests.support import (
    make_authority,
    settle_and_close,
    start_incident,
    timeline,
    wait_for_events,
)
from workflows import IncidentWorkflow


def _evidence(name: str, content: bytes) -> EvidenceFile:
    return EvidenceFile(
        file_id=hashlib.sha256(name.encode()).hexdigest()[:32],
        name=name,
        content_type="text/plain",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        storage_key=f"evidence/test/{name}",
    )


async def _incident(database: Database, incident_id: str) -> Incident:
    async with database.session() as session:
        found = await session.get(Incident, incident_id)
        assert found is not None
        return found


async def test_the_record_goes_on_after_closure_on_one_chain(
    dev_server: WorkflowEnvironment, database: Database, dev_settings: Settings, dev_worker: None
) -> None:
    council = await make_authority(database)
    handle = await start_incident(dev_server.client, database, council, dev_settings.task_queue)
    incident_id = handle.id.removeprefix("incident-")
    note = _evidence("ransom-note.txt", b"Your files are encrypted.")
    await wait_for_events(database, handle, EventKind.TRIAGED)
    await handle.execute_update(
        IncidentWorkflow.attach_evidence, AttachEvidence(files=[note], actor="officer")
    )
    await settle_and_close(handle, "Restored from backups.")
    await handle.result()

    started = await wait_for_events(database, handle, EventKind.REVIEW_STARTED)
    assert started[0].detail["owner"]["member_role"] == MemberRole.SENIOR_MANAGEMENT_MEMBER.value

    incident = await _incident(database, incident_id)
    headers = _evidence("headers.eml", b"Received: from attacker")
    await record_after_alarm(
        incident,
        "attach_evidence",
        AttachEvidence(files=[headers], actor="officer"),
        temporal=dev_server.client,
        task_queue=dev_settings.task_queue,
    )
    await record_after_alarm(
        incident,
        "record_custody",
        RecordCustody(
            file_ids=[note.file_id, headers.file_id],
            recipient=CustodyRecipient.POLICE_REGIONAL_CYBER_UNIT,
            recipient_name="Regional cyber crime unit",
            method=CustodyMethod.EVIDENCE_BUNDLE,
            handed_over_at=datetime.now(UTC),
            actor="officer",
        ),
        temporal=dev_server.client,
        task_queue=dev_settings.task_queue,
    )
    await update_post_incident(
        incident,
        "record_follow_up",
        RecordSubmission(
            body=Body.ICO,
            phase=SubmissionPhase.FOLLOW_UP,
            summary="The number of records is 1,204.",
            actor="dpo",
        ),
        temporal=dev_server.client,
        task_queue=dev_settings.task_queue,
    )
    await wait_for_events(database, handle, EventKind.OBLIGATION_SUBMITTED)
    await wait_for_events(database, handle, EventKind.CUSTODY_TRANSFERRED)

    events = await timeline(database, handle)
    assert [e.sequence for e in events] == list(range(1, len(events) + 1))
    assert [e.kind for e in events].count(EventKind.EVIDENCE_ADDED) == 2
    async with database.session() as session:
        kept = (
            await session.exec(select(EvidenceRow).where(EvidenceRow.incident_id == incident_id))
        ).all()
        assert {row.sha256 for row in kept} == {note.sha256, headers.sha256}
        checked = await verify(session=session, incident=await session.get(Incident, incident_id))
        assert checked.intact


async def test_sign_off_waits_for_every_action(
    dev_server: WorkflowEnvironment, database: Database, dev_settings: Settings, dev_worker: None
) -> None:
    council = await make_authority(database)
    handle = await start_incident(dev_server.client, database, council, dev_settings.task_queue)
    incident_id = handle.id.removeprefix("incident-")
    await wait_for_events(database, handle, EventKind.TRIAGED)
    await settle_and_close(handle, "Contained at the firewall.")
    await handle.result()
    await wait_for_events(database, handle, EventKind.REVIEW_STARTED)
    incident = await _incident(database, incident_id)

    async def ask(update: str, command: object) -> None:
        await update_post_incident(
            incident,
            update,
            command,
            temporal=dev_server.client,
            task_queue=dev_settings.task_queue,
        )

    await ask("update_review", UpdateReview(root_cause="An unpatched VPN.", actor="smm"))
    due = date.today() + timedelta(days=14)
    await ask(
        "add_action",
        AddAction(
            title="Patch the VPN within 48 hours of every advisory",
            owner=Owner(member_role=MemberRole.SENIOR_MANAGEMENT_MEMBER, name="SMM"),
            due_on=due,
            due_at=datetime(due.year, due.month, due.day, 23, 59, tzinfo=UTC),
            actor="smm",
        ),
    )
    with pytest.raises(UpdateRefused, match="Actions 1 are still open"):
        await ask("sign_off_review", SignOffReview(actor="smm"))
    await ask(
        "complete_action", CompleteAction(number=1, note="Patched; runbook changed.", actor="it")
    )
    await ask("sign_off_review", SignOffReview(actor="smm"))
    await wait_for_events(database, handle, EventKind.REVIEW_SIGNED_OFF)

    async with database.session() as session:
        review = await session.get(IncidentReview, incident_id)
        assert review is not None and review.status is ReviewStatus.SIGNED_OFF
        action = await session.get(ReviewAction, (incident_id, 1))
        assert action is not None and action.done_in_time is True
