"""Reports in stages, and bodies added by a regime file with no code: on real Temporal (the
time-skipping server for the clocks), a real database and the real SMTP catcher."""

from __future__ import annotations

import html
import re
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import select
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from domain.commands import RecordSubmission
from domain.obligations import Body, ObligationState
from domain.vocabulary import EventKind, Language, MemberRole, NcscCategory
from models import ObligationRecord, ReportingRuleOverride
from runtime.database import Database
from runtime.settings import Settings
from services import directory
from tests.regime_files import DIGITAL_REGULATOR, regime_in_force, shipped_with
from tests.support import (
    CouncilUnderTest,
    MailServer,
    eventually,
    make_authority,
    make_user,
    sign_in,
    start_incident,
    wait_for_events,
)
from tests.test_api import officer_for
from worker import build_worker
from workflows import IncidentWorkflow

REGULATOR = Body("digital_regulator")


async def quiet_council(database: Database) -> CouncilUnderTest:
    """A council told of nothing but the digital regulator (the shipped bodies switched off, so
    the mail counted is the regulator's alone); its senior management member reads Welsh."""
    council = await make_authority(
        database,
        reporting=False,
        languages={MemberRole.SENIOR_MANAGEMENT_MEMBER: Language.WELSH},
    )
    await hear_from_the_regulator(database, council)
    return council


async def hear_from_the_regulator(database: Database, council: CouncilUnderTest) -> None:
    """Switch the regulator on: a council made with its reporting off switched off every body
    this process had heard of, the regulator too once an earlier test put it in force."""
    async with database.session() as session:
        await directory.set_reporting_rule(
            council.id,
            ReportingRuleOverride(authority_id=council.id, body=REGULATOR, enabled=True),
            session=session,
        )


async def opened(
    env: WorkflowEnvironment, database: Database, council: CouncilUnderTest, queue: str
) -> WorkflowHandle:
    handle = await start_incident(
        env.client, database, council, queue, category=NcscCategory.MODERATE
    )

    async def loaded() -> bool:
        return (await handle.query(IncidentWorkflow.state)).stage.value != "detected"

    await eventually(loaded)
    return handle


async def regulator(handle: WorkflowHandle) -> Any:
    return (await handle.query(IncidentWorkflow.state)).obligation(REGULATOR)


async def test_a_new_two_stage_body_clocks_new_incidents_only_and_a_late_stage_stays_late(
    time_skipping: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    mail_server: MailServer,
) -> None:
    queue = f"stages-{uuid.uuid4()}"
    council = await quiet_council(database)
    async with build_worker(time_skipping.client, database, settings, task_queue=queue):
        running = await opened(time_skipping, database, council, queue)
        async with regime_in_force(database, shipped_with(DIGITAL_REGULATOR)):
            handle = await opened(time_skipping, database, council, queue)

            # The incident already running keeps the bodies it opened with.
            before = await running.query(IncidentWorkflow.state)
            assert REGULATOR not in [o.body for o in before.obligations]
            obligation = await regulator(handle)
            assert obligation.state is ObligationState.DUE
            assert [s.key for s in obligation.stages] == ["initial_notice", "full_report"]
            start = obligation.clock_started_at
            assert [s.deadline - start for s in obligation.stages] == [
                timedelta(hours=24),
                timedelta(hours=72),
            ]

            # The owner is told, in Welsh, with the body's name from the file.
            [due] = await mail_server.inbox.wait_for(
                lambda m: (
                    m.to == council.email(MemberRole.SENIOR_MANAGEMENT_MEMBER)
                    and "rheoleiddiwr digidol" in m.subject
                )
            )
            assert due.subject

            await time_skipping.sleep(timedelta(hours=13))
            [reminder] = await wait_for_events(database, handle, EventKind.OBLIGATION_REMINDER)
            assert reminder.detail["stage"] == "initial_notice"

            # The initial notice must confirm the NCSC was copied.
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await handle.execute_update(
                    IncidentWorkflow.record_submission,
                    RecordSubmission(body=REGULATOR, reference="DR-1", actor="officer"),
                )
            assert "the NCSC at the same time" in str(refused.value.cause)
            assert "yr NCSC ar yr un pryd" in str(refused.value.cause)
            await handle.execute_update(
                IncidentWorkflow.record_submission,
                RecordSubmission(
                    body=REGULATOR, reference="DR-1", copied_to=[Body.NCSC], actor="officer"
                ),
            )
            obligation = await regulator(handle)
            assert obligation.state is ObligationState.DUE  # the full report still waits
            assert obligation.deadline == obligation.stages[1].deadline

            await time_skipping.sleep(timedelta(hours=60))  # past 72 hours from awareness
            [overdue] = await wait_for_events(database, handle, EventKind.OBLIGATION_OVERDUE)
            assert overdue.detail["stage"] == "full_report"
            missed = await mail_server.inbox.wait_for(
                lambda m: m.to.endswith(council.domain) and "full report" in m.text(), count=1
            )
            assert {m.to.split("@")[0] for m in missed} >= {"executive_member"}
            assert (await regulator(handle)).state is ObligationState.OVERDUE

            # A late stage needs its reasons, and stays late once recorded.
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await handle.execute_update(
                    IncidentWorkflow.record_submission,
                    RecordSubmission(body=REGULATOR, copied_to=[Body.NCSC], actor="officer"),
                )
            assert "reasons for the delay" in str(refused.value.cause)
            await handle.execute_update(
                IncidentWorkflow.record_submission,
                RecordSubmission(
                    body=REGULATOR,
                    copied_to=[Body.NCSC],
                    late_reason="The supplier's forensic report came on day four",
                    actor="officer",
                ),
            )
            obligation = await regulator(handle)
            assert obligation.state is ObligationState.SUBMITTED
            assert [(s.key, s.late) for s in obligation.stages] == [
                ("initial_notice", False),
                ("full_report", True),
            ]
            assert obligation.late
            submitted = await wait_for_events(
                database, handle, EventKind.OBLIGATION_SUBMITTED, count=2
            )
            assert [(e.detail["stage"], e.detail.get("late")) for e in submitted] == [
                ("initial_notice", None),
                ("full_report", True),
            ]

            async def projected() -> list[dict[str, Any]] | None:
                async with database.reading() as session:
                    row = (
                        await session.exec(
                            select(ObligationRecord).where(
                                ObligationRecord.incident_id == handle.id.removeprefix("incident-"),
                                ObligationRecord.body == REGULATOR,
                            )
                        )
                    ).first()
                return row.stages if row and row.state is ObligationState.SUBMITTED else None

            stages = await eventually(projected)
            assert [(s["stage"], s["late"]) for s in stages] == [
                ("initial_notice", False),
                ("full_report", True),
            ]


