"""The durable messages of commitments a and c, as the people told receive them: a certificate's
reminders on the time-skipping server, and the centre told when a named role is left empty.

Each test has a central team duty recipient of its own (told of no incident), so the messages
counted are only those about its own authority.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.access import AccessRole
from domain.commitments import (
    Commitment,
    CommitmentStatus,
    CyberEssentialsPlus,
    ReminderSent,
    uk_day,
)
from domain.vocabulary import MemberRole
from models import CentreRecipient
from runtime.database import Database
from runtime.settings import Settings
from services.administration import Actor, changes_of
from services.commitments import attest, certificate_workflow_id, commitment_statuses, status_of
from services.tokens import issue_token
from tests.support import CouncilUnderTest, MailServer, ReceivedMail, make_authority, make_user
from worker import build_worker
from workflows import CertificateRemindersWorkflow

SENIOR = MemberRole.SENIOR_MANAGEMENT_MEMBER


@pytest.fixture
async def centre(database: Database) -> AsyncIterator[str]:
    """A central team duty recipient's address, for this test alone."""
    address = f"duty-{uuid.uuid4().hex[:8]}@centre.wales.example"
    async with database.session() as session:
        recipient = CentreRecipient(
            name="Central team duty officer",
            email=address,
            categories=[],
            significant=False,
            channels=["email"],
        )
        session.add(recipient)
        await session.commit()
    yield address
    async with database.session() as session:
        recipient.active = False
        session.add(recipient)
        await session.commit()


def about(council: CouncilUnderTest, address: str) -> Callable[[ReceivedMail], bool]:
    """Messages to one address about this council (its name on a line of its own)."""
    line = f"Authority: {council.authority.name_en}\n"
    return lambda mail: mail.to == address and line in mail.text().replace("\r\n", "\n")


async def test_a_certificate_expiring_in_30_days_is_reminded_at_30_and_7_days_then_expires(
    time_skipping: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    mail_server: MailServer,
    centre: str,
) -> None:
    council = await make_authority(database)
    queue = f"certificates-{uuid.uuid4()}"
    today = uk_day(datetime.now(UTC))
    expires = today + timedelta(days=30)
    certificate = CyberEssentialsPlus(
        certificate_number="IASME-CEP-030030",
        certifying_body="IASME Consortium",
        issued_on=expires - timedelta(days=365),
        expires_on=expires,
    )
    async with build_worker(time_skipping.client, database, settings, task_queue=queue):
        async with database.session() as session:
            await attest(
                council.authority,
                Commitment.A,
                certificate,
                actor=Actor(name="Siân Senior"),
                session=session,
                temporal=time_skipping.client,
                task_queue=queue,
                today=today,
                base_url=settings.base_url,
            )
        handle: WorkflowHandle = time_skipping.client.get_workflow_handle_for(
            CertificateRemindersWorkflow.run, certificate_workflow_id(council.code)
        )
        # Past the day after expiry: the server skips to each timer in turn.
        await time_skipping.sleep(timedelta(days=32))
        sent: list[ReminderSent] = await handle.result()

    # The 90-day point had passed when the certificate was saved: it is skipped.
    assert [(r.name, uk_day(r.sent_at)) for r in sent] == [
        ("30", today),
        ("7", expires - timedelta(days=7)),
        ("expired", expires + timedelta(days=1)),
    ]
    for address in (council.email(SENIOR), centre):
        received = await mail_server.inbox.wait_for(about(council, address), count=3)
        subjects = [m.subject for m in received]
        assert len(received) == 3, subjects
        assert "expires in 30 days" in subjects[0] and "expires in 7 days" in subjects[1]
        assert "has expired" in subjects[2] and "IASME-CEP-030030" in received[2].text()
        assert f"/commitments/{council.code}/a" in received[0].text()
    executive = council.email(MemberRole.EXECUTIVE_MEMBER)
    assert mail_server.inbox.messages(about(council, executive)) == []

    async with database.session() as session:
        on_expiry = await commitment_statuses(council.id, session=session, today=expires)
        after = await commitment_statuses(
            council.id, session=session, today=expires + timedelta(days=1)
        )
    assert status_of(on_expiry, Commitment.A) is CommitmentStatus.AT_RISK
    assert status_of(after, Commitment.A) is CommitmentStatus.NOT_MET


async def test_emptying_a_named_role_breaks_commitment_c_and_tells_the_centre(
    http: httpx.AsyncClient, database: Database, mail_server: MailServer, centre: str
) -> None:
    council = await make_authority(database)
    admin, _ = await make_user(database, council, AccessRole.AUTHORITY_ADMIN, name="Alys Admin")
    async with database.session() as session:
        _, token = await issue_token("tests", authority_id=None, user_id=admin.id, session=session)
    path = f"/api/authorities/{council.code}/members/{MemberRole.EXECUTIVE_MEMBER.value}"

    removed = await http.delete(path, headers={"Authorization": f"Bearer {token}"})
    assert removed.status_code == 200, removed.text
    assert removed.json()["role"] == "executive_member"
    again = await http.delete(path, headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 404 and "Nobody is named" in again.json()["detail"]

    async with database.session() as session:
        views = await commitment_statuses(
            council.id, session=session, today=uk_day(datetime.now(UTC))
        )
        (change,) = await changes_of(council.id, session=session)
    assert status_of(views, Commitment.C) is CommitmentStatus.NOT_MET
    assert change.subject == "member:executive_member" and change.actor == "Alys Admin"
    assert change.changes["name"][1] is None

    for address in (centre, council.email(SENIOR)):
        (told,) = await mail_server.inbox.wait_for(about(council, address))
        assert "No executive member named" in told.subject
        assert "commitment c is not met" in told.subject
