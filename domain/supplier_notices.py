"""Supplier notices: a supplier telling its customer councils of an incident at the supplier, and
each council's triage of what it was told.

A notice arrives in one of three ways (`NoticeChannel`): from the supplier's own API token, from
an officer who was told by telephone or email and records it on the pages, or forwarded as an
email file (`concordat notice import`). One notice reaches one or more councils; each council
triages its own copy (`TriageState`) on its own clock: the triage window (one hour by default)
runs from when the notice arrived, the council's on-call side is told at once and reminded half
way through, the senior management and executive members are told when the window has passed,
and reminders follow at the escalation policy's pace until someone links the notice to an open
incident, opens an incident from it, or dismisses it with a reason. A notice never disappears
untriaged.

The clock is a Temporal workflow per council (`workflows.supplier_notice`), started once the
notice's rows are saved; this module holds what the workflow, its activities, the services and
the API share.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    Field,
    StringConstraints,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from domain.rules import in_both
from domain.stored_text import StoredText, bilingual

#: Activity names: the workflow calls its activities by name, never importing their code.
RECORD_NOTICE_PROGRESS = "record_notice_progress"
RECORD_NOTICE_TRIAGE = "record_notice_triage"
NOTE_NOTICE_ON_INCIDENT = "note_notice_on_incident"
RECONCILE_UNSTARTED_NOTICES = "reconcile_unstarted_notices"

#: Why the clock refused a triage (an `ApplicationError`'s type): it was triaged already.
NOTICE_TRIAGED = "notice_triaged"

#: The most councils one notice may name (there are 22).
MAX_AUTHORITIES = 30
#: Text limits: what a notice may hold.
SUBJECT_LENGTH = 200
TEXT_LENGTH = 20000
REFERENCE_LENGTH = 100
#: A dismissal's reason, in characters: enough to say why, for whoever reads it later.
MIN_REASON = 10
MAX_REASON = 2000
#: A moment sent by a clock a little ahead of ours is not "in the future".
CLOCK_SKEW = timedelta(minutes=5)


class NoticeChannel(StrEnum):
    """How a notice reached Concordat."""

    API = "api"
    """Sent by the supplier with its own API token."""
    PAGE = "page"
    """Recorded on the pages by an officer told by telephone or email."""
    EMAIL = "email"
    """An email from the supplier, imported with `concordat notice import`."""


class TriageState(StrEnum):
    """Where one council's copy of a notice stands."""

    UNTRIAGED = "untriaged"
    LINKED = "linked"
    """Linked to an incident the council already has open."""
    OPENED = "opened"
    """A new incident was opened from it."""
    DISMISSED = "dismissed"
    """Judged to need no incident, with the reason."""


def notice_workflow_id(notice_id: str, authority_code: str) -> str:
    """One triage clock per notice and council, whoever starts it (the request that saved the
    notice, the repair of one whose start failed, or a triage arriving first)."""
    return f"supplier-notice-{notice_id}-{authority_code.upper()}"


_STATE_DONE: dict[TriageState, tuple[str, str]] = {
    TriageState.LINKED: ("linked to an incident", "wedi'i gysylltu â digwyddiad"),
    TriageState.OPENED: ("opened as an incident", "wedi'i agor fel digwyddiad"),
    TriageState.DISMISSED: ("dismissed", "wedi'i ddiystyru"),
}


def already_triaged(state: TriageState, by: str | None) -> str:
    """What a second triage is told: who triaged the notice first, and how."""
    english, welsh = _STATE_DONE.get(state, ("triaged", "wedi'i frysbennu"))
    who = by or "someone"
    return in_both(
        f"This notice has already been {english} by {who}; it cannot be triaged again.",
        f"Mae'r hysbysiad hwn eisoes {welsh} gan {by or 'rywun'}; ni ellir ei frysbennu eto.",
    )


# ---------------------------------------------------------------- what a notice says

OneLine = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[^\r\n]*$")]

#: What each field must be, in English and Welsh: every refusal says so in both languages.
_PROBLEMS: dict[str, tuple[str, str]] = {
    "": ("Send the notice as a JSON object", "Anfonwch yr hysbysiad fel gwrthrych JSON"),
    "subject": (
        f"Enter a subject of up to {SUBJECT_LENGTH} characters on one line",
        f"Rhowch bwnc o hyd at {SUBJECT_LENGTH} nod ar un llinell",
    ),
    "text": (
        f"Enter what the supplier says, up to {TEXT_LENGTH} characters",
        f"Rhowch yr hyn y mae'r cyflenwr yn ei ddweud, hyd at {TEXT_LENGTH} nod",
    ),
    "reference": (
        f"Enter the supplier's reference, up to {REFERENCE_LENGTH} characters on one line",
        f"Rhowch gyfeirnod y cyflenwr, hyd at {REFERENCE_LENGTH} nod ar un llinell",
    ),
    "detected_at": (
        "Give when the supplier detected it as a date and time with its zone, not in the "
        "future, like 2026-11-21T09:12:00Z",
        "Rhowch pryd y canfu'r cyflenwr ef fel dyddiad ac amser gyda'i gylchfa, nid yn y "
        "dyfodol, fel 2026-11-21T09:12:00Z",
    ),
    "authorities": (
        f"Give at most {MAX_AUTHORITIES} council codes, like CDF",
        f"Rhowch {MAX_AUTHORITIES} cod cyngor ar y mwyaf, fel CDF",
    ),
}


