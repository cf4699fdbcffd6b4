"""Record the histories of representative incidents into tests/histories/*.json.

    .venv/bin/python -m tests.histories.record

Run it when a new kind of incident should be protected against non-deterministic changes;
commit the JSON it writes. `tests/test_replay.py` replays every file against the current code.
Existing files are never overwritten: they stand for incidents already in flight, recorded by
older code. A workflow that continued as new is written one file per run (`name.run2.json`).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from audit.history import fetch_from_server
from domain.activity_contracts import DeliveryOutcome, DeliveryReport
from domain.campaigns import CampaignLink
from domain.channels import Channel, ChannelPlan, StepChannels
from domain.commands import (
    Acknowledge,
    AcknowledgementChannel,
    AmendBreachRecord,
    MarkContained,
    MarkRecovered,
    Reassess,
    RecordSubmission,
)
from domain.commitments import CertificateReminders, RoleEmptied
from domain.complaints import (
    AcknowledgeComplaint,
    ComplaintChannel,
    ComplaintOutcome,
    RecordOutcome,
    complaint_workflow_id,
)
from domain.incident import OpenIncident
from domain.obligations import Body, SubmissionPhase
from domain.post_incident import (
    AddAction,
    CompleteAction,
    Owner,
    PostIncidentStart,
    PostIncidentState,
    Review,
    SignOffReview,
    UpdateReview,
    post_incident_workflow_id,
)
from domain.supplier_notices import (
    NoticeChannel,
    NoticeContent,
    Triage,
    TriageState,
    notice_workflow_id,
)
from domain.suppliers import SupplierDetails, normalised_name
from domain.vocabulary import MemberRole, NcscCategory, Stage
from embedded.notify_catcher import (
    EMBEDDED_EMAIL_TEMPLATE_ID,
    EMBEDDED_SMS_TEMPLATE_ID,
    NotifyCatcher,
    development_api_key,
    start_notify_catcher,
)
from models import Incident
from regimes.store import import_regime
from runtime.database import Database
from runtime.migrate import upgrade_database
from runtime.settings import Settings
from runtime.temporal import bundled_binary, converter_for
from services.administration import Actor
from services.centre import RecipientDetails, add_recipient
from services.complaint_clock import clock_for
from services.complaints import ComplaintDetails, record_complaint
from services.directory import member_holding, set_channel_plan, snapshot_authority
from services.incidents import details_of
from services.notice_clocks import start_clocks
from services.notice_intake import record_notice, registering_councils
from services.suppliers import add_supplier
from tests.fakes.teams import TeamsWebhook
from tests.histories.keys import RECORDING_PAYLOAD_KEYS
from tests.regime_files import DIGITAL_REGULATOR, shipped_with
from tests.support import (
    CouncilUnderTest,
    MailServer,
    acknowledge_both_chains,
    add_notes,
    eventually,
    make_authority,
    open_test_incident,
    settle_and_close,
)
from worker import build_worker
from workflows import (
    CertificateRemindersWorkflow,
    ComplaintWorkflow,
    IncidentWorkflow,
    PostIncidentWorkflow,
    RoleEmptiedWorkflow,
    SupplierNoticeWorkflow,
)

HERE = Path(__file__).parent
SUMMARY = "Contained by isolating the affected server; restored from backups; lessons logged."

Scenario = Callable[[WorkflowEnvironment, WorkflowHandle, CouncilUnderTest], Awaitable[None]]


async def _ready(handle: WorkflowHandle) -> bool:
    return (await handle.query(IncidentWorkflow.state)).stage != "detected"


async def _close(handle: WorkflowHandle) -> None:
    await settle_and_close(handle, SUMMARY)


async def acknowledged_and_closed(
    env: WorkflowEnvironment, handle: WorkflowHandle, council: CouncilUnderTest
) -> None:
    await acknowledge_both_chains(handle, council)
    await handle.execute_update(IncidentWorkflow.contain, MarkContained(actor="officer"))
    await handle.execute_update(IncidentWorkflow.recover, MarkRecovered(actor="officer"))
    await _close(handle)


async def escalated_to_the_last_level(
    env: WorkflowEnvironment, handle: WorkflowHandle, council: CouncilUnderTest
) -> None:
    await env.sleep(timedelta(hours=5))
    await _close(handle)


async def ncsc_reported_after_reassessment(
    env: WorkflowEnvironment, handle: WorkflowHandle, council: CouncilUnderTest
) -> None:
    await handle.execute_update(
        IncidentWorkflow.reassess,
        Reassess(category=NcscCategory.SIGNIFICANT, reason="Wider impact found", actor="officer"),
    )
    await env.sleep(timedelta(hours=5))  # two NCSC reminders
    await handle.execute_update(
        IncidentWorkflow.record_submission,
        RecordSubmission(body=Body.NCSC, reference="NCSC-0001", actor="officer"),
    )
    await _close(handle)


async def ico_missed_then_reported_late(
    env: WorkflowEnvironment, handle: WorkflowHandle, council: CouncilUnderTest
) -> None:
    await env.sleep(timedelta(hours=73))  # reminders at 24, 48 and 60 hours, then missed
    await handle.execute_update(
        IncidentWorkflow.record_submission,
        RecordSubmission(
            body=Body.ICO, reference="ICO-0001", late_reason="The DPO was on leave", actor="dpo"
        ),
    )
    await handle.execute_update(
        IncidentWorkflow.record_submission,
        RecordSubmission(
            body=Body.ICO, phase=SubmissionPhase.FOLLOW_UP, summary="Final numbers", actor="dpo"
        ),
    )
    await _close(handle)


async def two_stage_report_with_a_late_full_report(
    env: WorkflowEnvironment, handle: WorkflowHandle, council: CouncilUnderTest
) -> None:
    """A body a regime file added, whose report comes in two stages: the initial notice made in
    time with the NCSC copied, the full report missed and made late with its reasons."""
    regulator = Body("digital_regulator")
    await env.sleep(timedelta(hours=13))  # the initial notice's reminder
    await handle.execute_update(
        IncidentWorkflow.record_submission,
        RecordSubmission(body=regulator, reference="DR-1", copied_to=[Body.NCSC], actor="officer"),
    )
    await env.sleep(timedelta(hours=60))  # the full report's reminder, then its deadline
    await handle.execute_update(
        IncidentWorkflow.record_submission,
        RecordSubmission(
            body=regulator,
            copied_to=[Body.NCSC],
            late_reason="The supplier's forensic report came on day four",
            actor="officer",
        ),
    )
    await _close(handle)


async def closed_with_record_seal(
    env: WorkflowEnvironment, handle: WorkflowHandle, council: CouncilUnderTest
) -> None:
    """The closure email quotes the record's seal and the history is archived (patched in)."""
    await acknowledged_and_closed(env, handle, council)


