"""The incident lifecycle on Temporal's time-skipping server, with real mail and databases."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from domain.commands import (
    Acknowledge,
    CloseIncident,
    Reassess,
    RecordSubmission,
    WaiveObligation,
)
from domain.obligations import Body, ObligationState
from domain.vocabulary import EventKind, MemberRole, NcscCategory, Stage
from models import Incident
from runtime.database import Database
from runtime.settings import Settings
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

ROLE = MemberRole


@pytest.fixture
def queue() -> str:
    return f"lifecycle-{uuid.uuid4()}"


async def test_silent_members_are_reminded_then_escalated_on_time(
    time_skipping: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    mail_server: MailServer,
    queue: str,
) -> None:
    authority = await make_authority(database, reporting=False)
    async with build_worker(time_skipping.client, database, settings, task_queue=queue):
        handle = await start_incident(
            time_skipping.client, database, authority, queue, category=NcscCategory.SUBSTANTIAL
        )
        await time_skipping.sleep(timedelta(hours=5))
        await wait_for_events(database, handle, EventKind.UNACKNOWLEDGED, count=2)
        await wait_for_events(
            database, handle, EventKind.NOTIFICATION_SENT, count=2 + 2 + 3 + 2 * 7
        )

    events = await timeline(database, handle)
    opened = next(e for e in events if e.kind == EventKind.OPENED).occurred_at
    for chain, deputy in (
        ("executive", ROLE.DEPUTY_EXECUTIVE_MEMBER),
        ("senior_management", ROLE.DEPUTY_SENIOR_MANAGEMENT_MEMBER),
    ):
        steps = [
            (
                e.kind,
                e.detail.get("member_id"),
                round((e.occurred_at - opened) / timedelta(minutes=1)),
            )
            for e in events
            if e.detail.get("chain") == chain
        ]
        primary = authority.members[
            ROLE.EXECUTIVE_MEMBER if chain == "executive" else ROLE.SENIOR_MANAGEMENT_MEMBER
        ]
        # Category 4: one hour to acknowledge at each step (the national default policy).
        assert steps == [
            (EventKind.ACKNOWLEDGEMENT_REQUESTED, primary, 0),
            (EventKind.REMINDER_SENT, primary, 60),
            (EventKind.ESCALATED, authority.members[deputy], 120),
            (EventKind.ESCALATED, authority.members[ROLE.CHIEF_EXECUTIVE], 180),
            (EventKind.UNACKNOWLEDGED, None, 240),
        ]

    received = Counter(
        (mail.to.split("@")[0], _kind_of(mail.subject))
        for mail in mail_server.inbox.to_domain(authority.domain)
    )
    assert received[("executive_member", "request")] == 1
    assert received[("executive_member", "reminder")] == 1
    assert received[("deputy_executive_member", "escalation")] == 1
    # The chief executive heads both chains and is told once.
    assert received[("chief_executive", "escalation")] == 1
    # When the last level passes, the whole directory and the reporting officer hear, per chain.
    assert received[("data_protection_officer", "alert")] == 2
    assert received[("oncall", "alert")] == 2
    assert sum(received.values()) == 4 + 2 + 1 + 2 * 7


def _kind_of(subject: str) -> str:
    for marker, kind in (
        ("NOT ACKNOWLEDGED", "alert"),
        ("reminder", "reminder"),
        ("escalated to you", "escalation"),
        ("acknowledge this cyber incident", "request"),
    ):
        if marker in subject:
            return kind
    return subject


async def test_acknowledgements_in_time_stop_escalation(
    time_skipping: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    mail_server: MailServer,
    queue: str,
) -> None:
    authority = await make_authority(database, reporting=False)
    async with build_worker(time_skipping.client, database, settings, task_queue=queue):
        handle = await start_incident(
            time_skipping.client, database, authority, queue, category=NcscCategory.SUBSTANTIAL
        )
        await mail_server.inbox.wait_for(lambda m: m.to.endswith(authority.domain), count=2)
        for role in (ROLE.EXECUTIVE_MEMBER, ROLE.SENIOR_MANAGEMENT_MEMBER):
            state = await handle.execute_update(
                IncidentWorkflow.acknowledge,
                Acknowledge(member_id=authority.members[role], actor=role.value),
            )
        assert state.stage == Stage.ACKNOWLEDGED
        await time_skipping.sleep(timedelta(hours=6))
        await wait_for_events(database, handle, EventKind.ACKNOWLEDGED, count=2)

    kinds = {e.kind for e in await timeline(database, handle)}
    assert EventKind.REMINDER_SENT not in kinds and EventKind.ESCALATED not in kinds
    assert len(mail_server.inbox.to_domain(authority.domain)) == 2


async def test_acknowledging_twice_is_refused_with_a_reason(
    time_skipping: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    queue: str,
) -> None:
    authority = await make_authority(database)
    member = authority.members[ROLE.EXECUTIVE_MEMBER]
    async with build_worker(time_skipping.client, database, settings, task_queue=queue):
        handle = await start_incident(time_skipping.client, database, authority, queue)
        await eventually(lambda: _ready(handle))
        await handle.execute_update(
            IncidentWorkflow.acknowledge, Acknowledge(member_id=member, actor="a")
        )
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                IncidentWorkflow.acknowledge, Acknowledge(member_id=member, actor="a")
            )
        assert "already acknowledged" in str(refused.value.cause)
        dpo = authority.members[ROLE.DATA_PROTECTION_OFFICER]
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                IncidentWorkflow.acknowledge, Acknowledge(member_id=dpo, actor="a")
            )
        assert "not in an escalation chain" in str(refused.value.cause)


async def _ready(handle: WorkflowHandle) -> bool:
    state = await handle.query(IncidentWorkflow.state)
    return state.stage == Stage.NOTIFYING or state.stage.rank > Stage.NOTIFYING.rank


def _ncsc_draft(council: CouncilUnderTest):
    return lambda m: m.to.endswith(council.domain) and "report to the NCSC by" in m.subject


async def test_category_3_opens_the_ncsc_step_and_category_5_waits_for_reassessment(
    time_skipping: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    mail_server: MailServer,
    queue: str,
) -> None:
    significant_council = await make_authority(database)
    moderate_council = await make_authority(database)
    async with build_worker(time_skipping.client, database, settings, task_queue=queue):
        significant = await start_incident(
            time_skipping.client,
            database,
            significant_council,
            queue,
            category=NcscCategory.SIGNIFICANT,
        )
        moderate = await start_incident(
            time_skipping.client, database, moderate_council, queue, category=NcscCategory.MODERATE
        )

        [draft] = await mail_server.inbox.wait_for(_ncsc_draft(significant_council))
        # The NCSC step is owned by the senior management member, who gets the draft report.
        assert draft.to == significant_council.email(ROLE.SENIOR_MANAGEMENT_MEMBER)
        assert "Which organisation are you reporting for?" in draft.text()
        state = await significant.query(IncidentWorkflow.state)
        assert state.stage == Stage.REPORTING
        assert state.obligation(Body.NCSC).state is ObligationState.DUE

        await eventually(lambda: _ready(moderate))
        assert (await moderate.query(IncidentWorkflow.state)).obligation(
            Body.NCSC
        ).state is ObligationState.NOT_REQUIRED
        state = await moderate.execute_update(
            IncidentWorkflow.reassess,
            Reassess(
                category=NcscCategory.SIGNIFICANT,
                reason="Revenues system down for all residents",
                actor="officer",
            ),
        )
        assert state.category == NcscCategory.SIGNIFICANT
        await mail_server.inbox.wait_for(_ncsc_draft(moderate_council))
        ncsc = (await moderate.query(IncidentWorkflow.state)).obligation(Body.NCSC)
        assert ncsc.state is ObligationState.DUE
        reassessed = await wait_for_events(database, moderate, EventKind.REASSESSED)
        assert reassessed[0].detail["before"] == {"category": 5}
        assert reassessed[0].detail["reason"] == "Revenues system down for all residents"


async def test_closing_needs_a_summary_and_every_obligation_settled(
    time_skipping: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    mail_server: MailServer,
    queue: str,
) -> None:
    authority = await make_authority(database)
    async with build_worker(time_skipping.client, database, settings, task_queue=queue):
        handle = await start_incident(
            time_skipping.client, database, authority, queue, category=NcscCategory.SIGNIFICANT
        )
        await eventually(lambda: _ready(handle))

        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                IncidentWorkflow.close, CloseIncident(summary="  ", actor="officer")
            )
        assert "closing summary is required" in str(refused.value.cause)

        summary = "Backups restored; phishing mailbox rule removed; passwords reset."
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                IncidentWorkflow.close, CloseIncident(summary=summary, actor="officer")
            )
        assert "the NCSC" in str(refused.value.cause)

        state = await handle.execute_update(
            IncidentWorkflow.record_submission,
            RecordSubmission(body=Body.NCSC, reference="NCSC-123456", actor="officer"),
        )
        for obligation in state.obligations:
            if obligation.state.open:
                await handle.execute_update(
                    IncidentWorkflow.waive_obligation,
                    WaiveObligation(
                        body=obligation.body, reason="Told by phone; no written report", actor="o"
                    ),
                )
        state = await handle.execute_update(
            IncidentWorkflow.close, CloseIncident(summary=summary, actor="officer")
        )
        assert state.stage == Stage.CLOSED
        outcome = await handle.result()

    assert outcome.stage == Stage.CLOSED
    events = await timeline(database, handle)
    kinds = [e.kind for e in events if e.kind in (EventKind.OBLIGATION_SUBMITTED, EventKind.CLOSED)]
    assert kinds == [EventKind.OBLIGATION_SUBMITTED, EventKind.CLOSED]
    closed = await mail_server.inbox.wait_for(
        lambda m: m.to.endswith(authority.domain) and "cyber incident closed" in m.subject, count=2
    )
    assert summary in closed[0].text()
    async with database.session() as session:
        row = await session.get(Incident, handle.id.removeprefix("incident-"))
    assert row is not None and row.stage == Stage.CLOSED and row.ncsc_reference == "NCSC-123456"
