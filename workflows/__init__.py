"""Every process Concordat runs, one Temporal workflow each.

The workflows are imported when first named, not here: the sandbox re-imports this package
for every workflow it loads into a worker's cache, and an incident should not pay each time
for importing and defining the archive and reconciliation workflows as well.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workflows.annual_review import AnnualReviewWorkflow
    from workflows.archive import HistoryArchiveWorkflow
    from workflows.certificate_reminders import CertificateRemindersWorkflow
    from workflows.complaint import ComplaintWorkflow
    from workflows.incident import IncidentWorkflow
    from workflows.post_incident import PostIncidentWorkflow
    from workflows.received_texts import ReceivedTextsWorkflow
    from workflows.reconcile import ReconciliationWorkflow
    from workflows.review_schedule import ReviewScheduleWorkflow
    from workflows.role_emptied import RoleEmptiedWorkflow
    from workflows.supplier_notice import SupplierNoticeWorkflow

_HOMES = {
    "IncidentWorkflow": "workflows.incident",
    "HistoryArchiveWorkflow": "workflows.archive",
    "ReconciliationWorkflow": "workflows.reconcile",
    "ReceivedTextsWorkflow": "workflows.received_texts",
    "AnnualReviewWorkflow": "workflows.annual_review",
    "ReviewScheduleWorkflow": "workflows.review_schedule",
    "CertificateRemindersWorkflow": "workflows.certificate_reminders",
    "RoleEmptiedWorkflow": "workflows.role_emptied",
    "PostIncidentWorkflow": "workflows.post_incident",
    "ComplaintWorkflow": "workflows.complaint",
    "SupplierNoticeWorkflow": "workflows.supplier_notice",
}

__all__ = [
    "ALL_WORKFLOWS",
    "AnnualReviewWorkflow",
    "CertificateRemindersWorkflow",
    "ComplaintWorkflow",
    "HistoryArchiveWorkflow",
    "IncidentWorkflow",
    "PostIncidentWorkflow",
    "ReceivedTextsWorkflow",
    "ReconciliationWorkflow",
    "ReviewScheduleWorkflow",
    "RoleEmptiedWorkflow",
    "SupplierNoticeWorkflow",
]


def __getattr__(name: str) -> Any:
    if name == "ALL_WORKFLOWS":
        return [__getattr__(workflow) for workflow in _HOMES]
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
