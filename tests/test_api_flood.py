"""One officer floods an incident with notes through the API, from several tokens at once. The
flood is refused quickly, never with a server error, and the incident stays operable: its
escalation carries on, the member acknowledges from their email, and the officer escalates it,
settles what it owes and closes it."""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from domain.vocabulary import MemberRole
from models import EscalationTimings
from runtime.database import Database
from runtime.settings import Settings
from services.tokens import issue_token
from tests.support import MailServer, eventually, make_user
from tests.test_api import Officer, officer_for

FLOOD = 5_000
AT_ONCE = 20
#: The limits of this test's own app: the production defaults' rates (600 requests a minute
#: per person, 30 notes and 30 other changes a minute per incident) over a 15-second window,
#: so a flood of 5,000 uses up the person's own allowance and the wait after it is short.
WINDOW_SECONDS = 15
LIMITS = {
    "rate_limit_api": f"150/{WINDOW_SECONDS} seconds",
    "rate_limit_notes": f"8/{WINDOW_SECONDS} seconds",
    "rate_limit_incident_changes": f"8/{WINDOW_SECONDS} seconds",
}
NOTES_PER_WINDOW = 8
#: Each chain moves on after 3 seconds unanswered, so it must move during the flood.
FAST_POLICY = EscalationTimings(ack_timeout_category_4_seconds=3, reminders_before_escalation=0)


async def until_accepted(
    send: Callable[[], Awaitable[httpx.Response]], answers: Counter[int]
) -> httpx.Response:
    """Send as a well-behaved client does: after a 429, wait as long as Retry-After says."""
    for _ in range(5):
        response = await send()
        answers[response.status_code] += 1
        if response.status_code != 429:
            return response
        await asyncio.sleep(int(response.headers["retry-after"]) + 0.2)
    raise AssertionError("still refused after waiting as told")


@pytest.fixture
async def http(
    dev_server: WorkflowEnvironment, database: Database, dev_settings: Settings, dev_worker: None
) -> AsyncIterator[httpx.AsyncClient]:
    """An app of this test's own, with `LIMITS`, counting from zero."""
    from web.app import create_app

    app = create_app(
        settings=dev_settings.model_copy(update=LIMITS),
        database=database,
        temporal=dev_server.client,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://concordat.test") as client:
        yield client


@pytest.mark.backend(
    "postgresql", reason="the flood is at the API; the database under it is production's"
)
async def test_a_flooded_incident_is_acknowledged_escalated_and_closed(
    http: httpx.AsyncClient, database: Database, mail_server: MailServer
) -> None:
    # The council's feed opens it, and is the reader used while the officer is held back.
    feed = await officer_for(database, http, reporting=True, policy=FAST_POLICY)
    council = feed.council
    officer, _ = await make_user(database, council)
    async with database.session() as session:
        tokens = [
            (
                await issue_token(
                    f"script {n}", authority_id=None, user_id=officer.id, session=session
                )
            )[1]
            for n in range(5)
        ]
    created = await feed.open()
    path = f"/api/incidents/{created['id']}"

    async def running() -> bool:
        return bool((await feed.get(path)).json()["live"])

    await eventually(running)

    flood: Counter[int] = Counter()
    at_once = asyncio.Semaphore(AT_ONCE)

    async def note(number: int) -> None:
        async with at_once:
            response = await http.post(
                f"{path}/notes",
                json={"text": f"Note {number} of the flood"},
                headers={"Authorization": f"Bearer {tokens[number % len(tokens)]}"},
            )
            flood[response.status_code] += 1

    started = time.monotonic()
    await asyncio.gather(*(note(n) for n in range(FLOOD)))
    windows = int((time.monotonic() - started) // WINDOW_SECONDS) + 2
    assert set(flood) <= {200, 429}, flood
    assert 0 < flood[200] <= NOTES_PER_WINDOW * windows, flood
    assert flood.total() == FLOOD

    async def escalated() -> list[dict[str, Any]] | None:
        events = (await feed.get(f"{path}/timeline")).json()["events"]
        return [e for e in events if e["kind"] == "escalated"] or None

    # The escalation was not held up by the flood.
    assert await eventually(escalated)
    events = (await feed.get(f"{path}/timeline")).json()["events"]
    assert sum(e["kind"] == "note_added" for e in events) == flood[200]

    # The member acknowledges from the link in their email.
    address = council.email(MemberRole.EXECUTIVE_MEMBER)
    mail = (await mail_server.inbox.wait_for(lambda m: m.to == address and "/ack/" in m.text()))[0]
    link = re.search(r"http://concordat\.test(/ack/\S+)", mail.text())
    assert link is not None
    acknowledged = await http.post(link.group(1))
    assert acknowledged.status_code == 200 and "Your acknowledgement of" in acknowledged.text

    # The officer, held back only by their own count of requests, escalates the incident,
    # settles what it owes and closes it.
    answers: Counter[int] = Counter()
    acting = Officer(http, tokens[0], council)

    async def act(action: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await until_accepted(lambda: acting.post(f"{path}/{action}", body), answers)
        assert response.status_code == 200, (action, response.text)
        return response.json()

    state = await act(
        "assessment", {"category": 3, "reason": "Other services are affected after all."}
    )
    assert state["category"] == 3

    async def owed() -> list[str]:
        obligations = (await feed.get(f"{path}/obligations")).json()
        return [o["body"] for o in obligations if o["state"] in ("due", "overdue")]

    async def ncsc_due() -> list[str] | None:
        bodies = await owed()
        return bodies if "ncsc" in bodies else None

    # Significant now: the NCSC is owed a report, and nobody else until it is told.
    await eventually(ncsc_due)
    await act("ncsc-report", {"reference": "NCSC-2026-0042"})
    for body in await owed():
        await act(f"obligations/{body}/waiver", {"reason": "Told by telephone instead."})
    closed = await act("close", {"summary": "Contained; the notes were a runaway script."})
    assert closed["stage"] == "closed"
    assert set(answers) <= {200, 429}, answers

    async def recorded_closed() -> bool:
        return (await feed.get(path)).json()["stage"] == "closed"

    await eventually(recorded_closed)
