"""/api/incidents/{incident_id}/statements: what residents are told, in Welsh and English at once.

Drafting (create, replace) needs `RUN_INCIDENTS`; reading needs `READ_INCIDENTS`; publishing
and withdrawing need `APPROVE_STATEMENTS`, held by a named member or their deputy. Publishing
sends the draft as last saved to the incident's timeline, and is refused (409, nothing
recorded) while either language lacks its title or text, while an affected service is named in
one language only, or while neither the incident nor the statement is marked TLP:CLEAR. The
approver may mark the statement TLP:CLEAR as they publish it. The public page
(`/public/{code}`) shows what was published.

The operations below are shared with the pages (`web.pages.statements`), so both are checked
alike and a refusal reads the same; every refusal is in English and Welsh.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Path, status
from pydantic import BaseModel, BeforeValidator, Field, model_validator
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from domain.access import Permission
from domain.commands import Rejection
from domain.rules import in_both
from domain.statements import MAX_SERVICES, ServiceStatus, StatementContent
from domain.vocabulary import Tlp
from models import Incident, PublicStatement, StatementVersion
from services import statements as statement_service
from services.statements import StatementDraft, StatementRecord, StatementRefused
from services.temporal_gateway import UpdateRefused, WorkflowUnavailable
from web.api.responses import COMMON
from web.deps import (
    AnyCaller,
    Caller,
    IncidentToRead,
    IncidentToRun,
    SessionDep,
    SettingsDep,
    TemporalDep,
    incident_for,
)
from web.operations import OperationError
from web.rate_limits import PerIncident, RateLimits, TooFast, rate_limits
from web.schemas import Problem, Strict

router = APIRouter(prefix="/api/incidents/{incident_id}/statements", tags=["statements"])

StatementId = Annotated[int, Path(gt=0, le=2**31 - 1)]
IncidentToApprove = Annotated[Incident, Depends(incident_for(Permission.APPROVE_STATEMENTS))]
Limits = Annotated[RateLimits, Depends(rate_limits)]

#: Drafts one incident may hold: more than any incident needs, few enough that nobody can
#: fill the database through one.
MAX_STATEMENTS = 50
TITLE_LENGTH, TEXT_LENGTH = 200, 10000
NAME_LENGTH, ALTERNATIVE_LENGTH, REASON_LENGTH = 200, 1000, 2000
_ONE_LINE = r"^[^\r\n]*$"


def _text(limit: int, english: str, welsh: str, *, one_line: bool = False) -> Any:
    """A text field's checks, in both languages, made on the text as sent: `english` names
    the field in a sentence ("The Welsh title"), `welsh` as it follows "Rhaid i" ("'r teitl
    Cymraeg")."""

    def check(value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError(in_both(f"{english} must be text.", f"Rhaid i{welsh} fod yn destun."))
        if one_line and ("\n" in value or "\r" in value):
            raise ValueError(
                in_both(f"{english} must be on one line.", f"Rhaid i{welsh} fod ar un llinell.")
            )
        if len(value) > limit:
            raise ValueError(
                in_both(
                    f"{english} must be {limit} characters or fewer.",
                    f"Rhaid i{welsh} fod yn {limit} nod neu lai.",
                )
            )
        return value

    return BeforeValidator(check)


def _field(limit: int, description: str, *, one_line: bool = False) -> Any:
    extra: dict[str, Any] = {"maxLength": limit} | ({"pattern": _ONE_LINE} if one_line else {})
    return Field("", description=description, json_schema_extra=extra)


TitleCy = Annotated[str, _text(TITLE_LENGTH, "The Welsh title", "'r teitl Cymraeg", one_line=True)]
TitleEn = Annotated[
    str, _text(TITLE_LENGTH, "The English title", "'r teitl Saesneg", one_line=True)
]
TextCy = Annotated[str, _text(TEXT_LENGTH, "The Welsh text", "'r testun Cymraeg")]
TextEn = Annotated[str, _text(TEXT_LENGTH, "The English text", "'r testun Saesneg")]
NameCy = Annotated[
    str, _text(NAME_LENGTH, "A service's Welsh name", " enw Cymraeg gwasanaeth", one_line=True)
]
NameEn = Annotated[
    str, _text(NAME_LENGTH, "A service's English name", " enw Saesneg gwasanaeth", one_line=True)
]
AlternativeCy = Annotated[
    str,
    _text(
        ALTERNATIVE_LENGTH, "What to do instead, in Welsh,", "'r hyn i'w wneud yn lle, yn Gymraeg,"
    ),
]
AlternativeEn = Annotated[
    str,
    _text(
        ALTERNATIVE_LENGTH,
        "What to do instead, in English,",
        "'r hyn i'w wneud yn lle, yn Saesneg,",
    ),
]

_STATUS_MISSING = in_both(
    "Give each affected service its status: unavailable, disrupted or restored.",
    "Rhowch statws i bob gwasanaeth yr effeithir arno: ddim ar gael, wedi'i amharu neu wedi'i "
    "adfer.",
)
_SERVICE_UNNAMED = in_both(
    "Name each affected service, in Welsh and English.",
    "Enwch bob gwasanaeth yr effeithir arno, yn Gymraeg ac yn Saesneg.",
)
_NO_TITLE = in_both(
    "Give the statement a title, in Welsh or English.",
    "Rhowch deitl i'r datganiad, yn Gymraeg neu'n Saesneg.",
)
_TOO_MANY_SERVICES = in_both(
    f"A statement lists {MAX_SERVICES} affected services at most.",
    f"Mae datganiad yn rhestru {MAX_SERVICES} o wasanaethau yr effeithir arnynt ar y mwyaf.",
)
_REASON_MISSING = in_both(
    "Say why the statement is withdrawn.", "Dywedwch pam mae'r datganiad yn cael ei dynnu'n ôl."
)


class ServiceRequest(Strict):
    """A service the incident affects, with its status and what residents can do instead. A
    draft may name it in one language; it is published named in both."""

    name_cy: NameCy = _field(NAME_LENGTH, "Its name in Welsh.", one_line=True)
    name_en: NameEn = _field(NAME_LENGTH, "Its name in English.", one_line=True)
    status: ServiceStatus
    alternative_cy: AlternativeCy = _field(
        ALTERNATIVE_LENGTH, "What residents can do instead, in Welsh."
    )
    alternative_en: AlternativeEn = _field(
        ALTERNATIVE_LENGTH, "What residents can do instead, in English."
    )

    @model_validator(mode="before")
    @classmethod
    def _a_status(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("status") not in {s.value for s in ServiceStatus}:
            raise ValueError(_STATUS_MISSING)
        return data

    @model_validator(mode="after")
    def _named(self) -> ServiceRequest:
        if not (self.name_cy or self.name_en):
            raise ValueError(_SERVICE_UNNAMED)
        return self


def _services(value: Any) -> Any:
    if isinstance(value, list) and len(value) > MAX_SERVICES:
        raise ValueError(_TOO_MANY_SERVICES)
    return value


class StatementRequest(Strict):
    """A draft statement, replaced whole each time it is saved. Either language may be
    drafted first; both are needed to publish it."""

    title_cy: TitleCy = _field(TITLE_LENGTH, "The title in Welsh.", one_line=True)
    title_en: TitleEn = _field(TITLE_LENGTH, "The title in English.", one_line=True)
    text_cy: TextCy = _field(TEXT_LENGTH, "What residents are told, in Welsh.")
    text_en: TextEn = _field(TEXT_LENGTH, "What residents are told, in English.")
    services: Annotated[list[ServiceRequest], BeforeValidator(_services)] = Field(
        [],
        description="The services affected, each with its status and alternative.",
        json_schema_extra={"maxItems": MAX_SERVICES},
    )
    tlp: Tlp | None = Field(
        None,
        description="The statement's own marking; left out, a new statement is marked as its "
        "incident is, and a saved one keeps its marking. An incident not marked TLP:CLEAR "
        "needs its statement to be, to publish it.",
    )

    @model_validator(mode="after")
    def _titled(self) -> StatementRequest:
        if not (self.title_cy or self.title_en):
            raise ValueError(_NO_TITLE)
        return self

    def draft(self) -> StatementDraft:
        return StatementDraft.model_validate(self.model_dump())


class PublishRequest(Strict):
    tlp: Tlp | None = Field(
        None,
        description="The approver's marking of the statement, saved with it as it is "
        "published: TLP:CLEAR lets a statement about an incident marked otherwise be published.",
    )


class WithdrawRequest(Strict):
    reason: Annotated[str, _text(REASON_LENGTH, "The reason", "'r rheswm")] = Field(
        description="Why it is taken off the public page; the timeline keeps it.",
        json_schema_extra={"minLength": 1, "maxLength": REASON_LENGTH},
    )

    @model_validator(mode="before")
    @classmethod
    def _a_reason(cls, data: Any) -> Any:
        reason = data.get("reason") if isinstance(data, dict) else None
        if isinstance(data, dict) and not (reason and str(reason).strip()):
            raise ValueError(_REASON_MISSING)
        return data


class ServiceView(BaseModel):
    name_cy: str
    name_en: str
    status: ServiceStatus
    alternative_cy: str
    alternative_en: str


class VersionView(BaseModel):
    """A version as the timeline recorded it; `content_sha256` is the SHA-256 of its
    canonical JSON (`domain.statements.StatementContent.content_hash`)."""

    version: int
    content: StatementContent
    content_sha256: str
    tlp: Tlp
    approver: str = Field(description="Who approved it: name and role, English / Welsh.")
    published_by: str
    published_at: datetime
    withdrawn_at: datetime | None
    sequence: int = Field(description="The timeline event that published it.")


class StatementView(BaseModel):
    id: int
    incident_id: str
    title_cy: str
    title_en: str
    text_cy: str
    text_en: str
    services: list[ServiceView]
    tlp: Tlp
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime
    missing_languages: list[str] = Field(
        description="The languages whose title or text the draft lacks: cy, en."
    )
    withdrawn_at: datetime | None = Field(
        description="When it was taken off the public page; null while it is on it, or "
        "never published."
    )
    versions: list[VersionView] = Field(description="Every version published, the newest first.")


def statement_view(record: StatementRecord) -> StatementView:
    draft = record.statement
    bare = StatementContent(
        title_cy=draft.title_cy,
        title_en=draft.title_en,
        text_cy=draft.text_cy,
        text_en=draft.text_en,
    )
    return StatementView(
        id=record.id,
        incident_id=draft.incident_id,
        title_cy=draft.title_cy,
        title_en=draft.title_en,
        text_cy=draft.text_cy,
        text_en=draft.text_en,
        services=[ServiceView.model_validate(service) for service in draft.services],
        tlp=draft.tlp,
        created_by=draft.created_by,
        created_at=draft.created_at,
        updated_by=draft.updated_by,
        updated_at=draft.updated_at,
        missing_languages=bare.missing_language(),
        withdrawn_at=record.withdrawn_at,
        versions=[
            VersionView(
                version=v.version,
                content=StatementContent.model_validate(v.content),
                content_sha256=v.content_sha256,
                tlp=v.tlp,
                approver=v.approver,
                published_by=v.published_by,
                published_at=v.published_at,
                withdrawn_at=v.withdrawn_at,
                sequence=v.sequence,
            )
            for v in record.versions
        ],
    )


# ------------------------------------------------------------------ shared with the pages


def no_statement(statement_id: int) -> HTTPException:
    # Not "No incident ...": the incident is one the caller may see.
    return HTTPException(
        status.HTTP_404_NOT_FOUND,
        in_both(
            f"No statement {statement_id} about this incident.",
            f"Dim datganiad {statement_id} am y digwyddiad hwn.",
        ),
    )


async def statement_about(
    incident: Incident, statement_id: int, session: AsyncSession
) -> PublicStatement:
    statement = await statement_service.statement_of(incident, statement_id, session=session)
    if statement is None:
        raise no_statement(statement_id)
    return statement


async def create(
    incident: Incident, request: StatementRequest, *, caller: Caller, session: AsyncSession
) -> PublicStatement:
    """A new draft, for the API and the page alike; 409 once the incident holds its most."""
    held = (
        await session.exec(
            select(func.count())
            .select_from(PublicStatement)
            .where(col(PublicStatement.incident_id) == incident.id)
        )
    ).one()
    if held >= MAX_STATEMENTS:
        raise OperationError(
            409,
            in_both(
                f"This incident already has {MAX_STATEMENTS} statements; change one of them.",
                f"Mae gan y digwyddiad hwn {MAX_STATEMENTS} o ddatganiadau eisoes; newidiwch un "
                "ohonynt.",
            ),
        )
    return await statement_service.create_statement(
        incident, request.draft(), actor=caller.name, session=session
    )


def _refused(failure: UpdateRefused) -> OperationError:
    return OperationError(422 if failure.rejection is Rejection.INVALID else 409, failure.message)


async def _changing(incident: Incident, limits: RateLimits) -> None:
    """Publishing and withdrawing are held to the incident's count of changes, as every other
    change to its timeline is."""
    try:
        await limits.check_incident(PerIncident.CHANGES, incident.id)
    except TooFast as refused:
        raise OperationError(429, refused.message, retry_after=refused.seconds) from None


async def _recording(send: Callable[[], Any]) -> Any:
    try:
        return await send()
    except StatementRefused as refused:
        raise OperationError(409, refused.message) from None
    except UpdateRefused as refused:
        raise _refused(refused) from None
    except WorkflowUnavailable as unavailable:
        raise OperationError(503, str(unavailable), retry_after=5) from unavailable


async def publish(
    incident: Incident,
    statement: PublicStatement,
    *,
    tlp: Tlp | None,
    caller: Caller,
    session: AsyncSession,
    temporal: Client,
    task_queue: str,
    limits: RateLimits,
) -> StatementVersion | None:
    """Publish the draft as last saved, approved by the caller, for the API and the page."""
    await _changing(incident, limits)
    version: StatementVersion | None = await _recording(
        lambda: statement_service.publish_statement(
            incident,
            statement,
            approver=statement_service.approver_words(caller.name, caller.member_role),
            actor=caller.name,
            tlp=tlp,
            session=session,
            temporal=temporal,
            task_queue=task_queue,
        )
    )
    return version


async def withdraw(
    incident: Incident,
    statement: PublicStatement,
    *,
    reason: str,
    caller: Caller,
    session: AsyncSession,
    temporal: Client,
    task_queue: str,
    limits: RateLimits,
) -> StatementRecord:
    """Take the statement off the public page, for the API and the page alike."""
    await _changing(incident, limits)
    record: StatementRecord = await _recording(
        lambda: statement_service.withdraw_statement(
            incident,
            statement,
            reason=reason,
            actor=caller.name,
            session=session,
            temporal=temporal,
            task_queue=task_queue,
        )
    )
    return record


# ------------------------------------------------------------------ routes

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such incident in your authority, or statement."}
}
_RECORDING: dict[int | str, dict[str, Any]] = {
    409: {
        "model": Problem,
        "description": "Not whole in both languages, not marked TLP:CLEAR (nor its incident), "
        "withdrawn already, or the incident's record refused it; nothing was recorded.",
    },
    503: {"model": Problem, "description": "Temporal is unreachable; try again."},
}


@router.get("", response_model=list[StatementView], responses=COMMON)
async def list_statements(incident: IncidentToRead, session: SessionDep) -> list[StatementView]:
    """The incident's statements, the newest first, each with every version published."""
    return [
        statement_view(record)
        for record in await statement_service.statements_of(incident, session=session)
    ]


@router.post(
    "",
    response_model=StatementView,
    status_code=status.HTTP_201_CREATED,
    responses=COMMON
    | {409: {"model": Problem, "description": "The incident holds its most statements."}},
)
async def create_statement(
    statement_in: StatementRequest, incident: IncidentToRun, caller: AnyCaller, session: SessionDep
) -> StatementView:
    """Draft a statement: titles and texts in Welsh and English, the services affected, and
    its marking (the incident's unless given). Nothing is public until it is published."""
    statement = await create(incident, statement_in, caller=caller, session=session)
    return statement_view(await statement_service.record_of(statement, session=session))


@router.get("/{statement_id}", response_model=StatementView, responses=COMMON | _NOT_FOUND)
async def get_statement(
    statement_id: StatementId, incident: IncidentToRead, session: SessionDep
) -> StatementView:
    """The draft as last saved, and every version published."""
    statement = await statement_about(incident, statement_id, session)
    return statement_view(await statement_service.record_of(statement, session=session))


@router.put("/{statement_id}", response_model=StatementView, responses=COMMON | _NOT_FOUND)
async def replace_statement(
    statement_id: StatementId,
    statement_in: StatementRequest,
    incident: IncidentToRun,
    caller: AnyCaller,
    session: SessionDep,
) -> StatementView:
    """Save the draft, replacing it whole; what was published stays as it was."""
    statement = await statement_about(incident, statement_id, session)
    await statement_service.update_statement(
        statement, statement_in.draft(), actor=caller.name, session=session
    )
    return statement_view(await statement_service.record_of(statement, session=session))


@router.post(
    "/{statement_id}/publish",
    response_model=StatementView,
    responses=COMMON | _NOT_FOUND | _RECORDING,
)
async def publish_statement(
    statement_id: StatementId,
    incident: IncidentToApprove,
    caller: AnyCaller,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    limits: Limits,
    publish_in: Annotated[PublishRequest | None, Body()] = None,
) -> StatementView:
    """Publish the draft as last saved as the statement's next version, approved by you (a
    named member or deputy): a timeline event carrying its text and SHA-256, then the public
    page. Refused, with nothing recorded, unless both languages are whole and the statement or
    its incident is marked TLP:CLEAR."""
    statement = await statement_about(incident, statement_id, session)
    await publish(
        incident,
        statement,
        tlp=publish_in.tlp if publish_in else None,
        caller=caller,
        session=session,
        temporal=temporal,
        task_queue=settings.task_queue,
        limits=limits,
    )
    return statement_view(await statement_service.record_of(statement, session=session))


@router.post(
    "/{statement_id}/withdraw",
    response_model=StatementView,
    responses=COMMON | _NOT_FOUND | _RECORDING,
)
async def withdraw_statement(
    statement_id: StatementId,
    withdraw_in: WithdrawRequest,
    incident: IncidentToApprove,
    caller: AnyCaller,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    limits: Limits,
) -> StatementView:
    """Take a published statement off the public page, with the reason, on the timeline."""
    statement = await statement_about(incident, statement_id, session)
    record = await withdraw(
        incident,
        statement,
        reason=withdraw_in.reason,
        caller=caller,
        session=session,
        temporal=temporal,
        task_queue=settings.task_queue,
        limits=limits,
    )
    return statement_view(record)
