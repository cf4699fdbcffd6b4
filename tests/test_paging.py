"""Paging that works when the council's email does not: texts and email through GOV.UK Notify,
failover, delivery receipts, acknowledging by text, and the Teams channel.

Against the dev server and real processes: `concordat worker` and `concordat web` each in a
process of their own, configured with a Notify key whose service is the local Notify catcher
(`embedded.notify_catcher`: Notify's v2 API, its JWT check, and its callbacks to our URLs), and
a local Teams webhook. The processes start once for the module, per database backend.
"""

from __future__ import annotations

import itertools
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import col, select
from temporalio.testing import WorkflowEnvironment

from domain.channels import Channel, ChannelPlan, StepChannels
from domain.vocabulary import EventKind, Language, MemberRole, Tlp
from embedded.notify_catcher import (
    EMBEDDED_EMAIL_TEMPLATE_ID,
    EMBEDDED_SMS_TEMPLATE_ID,
    NotifyCatcher,
    NotifyCatcherServer,
    SentMessage,
    development_api_key,
    start_notify_catcher,
)
from models import EscalationTimings, ReceivedText, SentNotification, SmsAckCode, TimelineEvent
from notifications.sms_length import segments
from runtime.database import Database
from runtime.settings import Settings
from services import directory
from services.timeline import timeline_of
from services.tokens import issue_token
from tests.fakes.teams import TeamsWebhook
from tests.processes import WebProcess, WorkerProcess
from tests.support import CouncilUnderTest, MailServer, eventually, make_authority
from workflows import ReceivedTextsWorkflow

NAMED = (MemberRole.EXECUTIVE_MEMBER, MemberRole.SENIOR_MANAGEMENT_MEMBER)

#: Ofcom's drama range: numbers no real phone has.
_numbers = itertools.count(100)


@dataclass
class PagingStack:
    notify: NotifyCatcherServer
    teams: TeamsWebhook
    teams_council: CouncilUnderTest
    web: WebProcess
    worker: WorkerProcess
    token: str
    callback_token: str
    database: Database
    queue: str

    @property
    def catcher(self) -> NotifyCatcher:
        return self.notify.catcher


