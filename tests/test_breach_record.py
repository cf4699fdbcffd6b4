"""A breach register entry nobody can quietly rewrite: every change is on the incident's
hash-chained timeline, and a closed incident's entry is not changed at all."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from domain.breach import BreachFacts
from domain.commands import AmendBreachRecord, Rejection
from domain.vocabulary import EventKind, MemberRole
from runtime.database import Database
from runtime.settings import Settings
from services.directory import member_by_id
from services.reporting import breach_of
from tests.support import (
    eventually,
    make_authority,
    settle_and_close,
    start_incident,
    wait_for_events,
)
from tests.test_api import officer_for
from tests.test_reporting_api import opened, personal_data_officer
from workflows import IncidentWorkflow


async def test_each_change_is_recorded_with_who_what_and_before(
    dev_server: WorkflowEnvironment, database: Database, dev_settings: Settings, dev_worker: None
) -> None:
    council = await make_authority(database)
    handle = await start_incident(
        dev_server.client, database, council, dev_settings.task_queue, personal_data=True
    )
    await wait_for_events(database, handle, EventKind.ACKNOWLEDGEMENT_REQUESTED, count=2)
    first = BreachFacts(facts="Payroll file emailed to the wrong person", approximate_records=40)
    await handle.execute_update(
        IncidentWorkflow.amend_breach_record,
        AmendBreachRecord(changes=first.given(), actor="Dr DPO"),
    )
    second = BreachFacts(approximate_records=400)
    await handle.execute_update(
        IncidentWorkflow.amend_breach_record,
        AmendBreachRecord(changes=second.given(), actor="Officer"),
    )

    amended = await wait_for_events(database, handle, EventKind.BREACH_RECORD_AMENDED, count=2)
    assert [e.actor for e in amended] == ["Dr DPO", "Officer"]
    assert amended[0].detail["after"] == first.given()
    assert amended[1].detail == {
        "fields": ["approximate_records"],
        "before": {"approximate_records": 40},
        "after": {"approximate_records": 400},
    }
    async with database.reading() as session:
        record = await breach_of(handle.id.removeprefix("incident-"), session=session)
    assert record is not None and record.approximate_records == 400
    assert record.facts == "Payroll file emailed to the wrong person"

    await settle_and_close(handle, "Recalled the email; the recipient deleted it.")
    await handle.result()
    # A closed incident's workflow has finished: nothing can reach the entry through it.
    with pytest.raises(RPCError):
        await handle.execute_update(
            IncidentWorkflow.amend_breach_record,
            AmendBreachRecord(changes={"approximate_records": 4}, actor="Officer"),
        )
    async with database.reading() as session:
        record = await breach_of(handle.id.removeprefix("incident-"), session=session)
    assert record is not None and record.approximate_records == 400


async def test_a_change_that_changes_nothing_is_refused(
    dev_server: WorkflowEnvironment, database: Database, dev_settings: Settings, dev_worker: None
) -> None:
    council = await make_authority(database)
    handle = await start_incident(
        dev_server.client, database, council, dev_settings.task_queue, personal_data=True
    )
    await wait_for_events(database, handle, EventKind.TRIAGED)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(
            IncidentWorkflow.amend_breach_record,
            AmendBreachRecord(changes={}, actor="Officer"),
        )
    assert isinstance(refused.value.cause, ApplicationError)
    assert refused.value.cause.type == Rejection.INVALID.value


async def test_through_the_api_each_change_is_on_the_timeline_and_closure_ends_them(
    http: httpx.AsyncClient, database: Database
) -> None:
    officer = await personal_data_officer(database, http)
    path = await opened(officer, category=3, personal_data=True)
    first = await officer.http.put(
        f"{path}/breach", json={"approximate_records": 40}, headers=officer.headers
    )
    again = await officer.http.put(
        f"{path}/breach", json={"approximate_records": 40}, headers=officer.headers
    )
    rewritten = await officer.http.put(
        f"{path}/breach", json={"approximate_records": 4}, headers=officer.headers
    )
    assert [r.status_code for r in (first, again, rewritten)] == [200, 200, 200]
    assert rewritten.json()["approximate_records"] == 4

    async def amendments() -> list[dict[str, Any]] | None:
        events = (await officer.get(f"{path}/timeline")).json()["events"]
        found = [e for e in events if e["kind"] == EventKind.BREACH_RECORD_AMENDED]
        return found if len(found) >= 2 else None

    amended = await eventually(amendments)
    assert len(amended) == 2  # saying the same again changes nothing, and records nothing
    assert amended[1]["summary"] == "Breach register entry amended: approximate records"
    assert amended[1]["actor"] == f"officer of {officer.council.code}"
    assert amended[1]["detail"]["before"] == {"approximate_records": 40}

    for body in ("ncsc", "ico", "welsh_government", "cymrusoc", "police"):
        await officer.post(
            f"{path}/obligations/{body}/waiver", {"reason": "Told by telephone at 09:00"}
        )
    closed = await officer.post(f"{path}/close", {"summary": "Recalled; the file was deleted."})
    assert closed.status_code == 200, closed.text

    async def recorded_closed() -> bool:
        return (await officer.get(path)).json()["closed_at"] is not None

    await eventually(recorded_closed)
    after = await officer.http.put(
        f"{path}/breach", json={"approximate_records": 0}, headers=officer.headers
    )
    assert after.status_code == 409
    assert "is closed" in after.json()["detail"] and "ar gau" in after.json()["detail"]
    kept = (await officer.get(f"{path}/breach")).json()
    assert kept["approximate_records"] == 4


async def test_the_opening_and_an_acknowledgement_name_the_people_who_acted(
    http: httpx.AsyncClient, database: Database
) -> None:
    officer = await officer_for(database, http)
    path = await opened(officer, reporter_name="Ceri the caller")
    council = officer.council
    async with database.session() as session:
        member = await member_by_id(council.members[MemberRole.EXECUTIVE_MEMBER], session=session)
        assert member is not None
        member.name = "Newly Elected Member"  # the role changed hands after the incident opened
        session.add(member)
        await session.commit()
    acknowledged = await officer.post(
        f"{path}/acknowledge", {"member_id": council.members[MemberRole.EXECUTIVE_MEMBER]}
    )
    assert acknowledged.status_code == 200, acknowledged.text

    async def recorded() -> list[dict[str, Any]] | None:
        events = (await officer.get(f"{path}/timeline")).json()["events"]
        return events if any(e["kind"] == EventKind.ACKNOWLEDGED for e in events) else None

    events = await eventually(recorded)
    opening = next(e for e in events if e["kind"] == EventKind.OPENED)
    assert opening["actor"] == f"officer of {council.code}"
    assert opening["detail"]["reporter"] == "Ceri the caller"
    acknowledgement = next(e for e in events if e["kind"] == EventKind.ACKNOWLEDGED)
    assert acknowledgement["summary"] == "Newly Elected Member (executive member) acknowledged"


async def test_the_entry_saved_the_moment_an_incident_opens_is_kept(
    http: httpx.AsyncClient, database: Database
) -> None:
    """An officer who saves the breach facts as soon as the incident exists races its first
    timeline batch, which also writes the entry; neither may fail or lose the other's work."""
    officer = await personal_data_officer(database, http)
    for number in range(5):
        created = await officer.open(personal_data=True)
        saved = await officer.http.put(
            f"/api/incidents/{created['id']}/breach",
            json={"approximate_records": number + 1},
            headers=officer.headers,
        )
        assert saved.status_code == 200, saved.text
        assert saved.json()["approximate_records"] == number + 1