async def test_an_authority_can_switch_off_a_body_the_regime_added(
    time_skipping: WorkflowEnvironment, database: Database, settings: Settings
) -> None:
    queue = f"stages-{uuid.uuid4()}"
    council = await quiet_council(database)
    async with regime_in_force(database, shipped_with(DIGITAL_REGULATOR)):
        async with database.session() as session:
            await directory.set_reporting_rule(
                council.id,
                ReportingRuleOverride(authority_id=council.id, body=REGULATOR, enabled=False),
                session=session,
            )
        async with build_worker(time_skipping.client, database, settings, task_queue=queue):
            handle = await opened(time_skipping, database, council, queue)
            assert (await regulator(handle)).state is ObligationState.NOT_REQUIRED


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


async def test_an_officer_sees_each_stage_and_records_one_from_the_pages_and_the_api(
    http: httpx.AsyncClient, database: Database
) -> None:
    officer = await officer_for(database, http)  # the shipped bodies off: the regulator alone
    await hear_from_the_regulator(database, officer.council)
    async with regime_in_force(database, shipped_with(DIGITAL_REGULATOR)):
        created = await officer.open()
        api_path = f"/api/incidents/{created['id']}"

        async def staged() -> dict[str, Any] | None:
            obligations = (await officer.get(f"{api_path}/obligations")).json()
            found = [o for o in obligations if o["body"] == "digital_regulator"]
            return found[0] if found and found[0]["stages"] else None

        obligation = await eventually(staged)
        assert [s["key"] for s in obligation["stages"]] == ["initial_notice", "full_report"]

        draft = await officer.get(f"{api_path}/obligations/digital_regulator/draft")
        assert draft.status_code == 200
        assert "Initial notice to the digital regulator" in draft.text
        assert "Send a copy to the NCSC at the same time." in draft.text
        assert "What happened:\nA finance officer entered credentials" in draft.text
        assert "Services affected:\n[to complete]" in draft.text
        full = await officer.get(
            f"{api_path}/obligations/digital_regulator/draft?stage=full_report"
        )
        assert "Full report to the digital regulator" in full.text
        unknown = await officer.get(f"{api_path}/obligations/ncsc/draft?stage=full_report")
        assert unknown.status_code == 404

        person, password = await make_user(database, officer.council)
        await sign_in(http, person.email, password)
        for language, words in (
            ("cy", "Hysbysiad cychwynnol: erbyn"),
            ("en", "Initial notice: due by"),
        ):
            http.cookies.set("concordat_language", language)
            page = await http.get(f"/incidents/{created['id']}")
            assert words in html.unescape(page.text)
        refused = await http.post(
            f"/incidents/{created['id']}/actions/submission",
            data={"csrf_token": _csrf(page), "body": "digital_regulator", "reference": "DR-9"},
        )
        assert refused.status_code == 422
        assert "must be sent to the NCSC at the same time" in html.unescape(refused.text)
        told = await http.post(
            f"/incidents/{created['id']}/actions/submission",
            data={
                "csrf_token": _csrf(page),
                "body": "digital_regulator",
                "stage": "initial_notice",
                "copied_to": "ncsc",
                "reference": "DR-9",
            },
        )
        assert told.status_code == 303, told.text
        obligations = (await officer.get(f"{api_path}/obligations")).json()
        [regulator_now] = [o for o in obligations if o["body"] == "digital_regulator"]
        assert [s["submitted_at"] is not None for s in regulator_now["stages"]] == [True, False]
        assert regulator_now["state"] == "due"
        again = await officer.post(
            f"{api_path}/obligations/digital_regulator/submissions",
            {"stage": "initial_notice", "copied_to": ["ncsc"]},
        )
        assert again.status_code == 409
        assert "already recorded" in again.json()["detail"]
