"""What people ask of a running incident. Each is one Temporal Update with a validator.

The actor is always the person, taken from their credentials by the API: the Temporal identity
on an update is only the client process.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, field_validator

from domain.breach import BreachFacts
from domain.obligations import Body, PersonalDataRisk, SubmissionPhase
from domain.vocabulary import NcscCategory


class Rejection(StrEnum):
    """Why a running incident refused a request; the API maps each to an HTTP status."""

    CLOSED = "IncidentClosed"
    CONFLICT = "Conflict"
    INVALID = "Invalid"
    NOT_READY = "NotReady"
    HANDING_OVER = "HandingOver"
    """The incident is moving to a fresh run, for a moment; the same request then succeeds."""


class AcknowledgementChannel(StrEnum):
    EMAIL_LINK = "email_link"
    API = "api"
    WEB = "web"
    SMS = "sms"
    """By replying to a text with its code."""


class Acknowledge(BaseModel):
    member_id: int
    actor: str
    via: AcknowledgementChannel = AcknowledgementChannel.API
    member_name: str | None = None
    """The member's name as the directory has it now: a role's new holder acknowledging an
    incident opened under the previous one is recorded under their own name."""


class AddNote(BaseModel):
    text: str = Field(min_length=1, max_length=5000)
    actor: str
    corrects: int | None = None
    """The timeline event this note corrects: history is never edited, it is corrected."""


class Reassess(BaseModel):
    """A fresh assessment; any field left out keeps its current value."""

    category: NcscCategory | None = None
    significant: bool | None = None
    personal_data: bool | None = None
    personal_data_risk: PersonalDataRisk | None = None
    breach_aware_at: datetime | None = None
    """When the council became aware that personal data was involved (starts the ICO's clock)."""
    email_compromised: bool | None = None
    reason: str = Field(min_length=1, max_length=2000)
    actor: str


class RecordSubmission(BaseModel):
    """Evidence that a body was told: closes its clock (initial) or adds to it (follow-up)."""

    body: Body
    phase: SubmissionPhase = SubmissionPhase.INITIAL
    reference: str | None = Field(None, max_length=64)
    submitted_at: datetime | None = None
    summary: str | None = Field(None, max_length=5000)
    late_reason: str | None = Field(None, max_length=5000)
    actor: str
    stage: str | None = Field(None, max_length=40)
    """For a staged report: the stage this submission makes (the next one when left out)."""
    copied_to: list[Body] = Field(default_factory=list, max_length=20)
    """The bodies told at the same time, as a stage that must be copied confirms."""


class WaiveObligation(BaseModel):
    """A decision, with its reason and who took it, that a body will not be told."""

    body: Body
    reason: str = Field(max_length=5000)
    actor: str


class MarkContained(BaseModel):
    actor: str
    note: str | None = Field(None, max_length=5000)


class MarkRecovered(BaseModel):
    actor: str
    note: str | None = Field(None, max_length=5000)


class AmendBreachRecord(BaseModel):
    """A change to the incident's breach register entry, recorded on its timeline."""

    changes: dict[str, Any]
    """The fields to change and their new values (a `BreachFacts` with only those given)."""
    actor: str

    @field_validator("changes")
    @classmethod
    def _breach_fields_only(cls, changes: dict[str, Any]) -> dict[str, Any]:
        return BreachFacts.model_validate(changes).given()


class CloseIncident(BaseModel):
    summary: str = Field(max_length=10000)
    actor: str
    review_exercise: bool = False
    """An exercise gets a post-incident review only when asked; a real incident always does."""
