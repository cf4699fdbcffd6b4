"""An incident nobody can freeze: a flood of updates hands the run over mid-escalation, and the
escalation carries on exactly on time, nothing sent twice."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from domain.commands import Acknowledge, CloseIncident, Reassess
from domain.vocabulary import EventKind, MemberRole, NcscCategory
from models import EscalationTimings
from runtime.database import Database
from runtime.settings import Settings
from services.directory import set_policy
from tests.support import (
    MailServer,
    add_notes,
    make_authority,
    start_incident,
    timeline,
    wait_for_events,
)
from worker import build_worker
from workflows import IncidentWorkflow

ROLE = MemberRole


async def test_a_flood_of_notes_mid_escalation_neither_freezes_nor_delays_it(
    time_skipping: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    mail_server: MailServer,
) -> None:
    council = await make_authority(database, reporting=False)
    queue = f"flood-{uuid.uuid4()}"
    client = time_skipping.client
    async with build_worker(client, database, settings, task_queue=queue):
        handle = await start_incident(
            client,
            database,
            council,
            queue,
            opening={"update_limit": 10},
            category=NcscCategory.SUBSTANTIAL,
        )
        first_run = (await handle.describe()).run_id
        await wait_for_events(database, handle, EventKind.ACKNOWLEDGEMENT_REQUESTED, count=2)
        await time_skipping.sleep(timedelta(minutes=30))
        await add_notes(handle, 25)  # in the first wait: handed over at least twice
        await time_skipping.sleep(timedelta(minutes=60))
        await add_notes(handle, 25)  # in the reminder's wait
        await time_skipping.sleep(timedelta(minutes=45))
        # The deputy executive member has been asked; acknowledging works as ever.
        deputy = council.members[ROLE.DEPUTY_EXECUTIVE_MEMBER]
        await handle.execute_update(
            IncidentWorkflow.acknowledge, Acknowledge(member_id=deputy, actor="deputy")
        )
        await time_skipping.sleep(timedelta(hours=3))
        await wait_for_events(database, handle, EventKind.UNACKNOWLEDGED, count=1)
        closed = await handle.execute_update(
            IncidentWorkflow.close,
            CloseIncident(summary="Contained; the notes were an officer's script.", actor="o"),
        )
        assert closed.closed_at is not None
        await handle.result()
        history_runs = (await handle.describe()).run_id

    assert history_runs != first_run
    events = await timeline(database, handle)
    assert [e.sequence for e in events] == list(range(1, len(events) + 1))
    assert sum(e.kind == EventKind.NOTE_ADDED for e in events) == 50
    opened = next(e for e in events if e.kind == EventKind.OPENED).occurred_at

    def steps(chain: str) -> list[tuple[str, int | None, int]]:
        return [
            (
                e.kind,
                e.detail.get("member_id"),
                round((e.occurred_at - opened) / timedelta(minutes=1)),
            )
            for e in events
            if e.detail.get("chain") == chain and e.kind != EventKind.ESCALATION_STOPPED
        ]

    members = council.members
    assert steps("executive") == [
        (EventKind.ACKNOWLEDGEMENT_REQUESTED, members[ROLE.EXECUTIVE_MEMBER], 0),
        (EventKind.REMINDER_SENT, members[ROLE.EXECUTIVE_MEMBER], 60),
        (EventKind.ESCALATED, deputy, 120),
    ]
    assert steps("senior_management") == [
        (EventKind.ACKNOWLEDGEMENT_REQUESTED, members[ROLE.SENIOR_MANAGEMENT_MEMBER], 0),
        (EventKind.REMINDER_SENT, members[ROLE.SENIOR_MANAGEMENT_MEMBER], 60),
        (EventKind.ESCALATED, members[ROLE.DEPUTY_SENIOR_MANAGEMENT_MEMBER], 120),
        (EventKind.ESCALATED, members[ROLE.CHIEF_EXECUTIVE], 180),
        (EventKind.UNACKNOWLEDGED, None, 240),
    ]
    received = Counter(
        mail.to.split("@")[0] for mail in mail_server.inbox.to_domain(council.domain)
    )
    # Each once: the request, the reminder, the senior management chain's final alert, closure.
    assert received["executive_member"] == 4
    # The escalation, the final alert, and closure (the deputy acknowledged).
    assert received["deputy_executive_member"] == 3


async def test_a_wait_taken_over_after_the_policy_changed_is_finished_as_it_was_begun(
    time_skipping: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    mail_server: MailServer,
) -> None:
    """Mid-reminder, the council drops reminders from its policy and a reassessment takes the
    new directory; a hand-over follows. The reminder's wait still runs its full hour."""
    council = await make_authority(database, reporting=False)
    queue = f"flood-{uuid.uuid4()}"
    client = time_skipping.client
    async with build_worker(client, database, settings, task_queue=queue):
        handle = await start_incident(
            client,
            database,
            council,
            queue,
            opening={"update_limit": 5},
            category=NcscCategory.SUBSTANTIAL,
        )
        await wait_for_events(database, handle, EventKind.ACKNOWLEDGEMENT_REQUESTED, count=2)
        await time_skipping.sleep(timedelta(minutes=70))  # the reminder went at 60
        async with database.session() as session:
            await set_policy(
                council.id, EscalationTimings(reminders_before_escalation=0), session=session
            )
        await handle.execute_update(
            IncidentWorkflow.reassess,
            Reassess(significant=False, personal_data=True, reason="Files held names", actor="o"),
        )
        await add_notes(handle, 10)  # hands over in the reminder's wait
        await time_skipping.sleep(timedelta(minutes=60))
        await wait_for_events(database, handle, EventKind.ESCALATED, count=2)

    events = await timeline(database, handle)
    opened = next(e for e in events if e.kind == EventKind.OPENED).occurred_at
    escalated = [
        round((e.occurred_at - opened) / timedelta(minutes=1))
        for e in events
        if e.kind == EventKind.ESCALATED
    ]
    assert escalated == [120, 120]
