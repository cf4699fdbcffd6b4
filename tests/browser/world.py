"""What the pages show: an authority per page language, its people, and incidents in each
state, made by driving the app's own services and workflows.

Each language has its own authority, whose named members read their email in that language,
and its own users, whose recorded preference is that language: a person's preference, not the
browser's cookie, decides their pages once they sign in.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from temporalio.client import Client, WorkflowHandle

from domain.access import AccessRole
from domain.evidence import (
    AttachEvidence,
    CustodyMethod,
    CustodyRecipient,
    EvidenceFile,
    RecordCustody,
)
from domain.incident import OpenIncident
from domain.state import IncidentState
from domain.suppliers import SupplierDetails
from domain.vocabulary import Language, MemberRole
from models import Incident
from runtime.database import Database
from services import users
from services.administration import Actor
from services.incidents import details_of
from services.suppliers import add_supplier
from tests.browser.names import LANGUAGES, Lang
from tests.support import (
    CouncilUnderTest,
    Inbox,
    acknowledge_both_chains,
    eventually,
    make_authority,
    make_user,
    open_test_incident,
    settle_and_close,
)
from workflows import IncidentWorkflow

#: Every role a person signs in with.
ROLES = tuple(AccessRole)
_LANGUAGE = {"cy": Language.WELSH, "en": Language.ENGLISH}
#: One supplier both authorities hold, each writing its name its own way.
SUPPLIERS: dict[Lang, str] = {"cy": "Acme Hosting Ltd", "en": "ACME HOSTING LIMITED"}
_ACK_LINK = re.compile(r"https?://[^\s<>\"']+/ack/[^\s<>\"']+")


@dataclass(frozen=True)
class Person:
    email: str
    password: str
    role: AccessRole


@dataclass
class Authority:
    """One language's authority and the people who sign in for it."""

    lang: Lang
    council: CouncilUnderTest
    people: dict[AccessRole, Person] = field(default_factory=dict)
    supplier: str = ""
    """The supplier on its register, which the other language's authority holds too."""


async def make_authorities(database: Database) -> dict[Lang, Authority]:
    """An authority per page language, with a user of every role, all preferring it."""
    made: dict[Lang, Authority] = {}
    for lang in LANGUAGES:
        language = _LANGUAGE[lang]
        council = await make_authority(database, languages=dict.fromkeys(MemberRole, language))
        authority = Authority(lang, council)
        for role in ROLES:
            extra: dict[str, object] = {}
            if role is AccessRole.RESPONSIBLE_MEMBER:
                extra["member_role"] = MemberRole.EXECUTIVE_MEMBER
            if role is AccessRole.AUDITOR:
                extra["grants"] = [council.id]
            if role is AccessRole.CENTRAL_TEAM:
                extra["all_authorities"] = True
            user, password = await make_user(
                database, None if role is AccessRole.CENTRAL_TEAM else council, role, **extra
            )
            assert user.id is not None
            async with database.session() as session:
                await users.set_language(user.id, language, session=session)
            authority.people[role] = Person(user.email, password, role)
        authority.supplier = SUPPLIERS[lang]
        async with database.session() as session:
            await add_supplier(
                council.id,
                SupplierDetails(name=authority.supplier, services=["Hosting"]),
                actor=Actor("world"),
                session=session,
            )
        made[lang] = authority
    return made


@dataclass(frozen=True)
class OpenedIncident:
    row: Incident
    handle: WorkflowHandle

    @property
    def id(self) -> str:
        return self.row.id

    @property
    def reference(self) -> str:
        return self.row.reference


async def open_incident(
    client: Client, database: Database, council: CouncilUnderTest, queue: str, title: str
) -> OpenedIncident:
    """A significant incident (so the NCSC must be told), opened as the API opens one."""
    row = await open_test_incident(database, council, title=title, significant=True)
    handle = await client.start_workflow(
        IncidentWorkflow.run,
        OpenIncident(details=details_of(row, council.authority)),
        id=row.workflow_id,
        task_queue=queue,
    )
    await state_when(handle, lambda s: bool(s.chains) and all(c.level for c in s.chains))
    return OpenedIncident(row, handle)


async def state_when(handle: WorkflowHandle, ready: object, timeout: float = 60) -> IncidentState:
    """The incident's state once `ready(state)` holds."""
    assert callable(ready)

    async def check() -> IncidentState | None:
        state: IncidentState = await handle.query(IncidentWorkflow.state)
        return state if ready(state) else None

    found: IncidentState = await eventually(check, timeout=timeout)
    return found


@dataclass(frozen=True)
class Incidents:
    """One language's incidents: just opened, acknowledged, closed."""

    notifying: OpenedIncident
    reporting: OpenedIncident
    closed: OpenedIncident


async def make_incidents(
    client: Client, database: Database, authority: Authority, queue: str
) -> Incidents:
    council = authority.council
    stamp = datetime.now().strftime("%H%M%S")
    notifying = await open_incident(
        client, database, council, queue, f"Phishing wave {stamp} ({authority.lang})"
    )
    reporting = await open_incident(
        client, database, council, queue, f"Revenues ransomware {stamp} ({authority.lang})"
    )
    await acknowledge_both_chains(reporting.handle, council)
    await state_when(reporting.handle, lambda s: all(c.acknowledged_by for c in s.chains))
    await add_evidence(reporting)
    closed = await open_incident(
        client, database, council, queue, f"Library kiosk malware {stamp} ({authority.lang})"
    )
    await acknowledge_both_chains(closed.handle, council)
    await settle_and_close(closed.handle, "Contained and recovered; lessons recorded.")
    await state_when(closed.handle, lambda s: s.closed_at is not None)
    return Incidents(notifying, reporting, closed)


async def add_evidence(incident: OpenedIncident) -> None:
    """A file recorded on the incident (its bytes are never fetched by the pages checked), and
    its hand-over to the police."""
    note = b"Your files are encrypted."
    file_id = uuid.uuid4().hex
    await incident.handle.execute_update(
        IncidentWorkflow.attach_evidence,
        AttachEvidence(
            files=[
                EvidenceFile(
                    file_id=file_id,
                    name="ransom-note.txt",
                    content_type="text/plain",
                    size=len(note),
                    sha256=hashlib.sha256(note).hexdigest(),
                    storage_key=f"evidence/{incident.id}/{file_id}",
                )
            ],
            description="Found on the revenues file server",
            actor="On-call Officer",
        ),
    )
    await incident.handle.execute_update(
        IncidentWorkflow.record_custody,
        RecordCustody(
            file_ids=[file_id],
            recipient=CustodyRecipient.POLICE_REGIONAL_CYBER_UNIT,
            recipient_name="Tarian regional cyber crime unit",
            method=CustodyMethod.EVIDENCE_BUNDLE,
            handed_over_at=datetime.now(UTC),
            reference="CRN-0042",
            actor="On-call Officer",
        ),
    )


async def ack_link(inbox: Inbox, council: CouncilUnderTest, role: MemberRole, about: str) -> str:
    """The acknowledge link in the email a member received about an incident (`about`: its
    reference or its id; the email shows both)."""
    address = council.email(role)
    mails = await inbox.wait_for(
        lambda m: (
            m.to == address and about in m.subject + m.text() and bool(_ACK_LINK.search(m.text()))
        )
    )
    found = _ACK_LINK.search(mails[-1].text())
    assert found is not None
    return found.group(0)