@pytest.fixture(scope="module")
async def paging(
    dev_server: WorkflowEnvironment,
    database: Database,
    dev_settings: Settings,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[PagingStack]:
    callback_token = secrets.token_urlsafe(24)
    catcher = NotifyCatcher(development_api_key(), echo=False, receipt_delay=0.1)
    notify = start_notify_catcher(catcher)
    teams = TeamsWebhook()
    teams_council = await make_authority(database, reporting=False)
    logs = tmp_path_factory.mktemp("paging")
    queue = f"paging-{secrets.token_hex(4)}"
    temporal = dev_server.client.service_client.config.target_host
    extra = {
        "CONCORDAT_NOTIFY_API_KEY": catcher.api_key,
        "CONCORDAT_NOTIFY_BASE_URL": notify.url,
        "CONCORDAT_NOTIFY_SMS_TEMPLATE_ID": EMBEDDED_SMS_TEMPLATE_ID,
        "CONCORDAT_NOTIFY_EMAIL_TEMPLATE_ID": EMBEDDED_EMAIL_TEMPLATE_ID,
        "CONCORDAT_NOTIFY_CALLBACK_TOKEN": callback_token,
        "CONCORDAT_TEAMS_WEBHOOKS": json.dumps(
            {teams_council.code: teams.url_for(teams_council.code)}
        ),
    }
    web = WebProcess(dev_settings, temporal=temporal, queue=queue, log=logs / "web.log")
    web.env |= extra
    worker = WorkerProcess(dev_settings, temporal=temporal, queue=queue, log=logs / "worker.log")
    worker.env |= extra
    web.start()
    worker.start()
    catcher.set_callbacks(
        f"{web.url}/callbacks/notify/delivery-status",
        f"{web.url}/callbacks/notify/received-text",
        callback_token,
    )
    async with database.session() as session:
        _, token = await issue_token(
            "paging tests", authority_id=None, all_authorities=True, session=session
        )
    stack = PagingStack(
        notify, teams, teams_council, web, worker, token, callback_token, database, queue
    )
    try:
        yield stack
    finally:
        stack.worker.stop()
        web.stop()
        notify.stop()
        teams.stop()


async def council_with_mobiles(
    database: Database,
    *,
    languages: dict[MemberRole, Language] | None = None,
    plan: ChannelPlan | None = None,
    timings: EscalationTimings | None = None,
    reporting: bool = False,
) -> tuple[CouncilUnderTest, dict[MemberRole, str]]:
    """A council whose members each have a mobile (and, as always, an out-of-band address)."""
    council = await make_authority(
        database,
        reporting=reporting,
        languages=languages or dict.fromkeys(MemberRole, Language.UNKNOWN),
        policy=timings,
    )
    mobiles: dict[MemberRole, str] = {}
    async with database.session() as session:
        for role in council.members:
            mobile = f"+447700900{next(_numbers):03d}"
            member = await directory.member_holding(council.id, role, session=session)
            assert member is not None
            member.mobile = mobile
            session.add(member)
            mobiles[role] = mobile
        await session.commit()
        if plan is not None:
            await directory.set_channel_plan(council.id, plan, session=session)
    return council, mobiles


async def open_incident(
    stack: PagingStack, council: CouncilUnderTest, **fields: Any
) -> dict[str, Any]:
    now = datetime.now(UTC)
    body = {
        "authority": council.code,
        "title": "Ransomware on the revenues file server",
        "description": "Files on the revenues share are encrypted; a ransom note was found.",
        "incident_type": "ransomware",
        "category": 3,
        "detected_at": (now - timedelta(minutes=5)).isoformat(),
        "tlp": Tlp.AMBER.value,
        "reporter_name": "On-call Officer",
        "reporter_email": f"oncall@{council.domain}",
    } | fields
    async with httpx.AsyncClient(base_url=stack.web.url, timeout=30) as http:
        answer = await http.post(
            "/api/incidents", json=body, headers={"Authorization": f"Bearer {stack.token}"}
        )
    assert answer.status_code == 201, answer.text
    opened: dict[str, Any] = answer.json()
    return opened


async def api(stack: PagingStack, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=stack.web.url, timeout=30) as http:
        return await http.request(
            method, path, headers={"Authorization": f"Bearer {stack.token}"}, **kwargs
        )


def texts_to(stack: PagingStack, mobile: str) -> list[SentMessage]:
    return [m for m in stack.catcher.sent("sms") if m.recipient == mobile]


async def texts_arrived(stack: PagingStack, mobile: str) -> list[SentMessage]:
    """The texts Notify took for the number, once there is one."""

    def arrived() -> list[SentMessage]:
        return texts_to(stack, mobile)

    found: list[SentMessage] = await eventually(arrived)
    return found


async def notify_emails_arrived(stack: PagingStack, address: str) -> list[SentMessage]:
    def arrived() -> list[SentMessage]:
        return [m for m in stack.catcher.sent("email") if m.recipient == address]

    found: list[SentMessage] = await eventually(arrived)
    return found


async def events(database: Database, incident_id: str) -> list[TimelineEvent]:
    async with database.reading() as session:
        return await timeline_of(incident_id, session=session)


async def wait_for(
    database: Database, incident_id: str, kind: EventKind, count: int = 1, **detail: Any
) -> list[TimelineEvent]:
    async def found() -> list[TimelineEvent] | None:
        matching = [
            e
            for e in await events(database, incident_id)
            if e.kind == kind and all(e.detail.get(k) == v for k, v in detail.items())
        ]
        return matching if len(matching) >= count else None

    result: list[TimelineEvent] = await eventually(found, timeout=60, interval=0.2)
    return result


def code_in(text: SentMessage) -> str:
    found = [word.rstrip(".") for word in text.body.split() if word.rstrip(".").isdigit()]
    codes = [word for word in found if len(word) == 6]
    assert codes, text.body
    return codes[0]


async def test_a_category_3_incident_texts_both_named_members_at_once_in_welsh_first(
    paging: PagingStack, database: Database
) -> None:
    council, mobiles = await council_with_mobiles(database)
    incident = await open_incident(paging, council, category=3)

    for role in NAMED:
        [text] = await texts_arrived(paging, mobiles[role])
        welsh, _, english = text.body.partition("\n\n")
        assert welsh.startswith(f"Digwyddiad seiber {incident['reference']}, categori 3.")
        assert english.startswith(f"Cyber incident {incident['reference']}, category 3.")
        assert "Ransomware" not in text.body  # a text carries no detail
        # Welsh then English, the link once, and no circumflex to make it Unicode: 2 segments.
        assert segments(text.body) == 2
    # At once: the texts go with the first emails, not after a reminder.
    requested = await wait_for(database, incident["id"], EventKind.ACKNOWLEDGEMENT_REQUESTED, 2)
    delivered = await wait_for(
        database, incident["id"], EventKind.NOTIFICATION_DELIVERED, 2, channel="sms"
    )
    assert {e.detail["member_id"] for e in delivered} == {council.members[r] for r in NAMED}
    assert all(e.occurred_at - requested[0].occurred_at < timedelta(seconds=30) for e in delivered)
    assert delivered[0].summary.endswith(" by text")


async def test_a_permanent_text_failure_moves_on_at_once_and_a_silent_member_still_escalates(
    paging: PagingStack, database: Database, mail_server: MailServer
) -> None:
    text_first = StepChannels(first=[Channel.SMS], reminder=[Channel.SMS], escalation=[Channel.SMS])
    council, mobiles = await council_with_mobiles(
        database,
        plan=ChannelPlan(category_1_3=text_first),
        timings=EscalationTimings(
            ack_timeout_category_1_3_seconds=4, reminders_before_escalation=0
        ),
    )
    paging.catcher.set_outcome(mobiles[MemberRole.EXECUTIVE_MEMBER], "permanent-failure")
    incident = await open_incident(paging, council, category=2)

    executive = council.members[MemberRole.EXECUTIVE_MEMBER]
    [undelivered] = await wait_for(
        database, incident["id"], EventKind.NOTIFICATION_UNDELIVERED, member_id=executive
    )
    assert undelivered.detail["outcome"] == "permanent-failure"
    # The next channel, email, at once: long before the acknowledgement timeout.
    work = council.email(MemberRole.EXECUTIVE_MEMBER)
    [email] = await mail_server.inbox.wait_for(lambda m: m.to == work, timeout=5)
    assert "acknowledge" in email.text().lower() or "cydnabod" in email.text().lower()

    # The senior management member got their text and says nothing: their chain escalates to
    # their deputy when the four seconds are up, not before and not later.
    senior = council.members[MemberRole.SENIOR_MANAGEMENT_MEMBER]
    [asked] = await wait_for(
        database, incident["id"], EventKind.ACKNOWLEDGEMENT_REQUESTED, member_id=senior
    )
    [escalated] = await wait_for(
        database, incident["id"], EventKind.ESCALATED, chain="senior_management"
    )
    respond_by = datetime.fromisoformat(asked.detail["respond_by"])
    assert respond_by <= escalated.occurred_at < respond_by + timedelta(seconds=5)
    deputy = mobiles[MemberRole.DEPUTY_SENIOR_MANAGEMENT_MEMBER]
    [to_deputy] = await texts_arrived(paging, deputy)
    assert "Uwchgyfeiriwyd atoch" in to_deputy.body and "Escalated to you" in to_deputy.body


async def test_a_reply_with_the_right_code_acknowledges_and_no_other_reply_does(
    paging: PagingStack, database: Database
) -> None:
    council, mobiles = await council_with_mobiles(database)
    incident = await open_incident(paging, council, category=3)
    executive, senior = (council.members[role] for role in NAMED)
    [to_executive] = await texts_arrived(paging, mobiles[MemberRole.EXECUTIVE_MEMBER])
    [to_senior] = await texts_arrived(paging, mobiles[MemberRole.SENIOR_MANAGEMENT_MEMBER])
    code = code_in(to_executive)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    async def outcome_of(number: str, message: str) -> str:
        sent = paging.catcher.reply(number, message)

        async def kept() -> str | None:
            async with database.reading() as session:
                row = (
                    await session.exec(
                        select(ReceivedText).where(ReceivedText.notify_id == sent.id)
                    )
                ).first()
            return row.outcome if row else None

        result: str = await eventually(kept)
        return result

    # The right code from a number that was never texted: a forgery.
    assert await outcome_of("07700 900999", f"ACK {code}") == "unknown_number"
    # A wrong code from the member's own number.
    assert await outcome_of(mobiles[MemberRole.EXECUTIVE_MEMBER], f"ACK {wrong}") == "wrong_code"
    # The senior management member's code, expired.
    async with database.session() as session:
        await session.exec(
            update(SmsAckCode)
            .where(col(SmsAckCode.code) == code_in(to_senior), col(SmsAckCode.member_id) == senior)
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
        await session.commit()
    senior_mobile = mobiles[MemberRole.SENIOR_MANAGEMENT_MEMBER]
    assert await outcome_of(senior_mobile, code_in(to_senior)) == "expired"
    assert not [
        e for e in await events(database, incident["id"]) if e.kind == EventKind.ACKNOWLEDGED
    ]

    # The right code, from the right number, in Welsh: acknowledged, as the member, by SMS.
    reply = f"Iawn, cydnabod {code}"
    assert await outcome_of(mobiles[MemberRole.EXECUTIVE_MEMBER], reply) == "acknowledged"
    [acknowledged] = await wait_for(database, incident["id"], EventKind.ACKNOWLEDGED)
    assert acknowledged.detail["member_id"] == executive
    assert acknowledged.detail["via"] == "sms"
    assert acknowledged.actor == acknowledged.detail["name"]  # the member's own
    # The same reply again: the code is used.
    assert await outcome_of(mobiles[MemberRole.EXECUTIVE_MEMBER], reply) == "used"
    assert len(await wait_for(database, incident["id"], EventKind.ACKNOWLEDGED)) == 1


async def test_when_email_may_be_compromised_members_hear_by_text_and_notify_email_only(
    paging: PagingStack, database: Database, mail_server: MailServer
) -> None:
    council, mobiles = await council_with_mobiles(database)
    incident = await open_incident(paging, council, category=3, email_compromised=True)

    for role in NAMED:
        [text] = await texts_arrived(paging, mobiles[role])
        assert code_in(text)
        address = council.out_of_band_email(role)
        [email] = await notify_emails_arrived(paging, address)
        assert incident["reference"] in (email.subject or "")
        for detail in ("Ransomware", "revenues", "ransom note"):
            assert detail not in email.body and detail not in (email.subject or "")
            assert detail not in text.body
    await wait_for(database, incident["id"], EventKind.NOTIFICATION_SENT, 4)
    assert not mail_server.inbox.messages(lambda m: m.to.endswith(council.domain))
    async with database.reading() as session:
        channels = set(
            (
                await session.exec(
                    select(SentNotification.channel).where(
                        SentNotification.incident_id == incident["id"]
                    )
                )
            ).all()
        )
    assert channels == {Channel.SMS, Channel.NOTIFY_EMAIL}


async def test_with_the_councils_relay_down_both_members_acknowledge_by_text_and_it_closes(
    paging: PagingStack, database: Database, mail_server: MailServer
) -> None:
    council, mobiles = await council_with_mobiles(database, reporting=True)
    mail_server.stop()  # the council's SMTP relay is down for the whole incident
    try:
        incident = await open_incident(paging, council, category=3)
        for role in NAMED:
            [text] = await texts_arrived(paging, mobiles[role])
            paging.catcher.reply(mobiles[role], f"ACK {code_in(text)}")
        await wait_for(database, incident["id"], EventKind.ACKNOWLEDGED, 2)
        state = (await api(paging, "GET", f"/api/incidents/{incident['id']}")).json()["live"]
        assert state["stage"] in ("acknowledged", "reporting")
        assert {a["via"] for a in state["acknowledgements"]} == {"sms"}

        # The NCSC step: the report is due, and recorded; the incident is contained and closed.
        ncsc = next(o for o in state["obligations"] if o["body"] == "ncsc")
        assert ncsc["state"] == "due"
        submitted = await api(
            paging,
            "POST",
            f"/api/incidents/{incident['id']}/obligations/ncsc/submissions",
            json={"reference": "NCSC-123456"},
        )
        assert submitted.status_code == 200, submitted.text
        for obligation in submitted.json()["obligations"]:
            if obligation["state"] in ("due", "overdue"):
                waived = await api(
                    paging,
                    "POST",
                    f"/api/incidents/{incident['id']}/obligations/{obligation['body']}/waiver",
                    json={"reason": "Told by telephone during the outage"},
                )
                assert waived.status_code == 200, waived.text
        for step in ("contain", "recover"):
            moved = await api(paging, "POST", f"/api/incidents/{incident['id']}/{step}", json={})
            assert moved.status_code == 200, moved.text
        closed = await api(
            paging,
            "POST",
            f"/api/incidents/{incident['id']}/close",
            json={"summary": "Restored from backups; no data left the council."},
        )
        assert closed.status_code == 200, closed.text
        assert closed.json()["stage"] == "closed"
        assert not mail_server.inbox.messages(lambda m: m.to.endswith(council.domain))
    finally:
        mail_server.start()


@pytest.mark.backend("postgresql", reason="a worker fault at Notify; production's database")
async def test_a_worker_killed_after_notify_took_a_text_sends_no_second_text(
    paging: PagingStack, database: Database, dev_settings: Settings
) -> None:
    council, mobiles = await council_with_mobiles(database)
    paging.catcher.hold_responses(60)
    try:
        incident = await open_incident(paging, council, category=3)
        for role in NAMED:
            await texts_arrived(paging, mobiles[role])
        # Notify has both texts; the worker dies before it hears so, or marks the ledger.
        paging.worker.kill()
    finally:
        paging.catcher.hold_responses(0)
    paging.worker.start()

    sent = await wait_for(database, incident["id"], EventKind.NOTIFICATION_SENT, 2, channel="sms")
    assert {e.detail["member_id"] for e in sent} == {council.members[r] for r in NAMED}
    for role in NAMED:
        assert len(texts_to(paging, mobiles[role])) == 1
    # Notify's receipts came while the worker was dead, before the ledger had Notify's ids:
    # our reference matched them, long before a delivery timeout would have asked Notify.
    await wait_for(database, incident["id"], EventKind.NOTIFICATION_DELIVERED, 2, channel="sms")


async def test_a_reply_whose_callback_never_came_is_found_by_polling_notify(
    paging: PagingStack, database: Database, dev_server: WorkflowEnvironment
) -> None:
    council, mobiles = await council_with_mobiles(database)
    incident = await open_incident(paging, council, category=3)
    mobile = mobiles[MemberRole.EXECUTIVE_MEMBER]
    [text] = await texts_arrived(paging, mobile)
    paging.catcher.reply(mobile, f"ACK {code_in(text)}", post_callback=False)

    # What the schedule runs every minute, run now, on the worker's queue.
    handled = await dev_server.client.execute_workflow(
        ReceivedTextsWorkflow.run,
        id=f"poll-received-texts-{secrets.token_hex(4)}",
        task_queue=paging.queue,
    )
    assert handled >= 1
    [acknowledged] = await wait_for(database, incident["id"], EventKind.ACKNOWLEDGED)
    assert acknowledged.detail["via"] == "sms"


async def test_notify_answering_5xx_then_recovering_every_text_arrives_once(
    paging: PagingStack, database: Database
) -> None:
    council, mobiles = await council_with_mobiles(database)
    # Aimed at this council's members: other tests' incidents share the catcher.
    paging.catcher.fail_next(3, status=500, to=[mobiles[role] for role in NAMED])
    incident = await open_incident(paging, council, category=3)

    sent = await wait_for(database, incident["id"], EventKind.NOTIFICATION_SENT, 2, channel="sms")
    assert any(e.detail.get("attempts", 1) > 1 for e in sent)
    for role in NAMED:
        assert len(texts_to(paging, mobiles[role])) == 1


async def test_the_callbacks_refuse_bad_tokens_oversized_bodies_and_unknown_ids(
    paging: PagingStack, database: Database
) -> None:
    council, mobiles = await council_with_mobiles(database)
    incident = await open_incident(paging, council, category=3)
    await wait_for(database, incident["id"], EventKind.NOTIFICATION_DELIVERED, 2, channel="sms")
    async with database.reading() as session:
        before = list(
            (
                await session.exec(
                    select(SentNotification).where(SentNotification.incident_id == incident["id"])
                )
            ).all()
        )
        received_before = len((await session.exec(select(ReceivedText))).all())
    a_text = next(row for row in before if row.channel is Channel.SMS)
    receipt = {"id": a_text.provider_id, "status": "permanent-failure", "reference": None}
    text = {
        "id": "0b6f0d6e-0000-4000-8000-000000000001",
        "source_number": mobiles[MemberRole.EXECUTIVE_MEMBER].removeprefix("+"),
        "destination_number": "07700900000",
        "message": "ACK 000000",
        "date_received": datetime.now(UTC).isoformat(),
    }
    good = {"Authorization": f"Bearer {paging.callback_token}"}
    cases = [
        ("delivery-status", receipt, {}, 401),
        ("delivery-status", receipt, {"Authorization": "Bearer not-the-token"}, 403),
        ("delivery-status", receipt, {"Authorization": "Basic abc"}, 401),
        ("received-text", text, {}, 401),
        ("received-text", text, {"Authorization": "Bearer not-the-token"}, 403),
        ("delivery-status", receipt | {"padding": "x" * 20_000}, good, 413),
        ("received-text", text | {"message": "x" * 20_000}, good, 413),
        ("delivery-status", receipt | {"id": "7d1b7c4e-0000-4000-8000-000000000009"}, good, 404),
        ("delivery-status", {"status": "delivered"}, good, 422),
        ("received-text", text | {"date_received": "yesterday"}, good, 422),
    ]
    async with httpx.AsyncClient(base_url=paging.web.url, timeout=30) as http:
        for path, body, headers, expected in cases:
            answer = await http.post(f"/callbacks/notify/{path}", json=body, headers=headers)
            assert answer.status_code == expected, (path, headers, answer.text)
            assert " / " in answer.json()["detail"]  # in English and in Welsh
    async with database.reading() as session:
        after = list(
            (
                await session.exec(
                    select(SentNotification).where(SentNotification.incident_id == incident["id"])
                )
            ).all()
        )
        assert len((await session.exec(select(ReceivedText))).all()) == received_before
    assert [r.model_dump() for r in after] == [r.model_dump() for r in before]
    assert not [
        e
        for e in await events(database, incident["id"])
        if e.kind == EventKind.NOTIFICATION_UNDELIVERED
    ]


@pytest.mark.parametrize(
    ("tlp", "detail_shown"), [(Tlp.RED, False), (Tlp.AMBER_STRICT, False), (Tlp.AMBER, True)]
)
async def test_the_teams_card_says_more_than_the_reference_only_below_amber_strict(
    paging: PagingStack, database: Database, tlp: Tlp, detail_shown: bool
) -> None:
    council = paging.teams_council
    title = f"Ransomware on the revenues file server ({tlp.value})"
    incident = await open_incident(paging, council, category=3, tlp=tlp.value, title=title)

    def cards() -> list[dict[str, Any]]:
        return [
            post["attachments"][0]["content"]
            for post in paging.teams.posts_to(council.code)
            if incident["reference"] in json.dumps(post)
        ]

    [card] = await eventually(cards)
    said = json.dumps(card)
    assert (title in said) is detail_shown
    assert ("Ransomware" in said or "Nwyddau pridwerth" in said) is detail_shown
    [action] = card["actions"]
    assert action["url"].endswith(f"/incidents/{incident['id']}")
    if not detail_shown:
        texts = [block["text"] for block in card["body"] if block["type"] == "TextBlock"]
        assert texts == [incident["reference"]]
    [sent] = await wait_for(database, incident["id"], EventKind.NOTIFICATION_SENT, channel="teams")
    assert sent.summary == "Sent acknowledgement request to the Teams channel"
