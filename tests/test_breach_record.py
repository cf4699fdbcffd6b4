"""A breach register entry nobody can quietly rewrite: every change is on the incident's
hash-chained timeline, and a closed incident's entry is not changed at all."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from domain.breach import BreachFacts
from domain.commands import AmendBreachRecord, Rejection
from domain.vocabulary import EventKind
from runtime.database import Database
from runtime.settings import Settings
from services.reporting import breach_of
from tests.support import make_authority, settle_and_close, start_incident, wait_for_events
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
