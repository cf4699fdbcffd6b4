"""What a workflow is told about an incident when it starts, and what it returns."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from domain.directory import AuthoritySnapshot
from domain.obligations import Assessment, Obligation, PersonalDataRisk
from domain.state import Acknowledgement, ChainState
from domain.vocabulary import IncidentType, NcscCategory, Stage, Tlp


class IncidentDetails(BaseModel):
    incident_id: str
    reference: str
    authority_id: int
    authority_code: str
    title: str
    description: str
    incident_type: IncidentType
    category: NcscCategory
    significant: bool = False
    personal_data: bool = False
    personal_data_risk: PersonalDataRisk | None = None
    exercise: bool = False
    """An exercise runs every step and clock but tells no real body; statistics leave it out."""
    detected_at: datetime
    aware_at: datetime
    breach_aware_at: datetime | None = None
    """When the council became aware that personal data was involved, if after `aware_at`."""
    tlp: Tlp
    email_compromised: bool = False
    """The council's email may be read by an attacker: messages go to out-of-band addresses
    and carry nothing but the reference and a link."""
    reporter_name: str
    reporter_email: str

    @property
    def assessment(self) -> Assessment:
        return Assessment(
            category=self.category,
            significant=self.significant,
            personal_data=self.personal_data,
            personal_data_risk=self.personal_data_risk,
            cybercrime=self.incident_type.cybercrime,
        )


class IncidentCarryover(BaseModel):
    """An incident's state handed from one run of its workflow to the next (continue-as-new).

    Handed over only when both escalation chains have settled, so no acknowledgement timer is
    in flight; the obligation clocks restart from their deadlines.
    """

    snapshot: AuthoritySnapshot
    stage: Stage
    chains: list[ChainState]
    acknowledgements: list[Acknowledgement]
    told_member_ids: list[int]
    obligations: list[Obligation]
    obligation_starts: dict[str, int]
    last_reassessment_reason: str | None = None
    risk_assessment: tuple[str, str, datetime] | None = None
    ever_personal_data: bool = False
    contained_at: datetime | None = None
    recovered_at: datetime | None = None
    sequence: int
    """The last timeline position used; the next run continues the same timeline."""
    run: int = 1
    """Which run handed over (1 for the incident's first run)."""


class OpenIncident(BaseModel):
    """The one input of `IncidentWorkflow`, so fields can be added without breaking histories."""

    details: IncidentDetails
    snapshot: AuthoritySnapshot | None = None
    """The authority's directory and policy, read by whoever opened the incident, so the first
    alerts go out without a round trip to the database; the workflow loads it itself when
    absent (a repaired start, or a history from before it was passed)."""
    history_limit: int = 10_000
    """History events after which a quiet incident continues as a new run (Temporal suggests
    it earlier for very large histories)."""
    carryover: IncidentCarryover | None = None
    """Everything a previous run knew, when this run continues it."""


class IncidentOutcome(BaseModel):
    incident_id: str
    reference: str
    stage: Stage
    closed_at: datetime | None


def workflow_id_for(incident_id: str) -> str:
    """Derived from the incident id alone: workflow ids stay in clear, so no names or titles."""
    return f"incident-{incident_id}"
