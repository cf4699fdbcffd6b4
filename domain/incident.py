"""What a workflow is told about an incident when it starts, and what it returns."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

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
    detected_at: datetime
    aware_at: datetime
    tlp: Tlp
    reporter_name: str
    reporter_email: str

    @property
    def ncsc_report_required(self) -> bool:
        """Concordat commitment g: categories 1-3, or whatever the officer marks significant."""
        return self.category.nationally_significant or self.significant


class OpenIncident(BaseModel):
    """The one input of `IncidentWorkflow`, so fields can be added without breaking histories."""

    details: IncidentDetails


class IncidentOutcome(BaseModel):
    incident_id: str
    reference: str
    stage: Stage
    closed_at: datetime | None
    ncsc_reference: str | None


def workflow_id_for(incident_id: str) -> str:
    """Derived from the incident id alone: workflow ids stay in clear, so no names or titles."""
    return f"incident-{incident_id}"
