"""Public statements: the council's drafts, publishing them on the incident's timeline, and the
published versions the public page shows.

A draft (`public_statement`) is the web side's own working copy; editing it changes nothing
anyone outside has seen. Publishing sends the draft as it was last saved to whichever process
holds the incident's timeline (`services.after_alarm.record_after_alarm`), whose validator
checks it again: only a statement whole in both languages, and marked TLP:CLEAR or about an
incident that is, is published. The checks are made here first, so a refusal is given before
anything is sent and nothing is recorded.

What the public sees is read from `statement_version`, the projection of the timeline's
`statement_published` events: a statement is on the public page exactly when the hash chain
proves it was published. An exercise's statements are recorded like any other, and never shown.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime

import structlog
from pydantic import BaseModel
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from domain.rules import in_both
from domain.statements import (
    AffectedService,
    PublishStatement,
    ServiceStatus,
    StatementContent,
    WithdrawStatement,
    publishable,
)
from domain.vocabulary import Language, MemberRole, Tlp
from models import Incident, PublicStatement, StatementVersion
from models.columns import utc_now
from notifications.labels import ROLE_NAMES
from services.after_alarm import record_after_alarm

log = structlog.get_logger(__name__)

#: How long a request waits for the timeline to record what it published, so that its answer
#: (and the page it leads to) shows the new version; the activity usually takes a moment.
RECORDING_WAIT_SECONDS = 10.0
_POLL_SECONDS = 0.05


class StatementRefused(Exception):
    """The statement cannot be published or withdrawn as asked; `message` is in both languages."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DraftService(BaseModel):
    """A service as drafted: a name may be missing in one language until it is published."""

    name_cy: str = ""
    name_en: str = ""
    status: ServiceStatus
    alternative_cy: str = ""
    alternative_en: str = ""


class StatementDraft(BaseModel):
    """What a draft holds; `tlp` None keeps the marking it has (the incident's, when new)."""

    title_cy: str = ""
    title_en: str = ""
    text_cy: str = ""
    text_en: str = ""
    services: list[DraftService] = []
    tlp: Tlp | None = None


@dataclass(frozen=True)
class StatementRecord:
    """A draft and every version of it published, the newest first."""

    statement: PublicStatement
    versions: list[StatementVersion]

    @property
    def id(self) -> int:
        assert self.statement.id is not None
        return self.statement.id

    @property
    def withdrawn_at(self) -> datetime | None:
        return next((v.withdrawn_at for v in self.versions if v.withdrawn_at is not None), None)

    @property
    def latest(self) -> StatementVersion | None:
        return self.versions[0] if self.versions else None


@dataclass(frozen=True)
class PublishedStatement:
    """What the public page shows of one statement: its latest version, and when it was first
    published and last updated."""

    statement_id: int
    version: int
    content: StatementContent
    content_sha256: str
    first_published_at: datetime
    published_at: datetime


# ------------------------------------------------------------------------------ drafts


def _apply(statement: PublicStatement, draft: StatementDraft, *, actor: str) -> None:
    statement.title_cy, statement.title_en = draft.title_cy, draft.title_en
    statement.text_cy, statement.text_en = draft.text_cy, draft.text_en
    statement.services = [service.model_dump(mode="json") for service in draft.services]
    if draft.tlp is not None:
        statement.tlp = draft.tlp
    statement.updated_by, statement.updated_at = actor, utc_now()


async def create_statement(
    incident: Incident, draft: StatementDraft, *, actor: str, session: AsyncSession
) -> PublicStatement:
    """A new draft about the incident, marked as the incident is unless the draft says."""
    statement = PublicStatement(
        incident_id=incident.id,
        authority_id=incident.authority_id,
        tlp=draft.tlp or incident.tlp,
        created_by=actor,
        updated_by=actor,
    )
    _apply(statement, draft, actor=actor)
    session.add(statement)
    await session.commit()
    await session.refresh(statement)
    log.info(
        "statement_drafted",
        incident_id=incident.id,
        workflow_id=incident.workflow_id,
        authority_id=incident.authority_id,
        statement_id=statement.id,
    )
    return statement


async def update_statement(
    statement: PublicStatement, draft: StatementDraft, *, actor: str, session: AsyncSession
) -> PublicStatement:
    """The draft replaced by what was sent; what was published already is unchanged."""
    _apply(statement, draft, actor=actor)
    session.add(statement)
    await session.commit()
    await session.refresh(statement)
    return statement


async def statement_of(
    incident: Incident, statement_id: int, *, session: AsyncSession
) -> PublicStatement | None:
    """The incident's statement with this id; None for another incident's."""
    statement = await session.get(PublicStatement, statement_id)
    if statement is None or statement.incident_id != incident.id:
        return None
    return statement


