"""A data-protection complaint's requests and answers under /api.

The complaint pages (`web.pages.complaints`) read their forms as these same requests, so a form
and the API are refused alike; each check written here says what is wrong in English and Welsh.
A complaint holds no personal data: the summary says what the complaint is about, without the
complainant's name or contact details."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, field_validator

from domain.complaints import (
    CLOCK_SKEW,
    MIN_REASONS,
    ComplaintChannel,
    ComplaintOutcome,
    ComplaintStage,
    stage_of,
    whole_days,
)
from domain.rules import in_both
from services.complaints import RecordedComplaint
from web.schemas import Moment, Strict

SUMMARY_LENGTH = REASONS_LENGTH = 5000


def _storable(value: Any) -> Any:
    """PostgreSQL text holds no lone surrogate (JSON's "\\ud800", which is no character)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(
                in_both(
                    "Remove the character that cannot be saved.",
                    "Tynnwch y nod na ellir ei gadw.",
                )
            ) from None
    return value


def _not_in_the_future(moment: datetime | None, english: str, welsh: str) -> datetime | None:
    if moment is not None and moment > datetime.now(UTC) + CLOCK_SKEW:
        raise ValueError(in_both(english, welsh))
    return moment


class ComplaintRequest(Strict):
    """A data-protection complaint as it is recorded."""

    received_at: Moment = Field(description="When the complaint reached the council.")
    received_how: ComplaintChannel = Field(description="How it reached the council.")
    summary: Annotated[str, StringConstraints(min_length=1, max_length=SUMMARY_LENGTH)] = Field(
        description="What the complaint is about, without the complainant's name or contact "
        "details: those stay in the council's own case file."
    )
    breach_record_id: int | None = Field(
        default=None,
        gt=0,
        le=2**31 - 1,
        description="The entry of the authority's breach register the complaint is about.",
    )
    authority: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, to_upper=True, min_length=2, max_length=8),
        ]
        | None
    ) = Field(
        default=None,
        description="The authority's code; left out, the caller's own authority.",
    )

    @field_validator("summary", mode="after")
    @classmethod
    def _summary_storable(cls, value: str) -> str:
        return str(_storable(value))

    @field_validator("received_at", mode="after")
    @classmethod
    def _received_in_the_past(cls, value: datetime) -> datetime:
        checked = _not_in_the_future(
            value,
            "The complaint cannot have been received in the future.",
            "Ni all y gŵyn fod wedi dod i law yn y dyfodol.",
        )
        assert checked is not None
        return checked


class AcknowledgementRequest(Strict):
    """The complainant has been sent the acknowledgement."""

    how: ComplaintChannel = Field(description="How the acknowledgement was sent.")
    acknowledged_at: Moment | None = Field(
        default=None, description="When it was sent; left out, now."
    )

    @field_validator("acknowledged_at", mode="after")
    @classmethod
    def _sent_in_the_past(cls, value: datetime | None) -> datetime | None:
        return _not_in_the_future(
            value,
            "The acknowledgement cannot have been sent in the future.",
            "Ni all y gydnabyddiaeth fod wedi'i hanfon yn y dyfodol.",
        )


class OutcomeRequest(Strict):
    """What the investigation found, and why."""

    outcome: ComplaintOutcome
    reasons: Annotated[
        str, StringConstraints(min_length=MIN_REASONS, max_length=REASONS_LENGTH)
    ] = Field(description=f"Why, as the complainant is told: {MIN_REASONS} characters or more.")

    @field_validator("reasons", mode="after")
    @classmethod
    def _reasons_storable(cls, value: str) -> str:
        return str(_storable(value))


class LinkedBreach(BaseModel):
    """The breach register entry a complaint is about."""

    breach_record_id: int
    incident_id: str
    reference: str = Field(description="The incident's reference.")


class ComplaintView(BaseModel):
    id: str
    reference: str = Field(description="CMP-CDF-2026-0001: the authority's, numbered by year.")
    authority: str = Field(description="The authority's code.")
    stage: ComplaintStage
    received_at: datetime
    received_how: ComplaintChannel
    summary: str
    breach: LinkedBreach | None
    acknowledge_by: datetime = Field(
        description="When the acknowledgement is due: 30 days after it arrived, unless the "
        "deployment says otherwise."
    )
    days_left: int | None = Field(
        description="Whole days until the acknowledgement is due (0 when overdue); none once "
        "acknowledged or closed."
    )
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledged_how: ComplaintChannel | None
    acknowledged_late: bool | None = Field(
        description="Whether the acknowledgement was sent after it was due."
    )
    escalated_at: datetime | None = Field(
        description="When the acknowledgement became overdue and the named members were told."
    )
    outcome: ComplaintOutcome | None
    outcome_reasons: str | None
    outcome_at: datetime | None
    outcome_by: str | None
    recorded_by: str
    created_at: datetime


def complaint_view(recorded: RecordedComplaint, now: datetime | None = None) -> ComplaintView:
    complaint = recorded.complaint
    now = now or datetime.now(UTC)
    stage = stage_of(
        acknowledge_by=complaint.acknowledge_by,
        acknowledged_at=complaint.acknowledged_at,
        outcome=complaint.outcome,
        now=now,
    )
    open_to_acknowledge = stage in (
        ComplaintStage.AWAITING_ACKNOWLEDGEMENT,
        ComplaintStage.ACKNOWLEDGEMENT_OVERDUE,
    )
    incident = recorded.breach_incident
    return ComplaintView(
        id=complaint.id,
        reference=complaint.reference,
        authority=recorded.authority.code,
        stage=stage,
        received_at=complaint.received_at,
        received_how=complaint.received_how,
        summary=complaint.summary,
        breach=(
            LinkedBreach(
                breach_record_id=complaint.breach_record_id,
                incident_id=incident.id,
                reference=incident.reference,
            )
            if complaint.breach_record_id is not None and incident is not None
            else None
        ),
        acknowledge_by=complaint.acknowledge_by,
        days_left=(whole_days(complaint.acknowledge_by - now) if open_to_acknowledge else None),
        acknowledged_at=complaint.acknowledged_at,
        acknowledged_by=complaint.acknowledged_by,
        acknowledged_how=complaint.acknowledged_how,
        acknowledged_late=(
            complaint.acknowledged_at > complaint.acknowledge_by
            if complaint.acknowledged_at is not None
            else None
        ),
        escalated_at=complaint.escalated_at,
        outcome=complaint.outcome,
        outcome_reasons=complaint.outcome_reasons,
        outcome_at=complaint.outcome_at,
        outcome_by=complaint.outcome_by,
        recorded_by=complaint.recorded_by,
        created_at=complaint.created_at,
    )