async def continued_as_new(
    env: WorkflowEnvironment, handle: WorkflowHandle, council: CouncilUnderTest
) -> None:
    await acknowledge_both_chains(handle, council)
    await add_notes(handle, 30)
    await env.sleep(timedelta(hours=25))  # the ICO's first reminder, in the later run
    await _close(handle)


async def closed_while_escalating(
    env: WorkflowEnvironment, handle: WorkflowHandle, council: CouncilUnderTest
) -> None:
    """Closed with both chains still waiting: the record says their escalation stopped."""
    await env.sleep(timedelta(minutes=90))
    await _close(handle)


async def handed_over_mid_escalation(
    env: WorkflowEnvironment, handle: WorkflowHandle, council: CouncilUnderTest
) -> None:
    """A flood of notes hands the run over while both chains wait (patched in)."""
    await env.sleep(timedelta(minutes=30))
    await add_notes(handle, 15)
    await env.sleep(timedelta(minutes=45))
    await acknowledge_both_chains(handle, council)
    await _close(handle)


async def breach_record_amended(
    env: WorkflowEnvironment, handle: WorkflowHandle, council: CouncilUnderTest
) -> None:
    """The breach register entry amended through the workflow; a role's new holder
    acknowledges under their own name."""
    await handle.execute_update(
        IncidentWorkflow.amend_breach_record,
        AmendBreachRecord(changes={"facts": "Payroll file sent to the wrong person"}, actor="dpo"),
    )
    await handle.execute_update(
        IncidentWorkflow.acknowledge,
        Acknowledge(
            member_id=council.members[MemberRole.EXECUTIVE_MEMBER],
            member_name="A New Executive Member",
            actor="A New Executive Member",
        ),
    )
    await _close(handle)


