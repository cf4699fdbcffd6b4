"""Nothing lost, nothing sent twice: a worker restart, an SMTP outage and a refused address."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.vocabulary import EventKind, MemberRole
from models import EscalationTimings
from runtime.database import Database
from runtime.settings import Settings
from tests.support import (
    MailServer,
    make_authority,
    start_incident,
    timeline,
    wait_for_events,
)
from worker import build_worker

FAST_POLICY = dict(ack_timeout_category_4_seconds=2, reminders_before_escalation=1)


@pytest.mark.backend("sqlite", reason="a worker fault; the embedded default database")
async def test_a_new_worker_continues_the_escalation_with_one_email_per_step(
    dev_server: WorkflowEnvironment, database: Database, settings: Settings, mail_server: MailServer
) -> None:
    council = await make_authority(
        database, policy=EscalationTimings(**FAST_POLICY), reporting=False
    )
    queue = f"restart-{uuid.uuid4()}"
    async with build_worker(dev_server.client, database, settings, task_queue=queue):
        handle = await start_incident(dev_server.client, database, council, queue)
        await mail_server.inbox.wait_for(lambda m: m.to.endswith(council.domain), count=2)
    # No worker at all while the reminder and the first escalation fall due.
    before_restart = len(mail_server.inbox.to_domain(council.domain))

    async with build_worker(dev_server.client, database, settings, task_queue=queue):
        await wait_for_events(database, handle, EventKind.UNACKNOWLEDGED, count=2)
        await wait_for_events(
            database, handle, EventKind.NOTIFICATION_SENT, count=2 + 2 + 3 + 2 * 7
        )

    assert before_restart == 2
    received = Counter((m.to, m.subject) for m in mail_server.inbox.to_domain(council.domain))
    # Each step reached each person once; the final alert comes once for each of the two chains.
    wrong = {
        key: count
        for key, count in received.items()
        if count != (2 if "NOT ACKNOWLEDGED" in key[1] else 1)
    }
    assert wrong == {}
    sent_per_step = Counter(
        (e.detail["notification"], e.detail.get("member_id"))
        for e in await timeline(database, handle)
        if e.kind == EventKind.NOTIFICATION_SENT
    )
    chief = council.members[MemberRole.CHIEF_EXECUTIVE]
    assert sent_per_step[("escalation", chief)] == 1
    executive = council.members[MemberRole.EXECUTIVE_MEMBER]
    assert sent_per_step[("acknowledgement_request", executive)] == 1
    assert sum(received.values()) == 2 + 2 + 3 + 2 * 7


@pytest.mark.backend("postgresql", reason="a mail relay fault; production's database")
async def test_an_smtp_outage_delays_mail_without_losing_or_repeating_it_or_the_clock(
    dev_server: WorkflowEnvironment, database: Database, settings: Settings
) -> None:
    council = await make_authority(
        database, policy=EscalationTimings(**FAST_POLICY), reporting=False
    )
    outage = MailServer()  # not started: connections are refused
    queue = f"outage-{uuid.uuid4()}"
    down = settings.model_copy(update={"smtp_port": outage.port})
    try:
        async with build_worker(dev_server.client, database, down, task_queue=queue):
            handle = await start_incident(dev_server.client, database, council, queue)
            reminders = await wait_for_events(database, handle, EventKind.REMINDER_SENT, count=2)
            assert outage.inbox.messages() == []
            outage.start()
            await wait_for_events(
                database, handle, EventKind.NOTIFICATION_SENT, count=4, timeout=90
            )

        events = await timeline(database, handle)
        opened = next(e for e in events if e.kind == EventKind.OPENED).occurred_at
        # The reminders fell due on time although no message could be delivered yet: the mail
        # server only came back after they were recorded.
        assert all(1.5 <= (r.occurred_at - opened).total_seconds() < 10 for r in reminders)
        delivered = Counter((m.to, m.subject) for m in outage.inbox.to_domain(council.domain))
        # Once each; the final alert comes once per chain if the chains got that far meanwhile.
        expected = {key: 2 if "NOT ACKNOWLEDGED" in key[1] else 1 for key in delivered}
        assert len(delivered) >= 4 and dict(delivered) == expected
        # The timeline shows what the outage cost: the tries and why they failed.
        retried = [
            e for e in events if e.kind == EventKind.NOTIFICATION_SENT and e.detail.get("attempts")
        ]
        assert retried and all(e.detail["attempts"] > 1 for e in retried)
        assert all(e.detail.get("last_error") for e in retried)
    finally:
        outage.stop()


async def test_a_refused_address_is_recorded_and_does_not_block_the_others(
    dev_server: WorkflowEnvironment,
    database: Database,
    dev_settings: Settings,
    dev_worker: None,
    mail_server: MailServer,
) -> None:
    council = await make_authority(database, reporting=False)
    mail_server.inbox.rejected_addresses.add(council.email(MemberRole.EXECUTIVE_MEMBER))
    handle = await start_incident(dev_server.client, database, council, dev_settings.task_queue)

    [failed] = await wait_for_events(database, handle, EventKind.NOTIFICATION_FAILED, count=1)
    assert failed.detail["member_id"] == council.members[MemberRole.EXECUTIVE_MEMBER]
    assert "550" in failed.summary
    senior = council.email(MemberRole.SENIOR_MANAGEMENT_MEMBER)
    await mail_server.inbox.wait_for(lambda m: m.to == senior)
    # Email was the member's only channel, so the chain moves on to their deputy at once,
    # without waiting out the acknowledgement timeout.
    [unreachable] = await wait_for_events(database, handle, EventKind.MEMBER_UNREACHABLE)
    assert unreachable.detail["member_id"] == council.members[MemberRole.EXECUTIVE_MEMBER]
    deputy = council.email(MemberRole.DEPUTY_EXECUTIVE_MEMBER)
    [escalation] = await mail_server.inbox.wait_for(lambda m: m.to == deputy)
    assert "escalated to you" in escalation.subject
