"""What a workflow is told about an incident when it starts, and what it returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from domain.directory import AuthoritySnapshot
from domain.obligations import BUILT_IN_BODIES, Assessment, Body, Obligation, PersonalDataRisk
from domain.state import Acknowledgement, ChainState
from domain.vocabulary import Chain, IncidentType, NcscCategory, Stage, Tlp


class IncidentOrigin(BaseModel):
    """Where an incident came from when it was not found by the council itself: a supplier's
    notice, triaged into this incident. Kept on the opening event of the timeline."""

    supplier_id: int
    supplier_name: str
    notice_id: str


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
    opened_by: str | None = None
    """Who opened the incident, from their credentials: the timeline's actor. The reporter is
    recorded as given; the two differ when an officer opens an incident for someone else."""
    origin: IncidentOrigin | None = None
    """The supplier notice the incident was opened from, if any."""

    @property
    def assessment(self) -> Assessment:
        return Assessment(
            category=self.category,
            significant=self.significant,
            personal_data=self.personal_data,
            personal_data_risk=self.personal_data_risk,
            cybercrime=self.incident_type.cybercrime,
        )


class IncidentFile(BaseModel):
    """Everything an incident's workflow knows, in one place, and exactly what it hands to the
    next run at continue-as-new: a field added here can never be forgotten at hand-over.

    Its field names are those of the hand-over recorded by earlier versions, so their
    histories still decode.
    """

    details: IncidentDetails
    """The incident as last assessed (a reassessment replaces it)."""
    snapshot: AuthoritySnapshot | None = None
    """The authority's directory and policy, once loaded."""
    stage: Stage = Stage.DETECTED
    chains: list[ChainState] = Field(default_factory=lambda: [ChainState(chain=c) for c in Chain])
    acknowledgements: list[Acknowledgement] = []
    told_member_ids: list[int] = []
    """Members already sent an acknowledgement request: the chief executive heads both chains
    and is asked once."""
    obligations: list[Obligation] = Field(
        default_factory=lambda: [Obligation(body=body) for body in BUILT_IN_BODIES]
    )
    obligation_starts: dict[Body, int] = Field(
        default_factory=lambda: dict.fromkeys(BUILT_IN_BODIES, 0)
    )
    """How many times each body's clock has started (it restarts after a reassessment)."""
    last_reassessment_reason: str | None = None
    risk_assessment: tuple[str, str, datetime] | None = None
    """The reason, person and time of the last change to the personal-data risk."""
    ever_personal_data: bool = False
    contained_at: datetime | None = None
    recovered_at: datetime | None = None
    closed_at: datetime | None = None
    closing_summary: str | None = None
    sequence: int = 0
    """The last timeline position used; a later run continues the same timeline."""
    handed_over_at: datetime | None = None
    """When the last run stopped its clocks to hand over: reminders due since are still sent."""
    run: int = 1
    """Which run of the incident's workflow holds the file (1 for the first)."""
    campaigns: dict[int, bool] = {}
    """Campaigns the incident was linked into (True) or taken out of (False), so a link sent
    again after a lost answer, in this run or after a hand-over, is recorded once."""
    centre_told: list[str] = []
    """What the central team's recipients have been told of ("<recipient>/category-2"), so a
    reassessment tells them only of what is new (`domain.centre`)."""
    evidence_ids: list[str] = []
    """Evidence files on the timeline: hand-overs may name only these, and a file sent again
    after a lost answer is recorded once."""
    statement_versions: dict[int, int] = {}
    """The last published version of each public statement."""
    withdrawn_statements: list[int] = []

    @classmethod
    def opened(
        cls, details: IncidentDetails, snapshot: AuthoritySnapshot | None = None
    ) -> IncidentFile:
        """A new incident's file. With the directory given at the start, requests sent in the
        same moment as the start (an officer acting at once) find the incident ready."""
        return cls(details=details, snapshot=snapshot, ever_personal_data=details.personal_data)

    def resumed(self) -> IncidentFile:
        """The file as the next run takes it up."""
        return self.model_copy(update={"run": self.run + 1})

    @property
    def directory(self) -> AuthoritySnapshot:
        assert self.snapshot is not None, "the directory is loaded before anything reads it"
        return self.snapshot

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    def chain(self, chain: Chain) -> ChainState:
        return next(state for state in self.chains if state.chain is chain)

    def obligation(self, body: Body) -> Obligation:
        return next((o for o in self.obligations if o.body == body), None) or Obligation(body=body)


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
    update_limit: int = 500
    """Accepted updates after which the run hands over, far below Temporal's 2,000 a run, so
    a flood of notes can never leave the incident unable to take an acknowledgement."""
    carryover: IncidentFile | None = None
    """Everything a previous run knew, when this run continues it."""

    @model_validator(mode="before")
    @classmethod
    def _file_names_its_incident(cls, data: Any) -> Any:
        """Hand-overs recorded before the file held the details take them from `details`."""
        if isinstance(data, dict) and isinstance(carried := data.get("carryover"), dict):
            if "details" not in carried and "details" in data:
                data = {**data, "carryover": {**carried, "details": data["details"]}}
        return data


class IncidentOutcome(BaseModel):
    incident_id: str
    reference: str
    stage: Stage
    closed_at: datetime | None


def workflow_id_for(incident_id: str) -> str:
    """Derived from the incident id alone: workflow ids stay in clear, so no names or titles."""
    return f"incident-{incident_id}"