async def paged_by_text_with_failover(
    env: WorkflowEnvironment, handle: WorkflowHandle, council: CouncilUnderTest
) -> None:
    """Paged by text first (the council's plan), a Teams card broadcast. Notify's receipt says
    one text failed for good, so that member's email follows at once; no receipt comes for the
    other, so at the delivery timeout Notify is asked, and says it arrived. Both members
    acknowledge by text (patched in)."""
    executive = council.members[MemberRole.EXECUTIVE_MEMBER]
    senior = council.members[MemberRole.SENIOR_MANAGEMENT_MEMBER]
    key = f"{handle.id}/executive/level-1/acknowledgement_request/{executive}/sms"
    await handle.signal(
        IncidentWorkflow.delivery_reported,
        DeliveryReport(
            idempotency_key=key,
            outcome=DeliveryOutcome.PERMANENT_FAILURE,
            reported_at=datetime.now(UTC),
        ),
    )
    await asyncio.sleep(1)  # real time, for Notify to deliver the other text
    await env.sleep(timedelta(minutes=6))
    for member in (executive, senior):
        await handle.execute_update(
            IncidentWorkflow.acknowledge,
            Acknowledge(member_id=member, actor="member", via=AcknowledgementChannel.SMS),
        )
    await handle.execute_update(IncidentWorkflow.contain, MarkContained(actor="officer"))
    await handle.execute_update(IncidentWorkflow.recover, MarkRecovered(actor="officer"))
    await _close(handle)


async def centre_told_as_it_worsened(
    env: WorkflowEnvironment, handle: WorkflowHandle, council: CouncilUnderTest
) -> None:
    for change in ({"significant": True}, {"category": NcscCategory.HIGHLY_SIGNIFICANT}):
        await handle.execute_update(
            IncidentWorkflow.reassess, Reassess(reason="Worse", actor="officer", **change)
        )
    await acknowledge_both_chains(handle, council)
    await _close(handle)


async def linked_into_a_campaign(
    env: WorkflowEnvironment, handle: WorkflowHandle, council: CouncilUnderTest
) -> None:
    link = CampaignLink(campaign_id=1, name="Supplier compromise", actor="Central team")
    for update in (IncidentWorkflow.campaign_linked, IncidentWorkflow.campaign_linked):
        await handle.execute_update(update, link)  # the second, a retry, records nothing
    await handle.execute_update(IncidentWorkflow.campaign_unlinked, link)
    await acknowledge_both_chains(handle, council)
    await _close(handle)


