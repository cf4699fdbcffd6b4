"""Supplier notices on the pages and from the command line: an officer records a notice told by
telephone, the clock starts, and the officer dismisses it (refusals in Welsh and English); an
officer opens an incident from a notice on the usual incident form, prefilled; the central team
sees the notice with every council's triage and makes a campaign of it; and an email saved as a
file is imported with `concordat notice import`, or refused with nothing recorded.
"""

from __future__ import annotations

import asyncio
import html
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from domain.access import AccessRole
from domain.supplier_notices import NoticeChannel, TriageState
from models import NoticeRecipient, SupplierNotice
from runtime.database import Database
from runtime.settings import Settings
from services.notice_email import UnusableEmail, read_notice_email, record_email_notice
from services.notice_intake import NotOnRegister, issue_supplier_token
from tests.conftest import TEST_PAYLOAD_KEYS
from tests.incident_form_steps import confirm, form_value, hidden_fields
from tests.support import eventually, make_user, sign_in
from tests.test_supplier_notices import (
    NOTICE,
    bearer,
    copies_of,
    council_with,
    supplier_name,
    supplier_token,
)

CONCORDAT = str(Path(sys.executable).parent / "concordat")


def _csrf(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def _text(response: httpx.Response) -> str:
    return html.unescape(response.text)


def _input(page: str, name: str) -> str:
    """A text box's value as the page fills it in (GOV.UK's input puts its type between)."""
    found = re.search(rf'name="{re.escape(name)}"[^>]*? value="([^"]*)"', page)
    assert found is not None, f"no {name} box on the page"
    return html.unescape(found.group(1))


async def test_an_officer_records_a_notice_on_the_pages_then_dismisses_it(
    http: httpx.AsyncClient, database: Database
) -> None:
    name = supplier_name()
    council = await council_with(database, name)
    user, password = await make_user(database, council, AccessRole.ON_CALL_OFFICER, name="Rhys")
    assert (await sign_in(http, user.email, password)).status_code == 303
    assert 'href="/notices"' in (await http.get("/incidents")).text

    form = await http.get("/notices/new")
    assert form.status_code == 200 and 'lang="cy"' in form.text and name in form.text
    fields = {
        "csrf_token": _csrf(form.text),
        "form_id": form_value(form.text, "form_id"),
        "supplier": "",
        "subject": "",
        "text": "Their security team rang: the hosting platform was breached.",
    }
    future = {"detected_at-day": "1", "detected_at-month": "1", "detected_at-year": "2099"}
    future |= {"detected_at-hour": "9", "detected_at-minute": "00"}
    welsh = await http.post("/notices/new", data=fields | future)
    assert welsh.status_code == 422
    assert "Mae problem" in _text(welsh) and "Dewiswch y cyflenwr" in _text(welsh)
    assert "Rhowch bwnc o hyd at 200 nod ar un llinell" in _text(welsh)
    http.cookies.set("concordat_language", "en")
    english = await http.post("/notices/new", data=fields | future)
    assert "Select the supplier the notice came from" in _text(english)
    assert "When the supplier detected it must be in the past" in _text(english)
    assert 'href="#detected_at-day"' in english.text
    assert "Enter a subject of up to 200 characters on one line" in _text(english)
    assert 'href="#supplier"' in english.text and 'href="#subject"' in english.text

    supplier_id = re.search(r'<option value="(\d+)"', form.text)
    assert supplier_id is not None
    recorded = await http.post(
        "/notices/new",
        data=fields
        | {
            "supplier": supplier_id.group(1),
            "subject": "Breach of the hosting platform",
            "reference": "ACME-TEL-7",
            "detected_at-day": "21",
            "detected_at-month": "11",
            "detected_at-year": "2025",
            "detected_at-hour": "9",
            "detected_at-minute": "12",
        },
    )
    assert recorded.status_code == 303, recorded.text
    page_path = recorded.headers["location"]
    notice_id = page_path.rsplit("/", 1)[1]
    page = _text(await http.get(page_path))
    assert f"The notice from {name} has been recorded" in page
    assert "Waiting to be triaged" in page and "Recorded by an officer" in page
    assert "ACME-TEL-7" in page and "Friday 21 November 2025, 09:12 GMT" in page
    assert f'href="/incidents/new?notice={notice_id}"' in page
    listed = _text(await http.get("/notices"))
    assert "Breach of the hosting platform" in listed and "Waiting to be triaged" in listed

    # "Open an incident" is the usual form, filled in from the notice.
    prefilled = await http.get(f"/incidents/new?notice={notice_id}")
    assert form_value(prefilled.text, "notice_id") == notice_id
    assert f"Supplier notice from {name}: Breach of the hosting platform" in _text(prefilled)

    short = await http.post(
        f"{page_path}/dismiss", data={"csrf_token": fields["csrf_token"], "reason": "No."}
    )
    assert short.status_code == 422
    assert "Give the reason for dismissing the notice, in 10 to 2000 characters" in _text(short)
    reason = "The platform named is not one the council uses."
    dismissed = await http.post(
        f"{page_path}/dismiss", data={"csrf_token": fields["csrf_token"], "reason": reason}
    )
    assert dismissed.status_code == 303
    page = _text(await http.get(page_path))
    assert "The notice has been dismissed" in page and reason in page and "Rhys" in page
    assert 'action="' + page_path + '/dismiss"' not in page  # nothing left to decide
    again = await http.post(
        f"{page_path}/dismiss", data={"csrf_token": fields["csrf_token"], "reason": reason}
    )
    assert again.status_code == 409 and "already been dismissed by Rhys" in _text(again)
    assert (await http.get(f"/incidents/new?notice={notice_id}")).status_code == 409

    async with database.session() as session:
        notice = await session.get(SupplierNotice, notice_id)
        assert notice is not None and notice.channel is NoticeChannel.PAGE
        assert notice.recorded_by == "Rhys" and notice.recorded_by_user_id == user.id
    copy = (await copies_of(database, notice_id))[council.id]
    assert copy.state is TriageState.DISMISSED and copy.triaged_by_user_id == user.id


async def test_an_incident_opened_from_a_notice_on_the_form_and_the_central_teams_campaign(
    http: httpx.AsyncClient, database: Database
) -> None:
    name = supplier_name()
    first, second = await council_with(database, name), await council_with(database, name)
    token = await supplier_token(database, name)
    sent = (await http.post("/api/supplier-notices", json=NOTICE, headers=bearer(token))).json()
    user, password = await make_user(database, first, AccessRole.ON_CALL_OFFICER, name="Ceri")
    await sign_in(http, user.email, password)
    http.cookies.set("concordat_language", "en")

    form = await http.get(f"/incidents/new?notice={sent['id']}")
    assert "opening this incident from a supplier's notice" in _text(form)
    fields = hidden_fields(form.text) | {
        "title": _input(form.text, "title"),
        "description": NOTICE["text"],
        "incident_type": "supply_chain",
        "category": "3",
        "tlp": "TLP:GREEN",
        "reporter_name": "Ceri",
        "reporter_email": "ceri@example.org",
    }
    fields |= {
        f"detected_at-{part}": _input(form.text, f"detected_at-{part}")
        for part in ("day", "month", "year", "hour", "minute")
    }
    check = await http.post("/incidents/new", data=fields)
    assert hidden_fields(check.text)["notice_id"] == sent["id"]
    opened = await confirm(http, check)
    assert opened.status_code == 303, opened.text
    incident_path = opened.headers["location"]
    page = _text(await http.get(f"/notices/{sent['id']}"))
    assert "Opened as an incident" in page and f'href="{incident_path}"' in page

    centre, centre_password = await make_user(database, None, AccessRole.CENTRAL_TEAM)
    await sign_in(http, centre.email, centre_password)
    assert 'href="/wales/notices"' in (await http.get("/wales")).text
    listed = _text(await http.get("/wales/notices"))
    shown = listed.split(f'href="/wales/notices/{sent["id"]}"')[1].split("<h2")[0]
    assert first.authority.name_en in shown and second.authority.name_en in shown
    assert "Opened as an incident" in shown and "Waiting to be triaged" in shown
    national = await http.get(f"/wales/notices/{sent['id']}")
    assert "Start a campaign" in _text(national)
    made = await http.post(
        f"/wales/notices/{sent['id']}/campaign",
        data={"csrf_token": _csrf(national.text), "name": "", "tlp": "TLP:AMBER"},
    )
    assert made.status_code == 422 and "Give the campaign a name" in _text(made)
    made = await http.post(
        f"/wales/notices/{sent['id']}/campaign",
        data={
            "csrf_token": _csrf(national.text),
            "name": _input(national.text, "name"),
            "tlp": "TLP:AMBER",
        },
    )
    assert made.status_code == 303 and made.headers["location"].startswith("/wales/campaigns/")
    campaign = _text(await http.get(made.headers["location"]))
    assert "has been set up" in campaign and first.authority.name_en in campaign
    assert "Follow the campaign" in _text(await http.get(f"/wales/notices/{sent['id']}"))


def _email(sender: str, *, subject: str = "Security incident affecting your hosting") -> bytes:
    return (
        f"From: Acme SOC <{sender}>\r\n"
        "To: servicedesk@council.example\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: <{uuid.uuid4()}@acme.example>\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        "\r\n"
        "<p>We detected unauthorised access to the platform.</p><p>Rotate your keys.</p>\r\n"
    ).encode()


def test_an_email_is_read_for_its_sender_subject_and_text() -> None:
    read = read_notice_email(_email("SOC@Acme.Example"))
    assert read.sender == "soc@acme.example"
    assert read.subject == "Security incident affecting your hosting"
    assert read.text == "We detected unauthorised access to the platform.\n\nRotate your keys."
    with pytest.raises(UnusableEmail, match=r"not an email with a sender.*Nid yw'r ffeil"):
        read_notice_email(b"\x89PNG\r\n\x1a\n not an email at all")


@pytest.mark.backend("sqlite", reason="the command line's own work; the database is the API's")
async def test_an_emailed_notice_is_imported_from_the_command_line(
    database: Database,
    database_url: str,
    dev_server: WorkflowEnvironment,
    dev_settings: Settings,
    dev_worker: None,
    tmp_path: Path,
) -> None:
    name = supplier_name()
    council = await council_with(database, name)
    sender = f"soc@{name.split()[2]}.example"
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("CONCORDAT_")
    } | {
        "CONCORDAT_DATABASE_URL": database_url,
        "CONCORDAT_TEMPORAL_ADDRESS": dev_server.client.service_client.config.target_host,
        "CONCORDAT_PAYLOAD_KEYS": TEST_PAYLOAD_KEYS,
        "CONCORDAT_TASK_QUEUE": dev_settings.task_queue,
        "CONCORDAT_BASE_URL": dev_settings.base_url,
        "CONCORDAT_VAR_DIR": str(tmp_path),
    }

    async def concordat(*arguments: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(
            subprocess.run,  # our own command, with our own arguments
            [CONCORDAT, *arguments],
            env=environment,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    known = tmp_path / "notice.eml"
    known.write_bytes(_email(sender))
    stranger = tmp_path / "stranger.eml"
    stranger.write_bytes(_email("someone@unknown.example"))
    imported, refused = await asyncio.gather(
        concordat("notice", "import", str(known), "--authority", council.code),
        concordat("notice", "import", str(stranger)),
    )
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert f"from {name}: Security incident affecting your hosting" in imported.stdout
    assert council.code in imported.stdout
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "No supplier on a council's register has someone@unknown.example" in refused.stderr
    assert "Nid oes gan unrhyw gyflenwr ar gofrestr cyngor" in refused.stderr
    assert "Traceback" not in refused.stderr

    async with database.session() as session:
        (notice,) = (
            await session.exec(select(SupplierNotice).where(SupplierNotice.sender == sender))
        ).all()
        assert notice.channel is NoticeChannel.EMAIL and "Rotate your keys." in notice.text
        # The same message again finds the notice it made; a council without the supplier on
        # its register is refused, and nothing more is recorded.
        again, created, _ = await record_email_notice(
            known.read_bytes(), supplier=None, codes=[], window_minutes=60, session=session
        )
        assert again.id == notice.id and not created
        with pytest.raises(UnusableEmail, match="ZZZ99: not a council with this supplier"):
            await record_email_notice(
                _email(sender), supplier=None, codes=["ZZZ99"], window_minutes=60, session=session
            )
        with pytest.raises(NotOnRegister, match="No council has Nobody Ltd on its supplier"):
            await issue_supplier_token("Nobody Ltd", session=session)

    async def clock_started() -> NoticeRecipient | None:
        copy = (await copies_of(database, notice.id))[council.id]
        return copy if copy.clock_started_at is not None else None

    assert await eventually(clock_started)


def test_a_suppliers_token_is_made_only_for_a_supplier() -> None:
    from typer.testing import CliRunner

    from cli.main import app

    unbound = CliRunner().invoke(app, ["token", "create", "Acme", "--role", "supplier"])
    assert unbound.exit_code == 2 and "concordat suppliers token" in unbound.output
