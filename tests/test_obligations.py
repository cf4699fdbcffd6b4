"""Regulators' clocks on the time-skipping server: the ICO's 72 hours, the NCSC, waivers,
phases, policy snapshots, the breach register and exercises."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from domain.commands import CloseIncident, Reassess, RecordSubmission, WaiveObligation
from domain.obligations import (
    Body,
    ObligationState,
    PersonalDataRisk,
    SubmissionPhase,
)
from domain.vocabulary import EventKind, IncidentType, MemberRole, NcscCategory
from models import ReportingRuleOverride, TimelineEvent
from regimes.shipped import NATIONAL_RULES
from runtime.database import Database
from runtime.settings import Settings
from services import directory, reporting
from tests.support import (
    CouncilUnderTest,
    MailServer,
    eventually,
    make_authority,
    start_incident,
    timeline,
    wait_for_events,
)
from worker import build_worker
from workflows import IncidentWorkflow

UK = ZoneInfo("Europe/London")


@pytest.fixture
def queue() -> str:
    return f"obligations-{uuid.uuid4()}"


async def breach_council(database: Database) -> CouncilUnderTest:
    """A council whose only reporting rules are the personal-data ones."""
    council = await make_authority(database, reporting=False)
    async with database.session() as session:
        for body in (Body.ICO, Body.AFFECTED_INDIVIDUALS):
            await directory.set_reporting_rule(
                council.id,
                ReportingRuleOverride(authority_id=council.id, body=body, enabled=True),
                session=session,
            )
    return council


async def start(
    env: WorkflowEnvironment, database: Database, council: CouncilUnderTest, queue: str, **incident
) -> WorkflowHandle:
    """A personal-data breach (unless told otherwise), running once its directory is loaded."""
    fields: dict[str, Any] = {
        "personal_data": True,
        "incident_type": IncidentType.DATA_LOSS,
    } | incident
    handle = await start_incident(env.client, database, council, queue, **fields)

    async def started() -> bool:
        return (await handle.query(IncidentWorkflow.state)).stage.value != "detected"

    await eventually(started)
    return handle


async def events(
    database: Database, handle: WorkflowHandle, kind: EventKind
) -> list[TimelineEvent]:
    return [e for e in await timeline(database, handle) if e.kind == kind]


async def ico(handle: WorkflowHandle):
    return (await handle.query(IncidentWorkflow.state)).obligation(Body.ICO)


def test_the_72_hours_run_through_weekends_and_clock_changes() -> None:
    rule = NATIONAL_RULES[Body.ICO]
    friday_evening = datetime(2026, 11, 20, 17, 0, tzinfo=UK)
    assert rule.deadline_from(friday_evening) == datetime(2026, 11, 23, 17, 0, tzinfo=UK)
    # Aware on the Friday before the clocks go forward: 72 hours later is 18:00 BST on Monday.
    before_spring_forward = datetime(2026, 3, 27, 17, 0, tzinfo=UK)
    deadline = rule.deadline_from(before_spring_forward).astimezone(UK)
    assert (deadline.day, deadline.hour, deadline.tzname()) == (30, 18, "BST")


async def test_ico_notified_in_time_is_recorded_with_its_evidence(
    time_skipping: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    mail_server: MailServer,
    queue: str,
) -> None:
    council = await breach_council(database)
    async with build_worker(time_skipping.client, database, settings, task_queue=queue):
        handle = await start(time_skipping, database, council, queue)
        [due] = await mail_server.inbox.wait_for(
            lambda m: (
                m.to == council.email(MemberRole.DATA_PROTECTION_OFFICER)
                and "report to the ICO by" in m.subject
            )
        )
        assert "(a) Nature of the breach" in due.text()
        await time_skipping.sleep(timedelta(hours=30))
        await wait_for_events(database, handle, EventKind.OBLIGATION_REMINDER)
        await handle.execute_update(
            IncidentWorkflow.record_submission,
            RecordSubmission(
                body=Body.ICO, reference="IC-123456-A1B2", summary="Initial report", actor="dpo"
            ),
        )
        obligation = await ico(handle)
        assert obligation.state is ObligationState.SUBMITTED and not obligation.late
        await time_skipping.sleep(timedelta(hours=60))
        assert await events(database, handle, EventKind.OBLIGATION_OVERDUE) == []
        # Only the 24-hour reminder fell due before the submission.
        assert len(await events(database, handle, EventKind.OBLIGATION_REMINDER)) == 1
        [submitted] = await wait_for_events(database, handle, EventKind.OBLIGATION_SUBMITTED)
        assert submitted.detail["reference"] == "IC-123456-A1B2"


async def test_a_missed_ico_deadline_escalates_and_a_late_notification_needs_its_reasons(
    time_skipping: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    mail_server: MailServer,
    queue: str,
) -> None:
    council = await breach_council(database)
    async with build_worker(time_skipping.client, database, settings, task_queue=queue):
        handle = await start(time_skipping, database, council, queue)
        await time_skipping.sleep(timedelta(hours=73))
        [overdue] = await wait_for_events(database, handle, EventKind.OBLIGATION_OVERDUE)
        reminders = await wait_for_events(database, handle, EventKind.OBLIGATION_REMINDER, count=3)
        opened = (await ico(handle)).clock_started_at
        assert [round((r.occurred_at - opened) / timedelta(hours=1)) for r in reminders] == [
            24,
            48,
            60,
        ]
        assert round((overdue.occurred_at - opened) / timedelta(hours=1)) == 72

        missed = await mail_server.inbox.wait_for(
            lambda m: m.to.endswith(council.domain) and "DEADLINE MISSED" in m.subject, count=3
        )
        assert {m.to.split("@")[0] for m in missed} == {
            "senior_management_member",
            "executive_member",
            "data_protection_officer",
        }

        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                IncidentWorkflow.record_submission,
                RecordSubmission(body=Body.ICO, reference="IC-1", actor="dpo"),
            )
        assert "Article 33(1)" in str(refused.value.cause)
        await handle.execute_update(
            IncidentWorkflow.record_submission,
            RecordSubmission(
                body=Body.ICO,
                reference="IC-1",
                late_reason="The breach was found on a Sunday",
                actor="dpo",
            ),
        )
        await handle.execute_update(
            IncidentWorkflow.record_submission,
            RecordSubmission(
                body=Body.ICO, phase=SubmissionPhase.FOLLOW_UP, summary="Final numbers", actor="dpo"
            ),
        )
        obligation = await ico(handle)
    assert obligation.state is ObligationState.SUBMITTED and obligation.late
    assert [s.phase for s in obligation.submissions] == [
        SubmissionPhase.INITIAL,
        SubmissionPhase.FOLLOW_UP,
    ]


async def test_follow_ups_come_after_the_initial_submission_and_closure_waits_for_every_body(
    time_skipping: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    queue: str,
) -> None:
    council = await breach_council(database)
    async with build_worker(time_skipping.client, database, settings, task_queue=queue):
        handle = await start(time_skipping, database, council, queue)
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                IncidentWorkflow.record_submission,
                RecordSubmission(body=Body.ICO, phase=SubmissionPhase.FOLLOW_UP, actor="dpo"),
            )
        assert "initial submission" in str(refused.value.cause)
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                IncidentWorkflow.close,
                CloseIncident(summary="Recovered the laptop; data encrypted.", actor="officer"),
            )
        assert "the ICO" in str(refused.value.cause)


async def test_deciding_not_to_notify_needs_a_reason_and_is_kept_in_the_breach_register(
    time_skipping: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    queue: str,
) -> None:
    council = await breach_council(database)
    async with build_worker(time_skipping.client, database, settings, task_queue=queue):
        handle = await start(time_skipping, database, council, queue)
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(
                IncidentWorkflow.waive_obligation,
                WaiveObligation(body=Body.ICO, reason="no", actor="dpo"),
            )
        reason = "The laptop was encrypted and recovered unopened within an hour."
        state = await handle.execute_update(
            IncidentWorkflow.waive_obligation,
            WaiveObligation(body=Body.ICO, reason=reason, actor="Data Protection Officer"),
        )
        assert state.obligation(Body.ICO).state is ObligationState.WAIVED
        await wait_for_events(database, handle, EventKind.OBLIGATION_WAIVED)

    async def recorded():
        async with database.session() as session:
            record = await reporting.breach_of(handle.id.removeprefix("incident-"), session=session)
        return record if record and record.ico_decision == "not_notified" else None

    record = await eventually(recorded)
    assert record.ico_decision_reason == reason
    assert record.ico_decided_by == "Data Protection Officer"


async def test_reassessment_starts_and_drops_obligations_and_never_forgets(
    time_skipping: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    mail_server: MailServer,
    queue: str,
) -> None:
    council = await breach_council(database)
    async with build_worker(time_skipping.client, database, settings, task_queue=queue):
        handle = await start(time_skipping, database, council, queue, personal_data=False)
        assert (await ico(handle)).state is ObligationState.NOT_REQUIRED
        await handle.execute_update(
            IncidentWorkflow.reassess,
            Reassess(
                personal_data=True,
                personal_data_risk=PersonalDataRisk.HIGH,
                reason="Customer records were in the exported file",
                actor="officer",
            ),
        )
        state = await handle.query(IncidentWorkflow.state)
        assert state.obligation(Body.ICO).state is ObligationState.DUE
        # The ICO's clock runs from awareness (ten minutes before opening), not from the
        # reassessment that made it required.
        required = state.obligation(Body.ICO)
        assert required.clock_started_at is not None and required.required_since is not None
        assert required.clock_started_at < required.required_since - timedelta(minutes=5)
        assert required.deadline == required.clock_started_at + timedelta(hours=72)
        assert state.obligation(Body.AFFECTED_INDIVIDUALS).state is ObligationState.DUE

        await handle.execute_update(
            IncidentWorkflow.reassess,
            Reassess(
                personal_data_risk=PersonalDataRisk.UNLIKELY,
                reason="The file was encrypted after all",
                actor="dpo",
            ),
        )
        [dropped, *_] = await wait_for_events(
            database, handle, EventKind.OBLIGATION_NOT_REQUIRED, count=2
        )
        assert dropped.detail["reason"] == "The file was encrypted after all"
        state = await handle.query(IncidentWorkflow.state)
        assert state.obligation(Body.ICO).state is ObligationState.NOT_REQUIRED
        assert state.obligation(Body.ICO).not_required_reason == "The file was encrypted after all"


async def test_an_aware_at_in_the_past_has_already_spent_part_of_the_clock(
    time_skipping: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    queue: str,
) -> None:
    council = await breach_council(database)
    aware = datetime.now(UTC) - timedelta(hours=70)
    async with build_worker(time_skipping.client, database, settings, task_queue=queue):
        handle = await start(
            time_skipping, database, council, queue, detected_at=aware, aware_at=aware
        )
        obligation = await ico(handle)
        assert obligation.deadline == aware + timedelta(hours=72)
        await time_skipping.sleep(timedelta(hours=3))
        await wait_for_events(database, handle, EventKind.OBLIGATION_OVERDUE)
        # The 24, 48 and 60 hour reminders had passed before the incident was opened.
        assert await events(database, handle, EventKind.OBLIGATION_REMINDER) == []


async def test_a_policy_change_never_moves_a_running_clock(
    time_skipping: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    queue: str,
) -> None:
    council = await breach_council(database)
    async with build_worker(time_skipping.client, database, settings, task_queue=queue):
        handle = await start(time_skipping, database, council, queue)
        before = await ico(handle)
        async with database.session() as session:
            await directory.set_reporting_rule(
                council.id,
                ReportingRuleOverride(authority_id=council.id, body=Body.ICO, window_seconds=3600),
                session=session,
            )
        # A reassessment takes a fresh snapshot; the ICO clock already running keeps its rule.
        await handle.execute_update(
            IncidentWorkflow.reassess,
            Reassess(category=NcscCategory.MODERATE, reason="Smaller than feared", actor="o"),
        )
        after = await ico(handle)
    assert after.deadline == before.deadline
    assert after.rule.window == timedelta(hours=72)


async def council_telling_cymrusoc(database: Database) -> tuple[CouncilUnderTest, str]:
    """A council whose only reporting rule tells CymruSOC at its own address."""
    council = await make_authority(database, reporting=False)
    cymrusoc = f"alerts@soc-{council.code.lower()}.example"
    async with database.session() as session:
        await directory.set_reporting_rule(
            council.id,
            ReportingRuleOverride(
                authority_id=council.id, body=Body.CYMRUSOC, enabled=True, notify_address=cymrusoc
            ),
            session=session,
        )
    return council, cymrusoc


async def test_an_exercise_tells_no_real_body_and_watermarks_every_message(
    time_skipping: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    mail_server: MailServer,
    queue: str,
) -> None:
    council, cymrusoc = await council_telling_cymrusoc(database)
    async with build_worker(time_skipping.client, database, settings, task_queue=queue):
        handle = await start(
            time_skipping,
            database,
            council,
            queue,
            exercise=True,
            personal_data=False,
            category=NcscCategory.SIGNIFICANT,
        )
        await wait_for_events(database, handle, EventKind.BODY_NOTIFICATION_SUPPRESSED)
        await time_skipping.sleep(timedelta(hours=25))
        await wait_for_events(database, handle, EventKind.OBLIGATION_OVERDUE)
        mails = await mail_server.inbox.wait_for(lambda m: m.to.endswith(council.domain), count=4)
    assert mail_server.inbox.messages(lambda m: m.to == cymrusoc) == []
    for mail in mail_server.inbox.to_domain(council.domain):
        assert mail.subject.startswith("[EXERCISE / YMARFER]")
        assert "EXERCISE / YMARFER" in mail.text() and "EXERCISE / YMARFER" in mail.html()
    assert mails


async def test_the_same_rules_tell_the_body_itself_for_a_real_incident(
    time_skipping: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    mail_server: MailServer,
    queue: str,
) -> None:
    council, cymrusoc = await council_telling_cymrusoc(database)
    async with build_worker(time_skipping.client, database, settings, task_queue=queue):
        await start(
            time_skipping,
            database,
            council,
            queue,
            personal_data=False,
            category=NcscCategory.SIGNIFICANT,
        )
        [told] = await mail_server.inbox.wait_for(lambda m: m.to == cymrusoc)
    assert "Cyber incident notification" in told.subject and "EXERCISE" not in told.subject


async def test_a_higher_risk_reopens_a_decision_not_to_tell_the_ico(
    time_skipping: WorkflowEnvironment, database: Database, settings: Settings, queue: str
) -> None:
    council = await breach_council(database)
    async with build_worker(time_skipping.client, database, settings, task_queue=queue):
        handle = await start(time_skipping, database, council, queue)
        await handle.execute_update(
            IncidentWorkflow.waive_obligation,
            WaiveObligation(body=Body.ICO, reason="Encrypted device, key not lost", actor="dpo"),
        )
        await handle.execute_update(
            IncidentWorkflow.reassess,
            Reassess(
                personal_data_risk=PersonalDataRisk.HIGH,
                reason="The key was on a sticky note",
                actor="dpo",
            ),
        )
        await wait_for_events(database, handle, EventKind.OBLIGATION_REOPENED)

        async def due_again() -> bool:
            return (await ico(handle)).state is ObligationState.DUE

        await eventually(due_again)


async def test_the_ico_clock_starts_when_the_breach_became_known(
    time_skipping: WorkflowEnvironment, database: Database, settings: Settings, queue: str
) -> None:
    council = await breach_council(database)
    async with build_worker(time_skipping.client, database, settings, task_queue=queue):
        handle = await start(time_skipping, database, council, queue, personal_data=False)
        breach_found = datetime.now(UTC) - timedelta(minutes=1)
        await handle.execute_update(
            IncidentWorkflow.reassess,
            Reassess(
                personal_data=True,
                breach_aware_at=breach_found,
                reason="Exfiltrated files held resident data",
                actor="dpo",
            ),
        )
        obligation = await ico(handle)
    assert obligation.clock_started_at == breach_found
    assert obligation.deadline == breach_found + timedelta(hours=72)


async def test_the_breach_register_records_why_the_ico_was_not_told(
    time_skipping: WorkflowEnvironment, database: Database, settings: Settings, queue: str
) -> None:
    council = await make_authority(database, reporting=False)  # the ICO rule is switched off
    async with build_worker(time_skipping.client, database, settings, task_queue=queue):
        handle = await start(time_skipping, database, council, queue)
        incident_id = handle.id.removeprefix("incident-")

        async def decided(decision: str):
            async with database.session() as session:
                record = await reporting.breach_of(incident_id, session=session)
            return record if record and record.ico_decision == decision else None

        by_policy = await eventually(lambda: decided("not_notified"))
        assert by_policy.ico_decided_by == "policy"
        await handle.execute_update(
            IncidentWorkflow.reassess,
            Reassess(personal_data=False, reason="Only test data was on the share", actor="dpo"),
        )
        gone = await eventually(lambda: decided("no_personal_data"))
        assert "Only test data" in gone.ico_decision_reason
