"""Every process Concordat runs, one Temporal workflow each."""

from workflows.incident import IncidentWorkflow

ALL_WORKFLOWS = [IncidentWorkflow]

__all__ = ["ALL_WORKFLOWS", "IncidentWorkflow"]
