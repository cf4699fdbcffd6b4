"""A personal-data breach's entry in the council's breach register (UK GDPR Article 33(5)).

The council must document every breach: its facts, its effects and the remedial action taken,
whether or not the ICO is told. Changes to an entry are made through the incident's workflow,
so each one is on the incident's hash-chained timeline: who changed what, and when.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

_Text = Annotated[str, StringConstraints(max_length=20000)]
_Short = Annotated[str, StringConstraints(max_length=1000)]


class BreachFacts(BaseModel):
    """What the register records beyond the ICO decision; fields left out are unchanged."""

    facts: _Text | None = None
    effects: _Text | None = None
    remedial_action: _Text | None = None
    data_subject_categories: _Short | None = None
    approximate_data_subjects: int | None = Field(None, ge=0, le=100_000_000)
    record_categories: _Short | None = None
    approximate_records: int | None = Field(None, ge=0, le=2**63 - 1)
    likely_consequences: _Text | None = None

    def given(self) -> dict[str, Any]:
        """The fields this change sets."""
        return self.model_dump(exclude_unset=True)
