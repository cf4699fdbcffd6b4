"""Regime files for tests: the shipped regime with a body added, and a way to put one in force
for one test and take it out again (the regime in force is shared by every test on a database).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlmodel import col, delete

from models import ReportingRegimeRecord
from regimes import store
from regimes.format import Regime
from regimes.shipped import SHIPPED_FILE
from regimes.store import import_regime
from runtime.database import Database

#: A regulator whose report comes in two stages, as the Cyber Security and Resilience Bill has
#: it: an initial notice within 24 hours and a full report within 72, the NCSC copied on both.
DIGITAL_REGULATOR = """
[[body]]
key = "digital_regulator"
name.en = "the digital regulator"
name.cy = "y rheoleiddiwr digidol"
name.short_en = "Digital regulator"
name.short_cy = "Rheoleiddiwr digidol"
trigger = "any_incident"
owner = "senior_management_member"
escalate_to = ["senior_management_member", "executive_member"]

  [[body.stage]]
  key = "initial_notice"
  name = { en = "initial notice", cy = "hysbysiad cychwynnol" }
  window = "24h"
  clock_starts = "aware_at"
  reminders = ["12h"]
  copy_to = ["ncsc"]

    [[body.stage.fields]]
    key = "what_happened"
    en = "What happened"
    cy = "Beth ddigwyddodd"
    from_incident = "description"

    [[body.stage.fields]]
    key = "services"
    en = "Services affected"
    cy = "Gwasanaethau yr effeithiwyd arnynt"

  [[body.stage]]
  key = "full_report"
  name = { en = "full report", cy = "adroddiad llawn" }
  window = "72h"
  clock_starts = "aware_at"
  reminders = ["48h"]
  late_reason_required = true
  copy_to = ["ncsc"]
"""


def shipped_with(extra: str, *, version: str = "test") -> str:
    """The shipped regime file, under another version, with `extra` bodies after its own."""
    text = SHIPPED_FILE.read_text(encoding="utf-8")
    return text.replace('version = "2026.12"', f'version = "{version}"') + extra


@asynccontextmanager
async def regime_in_force(database: Database, text: str) -> AsyncIterator[Regime]:
    """`text` in force for the block, then the regime in force before it again."""
    async with database.session() as session:
        result = await import_regime(
            text, file_name="test.toml", imported_by="test", session=session
        )
    try:
        yield result.regime
    finally:
        async with database.session() as session:
            await session.exec(
                delete(ReportingRegimeRecord).where(
                    col(ReportingRegimeRecord.imported_by) == "test"
                )
            )
            await session.commit()
        store.forget_parsed()
