"""Markings and a compromised mailbox change what the emails say and where they go."""

from __future__ import annotations

import uuid
from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from domain.vocabulary import EventKind, MemberRole, NcscCategory, Tlp
from runtime.database import Database
from runtime.settings import Settings
from services.directory import name_member
from tests.support import MailServer, make_authority, start_incident, wait_for_events
from worker import build_worker

DESCRIPTION = "Attackers copied the social services case files to an external server."
TITLE = "Social services case files copied"


async def test_a_tlp_red_incident_tells_its_details_to_the_named_members_only(
    time_skipping: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    mail_server: MailServer,
) -> None:
    council = await make_authority(database, reporting=False)
    queue = f"red-{uuid.uuid4()}"
    async with build_worker(time_skipping.client, database, settings, task_queue=queue):
        handle = await start_incident(
            time_skipping.client,
            database,
            council,
            queue,
            category=NcscCategory.SUBSTANTIAL,
            tlp=Tlp.RED,
            title=TITLE,
            description=DESCRIPTION,
        )
        await time_skipping.sleep(timedelta(hours=2, minutes=10))  # reminder, then deputies
        await wait_for_events(database, handle, EventKind.ESCALATED, count=2)
        await mail_server.inbox.wait_for(
            lambda m: m.to == council.email(MemberRole.DEPUTY_EXECUTIVE_MEMBER)
        )

    def mail_to(role: MemberRole):  # type: ignore[no-untyped-def]
        return mail_server.inbox.messages(lambda m: m.to == council.email(role))[0]

    named = mail_to(MemberRole.EXECUTIVE_MEMBER)
    deputy = mail_to(MemberRole.DEPUTY_EXECUTIVE_MEMBER)
    for message in (named, deputy):
        assert message.subject.startswith("[TLP:RED] ")
        assert message.text().startswith("TLP:RED: for the people named on this incident only")
        assert "TLP:RED: for the people named" in message.html()
    assert DESCRIPTION in named.text() and TITLE in named.text()
    reference = named.subject.split()[1]
    for part in (deputy.text(), deputy.html(), deputy.subject):
        assert DESCRIPTION not in part and TITLE not in part
    assert reference in deputy.text() and "/ack/" in deputy.text()
    assert "keeps its details to the people named on it" in deputy.text()


async def test_amber_strict_says_so_in_subject_and_body(
    time_skipping: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    mail_server: MailServer,
) -> None:
    council = await make_authority(database, reporting=False)
    queue = f"strict-{uuid.uuid4()}"
    async with build_worker(time_skipping.client, database, settings, task_queue=queue):
        await start_incident(time_skipping.client, database, council, queue, tlp=Tlp.AMBER_STRICT)
        [message, *_] = await mail_server.inbox.wait_for(
            lambda m: m.to.endswith("@" + council.domain), count=2
        )
    assert message.subject.startswith("[TLP:AMBER+STRICT] ")
    assert "share only within your own council" in message.text()
    assert "share only within your own council" in message.html()


async def test_when_email_may_be_compromised_members_are_told_out_of_band_without_detail(
    time_skipping: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    mail_server: MailServer,
) -> None:
    council = await make_authority(database, reporting=False)
    async with database.session() as session:  # one member has no personal address
        await name_member(
            council.id,
            MemberRole.SENIOR_MANAGEMENT_MEMBER,
            name="Director Without Personal Email",
            work_email=council.email(MemberRole.SENIOR_MANAGEMENT_MEMBER),
            session=session,
        )
    queue = f"compromised-{uuid.uuid4()}"
    async with build_worker(time_skipping.client, database, settings, task_queue=queue):
        await start_incident(
            time_skipping.client,
            database,
            council,
            queue,
            email_compromised=True,
            title=TITLE,
            description=DESCRIPTION,
        )
        personal = council.out_of_band_email(MemberRole.EXECUTIVE_MEMBER)
        work = council.email(MemberRole.SENIOR_MANAGEMENT_MEMBER)
        [outside] = await mail_server.inbox.wait_for(lambda m: m.to == personal)
        [inside] = await mail_server.inbox.wait_for(lambda m: m.to == work)

    for message in (outside, inside):
        for part in (message.text(), message.html(), message.subject):
            assert DESCRIPTION not in part and TITLE not in part
        assert "may be compromised" in message.text()
    assert "/ack/" in outside.text() and "address you gave for such a case" in outside.text()
    # A link in a mailbox the attacker may read could silence the escalation: none is sent.
    assert "/ack/" not in inside.text() and "ring the on-call officer" in inside.text()
