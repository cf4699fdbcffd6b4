"""The supplier notices' clocks' side effects: writing what a clock did and what a council
decided, noting a linked notice on the incident's timeline, and starting clocks that never
started.

Each is safe to repeat: a moment already written is kept, a decision is written again as it
was, a note already on the timeline is not added twice, and a clock already running is joined.
"""

from __future__ import annotations

import structlog
from sqlmodel import col, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.commands import AddNote, Rejection
from domain.supplier_notices import (
    NOTE_NOTICE_ON_INCIDENT,
    RECONCILE_UNSTARTED_NOTICES,
    RECORD_NOTICE_PROGRESS,
    RECORD_NOTICE_TRIAGE,
    IncidentNote,
    NoticeProgress,
    TriageRecord,
)
from domain.vocabulary import EventKind
from models import Incident, TimelineEvent
from runtime.database import Database
from runtime.settings import Settings
from services.notice_clocks import reconcile_unstarted_notices, record_progress, record_triage
from services.temporal_gateway import UpdateRefused, update_incident
from workflows import IncidentWorkflow

log = structlog.get_logger(__name__)

#: The failure type of a note the incident will never take (it closed, or is gone).
NOTE_REFUSED = "NoteRefused"


class SupplierNoticeActivities:
    def __init__(self, database: Database, settings: Settings) -> None:
        self._database, self._settings = database, settings

    @activity.defn(name=RECORD_NOTICE_PROGRESS)
    async def record_notice_progress(self, progress: NoticeProgress) -> None:
        async with self._database.session() as session:
            await record_progress(progress, session=session)

    @activity.defn(name=RECORD_NOTICE_TRIAGE)
    async def record_notice_triage(self, record: TriageRecord) -> None:
        async with self._database.session() as session:
            await record_triage(record, session=session)

    @activity.defn(name=NOTE_NOTICE_ON_INCIDENT)
    async def note_notice_on_incident(self, note: IncidentNote) -> None:
        bound = log.bind(incident_id=note.incident_id, workflow_id=activity.info().workflow_id)
        async with self._database.session() as session:
            incident = await session.get(Incident, note.incident_id)
            if incident is None:
                raise ApplicationError("no such incident", type=NOTE_REFUSED, non_retryable=True)
            notes = await session.exec(
                select(TimelineEvent.detail).where(
                    TimelineEvent.incident_id == note.incident_id,
                    col(TimelineEvent.kind) == EventKind.NOTE_ADDED,
                )
            )
            if any((detail or {}).get("text") == note.text for detail in notes.all()):
                bound.info("supplier_notice_note_already_there")
                return
            await session.commit()  # no read held open while Temporal is asked
        try:
            await update_incident(
                incident,
                IncidentWorkflow.add_note,
                AddNote(text=note.text, actor=note.actor),
                temporal=activity.client(),
            )
        except UpdateRefused as refused:
            if refused.rejection in (Rejection.CLOSED, Rejection.INVALID, Rejection.CONFLICT):
                raise ApplicationError(
                    refused.message, type=NOTE_REFUSED, non_retryable=True
                ) from None
            raise  # handing over, not ready: a retry gets through
        bound.info("supplier_notice_noted_on_incident")

    @activity.defn(name=RECONCILE_UNSTARTED_NOTICES)
    async def reconcile_unstarted_notices(self) -> list[str]:
        async with self._database.session() as session:
            return await reconcile_unstarted_notices(
                session=session,
                temporal=activity.client(),
                task_queue=self._settings.task_queue,
                base_url=self._settings.base_url,
            )