SCENARIOS: dict[str, tuple[dict[str, Any], Scenario]] = {
    "acknowledged_and_closed": ({"category": NcscCategory.SUBSTANTIAL}, acknowledged_and_closed),
    "escalated_to_the_last_level": (
        {"category": NcscCategory.SUBSTANTIAL},
        escalated_to_the_last_level,
    ),
    "ncsc_reported_after_reassessment": (
        {"category": NcscCategory.MODERATE},
        ncsc_reported_after_reassessment,
    ),
    "ico_missed_then_reported_late": (
        {"category": NcscCategory.SUBSTANTIAL, "personal_data": True, "exercise": True},
        ico_missed_then_reported_late,
    ),
    "closed_with_record_seal": ({"category": NcscCategory.SUBSTANTIAL}, closed_with_record_seal),
    "continued_as_new": (
        {"category": NcscCategory.SUBSTANTIAL, "personal_data": True, "history_limit": 150},
        continued_as_new,
    ),
    # Started with the directory in its input (as the API does), timeline batches gathering
    # the emails in flight (patched in).
    "opened_with_directory": (
        {"category": NcscCategory.SUBSTANTIAL, "with_directory": True},
        acknowledged_and_closed,
    ),
    "handed_over_mid_escalation": (
        {"category": NcscCategory.SUBSTANTIAL, "with_directory": True, "update_limit": 10},
        handed_over_mid_escalation,
    ),
    "breach_record_amended": (
        {"category": NcscCategory.SUBSTANTIAL, "personal_data": True, "with_directory": True},
        breach_record_amended,
    ),
    # Closing records each unanswered chain as stopped (patched in).
    "closed_while_escalating": (
        {"category": NcscCategory.SUBSTANTIAL, "with_directory": True},
        closed_while_escalating,
    ),
    # Texts, Notify email and Teams beside the council's email, with failover (patched in).
    "paged_by_text_with_failover": (
        {"category": NcscCategory.SIGNIFICANT, "with_directory": True, "with_mobiles": True},
        paged_by_text_with_failover,
    ),
    # The central team's duty recipient told at opening and as it worsened (patched in).
    "centre_told_as_it_worsened": (
        {"category": NcscCategory.SIGNIFICANT, "with_directory": True, "with_centre": True},
        centre_told_as_it_worsened,
    ),
    # Linked into a central team's campaign and out again (new updates).
    "linked_into_a_campaign": (
        {"category": NcscCategory.SUBSTANTIAL, "with_directory": True},
        linked_into_a_campaign,
    ),
    # Closed: its timeline passes to its post-incident process, started as a child (patched in).
    "closed_into_its_post_incident_process": (
        {"category": NcscCategory.SUBSTANTIAL, "with_directory": True},
        acknowledged_and_closed,
    ),
    # Opened on code with every change to 2026-11: one marker stands for them all.
    "every_change_under_one_marker": (
        {"category": NcscCategory.SUBSTANTIAL, "with_directory": True},
        acknowledged_and_closed,
    ),
    # A regime file's body with a report in two stages (patched in: bodies and stages as data).
    "two_stage_report_with_a_late_full_report": (
        {"category": NcscCategory.MODERATE, "with_directory": True, "with_regime": True},
        two_stage_report_with_a_late_full_report,
    ),
}

#: Every channel, as a deployment with Notify and a Teams webhook has them.
ALL_CHANNELS = [Channel.EMAIL, Channel.SMS, Channel.NOTIFY_EMAIL, Channel.TEAMS]


#: Text first for the most serious incidents, with email after it if the text fails.
TEXT_FIRST = ChannelPlan(
    category_1_3=StepChannels(
        first=[Channel.SMS], reminder=[Channel.SMS], escalation=[Channel.SMS, Channel.EMAIL]
    )
)


async def _give_mobiles(database: Database, council: CouncilUnderTest) -> None:
    async with database.session() as session:
        await set_channel_plan(council.id, TEXT_FIRST, session=session, commit=False)
        for number, role in enumerate(council.members, start=500):
            member = await member_holding(council.id, role, session=session)
            assert member is not None
            member.mobile = f"+447700900{number:03d}"
            session.add(member)
        await session.commit()


AuthorityStart = Callable[[WorkflowEnvironment, str, str], Awaitable[WorkflowHandle]]


def _authority_scenarios(council: CouncilUnderTest) -> dict[str, tuple[AuthorityStart, str]]:
    """Processes about an authority rather than an incident: how each starts, and its id."""
    expires = date.today() + timedelta(days=30)
    certificate = CertificateReminders(
        authority_code=council.code, certificate_number="IASME-CEP-0001", expires_on=expires
    )
    emptied = RoleEmptied(
        authority_code=council.code, role=MemberRole.EXECUTIVE_MEMBER, change_id=1
    )

    async def remind(env: WorkflowEnvironment, workflow_id: str, queue: str) -> WorkflowHandle:
        return await env.client.start_workflow(
            CertificateRemindersWorkflow.run, certificate, id=workflow_id, task_queue=queue
        )

    async def tell(env: WorkflowEnvironment, workflow_id: str, queue: str) -> WorkflowHandle:
        return await env.client.start_workflow(
            RoleEmptiedWorkflow.run, emptied, id=workflow_id, task_queue=queue
        )

    return {
        # Reminded at 30 and 7 days, then told it expired (the 90-day point already past).
        "certificate_reminded_then_expired": (remind, f"certificate-reminders-{council.code}"),
        "named_role_emptied": (tell, f"role-emptied-{council.code}-executive_member-1"),
    }


