"""Helpers the tests share: a real SMTP server, a fresh authority per test, polling."""

from __future__ import annotations

import asyncio
import email
import email.policy
import itertools
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError

from domain.access import AccessRole
from domain.commands import Acknowledge, AddNote, CloseIncident, WaiveObligation
from domain.incident import IncidentDetails, OpenIncident
from domain.obligations import Body
from domain.state import IncidentState
from domain.vocabulary import EventKind, IncidentType, Language, MemberRole, NcscCategory, Tlp
from models import (
    Authority,
    EscalationTimings,
    Incident,
    ReportingRuleOverride,
    TimelineEvent,
    User,
)
from runtime.database import Database
from runtime.ports import free_port
from services import directory, incidents, users
from services.incidents import details_of
from services.timeline import timeline_of
from workflows import IncidentWorkflow

_authority_numbers = itertools.count(1)


@dataclass
class ReceivedMail:
    envelope_to: list[str]
    message: EmailMessage
    peer: object = None
    """The sender's address and port: messages with the same one came on the same session."""

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def to(self) -> str:
        return self.envelope_to[0]

    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None
        return part.get_content()

    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        assert part is not None
        return part.get_content()


class Inbox:
    """The messages a real aiosmtpd server received, readable from the tests' event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[ReceivedMail] = []
        self.rejected_addresses: set[str] = set()
        self.hold_seconds: dict[str, float] = {}
        """Before answering DATA for this address, wait (once); if the sender has gone by then,
        the message is not queued, as a real server drops an unfinished transaction."""
        self.drop_after_accept: set[str] = set()
        """Queue the message for this address, then drop the connection before replying
        (once): the sender cannot know it was accepted."""

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.rejected_addresses:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        address = envelope.rcpt_tos[0] if envelope.rcpt_tos else ""
        if address in self.hold_seconds:
            await asyncio.sleep(self.hold_seconds.pop(address))
            if server.transport is None or server.transport.is_closing():
                return "421 The sender went away"
        assert isinstance(envelope.content, bytes)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self._messages.append(ReceivedMail(list(envelope.rcpt_tos), message, session.peer))
        if address in self.drop_after_accept:
            self.drop_after_accept.discard(address)
            if isinstance(server.transport, asyncio.Transport):
                server.transport.abort()
        return "250 Message accepted for delivery"

    def messages(
        self, predicate: Callable[[ReceivedMail], bool] = lambda m: True
    ) -> list[ReceivedMail]:
        with self._lock:
            return [m for m in self._messages if predicate(m)]

    def to_domain(self, domain: str) -> list[ReceivedMail]:
        return self.messages(lambda m: m.to.endswith("@" + domain))

    async def wait_for(
        self, predicate: Callable[[ReceivedMail], bool], count: int = 1, timeout: float = 30
    ) -> list[ReceivedMail]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages(predicate)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"expected {count} messages, got {len(found)}: {[m.subject for m in found]}"
                )
            await asyncio.sleep(0.05)


class MailServer:
    """An aiosmtpd server on loopback that can be stopped and started again on the same port."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@dataclass
class CouncilUnderTest:
    authority: Authority
    domain: str
    members: dict[MemberRole, int] = field(default_factory=dict)

    @property
    def id(self) -> int:
        assert self.authority.id is not None
        return self.authority.id

    @property
    def code(self) -> str:
        return self.authority.code

    def email(self, role: MemberRole) -> str:
        return f"{role.value}@{self.domain}"

    def emails(self) -> list[str]:
        return [self.email(role) for role in self.members]

    def out_of_band_email(self, role: MemberRole) -> str:
        """Each member's personal address, outside the council's mail."""
        return f"{role.value}.{self.code.lower()}@personal.example"


async def make_authority(
    database: Database,
    *,
    roles: tuple[MemberRole, ...] = tuple(MemberRole),
    languages: dict[MemberRole, Language] | None = None,
    policy: EscalationTimings | None = None,
    reporting: bool = True,
) -> CouncilUnderTest:
    """A fresh authority with its own email domain, so tests never see each other's mail.

    `reporting=False` switches every reporting obligation off, for tests that count the
    escalation's emails alone.
    """
    number = next(_authority_numbers)
    code = f"T{number:05X}"  # unique in the session: random codes did collide
    domain = f"{code.lower()}.council.example"
    async with database.session() as session:
        authority = Authority(
            code=code, name_en=f"Test Council {number}", name_cy=f"Cyngor Prawf {number}"
        )
        session.add(authority)
        await session.commit()
        await session.refresh(authority)
        made = CouncilUnderTest(authority=authority, domain=domain)
        for role in roles:
            member = await directory.name_member(
                made.id,
                role,
                name=f"{role.value.replace('_', ' ').title()} {number}",
                work_email=made.email(role),
                language=(languages or {}).get(role, Language.ENGLISH),
                out_of_band_email=made.out_of_band_email(role),
                session=session,
            )
            assert member.id is not None
            made.members[role] = member.id
        if policy is not None:
            await directory.set_policy(made.id, policy, session=session)
        if not reporting:
            for body in Body:
                await directory.set_reporting_rule(
                    made.id,
                    ReportingRuleOverride(authority_id=made.id, body=body, enabled=False),
                    session=session,
                )
    return made


