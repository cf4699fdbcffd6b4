"""Messages: the right language for each reader, safe HTML and headers, sent once."""

from __future__ import annotations

import re
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiosmtplib import (
    SMTPAuthenticationError,
    SMTPDataError,
    SMTPRecipientRefused,
    SMTPRecipientsRefused,
    SMTPSenderRefused,
)
from jinja2 import FileSystemLoader
from sqlmodel import select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Worker

import notifications
from activities import build_activities
from activities.sending import TEMPLATE_MISSING, NotificationActivities
from activities.transports.smtp import SmtpTransport, permanent_refusal
from domain.activity_contracts import NotificationFacts, NotificationRequest
from domain.channels import Channel
from domain.directory import MemberContact
from domain.incident import IncidentDetails
from domain.obligations import Body
from domain.vocabulary import (
    EventKind,
    Language,
    MemberRole,
    NotificationKind,
)
from models import Incident, SentNotification
from models.notification import DeliveryStatus
from notifications.compose import HeaderInjection, compose_email, message_id_for
from notifications.render import MessageRenderer, uk_datetime
from runtime.database import Database
from runtime.settings import Settings
from security.ack_links import AckLinkSigner, ExpiredAckLink, InvalidAckLink
from services import deliveries
from services.incidents import details_of
from tests.support import (
    CouncilUnderTest,
    MailServer,
    incident_details,
    make_authority,
    open_test_incident,
    start_incident,
    wait_for_events,
)
from workflows import ALL_WORKFLOWS

RESPOND_BY = datetime(2026, 7, 4, 13, 30, tzinfo=UTC)  # 14:30 in Cardiff (BST)


def incident(**overrides: object) -> IncidentDetails:
    return incident_details(RESPOND_BY, **overrides)


def member(language: Language) -> MemberContact:
    return MemberContact(
        member_id=7,
        role=MemberRole.EXECUTIVE_MEMBER,
        name="Cllr Eleri Morgan",
        email="eleri@cdf.example",
        language=language,
    )


def render(language: Language, **incident_overrides: object):
    return MessageRenderer().render(
        NotificationKind.ACKNOWLEDGEMENT_REQUEST,
        recipient=member(language),
        incident=incident(**incident_overrides),
        facts=NotificationFacts(
            respond_by=RESPOND_BY,
            authority_name_en="Cardiff Council",
            authority_name_cy="Cyngor Caerdydd",
        ),
        acknowledge_url="https://concordat.example/ack/token",
        incident_url="https://concordat.example/incidents/1",
    )


def test_a_welsh_speaker_gets_welsh_with_uk_time() -> None:
    message = render(Language.WELSH)
    assert (
        message.subject
        == "[TLP:AMBER+STRICT] CDF-2026-0007 Categori 3: cydnabyddwch y digwyddiad seiber hwn"
    )
    assert "Mae Cyngor Caerdydd wedi agor digwyddiad seiber" in message.text
    assert "Dydd Sadwrn 4 Gorffennaf 2026, 14:30 BST" in message.text
    assert "Please acknowledge" not in message.text


def test_an_english_speaker_gets_english() -> None:
    message = render(Language.ENGLISH)
    assert (
        message.subject
        == "[TLP:AMBER+STRICT] CDF-2026-0007 Category 3: acknowledge this cyber incident"
    )
    assert "by Saturday 4 July 2026, 14:30 BST" in message.text
    assert "Annwyl" not in message.text


def test_an_unknown_preference_gets_both_languages_welsh_first() -> None:
    message = render(Language.UNKNOWN)
    assert message.subject.endswith(
        "cydnabyddwch y digwyddiad seiber hwn / Category 3: acknowledge this cyber incident"
    )
    assert message.text.index("Annwyl") < message.text.index("Dear")
    assert message.html.index('lang="cy"') < message.html.index('lang="en"')


ENGLISH_DATE_WORDS = re.compile(
    r"\b(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day|January|February|March|April|May|June"
    r"|July|August|September|October|November|December"
    r"|Mon|Tue|Wed|Thu|Fri|Sat|Sun|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b"
)
WELSH_DATE_WORDS = re.compile(
    r"\b(?:Dydd|Ionawr|Chwefror|Mawrth|Ebrill|Mai|Mehefin|Gorffennaf|Awst|Medi|Hydref"
    r"|Tachwedd|Rhagfyr)\b"
)
#: The one way a message writes a moment: day, date, month, year, 24-hour UK time and zone.
ONE_FORMAT = re.compile(r"(?:Dydd \w+|\w+day) \d{1,2} \w+ \d{4}, \d{2}:\d{2} (?:GMT|BST)")


