"""The status page: what needs doing now, the actions that make sense, the timeline, and the
live region that refreshes it, in Welsh and in English."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import httpx
import pytest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.commands import WaiveObligation
from domain.obligations import Body
from domain.vocabulary import EventKind, MemberRole
from models import ResponsibleMember
from runtime.database import Database
from runtime.settings import Settings
from tests.support import (
    CouncilUnderTest,
    eventually,
    make_authority,
    make_user,
    sign_in,
    start_incident,
    wait_for_events,
)
from workflows import IncidentWorkflow

ENGLISH = {"concordat_language": "en"}


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


@dataclass
class _StatusPage:
    """A category 4 ransomware incident's status page (both chains asked, Report Fraud's clock
    running), the council it belongs to, and the client that reads it."""

    http: httpx.AsyncClient
    database: Database
    council: CouncilUnderTest
    handle: WorkflowHandle
    path: str

    async def sign_in(self, *, english: bool, council: CouncilUnderTest | None = None) -> None:
        """Signed in as an officer of the incident's council, or of `council`."""
        self.http.cookies.clear()
        officer, password = await make_user(self.database, council or self.council)
        await sign_in(self.http, officer.email, password)
        if english:
            self.http.cookies.update(ENGLISH)


@pytest.fixture
async def status_page(
    dev_server: WorkflowEnvironment,
    database: Database,
    dev_settings: Settings,
    http: httpx.AsyncClient,
) -> _StatusPage:
    council = await make_authority(database)
    async with database.session() as session:
        member = await session.get(ResponsibleMember, council.members[MemberRole.EXECUTIVE_MEMBER])
        assert member is not None
        member.phone = "029 2087 2000"
        session.add(member)
        await session.commit()
    handle = await start_incident(dev_server.client, database, council, dev_settings.task_queue)
    await wait_for_events(database, handle, EventKind.ACKNOWLEDGEMENT_REQUESTED, count=2)
    path = f"/incidents/{handle.id.removeprefix('incident-')}"
    return _StatusPage(http, database, council, handle, path)


async def test_who_has_not_acknowledged_and_the_time_left_in_both_languages(
    status_page: _StatusPage,
) -> None:
    http, council, path = status_page.http, status_page.council, status_page.path
    await status_page.sign_in(english=True)
    number = int(council.code.removeprefix("T"), 16)
    page = await http.get(path)
    assert page.status_code == 200
    text = _text(page.text)
    assert f"Waiting for Executive Member {number} (executive member), level 1." in text
    assert re.search(r"\d+ (hours?|minutes?)[^.]* left at this level", text), text
    assert "029 2087 2000" in text and 'href="tel:02920872000"' in page.text
    assert "Report Fraud" in text and "Due" in text and "left." in text
    assert "Next deadline" in text and "govuk-tag--blue" in page.text

    http.cookies.delete("concordat_language")
    welsh = await http.get(path)
    assert '<html lang="cy"' in welsh.text
    words = _text(welsh.text)
    assert "Yn aros am Executive Member" in words and "(aelod gweithredol), lefel 1." in words
    assert "ar ôl ar y lefel hon" in words and "Beth sydd angen ei wneud nawr" in words
    http.cookies.clear()


async def test_close_is_not_offered_while_a_report_is_open_and_the_page_says_why(
    status_page: _StatusPage,
) -> None:
    http, handle, path = status_page.http, status_page.handle, status_page.path
    await status_page.sign_in(english=True)
    page = await http.get(path)
    assert f'action="{path}/actions/close"' not in page.text
    assert "You cannot close this incident yet" in _text(page.text)
    assert "Report Fraud" in _text(page.text)
    alone = await http.get(f"{path}/actions/close")
    assert alone.status_code == 200 and "<textarea" not in alone.text
    assert "You cannot close this incident yet" in _text(alone.text)

    # Asked anyway, the workflow refuses, and the form says so in an error summary.
    refused = await http.post(
        f"{path}/actions/close",
        data={"csrf_token": _csrf(page.text), "summary": "Nothing more to do here at all."},
    )
    assert refused.status_code == 409
    assert "There is a problem" in refused.text and "Report Fraud" in _text(refused.text)
    assert 'href="#close-summary"' in refused.text

    await handle.execute_update(
        IncidentWorkflow.waive_obligation,
        WaiveObligation(body=Body.REPORT_FRAUD, reason="Told by telephone", actor="officer"),
    )
    settled = await http.get(path)
    assert f'action="{path}/actions/close"' in settled.text
    assert "the incident can be closed" in _text(settled.text)
    http.cookies.clear()