class _Checked(StoredText):
    """Storable text, refused in the words of this form."""

    @model_validator(mode="wrap")
    @classmethod
    def _said_in_both_languages(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(data)
        except ValidationError as invalid:
            raise bilingual(invalid, _PROBLEMS, "supplier_notice") from None


def _not_in_the_future(moment: datetime | None) -> datetime | None:
    if moment is not None and moment > datetime.now(UTC) + CLOCK_SKEW:
        raise ValueError("in the future")
    return moment


class NoticeContent(_Checked):
    """What a supplier's notice says, however it arrived."""

    subject: Annotated[OneLine, StringConstraints(min_length=1, max_length=SUBJECT_LENGTH)] = Field(
        description="One line, for example 'Unauthorised access to our hosting platform'."
    )
    text: Annotated[str, StringConstraints(min_length=1, max_length=TEXT_LENGTH)] = Field(
        description="What the supplier says: what happened, what is affected, what to do."
    )
    reference: Annotated[OneLine, StringConstraints(max_length=REFERENCE_LENGTH)] | None = Field(
        default=None, description="The supplier's own reference for the incident."
    )
    detected_at: AwareDatetime | None = Field(
        default=None, description="When the supplier detected it (ISO 8601 with a zone)."
    )

    @field_validator("detected_at", mode="after")
    @classmethod
    def _detected_already(cls, moment: datetime | None) -> datetime | None:
        return _not_in_the_future(moment)

    @field_validator("reference", mode="after")
    @classmethod
    def _blank_is_none(cls, reference: str | None) -> str | None:
        return reference or None


_CODE = re.compile(r"^[A-Z0-9]{2,8}$")


class NoticeSubmission(NoticeContent):
    """A notice as a supplier sends it with its own token. Refusals say what to do, in English
    and Welsh."""

    authorities: list[Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True)]] = (
        Field(
            default_factory=list,
            max_length=MAX_AUTHORITIES,
            description="The codes of the councils to tell, for example ['CDF', 'SWA']; left "
            "out, every council that has the supplier on its register.",
        )
    )

    @field_validator("authorities", mode="after")
    @classmethod
    def _codes(cls, codes: list[str]) -> list[str]:
        if any(not _CODE.match(code) for code in codes):
            raise ValueError("not a council code")
        return list(dict.fromkeys(codes))


# ---------------------------------------------------------------- the triage clock


class NoticeClock(BaseModel):
    """One council's triage clock, as its workflow is started: everything it needs to run,
    copied in at the start so that a running clock keeps its window and its people."""

    notice_id: str
    recipient_id: int
    authority_id: int
    authority_code: str
    supplier_name: str
    """As the council's register names it."""
    supplier_reference: str | None = None
    subject: str
    received_at: datetime
    due_at: datetime
    """The end of the triage window: when the senior management and executive members are
    told. Counted from when the notice arrived, so a clock started late is not given more."""
    window_minutes: int
    """The triage window (`CONCORDAT_NOTICE_TRIAGE_MINUTES` when the notice arrived); the
    on-call side is reminded half way through it."""
    reminder_every_minutes: int
    """Once overdue, how often everyone is reminded: the authority's escalation policy's
    acknowledgement time for an incident not yet assessed (category 4's)."""
    officer_ids: list[int]
    """The authority's on-call officers when the notice arrived (each told at their address)."""
    notice_url: str
    told: bool = False
    """Carried over a continue-as-new: what the earlier runs already did."""
    reminded: bool = False
    escalated_at: datetime | None = None
    reminders_after_escalation: int = 0

    @property
    def remind_at(self) -> datetime:
        return self.due_at - timedelta(minutes=self.window_minutes) / 2


class Triage(BaseModel):
    """One council's decision on a notice: the clock's update. The services check it against
    the database first (the incident exists, is the council's own and open); the clock refuses
    a second decision."""

    state: TriageState
    actor: str = Field(min_length=1, max_length=200)
    user_id: int | None = None
    incident_id: str | None = None
    incident_reference: str | None = None
    reason: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> Triage:
        if self.state is TriageState.UNTRIAGED:
            raise ValueError("a triage links, opens or dismisses")
        if self.state in (TriageState.LINKED, TriageState.OPENED) and not self.incident_id:
            raise ValueError("linking or opening names the incident")
        if self.state is TriageState.DISMISSED:
            reason = (self.reason or "").strip()
            if not MIN_REASON <= len(reason) <= MAX_REASON:
                raise ValueError(dismissal_reason_problem())
            self.reason = reason
        return self


def dismissal_reason_problem() -> str:
    return in_both(
        f"Give the reason for dismissing the notice, in {MIN_REASON} to {MAX_REASON} characters.",
        f"Rhowch y rheswm dros ddiystyru'r hysbysiad, mewn {MIN_REASON} i {MAX_REASON} nod.",
    )


class TriageOutcome(BaseModel):
    """The decision as the clock recorded it."""

    state: TriageState
    triaged_by: str
    triaged_at: datetime
    incident_id: str | None = None
    reason: str | None = None


class TriageRecord(BaseModel):
    """The activity's request: write a council's decision on its copy of a notice."""

    recipient_id: int
    triage: Triage
    triaged_at: datetime


class NoticeProgress(BaseModel):
    """The activity's request: what the clock has done so far, for the pages to show and for
    the repair of clocks that never started."""

    recipient_id: int
    started_at: datetime | None = None
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None


class IncidentNote(BaseModel):
    """The activity's request: say on a linked incident's timeline that a notice was linked."""

    incident_id: str
    text: str
    actor: str


def link_note(supplier_name: str, subject: str, notice_id: str, reference: str | None) -> str:
    """The note a linked incident's timeline carries, naming the supplier and the notice."""
    theirs = f" (their reference {reference})" if reference else ""
    return (
        f"Supplier notice from {supplier_name}{theirs} linked to this incident: "
        f'"{subject}" (notice {notice_id}).'
    )
