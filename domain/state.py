"""The live state of an incident, as its workflow's query returns it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from domain.obligations import Body, Obligation, PersonalDataRisk
from domain.vocabulary import Chain, MemberRole, NcscCategory, Stage


class Acknowledgement(BaseModel):
    member_id: int
    name: str
    role: MemberRole
    at: datetime
    via: str


class ChainState(BaseModel):
    chain: Chain
    level: int = 0
    """1-based level reached so far (0 before anyone is told)."""
    reminder: int = 0
    """The reminder at that level being waited on (0: the first request or escalation)."""
    notified_member_ids: list[int] = []
    requested_at: datetime | None = None
    """When the chain's first member was asked to acknowledge."""
    acknowledged_by: int | None = None
    acknowledged_at: datetime | None = None
    unacknowledged: bool = False
    """True once the last level has passed with nobody acknowledging."""
    respond_by: datetime | None = None
    stopped_at: datetime | None = None
    """When closing the incident stopped this chain's escalation with nobody acknowledging."""


class IncidentState(BaseModel):
    incident_id: str
    reference: str
    authority_code: str
    stage: Stage
    category: NcscCategory
    significant: bool
    personal_data: bool
    personal_data_risk: PersonalDataRisk | None = None
    exercise: bool = False
    email_compromised: bool = False
    chains: list[ChainState]
    acknowledgements: list[Acknowledgement]
    obligations: list[Obligation] = []
    contained_at: datetime | None = None
    recovered_at: datetime | None = None
    closed_at: datetime | None = None
    closing_summary: str | None = None

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    def obligation(self, body: str) -> Obligation:
        """Every body has its obligation in every incident (most of them not required)."""
        found = next((o for o in self.obligations if o.body == body), None)
        return found or Obligation(body=Body(body))
