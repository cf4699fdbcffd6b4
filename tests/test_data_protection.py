"""What leaves the process is protected: Temporal's history holds no readable incident data,
and the logs of a whole incident hold no descriptions, names, addresses or secrets."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import httpx
import pytest
from google.protobuf.json_format import MessageToDict, ParseDict
from temporalio.api.common.v1 import Payloads
from temporalio.testing import WorkflowEnvironment

from domain.access import AccessRole
from domain.commands import Acknowledge, CloseIncident
from domain.vocabulary import EventKind, MemberRole, NcscCategory
from runtime.database import Database
from runtime.logging import configure_logging
from runtime.payloads import ENCODING, PayloadKeyError, PayloadKeys, data_converter
from runtime.settings import LogFormat, Settings
from services.tokens import issue_token
from tests.support import MailServer, make_authority, make_user, start_incident, wait_for_events
from worker import build_worker
from workflows import IncidentWorkflow

DESCRIPTION = "Rhiannon Jones's payroll spreadsheet was exfiltrated via a phishing link"
TITLE = "Payroll data exfiltrated from HR share"
REPORTER = "Gwilym Evans-Oncall"


def _payloads_of(events) -> list:
    """Every payload anywhere in the history events."""
    found = []

    def walk(message) -> None:
        for field, value in message.ListFields():
            if field.message_type is None:
                continue
            values = value if field.is_repeated else [value]
            for item in values:
                if field.message_type.full_name == "temporal.api.common.v1.Payload":
                    found.append(item)
                elif hasattr(item, "ListFields"):
                    walk(item)

    for event in events:
        walk(event)
    return found


async def test_the_history_on_the_server_holds_no_readable_incident_data_and_logs_none_either(
    time_skipping: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    mail_server: MailServer,
    capfd: pytest.CaptureFixture[str],
) -> None:
    captured = io.StringIO()
    configure_logging(settings.model_copy(update={"log_format": LogFormat.JSON}), captured)
    council = await make_authority(database, reporting=False)
    rejected = council.email(MemberRole.DEPUTY_EXECUTIVE_MEMBER)
    mail_server.inbox.rejected_addresses.add(rejected)  # a failure, with an address in it
    queue = f"protect-{uuid.uuid4()}"
    try:
        async with build_worker(time_skipping.client, database, settings, task_queue=queue):
            handle = await start_incident(
                time_skipping.client,
                database,
                council,
                queue,
                category=NcscCategory.SUBSTANTIAL,
                title=TITLE,
                description=DESCRIPTION,
                reporter_name=REPORTER,
            )
            await time_skipping.sleep(timedelta(hours=2, minutes=30))  # reminder, then deputy
            await wait_for_events(database, handle, EventKind.NOTIFICATION_FAILED)
            await handle.execute_update(
                IncidentWorkflow.acknowledge,
                Acknowledge(
                    member_id=council.members[MemberRole.SENIOR_MANAGEMENT_MEMBER], actor="SMM"
                ),
            )
            await handle.execute_update(
                IncidentWorkflow.close,
                CloseIncident(actor=REPORTER, summary=f"Closed. {DESCRIPTION}"),
            )
            await handle.result()
            history = await handle.fetch_history()
    finally:
        mail_server.inbox.rejected_addresses.discard(rejected)
        configure_logging(settings)
    logged = capfd.readouterr()

    payloads = _payloads_of(history.events)
    assert len(payloads) > 20 and all(p.metadata["encoding"] == ENCODING for p in payloads)
    raw = b"".join(event.SerializeToString() for event in history.events)
    secrets_ = [DESCRIPTION, TITLE, REPORTER, rejected, *council.emails(), settings.signing_key()]
    for secret in secrets_:
        assert secret.encode() not in raw, secret
    failed = [e for e in history.events if e.HasField("activity_task_failed_event_attributes")]
    assert failed, "the refused address should have failed an activity"
    assert rejected.encode() not in failed[0].SerializeToString()

    output = captured.getvalue() + logged.out + logged.err
    assert handle.id in output and "notification_sent" in output  # the log was captured
    for secret in secrets_:
        assert secret not in output, secret


async def test_rotated_keys_still_open_old_payloads_and_a_missing_key_says_so() -> None:
    key_2025 = PayloadKeys.generate("2025")
    old = PayloadKeys.parse(key_2025)
    rotated = PayloadKeys.parse(PayloadKeys.generate("2026") + "," + key_2025)
    written = await data_converter(old).encode([DESCRIPTION])
    assert written[0].metadata["encryption-key-id"] == b"2025"
    assert await data_converter(rotated).decode(written, [str]) == [DESCRIPTION]
    rewritten = await data_converter(rotated).encode([DESCRIPTION])
    assert rewritten[0].metadata["encryption-key-id"] == b"2026"
    with pytest.raises(PayloadKeyError, match="key '2026', which is not configured"):
        await data_converter(old).decode(rewritten, [str])
    with pytest.raises(PayloadKeyError, match="32 bytes"):
        PayloadKeys.parse("short:c2hvcnQ=")


async def test_the_codec_server_decodes_for_the_central_team_only(
    http: httpx.AsyncClient, database: Database, web_app
) -> None:
    converter = web_app.state.temporal.data_converter
    [sealed] = await converter.encode([DESCRIPTION])
    assert sealed.metadata["encoding"] == ENCODING
    body = MessageToDict(Payloads(payloads=[sealed]))

    central, _ = await make_user(database, None, AccessRole.CENTRAL_TEAM)
    officer_user, _ = await make_user(database, await make_authority(database))
    tokens = {}
    for label, person in (("central", central), ("officer", officer_user)):
        async with database.session() as session:
            _, tokens[label] = await issue_token(
                "codec", authority_id=None, user_id=person.id, session=session
            )

    assert (await http.post("/codec/decode", json=body)).status_code == 401
    refused = await http.post(
        "/codec/decode", json=body, headers={"Authorization": f"Bearer {tokens['officer']}"}
    )
    assert refused.status_code == 403
    opened = await http.post(
        "/codec/decode", json=body, headers={"Authorization": f"Bearer {tokens['central']}"}
    )
    assert opened.status_code == 200
    [plain] = ParseDict(opened.json(), Payloads()).payloads
    assert DESCRIPTION.encode() in plain.data and plain.metadata["encoding"] != ENCODING
