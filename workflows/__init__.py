"""Every process Concordat runs, one Temporal workflow each."""

from workflows.archive import HistoryArchiveWorkflow
from workflows.incident import IncidentWorkflow

ALL_WORKFLOWS = [IncidentWorkflow, HistoryArchiveWorkflow]

__all__ = ["ALL_WORKFLOWS", "HistoryArchiveWorkflow", "IncidentWorkflow"]