async def test_an_action_ends_with_a_banner_and_a_mistake_with_an_error_summary(
    status_page: _StatusPage,
) -> None:
    http, path = status_page.http, status_page.path
    await status_page.sign_in(english=False)
    form = await http.get(f"{path}/actions/note")
    assert form.status_code == 200 and 'id="note-text"' in form.text
    noted = await http.post(
        f"{path}/actions/note", data={"csrf_token": _csrf(form.text), "text": "Backups checked"}
    )
    assert noted.status_code == 303 and noted.headers["location"] == f"{path}?done=note"
    welsh = await http.get(noted.headers["location"])
    assert "govuk-notification-banner--success" in welsh.text
    assert "Mae eich nodyn wedi'i ychwanegu at y llinell amser." in _text(welsh.text)

    http.cookies.update(ENGLISH)
    english = await http.get(noted.headers["location"])
    assert "Your note has been added to the timeline." in _text(english.text)
    short = await http.post(
        f"{path}/actions/waiver",
        data={"csrf_token": _csrf(form.text), "body": "report_fraud", "reason": "No"},
    )
    assert short.status_code == 422
    assert "Error:" in short.text and "There is a problem" in short.text
    assert (
        'id="waiver-reason-error"' in short.text and 'value="report_fraud" selected' in short.text
    )
    http.cookies.clear()


async def test_the_timeline_filter_and_the_live_region(status_page: _StatusPage) -> None:
    http, handle, path = status_page.http, status_page.handle, status_page.path
    # Before anyone signs in, the live region is not shown.
    http.cookies.clear()
    unsigned = await http.get(f"{path}/live")
    assert unsigned.status_code == 303 and unsigned.headers["location"].startswith("/signin")

    elsewhere = await make_authority(status_page.database)
    await status_page.sign_in(english=True, council=elsewhere)
    assert (await http.get(f"{path}/live")).status_code == 404
    assert (await http.get(path)).status_code == 404

    await status_page.sign_in(english=True)
    page = await http.get(path)
    noted = await http.post(
        f"{path}/actions/note", data={"csrf_token": _csrf(page.text), "text": "Firewall rule added"}
    )
    assert noted.status_code == 303

    async def noted_live() -> str | None:
        live = await http.get(f"{path}/live")
        assert live.status_code == 200 and live.headers["cache-control"] == "no-store"
        return live.text if "Firewall rule added" in live.text else None

    live = await eventually(noted_live)
    assert 'id="status-now"' in live and 'id="status-timeline"' in live
    assert "<form" not in live and "<html" not in live
    assert "Opened" in _text(live)

    only_notes = await http.get(path, params={"kind": "note_added"})
    rows = _text(only_notes.text.split('id="status-timeline"')[1])
    assert "Firewall rule added" in rows and "Opened" not in rows
    assert re.search(r"Showing 1 of \d+ events", rows)
    assert 'value="note_added" checked' in only_notes.text
    assert f"/incidents/{handle.id.removeprefix('incident-')}/live?kind=note_added" in (
        only_notes.text
    )
    # An unknown kind is ignored, not refused: the whole timeline is shown.
    everything = await http.get(path, params={"kind": "nonsense"})
    assert everything.status_code == 200 and "Opened" in _text(everything.text)
    http.cookies.clear()
