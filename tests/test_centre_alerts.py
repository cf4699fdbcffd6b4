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

from domain.access import AccessRole
from domain.activity_contracts import SEND_NOTIFICATION, NotificationRequest
from domain.channels import Channel
from domain.vocabulary import NotificationKind
from models import CentreRecipient
from runtime.database import Database
from services import centre
from tests.support import MailServer, ReceivedMail, make_user, sign_in
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


def _csrf(page: httpx.Response) -> str:
    return page.text.split('name="csrf_token" value="')[1].split('"')[0]


async def test_the_central_team_keeps_who_the_centre_tells_on_its_page(
    web_app, database: Database
) -> None:
    central, password = await make_user(database, None, AccessRole.CENTRAL_TEAM)
    transport = httpx.ASGITransport(app=web_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://concordat.test") as page:
        assert (await sign_in(page, central.email, password)).status_code == 303
        await page.get("/language/en")
        form = await page.get("/wales/centre")
        assert form.status_code == 200 and "Add a duty recipient" in form.text

        # Neither an address nor a number: refused in the page's language, nothing added.
        refused = await page.post(
            "/wales/centre",
            data={"csrf_token": _csrf(form), "name": "Night duty", "channels": "email"},
        )
        assert refused.status_code == 422
        assert "Give an email address or a mobile number" in refused.text
        bad_number = await page.post(
            "/wales/centre",
            data={"csrf_token": _csrf(form), "name": "Night duty", "mobile": "01222 333444"},
        )
        assert bad_number.status_code == 422 and "Enter a UK mobile number" in bad_number.text

        email = f"night-{uuid.uuid4().hex[:8]}@central.example"
        added = await page.post(
            "/wales/centre",
            data={
                "csrf_token": _csrf(form),
                "name": "Night duty",
                "email": email,
                "mobile": "07700 900098",
                "language": "cy",
                "categories": ["1", "2"],
                "channels": ["email", "sms"],
            },
        )
        assert added.status_code == 303
        listed = await page.get("/wales/centre")
        assert "Night duty will be told of serious incidents" in listed.text
        assert email in listed.text and "+447700900098" in listed.text

        async with database.session() as session:
            [row] = [r for r in await centre.active_recipients(session=session) if r.email == email]
        assert row.categories == [1, 2] and row.significant is False
        assert row.channels == ["email", "sms"] and row.language.value == "cy"

        retired = await page.post(
            f"/wales/centre/{row.id}/retire", data={"csrf_token": _csrf(listed)}
        )
        assert retired.status_code == 303
        assert email not in (await page.get("/wales/centre")).text


async def test_an_auditor_of_every_authority_reads_who_the_centre_tells_and_changes_nothing(
    web_app, database: Database
) -> None:
    auditor, password = await make_user(database, None, AccessRole.AUDITOR, all_authorities=True)
    transport = httpx.ASGITransport(app=web_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://concordat.test") as page:
        assert (await sign_in(page, auditor.email, password)).status_code == 303
        shown = await page.get("/wales/centre")  # in Welsh: the auditor has not chosen
        assert shown.status_code == 200 and "Pwy mae'r canol yn rhoi gwybod" in shown.text
        assert "Ychwanegu derbynnydd dyletswydd" not in shown.text
        account = await page.get("/account/language")
        refused = await page.post(
            "/wales/centre",
            data={"csrf_token": _csrf(account), "name": "Shadow", "email": "s@central.example"},
        )
        assert refused.status_code == 403