def welsh_and_english(text: str) -> tuple[str, str]:
    welsh, english = text.split("-" * 60)
    return welsh, english


def test_every_time_is_uk_time_in_one_format_in_the_language_of_its_part() -> None:
    # One moment in winter (GMT), two in summer (BST), in the subject, the body and the table.
    message = MessageRenderer().render(
        NotificationKind.OBLIGATION_DUE,
        recipient=member(Language.UNKNOWN),
        incident=incident(detected_at=datetime(2026, 11, 29, 12, 14, tzinfo=UTC)),
        facts=NotificationFacts(
            body=Body.ICO,
            clock_started_at=datetime(2026, 7, 1, 8, 5, tzinfo=UTC),
            deadline=RESPOND_BY,
            authority_name_en="Cardiff Council",
            authority_name_cy="Cyngor Caerdydd",
        ),
        acknowledge_url=None,
        incident_url="https://concordat.example/incidents/1",
    )
    welsh, english = welsh_and_english(message.text)
    for line in (
        "Canfuwyd:     Dydd Sul 29 Tachwedd 2026, 12:14 GMT",
        "Y terfyn amser yw Dydd Sadwrn 4 Gorffennaf 2026, 14:30 BST",
        "Dydd Mercher 1 Gorffennaf 2026, 09:05 BST",
    ):
        assert line in welsh
    for line in (
        "Detected:     Sunday 29 November 2026, 12:14 GMT",
        "The deadline is Saturday 4 July 2026, 14:30 BST",
        "Wednesday 1 July 2026, 09:05 BST",
    ):
        assert line in english
    assert "erbyn Dydd Sadwrn 4 Gorffennaf 2026, 14:30 BST / " in message.subject
    assert message.subject.endswith("by Saturday 4 July 2026, 14:30 BST")
    # Nothing in English in the Welsh part, nothing in Welsh in the English part, no UTC.
    assert not ENGLISH_DATE_WORDS.search(welsh)
    assert not WELSH_DATE_WORDS.search(english)
    welsh_html, english_html = message.html.split('lang="en"')
    assert "Dydd Sadwrn 4 Gorffennaf 2026, 14:30 BST" in welsh_html
    assert not ENGLISH_DATE_WORDS.search(welsh_html.split('lang="cy"')[1])
    assert "Saturday 4 July 2026, 14:30 BST" in english_html
    for part in (message.subject, message.text, message.html):
        assert "UTC" not in part
        # Every time of day shown belongs to a moment written in the one format.
        assert len(re.findall(r"\d{2}:\d{2}", part)) == len(ONE_FORMAT.findall(part))


def test_uk_time_follows_the_clocks_in_both_languages() -> None:
    # The clocks go forward at 01:00 UTC on Sunday 29 March 2026.
    before = datetime(2026, 3, 29, 0, 59, tzinfo=UTC)
    after = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert uk_datetime(before, Language.WELSH) == "Dydd Sul 29 Mawrth 2026, 00:59 GMT"
    assert uk_datetime(after, Language.WELSH) == "Dydd Sul 29 Mawrth 2026, 02:00 BST"
    assert uk_datetime(after, Language.ENGLISH) == "Sunday 29 March 2026, 02:00 BST"
    # Welsh month names are not mutated after the number; Tuesday is "Dydd Mawrth".
    tuesday = datetime(2026, 2, 3, 17, 45, tzinfo=UTC)
    assert uk_datetime(tuesday, Language.WELSH) == "Dydd Mawrth 3 Chwefror 2026, 17:45 GMT"
    # A moment stored without its zone is UTC.
    assert uk_datetime(datetime(2026, 8, 31, 23, 30), Language.ENGLISH) == (
        "Tuesday 1 September 2026, 00:30 BST"
    )
    assert uk_datetime(None, Language.WELSH) == ""


SEAL = "CDF-2026-0007#31:" + "ab" * 32


def closure(language: Language, record_seal: str | None = SEAL):
    return MessageRenderer().render(
        NotificationKind.INCIDENT_CLOSED,
        recipient=member(language),
        incident=incident(),
        facts=NotificationFacts(
            closing_summary="Restored from backups; no data lost.",
            sealed_at_event=31,
            authority_name_en="Cardiff Council",
            authority_name_cy="Cyngor Caerdydd",
        ),
        acknowledge_url=None,
        incident_url="https://concordat.example/incidents/1",
        record_seal=record_seal,
    )


