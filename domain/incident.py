"""What a workflow is told about an incident when it starts, and what it returns."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from domain.obligations import Assessment, PersonalDataRisk
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


class OpenIncident(BaseModel):
    """The one input of `IncidentWorkflow`, so fields can be added without breaking histories."""

    details: IncidentDetails


class IncidentOutcome(BaseModel):
    incident_id: str
    reference: str
    stage: Stage
    closed_at: datetime | None


def workflow_id_for(incident_id: str) -> str:
    """Derived from the incident id alone: workflow ids stay in clear, so no names or titles."""
    return f"incident-{incident_id}"
