"""Every process Concordat runs, one Temporal workflow each.

The workflows are imported when first named, not here: the sandbox re-imports this package
for every workflow it loads into a worker's cache, and an incident should not pay each time
for importing and defining the archive and reconciliation workflows as well.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workflows.archive import HistoryArchiveWorkflow
    from workflows.incident import IncidentWorkflow
    from workflows.received_texts import ReceivedTextsWorkflow
    from workflows.reconcile import ReconciliationWorkflow

_HOMES = {
    "IncidentWorkflow": "workflows.incident",
    "HistoryArchiveWorkflow": "workflows.archive",
    "ReconciliationWorkflow": "workflows.reconcile",
    "ReceivedTextsWorkflow": "workflows.received_texts",
}

__all__ = [
    "ALL_WORKFLOWS",
    "HistoryArchiveWorkflow",
    "IncidentWorkflow",
    "ReceivedTextsWorkflow",
    "ReconciliationWorkflow",
]


def __getattr__(name: str) -> Any:
    if name == "ALL_WORKFLOWS":
        return [__getattr__(workflow) for workflow in _HOMES]
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