def test_the_closure_email_tells_a_councillor_the_record_is_sealed_and_asks_nothing() -> None:
    message = closure(Language.UNKNOWN)
    welsh, english = welsh_and_english(message.text)
    assert "The incident's record is now sealed" in english
    assert "There is nothing you need to do." in english
    assert "Auditors can check on\nConcordat's audit pages" in english
    assert "Mae cofnod y digwyddiad bellach wedi'i selio" in welsh
    assert "Nid oes angen i chi wneud dim." in welsh
    assert "Gall archwilwyr wirio ar\ndudalennau archwilio Concordat" in welsh
    # The seal is still quoted, on a line of its own, for the auditors.
    assert f"\nRecord seal: {SEAL}\n" in english
    assert f"\nSêl y cofnod: {SEAL}\n" in welsh
    assert message.html.count(SEAL) == 2
    for part in (message.text, message.html):
        assert "concordat audit" not in part
        assert "--expect" not in part
        assert "Keep this line" not in part
        assert "Cadwch" not in part
        assert "hash" not in part.lower()


def test_a_closure_without_a_seal_says_nothing_of_one() -> None:
    message = closure(Language.ENGLISH, record_seal=None)
    assert "sealed" not in message.text and "Record seal" not in message.html


def test_incident_text_is_escaped_in_html_and_never_becomes_a_template() -> None:
    message = render(Language.ENGLISH, title="<script>alert(1)</script> {{ 7*7 }}")
    assert "<script>alert(1)</script>" not in message.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }}" in message.html
    assert "{{ 7*7 }}" in message.text


def test_line_breaks_cannot_reach_a_header() -> None:
    message = render(Language.ENGLISH, title="Outage\r\nBcc: everyone@example.org")
    assert "\n" not in message.subject and "\r" not in message.subject
    with pytest.raises(HeaderInjection):
        compose_email(
            message,
            mail_from="Concordat <c@example.org>",
            to_name="Eve\r\nBcc: x@example.org",
            to_address="eve@example.org",
            message_id="<1@example.org>",
            language="en",
        )


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (SMTPRecipientsRefused([SMTPRecipientRefused(550, "No such mailbox", "x@e.org")]), True),
        (SMTPRecipientsRefused([SMTPRecipientRefused(451, "Greylisted, retry", "x@e.org")]), False),
        (SMTPRecipientsRefused([SMTPRecipientRefused(452, "Mailbox full", "x@e.org")]), False),
        (SMTPDataError(554, "Message rejected as spam"), True),
        (SMTPAuthenticationError(535, "Bad credentials"), False),
        (SMTPSenderRefused(550, "Sender not allowed", "c@e.org"), False),
        (ConnectionRefusedError(), False),
    ],
)
def test_only_a_permanent_refusal_of_the_message_stops_retrying(
    error: Exception, permanent: bool
) -> None:
    # Our own session's problems (credentials, sender, TLS) can be fixed while messages wait.
    assert (permanent_refusal(error) is not None) is permanent


def test_message_ids_are_stable_per_notification() -> None:
    first = message_id_for("incident-1/executive/level-1", "Concordat <concordat@wales.example>")
    assert first == message_id_for("incident-1/executive/level-1", "concordat@wales.example")
    assert first != message_id_for("incident-1/executive/level-2", "concordat@wales.example")
    assert first.endswith("@wales.example>")


def test_acknowledge_links_are_bound_signed_and_expiring() -> None:
    signer = AckLinkSigner("secret", lifetime_seconds=3600)
    grant = signer.verify(signer.token_for("incident-a", 12, "a@example.org"))
    assert (grant.incident_id, grant.member_id) == ("incident-a", 12)
    assert grant.was_sent_to("A@example.org") and not grant.was_sent_to("b@example.org")
    with pytest.raises(InvalidAckLink):
        AckLinkSigner("another secret", 3600).verify(
            signer.token_for("incident-a", 12, "a@example.org")
        )
    with pytest.raises(InvalidAckLink):
        signer.verify(signer.token_for("incident-a", 12, "a@example.org").replace(".", "x", 1))
    with pytest.raises(ExpiredAckLink):
        AckLinkSigner("secret", lifetime_seconds=-1).verify(
            signer.token_for("incident-a", 12, "a@example.org")
        )


def notification_activities(
    database: Database, settings: Settings, renderer: MessageRenderer | None = None
) -> NotificationActivities:
    """The send activity as a worker wires it, with the real templates unless told otherwise."""
    return NotificationActivities(
        database=database,
        transports={Channel.EMAIL: SmtpTransport.from_settings(settings)},
        renderer=renderer or MessageRenderer(),
        signer=AckLinkSigner("secret", 3600),
        base_url="http://concordat.test",
        mail_from=settings.mail_from,
    )