#: A post-incident process carrying the review through: started, an action added, reminded
#: and escalated when overdue, done, the review signed off.
REVIEW_SIGNED_OFF = "post_incident_review_signed_off"


async def _idle(handle: WorkflowHandle) -> bool:
    """Nothing in flight: no activity pending and the last workflow task completed, so the
    history ends where a replay can."""
    description = await handle.describe()
    if description.raw_description.pending_activities:
        return False
    history = await handle.fetch_history()
    return history.events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED


async def _review_state(handle: WorkflowHandle) -> PostIncidentState:
    state: PostIncidentState = await handle.query(PostIncidentWorkflow.state)
    return state


async def _closed_row(database: Database, council: CouncilUnderTest) -> Incident:
    """A closed incident as its post-incident process finds it. The process is started here
    by itself: the time-skipping server does not skip time while a closed incident's abandoned
    children run, so the incident's own closing is a scenario of its own
    (`closed_into_its_post_incident_process`)."""
    row = await open_test_incident(database, council, category=NcscCategory.SUBSTANTIAL)
    async with database.session() as session:
        found = await session.get(Incident, row.id)
        assert found is not None
        found.closed_at, found.stage = datetime.now(UTC), Stage.CLOSED
        session.add(found)
        await session.commit()
        await session.refresh(found)
    return found


async def _record_post_incident(database: Database, settings: Settings) -> None:
    if (HERE / f"{REVIEW_SIGNED_OFF}.json").exists():
        print(f"kept {REVIEW_SIGNED_OFF}: already recorded")
        return
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=converter_for(settings),
        test_server_existing_path=bundled_binary("temporal-test-server"),
    ) as env:
        queue = f"record-{uuid.uuid4()}"
        row = await _closed_row(database, await make_authority(database))
        async with build_worker(env.client, database, settings, task_queue=queue):
            after = await env.client.start_workflow(
                PostIncidentWorkflow.run,
                PostIncidentStart(
                    incident_id=row.id, incident_workflow_id=row.workflow_id, review_wanted=True
                ),
                id=post_incident_workflow_id(row.workflow_id),
                task_queue=queue,
            )

            async def started() -> Review | None:
                return (await _review_state(after)).review

            review: Review = await eventually(started)
            due_at = review.started_at + timedelta(hours=1)
            owner = Owner(member_role=MemberRole.SENIOR_MANAGEMENT_MEMBER, name="Senior")
            await after.execute_update(
                PostIncidentWorkflow.add_action,
                AddAction(
                    title="Patch the VPN within 48 hours of every advisory",
                    owner=owner,
                    due_on=due_at.date(),
                    due_at=due_at,
                    actor="officer",
                ),
            )
            await env.sleep(timedelta(hours=2))  # overdue: its owner reminded
            await env.sleep(timedelta(days=7, hours=1))  # still open: escalated

            async def escalated() -> bool:
                state = await _review_state(after)
                return bool(state.review and state.review.actions[0].escalated_at)

            await eventually(escalated)
            await after.execute_update(
                PostIncidentWorkflow.update_review,
                UpdateReview(root_cause="An unpatched VPN.", commitments=["g"], actor="smm"),
            )
            await after.execute_update(
                PostIncidentWorkflow.complete_action,
                CompleteAction(number=1, note="Patched; runbook changed.", actor="it"),
            )
            await after.execute_update(
                PostIncidentWorkflow.sign_off_review, SignOffReview(actor="smm")
            )

            async def signed_off() -> bool:
                state = await _review_state(after)
                return bool(state.review and state.review.signed_off_at) and await _idle(after)

            await eventually(signed_off)
            _write(REVIEW_SIGNED_OFF, after.id, await fetch_from_server(env.client, after.id))


#: A data-protection complaint's clock: reminded, escalated when not acknowledged in 30 days,
#: acknowledged late, reminded of its outcome, closed with it.
COMPLAINT_ESCALATED = "complaint_escalated_acknowledged_closed"


