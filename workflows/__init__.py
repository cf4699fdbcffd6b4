"""Every process Concordat runs, one Temporal workflow each."""

from workflows.archive import HistoryArchiveWorkflow
from workflows.incident import IncidentWorkflow
from workflows.reconcile import ReconciliationWorkflow

ALL_WORKFLOWS = [IncidentWorkflow, HistoryArchiveWorkflow, ReconciliationWorkflow]

__all__ = ["ALL_WORKFLOWS", "HistoryArchiveWorkflow", "IncidentWorkflow", "ReconciliationWorkflow"]
