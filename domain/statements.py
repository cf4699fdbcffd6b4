"""Public statements: what residents are told, in Welsh and English at once.

A statement is drafted (both texts, the services affected and what to do instead) and
published by an approver, a named member or their deputy. Only an incident marked TLP:CLEAR,
or a statement itself marked so, may be published. Each published version is an event on the
incident's timeline carrying its full text and the SHA-256 of it, so an auditor can prove what
was said and when; the public page shows published versions only.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.vocabulary import Tlp

#: Services one statement may list.
MAX_SERVICES = 30


class ServiceStatus(StrEnum):
    UNAVAILABLE = "unavailable"
    DISRUPTED = "disrupted"
    RESTORED = "restored"


class AffectedService(BaseModel):
    name_cy: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    status: ServiceStatus
    alternative_cy: str = Field("", max_length=1000)
    """What residents can do instead, in Welsh."""
    alternative_en: str = Field("", max_length=1000)


class StatementContent(BaseModel):
    """What a published version says: the same in both languages, no less in Welsh."""

    title_cy: str = Field(max_length=200)
    title_en: str = Field(max_length=200)
    text_cy: str = Field(max_length=10000)
    text_en: str = Field(max_length=10000)
    services: list[AffectedService] = Field([], max_length=MAX_SERVICES)

    def missing_language(self) -> list[str]:
        """Which languages lack a title or a text: "cy", "en"; empty when both are whole."""
        missing = []
        if not (self.title_cy.strip() and self.text_cy.strip()):
            missing.append("cy")
        if not (self.title_en.strip() and self.text_en.strip()):
            missing.append("en")
        return missing

    def content_hash(self) -> str:
        """SHA-256 of the version's canonical JSON: what the timeline seals."""
        canonical = json.dumps(
            self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


class PublishStatement(BaseModel):
    """Publish one version of a statement; `version` counts up from 1 per statement."""

    statement_id: int
    version: int = Field(ge=1)
    content: StatementContent
    tlp: Tlp
    """The statement's own marking; an incident not marked TLP:CLEAR needs the statement to be."""
    approver: str = Field(min_length=1, max_length=200)
    """The named member or deputy who approved it (their name and role)."""
    actor: str


class WithdrawStatement(BaseModel):
    statement_id: int
    reason: str = Field(min_length=1, max_length=2000)
    actor: str


def publishable(content: StatementContent, *, incident_tlp: Tlp, statement_tlp: Tlp) -> str | None:
    """Why this version cannot be published, in both languages, or None when it can."""
    if content.missing_language():
        return (
            "A statement is published in Welsh and English at once: write both titles and both "
            "texts first. / Cyhoeddir datganiad yn Gymraeg ac yn Saesneg ar yr un pryd: "
            "ysgrifennwch y ddau deitl a'r ddau destun yn gyntaf."
        )
    if Tlp.CLEAR not in (incident_tlp, statement_tlp):
        return (
            "Only a statement marked TLP:CLEAR, or about an incident marked TLP:CLEAR, can be "
            "published. / Dim ond datganiad wedi'i farcio'n TLP:CLEAR, neu am ddigwyddiad "
            "wedi'i farcio'n TLP:CLEAR, y gellir ei gyhoeddi."
        )
    return None
