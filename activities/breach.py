"""Write a change to an incident's breach register entry, for the workflow to record."""

from __future__ import annotations

from temporalio import activity

from domain.activity_contracts import AMEND_BREACH_RECORD, BreachAmended, BreachAmendment
from runtime.database import Database
from services.reporting import amend_breach


class BreachActivities:
    def __init__(self, database: Database) -> None:
        self._database = database

    @activity.defn(name=AMEND_BREACH_RECORD)
    async def amend_breach_record(self, amendment: BreachAmendment) -> BreachAmended:
        """Idempotent: a retry after the change was written finds nothing left to change, and
        the workflow records the change it asked for either way."""
        async with self._database.session() as session:
            before = await amend_breach(
                amendment.incident_id,
                amendment.authority_id,
                amendment.changes,
                session=session,
            )
        return BreachAmended(before=before)