async def _versions(
    session: AsyncSession, *conditions: object
) -> dict[int, list[StatementVersion]]:
    rows = await session.exec(
        select(StatementVersion)
        .where(*conditions)  # type: ignore[arg-type]
        .order_by(col(StatementVersion.statement_id), col(StatementVersion.version).desc())
        # Read afresh: a withdrawal is recorded on rows this session may already hold.
        .execution_options(populate_existing=True)
    )
    found: dict[int, list[StatementVersion]] = {}
    for row in rows:
        found.setdefault(row.statement_id, []).append(row)
    return found


async def record_of(statement: PublicStatement, *, session: AsyncSession) -> StatementRecord:
    versions = await _versions(session, col(StatementVersion.statement_id) == statement.id)
    return StatementRecord(statement, versions.get(statement.id or 0, []))


async def statements_of(incident: Incident, *, session: AsyncSession) -> list[StatementRecord]:
    """The incident's statements with their published versions, the newest draft first."""
    drafts = await session.exec(
        select(PublicStatement)
        .where(col(PublicStatement.incident_id) == incident.id)
        .order_by(col(PublicStatement.id).desc())
    )
    versions = await _versions(session, col(StatementVersion.incident_id) == incident.id)
    return [StatementRecord(draft, versions.get(draft.id or 0, [])) for draft in drafts]


# ------------------------------------------------------------------------------ publishing


def approver_words(name: str, member_role: MemberRole | None) -> str:
    """The approver as the timeline keeps them: their name and role, "English / Welsh", so a
    page shows the half in its own language."""
    if member_role is None:
        return name[:200]
    english = f"{name[:90]}, {ROLE_NAMES[Language.ENGLISH][member_role]}"
    welsh = f"{name[:90]}, {ROLE_NAMES[Language.WELSH][member_role]}"
    return in_both(english, welsh)


def _checked_services(statement: PublicStatement) -> list[AffectedService]:
    """The draft's services as published: each named in both languages, and its alternative
    given in both or in neither (Welsh no less favourable than English)."""
    services = []
    for number, raw in enumerate(statement.services, start=1):
        service = DraftService.model_validate(raw)
        if not (service.name_cy.strip() and service.name_en.strip()):
            raise StatementRefused(
                in_both(
                    f"Affected service {number} needs its name in Welsh and in English.",
                    f"Mae angen enw gwasanaeth {number} yr effeithir arno yn Gymraeg ac yn "
                    "Saesneg.",
                )
            )
        if bool(service.alternative_cy.strip()) != bool(service.alternative_en.strip()):
            raise StatementRefused(
                in_both(
                    f"Say what to do instead of affected service {number} in Welsh and in "
                    "English, or in neither.",
                    f"Dywedwch beth i'w wneud yn lle gwasanaeth {number} yr effeithir arno yn "
                    "Gymraeg ac yn Saesneg, neu yn y naill na'r llall.",
                )
            )
        services.append(AffectedService(**service.model_dump()))
    return services


def content_of(
    statement: PublicStatement, *, incident_tlp: Tlp, statement_tlp: Tlp | None = None
) -> StatementContent:
    """The draft as the version it would publish, marked `statement_tlp` (else as it is);
    `StatementRefused` says why it cannot be."""
    bare = StatementContent(
        title_cy=statement.title_cy,
        title_en=statement.title_en,
        text_cy=statement.text_cy,
        text_en=statement.text_en,
    )
    reason = publishable(
        bare, incident_tlp=incident_tlp, statement_tlp=statement_tlp or statement.tlp
    )
    if reason:
        raise StatementRefused(reason)
    return bare.model_copy(update={"services": _checked_services(statement)})


def published_as_is(record: StatementRecord) -> bool:
    """Whether the draft says, under the same marking, what its latest version says: publishing
    it again would add nothing."""
    latest, statement = record.latest, record.statement
    if latest is None or latest.tlp is not statement.tlp:
        return False
    try:
        content = content_of(statement, incident_tlp=Tlp.CLEAR)
    except StatementRefused:
        return False
    return content.content_hash() == latest.content_sha256


async def _await_version(
    statement_id: int, above: int, *, session: AsyncSession
) -> StatementVersion | None:
    """The statement's newest version once the timeline has recorded one above `above`; None
    if it is not recorded in time (it will be: the request was taken)."""
    deadline = time.monotonic() + RECORDING_WAIT_SECONDS
    while True:
        newest = (
            await session.exec(
                select(StatementVersion)
                .where(col(StatementVersion.statement_id) == statement_id)
                .order_by(col(StatementVersion.version).desc())
                .limit(1)
            )
        ).first()
        await session.commit()  # one short read each time: SQLite's writer is never held up
        if newest is not None and newest.version > above:
            return newest
        if time.monotonic() > deadline:
            return None
        await asyncio.sleep(_POLL_SECONDS)