def acknowledgement_request(
    row: Incident, council: CouncilUnderTest, language: Language
) -> NotificationRequest:
    """The first request to the council's executive member to acknowledge the incident."""
    return NotificationRequest(
        idempotency_key=f"{row.workflow_id}/executive/level-1/acknowledgement_request/1",
        kind=NotificationKind.ACKNOWLEDGEMENT_REQUEST,
        recipient=member(language).model_copy(
            update={"email": council.email(MemberRole.EXECUTIVE_MEMBER)}
        ),
        incident=details_of(row, council.authority),
        facts=NotificationFacts(respond_by=RESPOND_BY),
        include_acknowledge_link=True,
    )


async def test_sending_the_same_notification_twice_delivers_one_email(
    database: Database, settings: Settings, mail_server: MailServer
) -> None:
    council = await make_authority(database)
    row = await open_test_incident(database, council)
    activities = notification_activities(database, settings)
    request = acknowledgement_request(row, council, Language.ENGLISH)
    env = ActivityEnvironment()
    first = await env.run(activities.send_notification, request)
    second = await env.run(activities.send_notification, request)
    assert not first.already_sent and second.already_sent
    assert second.message_id == first.message_id
    [mail] = await mail_server.inbox.wait_for(lambda m: m.to.endswith(council.domain))
    assert mail.message["Message-ID"] == first.message_id
    assert len(mail_server.inbox.to_domain(council.domain)) == 1


def renderer_without(tmp_path: Path, *templates: str) -> MessageRenderer:
    """The real templates, less the ones named: as a worker would be with a file missing."""
    copy = tmp_path / "templates"
    shutil.copytree(Path(notifications.__file__).parent / "templates", copy)
    for template in templates:
        (copy / template).unlink()
    return MessageRenderer(FileSystemLoader(copy))


async def test_a_message_without_its_template_fails_at_once_and_is_never_retried(
    database: Database, settings: Settings, mail_server: MailServer, tmp_path: Path
) -> None:
    council = await make_authority(database)
    row = await open_test_incident(database, council)
    activities = notification_activities(
        database, settings, renderer_without(tmp_path, "cy/acknowledgement_request.txt.j2")
    )
    request = acknowledgement_request(row, council, Language.WELSH)
    with pytest.raises(ApplicationError) as failure:
        await ActivityEnvironment().run(activities.send_notification, request)
    assert failure.value.type == TEMPLATE_MISSING and failure.value.non_retryable
    assert "cy/acknowledgement_request.txt.j2" in failure.value.message
    async with database.reading() as session:
        record = await deliveries.find(request.idempotency_key, session=session)
    # Not marked rejected: once the template is deployed, a reset workflow sends it.
    assert record is not None and record.status is DeliveryStatus.SENDING
    assert record.last_error == failure.value.message
    assert mail_server.inbox.to_domain(council.domain) == []


async def test_a_missing_template_reaches_the_timeline_at_once(
    dev_server: WorkflowEnvironment,
    database: Database,
    settings: Settings,
    mail_server: MailServer,
    tmp_path: Path,
) -> None:
    council = await make_authority(database, reporting=False)
    broken = notification_activities(
        database, settings, renderer_without(tmp_path, "en/acknowledgement_request.html.j2")
    )
    activities = [
        activity
        for activity in build_activities(database, settings)
        if getattr(activity, "__name__", None) != "send_notification"
    ]
    queue = f"template-{uuid.uuid4()}"
    async with Worker(
        dev_server.client,
        task_queue=queue,
        workflows=ALL_WORKFLOWS,
        activities=[*activities, broken.send_notification],
    ):
        handle = await start_incident(dev_server.client, database, council, queue)
        failed = await wait_for_events(
            database, handle, EventKind.NOTIFICATION_FAILED, count=2, timeout=30
        )
        await handle.terminate("test over")
    members = {
        council.members[MemberRole.EXECUTIVE_MEMBER],
        council.members[MemberRole.SENIOR_MANAGEMENT_MEMBER],
    }
    assert {event.detail["member_id"] for event in failed} == members
    for event in failed:
        assert "there is no message template en/acknowledgement_request.html.j2" in event.summary
    async with database.reading() as session:
        rows = (
            await session.exec(
                select(SentNotification).where(
                    SentNotification.incident_id == handle.id.removeprefix("incident-")
                )
            )
        ).all()
    assert rows and all(row.attempts == 1 for row in rows)
