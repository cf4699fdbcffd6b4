"""The centre is told of a serious incident anywhere in Wales at once, and learns nothing a
RED marking keeps inside the authority.

Against the real app, worker, Temporal dev server and SMTP server, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from domain.activity_contracts import SEND_NOTIFICATION, NotificationRequest
from domain.channels import Channel
from domain.vocabulary import NotificationKind
from models import CentreRecipient
from runtime.database import Database
from services import centre
from tests.support import MailServer, ReceivedMail
from tests.test_api import officer_for

TITLE = "Ransomware on the housing file servers"
DESCRIPTION = "Files on two servers were encrypted overnight; the backups are being checked."


@pytest.fixture
async def duty(database: Database) -> AsyncIterator[CentreRecipient]:
    """A duty recipient for this test alone, retired afterwards so no other test's serious
    incident tells them."""
    async with database.session() as session:
        recipient = await centre.add_recipient(
            centre.RecipientDetails(
                name="Central team duty officer",
                email=f"duty-{uuid.uuid4().hex[:8]}@central.example",
                channels=[Channel.EMAIL],
            ),
            session=session,
        )
    yield recipient
    async with database.session() as session:
        await centre.retire_recipient(recipient.id or 0, session=session)


def _to(address: str | None):
    return lambda mail: mail.to == address


async def test_a_category_2_incident_reaches_the_centre_in_its_first_workflow_task(
    http: httpx.AsyncClient,
    database: Database,
    dev_server: WorkflowEnvironment,
    mail_server: MailServer,
    duty: CentreRecipient,
) -> None:
    officer = await officer_for(database, http)
    incident = await officer.open(category=2, tlp="TLP:AMBER", title=TITLE)

    [mail] = await mail_server.inbox.wait_for(_to(duty.email))
    assert incident["reference"] in mail.subject and "category 2" in mail.subject.lower()
    assert TITLE in mail.text() and officer.council.authority.name_en in mail.text()

    history = await dev_server.client.get_workflow_handle(incident["workflow_id"]).fetch_history()
    first_task = next(
        e.event_id for e in history.events if e.HasField("workflow_task_completed_event_attributes")
    )
    scheduled = [
        e.activity_task_scheduled_event_attributes
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
        and e.activity_task_scheduled_event_attributes.workflow_task_completed_event_id
        == first_task
        and e.activity_task_scheduled_event_attributes.activity_type.name == SEND_NOTIFICATION
    ]
    converter = dev_server.client.data_converter
    requests = [
        (await converter.decode(s.input.payloads, [NotificationRequest]))[0] for s in scheduled
    ]
    assert any(
        r.kind is NotificationKind.CENTRE_ALERT and r.recipient.email == duty.email
        for r in requests
    ), [r.kind for r in requests]


async def test_a_red_incident_tells_the_centre_the_reference_category_and_authority_only(
    http: httpx.AsyncClient, database: Database, mail_server: MailServer, duty: CentreRecipient
) -> None:
    officer = await officer_for(database, http)
    incident = await officer.open(category=3, tlp="TLP:RED", title=TITLE, description=DESCRIPTION)

    [mail] = await mail_server.inbox.wait_for(_to(duty.email))
    whole = mail.message.as_string()
    assert incident["reference"] in mail.text()
    assert officer.council.authority.name_en in mail.text()
    assert "category 3" in mail.text()
    for detail in (TITLE, DESCRIPTION, "Ransomware", "Rhys On-call"):
        assert detail not in whole, detail


async def test_reassessing_into_the_watched_categories_tells_the_centre_once_for_each_step(
    http: httpx.AsyncClient, database: Database, mail_server: MailServer, duty: CentreRecipient
) -> None:
    officer = await officer_for(database, http)
    incident = await officer.open(category=4, title=TITLE)
    path = f"/api/incidents/{incident['id']}/assessment"

    marked = await officer.post(path, {"significant": True, "reason": "Council tax system down"})
    assert marked.status_code == 200, marked.text
    await mail_server.inbox.wait_for(_to(duty.email))
    worse = await officer.post(path, {"category": 3, "reason": "Data taken as well"})
    assert worse.status_code == 200, worse.text
    back = await officer.post(path, {"category": 4, "reason": "Data was not taken after all"})
    assert back.status_code == 200, back.text
    closed = await officer.post(
        f"/api/incidents/{incident['id']}/close", {"summary": "Restored from backups."}
    )
    assert closed.status_code == 200, closed.text
    await mail_server.inbox.wait_for(
        lambda m: "closed" in m.subject.lower() and incident["reference"] in m.subject
    )

    told: list[ReceivedMail] = mail_server.inbox.messages(_to(duty.email))
    # Category 4 alone: nothing. Significant: told. Category 3: told. Back to 4: nothing new.
    assert [("category 4" in m.subject, "category 3" in m.subject) for m in told] == [
        (True, False),
        (False, True),
    ]
    assert all("significant" in m.text() for m in told)
