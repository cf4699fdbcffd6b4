"""A public statement's requests and answers under /api: the draft in Welsh and English, the
services it names, and every version published.

Each text field is checked on the text as sent, with its refusal in both languages, so the
statement pages (`web.pages.statements`), which read their forms as these same requests, say
what is wrong in the reader's language as the API does. Kept apart from the routes
(`web.api.statements`) so that both can use them without either depending on the other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, model_validator

from domain.rules import in_both
from domain.statements import MAX_SERVICES, ServiceStatus, StatementContent
from domain.vocabulary import Tlp
from services.statements import StatementDraft, StatementRecord
from web.schemas import Strict

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
    """The statement as the API answers it: its draft, and every version published."""
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