async def publish_statement(
    incident: Incident,
    statement: PublicStatement,
    *,
    approver: str,
    actor: str,
    tlp: Tlp | None,
    session: AsyncSession,
    temporal: Client,
    task_queue: str,
) -> StatementVersion | None:
    """Publish the draft as last saved as its next version, approved by `approver`; `tlp`, when
    given, is the approver's marking of the statement, saved with it. Returns the version as
    the timeline recorded it (None if that takes longer than the request waits)."""
    assert statement.id is not None
    record = await record_of(statement, session=session)
    if record.withdrawn_at is not None:
        raise StatementRefused(
            in_both(
                "This statement has been withdrawn; write a new statement to say more.",
                "Mae'r datganiad hwn wedi'i dynnu'n ôl; ysgrifennwch ddatganiad newydd i "
                "ddweud rhagor.",
            )
        )
    # Checked with the approver's marking before anything is saved or sent.
    content = content_of(statement, incident_tlp=incident.tlp, statement_tlp=tlp)
    latest = record.latest
    if (
        latest
        and latest.content_sha256 == content.content_hash()
        and latest.tlp is (tlp or statement.tlp)
    ):
        raise StatementRefused(
            in_both(
                f"The draft says what version {latest.version} already says: change it, save "
                "it, then publish the new version.",
                f"Mae'r drafft yn dweud yr hyn y mae fersiwn {latest.version} yn ei ddweud "
                "eisoes: newidiwch ef, cadwch ef, yna cyhoeddwch y fersiwn newydd.",
            )
        )
    if tlp is not None and tlp is not statement.tlp:
        statement.tlp, statement.updated_by, statement.updated_at = tlp, actor, utc_now()
        session.add(statement)
        await session.commit()
        await session.refresh(statement)
    known = latest.version if latest else 0
    command = PublishStatement(
        statement_id=statement.id,
        version=known + 1,
        content=content,
        tlp=statement.tlp,
        approver=approver,
        actor=actor,
    )
    await session.commit()  # no read held open while Temporal is asked
    await record_after_alarm(
        incident, "publish_statement", command, temporal=temporal, task_queue=task_queue
    )
    log.info(
        "statement_published",
        incident_id=incident.id,
        workflow_id=incident.workflow_id,
        authority_id=incident.authority_id,
        statement_id=statement.id,
        content_sha256=content.content_hash(),
    )
    return await _await_version(statement.id, known, session=session)


async def withdraw_statement(
    incident: Incident,
    statement: PublicStatement,
    *,
    reason: str,
    actor: str,
    session: AsyncSession,
    temporal: Client,
    task_queue: str,
) -> StatementRecord:
    """Take a published statement off the public page, with the reason, on the timeline."""
    assert statement.id is not None
    record = await record_of(statement, session=session)
    if not record.versions:
        raise StatementRefused(
            in_both(
                "This statement has not been published, so it cannot be withdrawn.",
                "Nid yw'r datganiad hwn wedi'i gyhoeddi, felly ni ellir ei dynnu'n ôl.",
            )
        )
    if record.withdrawn_at is not None:
        raise StatementRefused(
            in_both(
                "This statement is already withdrawn.",
                "Mae'r datganiad hwn eisoes wedi'i dynnu'n ôl.",
            )
        )
    await session.commit()
    await record_after_alarm(
        incident,
        "withdraw_statement",
        WithdrawStatement(statement_id=statement.id, reason=reason, actor=actor),
        temporal=temporal,
        task_queue=task_queue,
    )
    log.info(
        "statement_withdrawn",
        incident_id=incident.id,
        workflow_id=incident.workflow_id,
        authority_id=incident.authority_id,
        statement_id=statement.id,
    )
    deadline = time.monotonic() + RECORDING_WAIT_SECONDS
    while True:
        record = await record_of(statement, session=session)
        await session.commit()
        if record.withdrawn_at is not None or time.monotonic() > deadline:
            return record
        await asyncio.sleep(_POLL_SECONDS)


# ------------------------------------------------------------------------------ the public


async def public_statements(
    authority_id: int, *, session: AsyncSession
) -> list[PublishedStatement]:
    """The authority's statements as the public page shows them: the latest version of each
    one published and not withdrawn, the most recently published first. An exercise's
    statements never appear."""
    rows = await session.exec(
        select(StatementVersion)
        .join(Incident, col(Incident.id) == col(StatementVersion.incident_id))
        .where(
            col(StatementVersion.authority_id) == authority_id,
            col(Incident.authority_id) == authority_id,
            col(Incident.exercise).is_(False),
        )
    )
    by_statement: dict[int, list[StatementVersion]] = {}
    for row in rows:
        by_statement.setdefault(row.statement_id, []).append(row)
    shown = []
    for statement_id, versions in by_statement.items():
        if any(v.withdrawn_at is not None for v in versions):
            continue
        latest = max(versions, key=lambda v: v.version)
        shown.append(
            PublishedStatement(
                statement_id=statement_id,
                version=latest.version,
                content=StatementContent.model_validate(latest.content),
                content_sha256=latest.content_sha256,
                first_published_at=min(v.published_at for v in versions),
                published_at=latest.published_at,
            )
        )
    return sorted(shown, key=lambda s: (s.published_at, s.statement_id), reverse=True)
