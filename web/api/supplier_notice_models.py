"""Supplier notices' requests and answers under /api: a council's triage of its copy, a notice
as its readers see it, and each council's triage of it.

A supplier reading what it sent sees which councils it reached and whether each has triaged its
copy, never how (the incident, the reason). Kept apart from the routes
(`web.api.supplier_notices`) so that the pages can read their forms as these same requests.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, EmailStr, Field, StringConstraints, model_validator

from domain.obligations import PersonalDataRisk
from domain.rules import in_both
from domain.supplier_notices import MAX_REASON, NoticeChannel, TriageState
from domain.vocabulary import IncidentType, Tlp
from services.notice_reads import CouncilCopy, NoticeCopies
from web.schemas import Category, Flag, Moment, OneLine, Strict

#: The longest incident reference or id a link names.
REFERENCE_LENGTH = 64


class TriageAction(StrEnum):
    LINK = "link"
    OPEN = "open"
    DISMISS = "dismiss"


class OpeningDetails(Strict):
    """The incident opened from a notice: its category, and anything to say otherwise than the
    notice suggests (title and description from the notice, a supply-chain incident, detected
    when the supplier detected it, reported by you)."""

    category: Category = Field(description="The council's own assessment, NCSC category 1-6.")
    title: Annotated[OneLine, StringConstraints(min_length=3, max_length=200)] | None = None
    description: Annotated[str, StringConstraints(min_length=1, max_length=20000)] | None = None
    incident_type: IncidentType | None = None
    significant: Flag = False
    personal_data: Flag = False
    personal_data_risk: PersonalDataRisk | None = None
    email_compromised: Flag = False
    exercise: Flag = False
    detected_at: Moment | None = None
    aware_at: Moment | None = None
    tlp: Tlp = Tlp.AMBER
    reporter_name: Annotated[OneLine, StringConstraints(min_length=1, max_length=200)] | None = None
    reporter_email: EmailStr | None = Field(
        None, description="Needed when your token has no email address of its own."
    )

    def given(self) -> dict[str, Any]:
        """What was said, as the API's incident request names it."""
        return {
            key: value for key, value in self.model_dump(mode="json").items() if value is not None
        }


_WANTS: dict[TriageAction, tuple[str, str, str]] = {
    TriageAction.LINK: (
        "incident_reference",
        "Linking names the open incident: give incident_reference, like CDF-2026-0001.",
        "Mae cysylltu'n enwi'r digwyddiad agored: rhowch incident_reference, fel CDF-2026-0001.",
    ),
    TriageAction.OPEN: (
        "incident",
        'Opening an incident gives at least its category: give incident, like {"category": 3}.',
        'Mae agor digwyddiad yn rhoi ei gategori o leiaf: rhowch incident, fel {"category": 3}.',
    ),
    TriageAction.DISMISS: (
        "reason",
        "Dismissing a notice gives the reason: give reason, in 10 characters or more.",
        "Mae diystyru hysbysiad yn rhoi'r rheswm: rhowch reason, mewn 10 nod neu fwy.",
    ),
}


class TriageRequest(Strict):
    """A council's decision on its copy of a notice: one of three."""

    action: TriageAction = Field(
        description="link: to an open incident of the council; open: a new incident from the "
        "notice, the supplier as its origin; dismiss: with the reason."
    )
    incident_reference: (
        Annotated[OneLine, StringConstraints(min_length=1, max_length=REFERENCE_LENGTH)] | None
    ) = Field(None, description="For link: the open incident's reference, or its id.")
    incident: OpeningDetails | None = Field(None, description="For open.")
    reason: Annotated[str, StringConstraints(max_length=MAX_REASON)] | None = Field(
        None, description="For dismiss: why the notice needs no incident (10 characters or more)."
    )

    @model_validator(mode="after")
    def _what_the_action_needs(self) -> TriageRequest:
        field, english, welsh = _WANTS[self.action]
        if getattr(self, field) is None:
            raise ValueError(in_both(english, welsh))
        return self


class CouncilTriageView(BaseModel):
    """One council's copy of a notice. A supplier sees only `triaged`; the council's own
    people and the central team see how."""

    authority: str
    authority_name_en: str
    authority_name_cy: str
    triaged: bool
    state: TriageState | None = None
    due_at: datetime | None = Field(None, description="When the triage window ends.")
    overdue: bool | None = Field(None, description="Untriaged, and the window has passed.")
    escalated_at: datetime | None = None
    triaged_by: str | None = None
    triaged_at: datetime | None = None
    incident_id: str | None = None
    incident_reference: str | None = None
    dismissal_reason: str | None = None

    @classmethod
    def of(cls, copy: CouncilCopy, *, full: bool) -> CouncilTriageView:
        recipient, authority = copy.recipient, copy.authority
        seen = cls(
            authority=authority.code,
            authority_name_en=authority.name_en,
            authority_name_cy=authority.name_cy,
            triaged=not copy.untriaged,
        )
        if not full:
            return seen
        return seen.model_copy(
            update={
                "state": recipient.state,
                "due_at": recipient.due_at,
                "overdue": copy.untriaged and recipient.due_at <= datetime.now(UTC),
                "escalated_at": recipient.escalated_at,
                "triaged_by": recipient.triaged_by,
                "triaged_at": recipient.triaged_at,
                "incident_id": recipient.incident_id,
                "incident_reference": copy.incident.reference if copy.incident else None,
                "dismissal_reason": recipient.dismissal_reason,
            }
        )


class NoticeView(BaseModel):
    id: str
    supplier: str = Field(description="The supplier's name, as the notice came.")
    channel: NoticeChannel = Field(description="How it came: api, page or email.")
    subject: str
    text: str
    supplier_reference: str | None
    detected_at: datetime | None = Field(description="When the supplier detected it, if said.")
    received_at: datetime
    recorded_by: str
    campaign_id: int | None = Field(
        None, description="The central team's campaign made of it (not shown to suppliers)."
    )
    councils: list[CouncilTriageView]

    @classmethod
    def of(cls, found: NoticeCopies, *, full: bool = True) -> NoticeView:
        notice = found.notice
        return cls(
            id=notice.id,
            supplier=notice.supplier_display_name,
            channel=notice.channel,
            subject=notice.subject,
            text=notice.text,
            supplier_reference=notice.supplier_reference,
            detected_at=notice.detected_at,
            received_at=notice.received_at,
            recorded_by=notice.recorded_by,
            campaign_id=notice.campaign_id if full else None,
            councils=[CouncilTriageView.of(copy, full=full) for copy in found.copies],
        )


class TriageView(BaseModel):
    notice_id: str
    authority: str
    state: TriageState
    triaged_by: str
    triaged_at: datetime
    incident_id: str | None = None
    incident_reference: str | None = None
    dismissal_reason: str | None = None


class NoticeCampaignView(BaseModel):
    campaign_id: int
    notice_id: str
    linked: list[str] = Field(description="The incidents linked from the notice, by reference.")
    not_linked: list[str] = Field(
        description="Incidents of the notice that could not be linked now (closed, or Temporal "
        "away); link them on the campaign's page."
    )
