"""The regimes an administrator imported, and the one in force.

The newest import is in force; before any import, the shipped regime is. Each process keeps the
regimes it has read, parsed once, and teaches itself their bodies' names, so a page names a body
a file added without a restart.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.obligations import register_bodies
from models import ReportingRegimeRecord
from regimes.changes import describe_changes
from regimes.format import Regime, read_regime
from regimes.shipped import SHIPPED_REGIME

_PARSED: dict[int, Regime] = {}


async def regime_in_force(session: AsyncSession) -> Regime:
    """The newest imported regime, or the shipped one."""
    latest = (
        await session.exec(
            select(ReportingRegimeRecord.id).order_by(col(ReportingRegimeRecord.id).desc()).limit(1)
        )
    ).first()
    if latest is None:
        return SHIPPED_REGIME
    if latest not in _PARSED:
        record = await session.get(ReportingRegimeRecord, latest)
        assert record is not None
        regime = read_regime(record.source)
        register_bodies({key: rule.names for key, rule in regime.rules.items() if rule.names})
        _PARSED[latest] = regime
    return _PARSED[latest]


@dataclass(frozen=True)
class ImportResult:
    """What an import did (or, for a dry run, would do)."""

    regime: Regime
    changes: list[str]
    record_id: int | None


async def import_regime(
    text: str,
    *,
    file_name: str,
    imported_by: str,
    session: AsyncSession,
    dry_run: bool = False,
) -> ImportResult:
    """Check the file (raising `regimes.format.RegimeError` with its line and reason, nothing
    changed), compare it with the regime in force, and unless a dry run, make it the one in
    force. An identical file changes nothing and records nothing."""
    regime = read_regime(text)
    changes = describe_changes(await regime_in_force(session), regime)
    if dry_run or not changes:
        return ImportResult(regime, changes, None)
    record = ReportingRegimeRecord(
        version=regime.version,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        source=text,
        file_name=file_name[-300:],
        imported_by=imported_by,
    )
    session.add(record)
    await session.commit()
    assert record.id is not None
    register_bodies({key: rule.names for key, rule in regime.rules.items() if rule.names})
    _PARSED[record.id] = regime
    return ImportResult(regime, changes, record.id)


def forget_parsed() -> None:
    """Read the regime in force afresh next time (after imports were removed from the table)."""
    _PARSED.clear()