async def _record_complaint(database: Database, settings: Settings) -> None:
    if (HERE / f"{COMPLAINT_ESCALATED}.json").exists():
        print(f"kept {COMPLAINT_ESCALATED}: already recorded")
        return
    council = await make_authority(database)
    async with database.session() as session:
        complaint = await record_complaint(
            council.authority,
            ComplaintDetails(
                received_at=datetime.now(UTC),
                received_how=ComplaintChannel.EMAIL,
                summary="A resident says their case notes were sent to the wrong address.",
                recorded_by="officer",
            ),
            acknowledge_within=timedelta(days=30),
            session=session,
        )
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=converter_for(settings),
        test_server_existing_path=bundled_binary("temporal-test-server"),
    ) as env:
        queue = f"record-{uuid.uuid4()}"
        async with build_worker(env.client, database, settings, task_queue=queue):
            handle = await env.client.start_workflow(
                ComplaintWorkflow.run,
                clock_for(complaint, council.authority, base_url="http://localhost"),
                id=complaint_workflow_id(complaint.id),
                task_queue=queue,
            )
            await env.sleep(timedelta(days=31))  # reminders at 14, 21, 28 days; escalated at 30
            await handle.execute_update(
                ComplaintWorkflow.acknowledge,
                AcknowledgeComplaint(actor="dpo", how=ComplaintChannel.EMAIL),
            )
            await env.sleep(timedelta(days=15))  # the outcome's first reminder
            await handle.execute_update(
                ComplaintWorkflow.record_outcome,
                RecordOutcome(
                    actor="dpo",
                    outcome=ComplaintOutcome.PARTLY_UPHELD,
                    reasons="The letter went to an old address; records corrected.",
                ),
            )
            await handle.result()
            found = await fetch_from_server(env.client, handle.id)
    _write(COMPLAINT_ESCALATED, handle.id, found)


#: One council's triage clock for a supplier's notice: told, reminded half way, escalated at
#: the hour, reminded again, then dismissed with a reason.
NOTICE_ESCALATED = "supplier_notice_escalated_then_dismissed"


async def _record_supplier_notice(database: Database, settings: Settings) -> None:
    if (HERE / f"{NOTICE_ESCALATED}.json").exists():
        print(f"kept {NOTICE_ESCALATED}: already recorded")
        return
    council = await make_authority(database, reporting=False)
    name = "Acme Hosting Services Ltd"
    async with database.session() as session:
        await add_supplier(
            council.id,
            SupplierDetails.model_validate({"name": name}),
            actor=Actor("record"),
            session=session,
        )
        notice, _ = await record_notice(
            NoticeContent(
                subject="Ransomware in our hosting platform",
                text="Our platform hosting your revenues system was encrypted at 02:10.",
            ),
            supplier_name=normalised_name(name),
            display_name=name,
            channel=NoticeChannel.PAGE,
            councils=await registering_councils(normalised_name(name), session=session),
            recorded_by="officer",
            window_minutes=60,
            session=session,
        )
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=converter_for(settings),
        test_server_existing_path=bundled_binary("temporal-test-server"),
    ) as env:
        queue = f"record-{uuid.uuid4()}"
        async with build_worker(env.client, database, settings, task_queue=queue):
            async with database.session() as session:
                await start_clocks(
                    notice.id,
                    session=session,
                    temporal=env.client,
                    task_queue=queue,
                    base_url="http://localhost",
                )
            handle = env.client.get_workflow_handle(notice_workflow_id(notice.id, council.code))
            await env.sleep(timedelta(hours=3))  # reminded, escalated at the hour, reminded
            await handle.execute_update(
                SupplierNoticeWorkflow.triage,
                Triage(
                    state=TriageState.DISMISSED,
                    actor="officer",
                    reason="The revenues system left this platform in 2025.",
                ),
            )
            await handle.result()
            found = await fetch_from_server(env.client, handle.id)
    _write(NOTICE_ESCALATED, handle.id, found)


def _write(name: str, workflow_id: str, found: Any) -> None:
    assert found is not None
    for number, run in enumerate(found.runs, start=1):
        suffix = "" if number == 1 else f".run{number}"
        document = {"workflow_id": workflow_id, **run.to_json_dict()}
        (HERE / f"{name}{suffix}.json").write_text(json.dumps(document))
        print(f"recorded {name}{suffix}: {len(run.events)} events")