async def open_test_incident(
    database: Database,
    authority: CouncilUnderTest,
    *,
    category: NcscCategory = NcscCategory.SUBSTANTIAL,
    significant: bool = False,
    title: str = "Ransomware on the revenues file server",
    **overrides: Any,
) -> Incident:
    now = datetime.now(UTC)
    fields: dict[str, Any] = {
        "title": title,
        "description": "Files on the revenues share are encrypted; a ransom note was found.",
        "incident_type": IncidentType.RANSOMWARE,
        "category": category,
        "significant": significant,
        "personal_data": False,
        "detected_at": now - timedelta(minutes=20),
        "aware_at": now - timedelta(minutes=10),
        "tlp": Tlp.AMBER,
        "reporter_name": "On-call Officer",
        "reporter_email": f"oncall@{authority.domain}",
        "opened_by": "tests",
        "idempotency_key": None,
        "fingerprint": None,
    } | overrides
    async with database.session() as session:
        incident, _ = await incidents.open_incident(
            session=session,
            authority=authority.authority,
            incident_in=incidents.IncidentCreate(**fields),
        )
    return incident


async def eventually(check: Callable[[], Any], timeout: float = 30, interval: float = 0.1) -> Any:
    """Poll an async or sync check until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)


async def start_incident(
    client: Client,
    database: Database,
    council: CouncilUnderTest,
    queue: str,
    *,
    opening: dict[str, Any] | None = None,
    **incident: Any,
) -> WorkflowHandle:
    """Open an incident's row and start its workflow, as the API does; `opening` sets the
    workflow's own limits (`update_limit`, `history_limit`)."""
    row = await open_test_incident(database, council, **incident)
    return await client.start_workflow(
        IncidentWorkflow.run,
        OpenIncident(details=details_of(row, council.authority), **(opening or {})),
        id=row.workflow_id,
        task_queue=queue,
    )


async def timeline(database: Database, handle: WorkflowHandle) -> list[TimelineEvent]:
    async with database.session() as session:
        return await timeline_of(handle.id.removeprefix("incident-"), session=session)


async def wait_for_events(
    database: Database, handle: WorkflowHandle, kind: EventKind, count: int = 1, timeout: float = 60
) -> list[TimelineEvent]:
    """The incident's timeline events of one kind, once there are at least `count`."""

    async def enough() -> list[TimelineEvent] | None:
        found = [e for e in await timeline(database, handle) if e.kind == kind]
        return found if len(found) >= count else None

    return await eventually(enough, timeout=timeout)


async def acknowledge_both_chains(handle: WorkflowHandle, council: CouncilUnderTest) -> None:
    """The executive member and the senior management member acknowledge, in that order."""
    for role in (MemberRole.EXECUTIVE_MEMBER, MemberRole.SENIOR_MANAGEMENT_MEMBER):
        await handle.execute_update(
            IncidentWorkflow.acknowledge,
            Acknowledge(member_id=council.members[role], actor=role.value),
        )


async def settle_and_close(handle: WorkflowHandle, summary: str) -> IncidentState:
    """Record every obligation still open as told by telephone, then close the incident."""
    state = await handle.query(IncidentWorkflow.state)
    for obligation in state.obligations:
        if obligation.state.open:
            await handle.execute_update(
                IncidentWorkflow.waive_obligation,
                WaiveObligation(body=obligation.body, reason="Told by telephone", actor="officer"),
            )
    closed: IncidentState = await handle.execute_update(
        IncidentWorkflow.close, CloseIncident(summary=summary, actor="officer")
    )
    return closed


async def add_notes(handle: WorkflowHandle, count: int) -> None:
    """What makes a real incident's history long. A run handing over to its successor asks
    for a moment; the note is then sent again, to the new run."""
    for number in range(1, count + 1):
        while True:
            try:
                await handle.execute_update(
                    IncidentWorkflow.add_note,
                    AddNote(actor="On-call Officer", text=f"Update {number}"),
                )
                break
            except WorkflowUpdateFailedError as refused:
                assert "try again in a moment" in str(refused.cause)
                await asyncio.sleep(0.05)


async def make_user(
    database: Database,
    council: CouncilUnderTest | None,
    role: AccessRole = AccessRole.ON_CALL_OFFICER,
    **details: Any,
) -> tuple[User, str]:
    """A person who signs in, and their password."""
    password = f"test password {uuid.uuid4().hex}"
    domain = council.domain if council else "gov.test"
    async with database.session() as session:
        user = await users.create_user(
            email=f"{role.value}.{uuid.uuid4().hex[:8]}@{domain}",
            name=details.pop("name", f"{role.value.replace('_', ' ').title()} of the test"),
            password=password,
            role=role,
            authority_id=council.id if council else None,
            session=session,
            **details,
        )
    return user, password


async def sign_in(http: httpx.AsyncClient, email: str, password: str, next: str = "/") -> Any:
    """Sign in to the pages as a person would: the form, its CSRF token, the password."""
    page = await http.get("/signin", params={"next": next})
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    return await http.post(
        "/signin", data={"csrf_token": csrf, "email": email, "password": password, "next": next}
    )


def incident_details(at: datetime, **overrides: Any) -> IncidentDetails:
    """An incident as its workflow is told it, detected and known at `at`, for tests that need
    no database."""
    return IncidentDetails(
        incident_id="0b0e4f6a-0000-4000-8000-000000000001",
        reference="CDF-2026-0007",
        authority_id=4,
        authority_code="CDF",
        title="Ransomware on the revenues file server",
        description="Files encrypted; ransom note found.",
        incident_type=IncidentType.RANSOMWARE,
        category=NcscCategory.SIGNIFICANT,
        detected_at=at,
        aware_at=at,
        tlp=Tlp.AMBER_STRICT,
        reporter_name="Rhys",
        reporter_email="rhys@oncall.example",
    ).model_copy(update=overrides)
