"""Markings and a compromised mailbox change what the emails say and where they go."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.activity_contracts import NotificationFacts, NotificationRequest
from domain.directory import MemberContact
from domain.disclosure import Disclosure, disclosure_for
from domain.incident import IncidentDetails
from domain.obligations import Body
from domain.vocabulary import (
    EventKind,
    IncidentType,
    Language,
    MemberRole,
    NcscCategory,
    NotificationKind,
    Tlp,
)
from runtime.database import Database
from runtime.settings import Settings
from services.directory import name_member
from tests.support import MailServer, make_authority, start_incident, wait_for_events
from worker import build_worker

DESCRIPTION = "Attackers copied the social services case files to an external server."
TITLE = "Social services case files copied"
WORK = "eleri@cdf.example"
PERSONAL = "eleri@personal.example"


def request(
    kind: NotificationKind = NotificationKind.ACKNOWLEDGEMENT_REQUEST,
    *,
    role: MemberRole | None = MemberRole.EXECUTIVE_MEMBER,
    tlp: Tlp = Tlp.AMBER,
    email_compromised: bool = False,
    out_of_band_email: str | None = PERSONAL,
    body: Body | None = None,
    link: bool = True,
) -> NotificationRequest:
    moment = datetime(2026, 7, 4, 9, 0, tzinfo=UTC)
    return NotificationRequest(
        idempotency_key="incident-1/key",
        kind=kind,
        recipient=MemberContact(
            member_id=None if role is None else 7,
            role=role,
            name="Eleri Morgan",
            email=WORK,
            language=Language.ENGLISH,
            out_of_band_email=out_of_band_email,
        ),
        incident=IncidentDetails(
            incident_id="incident-1",
            reference="CDF-2026-0001",
            authority_id=1,
            authority_code="CDF",
            title=TITLE,
            description=DESCRIPTION,
            incident_type=IncidentType.DATA_LOSS,
            category=NcscCategory.SIGNIFICANT,
            detected_at=moment,
            aware_at=moment,
            tlp=tlp,
            email_compromised=email_compromised,
            reporter_name="Rhys",
            reporter_email="rhys@cdf.example",
        ),
        facts=NotificationFacts(body=body),
        include_acknowledge_link=link,
    )


def test_an_ordinary_message_goes_to_work_with_its_details_and_link() -> None:
    assert disclosure_for(request()) == Disclosure(
        address=WORK, out_of_band=False, restricted=False, draft=False, acknowledge_link=True
    )


def test_a_compromised_mailbox_is_avoided_and_told_nothing() -> None:
    assert disclosure_for(request(email_compromised=True)) == Disclosure(
        address=PERSONAL, out_of_band=True, restricted=True, draft=False, acknowledge_link=True
    )
    # Without a personal address the message goes to work, but with no link to silence it.
    at_work = disclosure_for(request(email_compromised=True, out_of_band_email=None))
    assert (at_work.address, at_work.restricted, at_work.acknowledge_link) == (WORK, True, False)


@pytest.mark.parametrize(
    ("role", "restricted"),
    [
        (MemberRole.EXECUTIVE_MEMBER, False),
        (MemberRole.SENIOR_MANAGEMENT_MEMBER, False),
        (MemberRole.DEPUTY_EXECUTIVE_MEMBER, True),
        (MemberRole.CHIEF_EXECUTIVE, True),
        (MemberRole.DATA_PROTECTION_OFFICER, True),
        (None, True),
    ],
)
def test_tlp_red_details_go_to_the_named_members_alone(
    role: MemberRole | None, restricted: bool
) -> None:
    assert disclosure_for(request(role=role, tlp=Tlp.RED)).restricted is restricted
    assert disclosure_for(request(role=role, tlp=Tlp.AMBER_STRICT)).restricted is False


def test_a_draft_goes_only_with_a_report_step_and_only_with_the_details() -> None:
    due = NotificationKind.OBLIGATION_DUE
    assert disclosure_for(request(due, body=Body.NCSC)).draft
    assert disclosure_for(request(NotificationKind.BODY_NOTIFICATION, body=Body.NCSC)).draft
    assert not disclosure_for(request(due)).draft
    assert not disclosure_for(request(NotificationKind.ESCALATION, body=Body.NCSC)).draft
    assert not disclosure_for(request(due, body=Body.NCSC, email_compromised=True)).draft
    red = request(due, role=MemberRole.DATA_PROTECTION_OFFICER, body=Body.ICO, tlp=Tlp.RED)
    assert not disclosure_for(red).draft


def test_an_acknowledge_link_goes_only_to_a_member_who_was_asked() -> None:
    assert not disclosure_for(request(link=False)).acknowledge_link
    assert not disclosure_for(request(role=None)).acknowledge_link


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

    def mail_to(role: MemberRole):
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