async def record() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/record.db"
        upgrade_database(url)
        database = Database(url)
        mail = MailServer()
        mail.start()
        notify = start_notify_catcher(NotifyCatcher(development_api_key(), echo=False))
        teams = TeamsWebhook()
        base_settings = Settings(
            database_url=url,
            smtp_host="127.0.0.1",
            smtp_port=mail.port,
            secret_key="record",
            payload_keys=RECORDING_PAYLOAD_KEYS,
            notify_api_key=notify.catcher.api_key,
            notify_base_url=notify.url,
            notify_sms_template_id=EMBEDDED_SMS_TEMPLATE_ID,
            notify_email_template_id=EMBEDDED_EMAIL_TEMPLATE_ID,
        )
        try:
            for name, (incident, scenario) in SCENARIOS.items():
                if (HERE / f"{name}.json").exists():
                    print(f"kept {name}: already recorded")
                    continue
                incident = dict(incident)
                limit: dict[str, Any] = {
                    name: incident.pop(name)
                    for name in ("history_limit", "update_limit")
                    if name in incident
                }
                with_directory = incident.pop("with_directory", False)
                with_mobiles = incident.pop("with_mobiles", False)
                with_centre = incident.pop("with_centre", False)
                with_regime = incident.pop("with_regime", False)
                async with await WorkflowEnvironment.start_time_skipping(
                    data_converter=converter_for(base_settings),
                    test_server_existing_path=bundled_binary("temporal-test-server"),
                ) as env:
                    queue = f"record-{uuid.uuid4()}"
                    council = await make_authority(database)
                    settings = base_settings
                    channels = None
                    if with_mobiles:
                        await _give_mobiles(database, council)
                        webhooks = {council.code: SecretStr(teams.url_for(council.code))}
                        settings = base_settings.model_copy(update={"teams_webhooks": webhooks})
                        channels = ALL_CHANNELS
                    if with_centre:
                        async with database.session() as session:
                            await add_recipient(
                                RecipientDetails(
                                    name="Central team duty officer",
                                    email="duty@central.example",
                                    categories=[1, 2, 3],
                                    channels=[Channel.EMAIL],
                                ),
                                session=session,
                            )
                    if with_regime:
                        async with database.session() as session:
                            await import_regime(
                                shipped_with(DIGITAL_REGULATOR),
                                file_name="two-stage.toml",
                                imported_by="record",
                                session=session,
                            )
                    row = await open_test_incident(database, council, **incident)
                    if with_directory:
                        async with database.reading() as session:
                            limit["snapshot"] = await snapshot_authority(
                                council.id, session=session, channels=channels
                            )
                    async with build_worker(env.client, database, settings, task_queue=queue):
                        handle = await env.client.start_workflow(
                            IncidentWorkflow.run,
                            OpenIncident(details=details_of(row, council.authority), **limit),
                            id=row.workflow_id,
                            task_queue=queue,
                        )
                        await eventually(partial(_ready, handle))
                        await scenario(env, handle, council)
                        await handle.result()
                        found = await fetch_from_server(env.client, handle.id)
                    _write(name, handle.id, found)
            for name, (start, workflow_id) in _authority_scenarios(
                await make_authority(database)
            ).items():
                if (HERE / f"{name}.json").exists():
                    print(f"kept {name}: already recorded")
                    continue
                async with await WorkflowEnvironment.start_time_skipping(
                    data_converter=converter_for(base_settings),
                    test_server_existing_path=bundled_binary("temporal-test-server"),
                ) as env:
                    queue = f"record-{uuid.uuid4()}"
                    async with build_worker(env.client, database, base_settings, task_queue=queue):
                        handle = await start(env, workflow_id, queue)
                        await handle.result()  # the time-skipping server skips to each timer
                        found = await fetch_from_server(env.client, handle.id)
                    _write(name, handle.id, found)
            await _record_post_incident(database, base_settings)
            await _record_complaint(database, base_settings)
            await _record_supplier_notice(database, base_settings)
        finally:
            mail.stop()
            notify.stop()
            teams.stop()
            await database.dispose()


if __name__ == "__main__":
    asyncio.run(record())
