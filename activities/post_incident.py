"""The post-incident process's one database step: taking over the incident's timeline.

It waits (by failing, so Temporal retries it) until the incident's own workflow has finished,
so the two processes never write the timeline at once; then it reads where the timeline ends,
what evidence and statements it holds, who owns the review, and when the review is due.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import structlog
from sqlmodel import col, select
from temporalio import activity
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain.post_incident import TAKE_OVER_TIMELINE, Owner, ReviewTimings, TakeOver, TakeOverRequest
from domain.vocabulary import MemberRole
from domain.working_days import calendar
from models import Authority, EvidenceFile, Incident, ResponsibleMember
from runtime.database import Database
from runtime.settings import Settings
from services.after_alarm_projection import statement_versions

log = structlog.get_logger(__name__)

INCIDENT_STILL_RUNNING = "IncidentStillRunning"
#: How long one attempt waits for the incident's workflow to finish (within the activity's
#: start-to-close timeout).
FINISHING = timedelta(seconds=20)


class PostIncidentActivities:
    def __init__(self, database: Database, settings: Settings) -> None:
        self._database, self._settings = database, settings

    @activity.defn(name=TAKE_OVER_TIMELINE)
    async def take_over_timeline(self, request: TakeOverRequest) -> TakeOver:
        await self._wait_for_incident(request)
        settings = self._settings
        async with self._database.reading() as session:
            incident = await session.get(Incident, request.incident_id)
            if incident is None:
                raise ApplicationError(f"no incident {request.incident_id}", non_retryable=True)
            authority = await session.get(Authority, incident.authority_id)
            assert authority is not None
            evidence = await session.exec(
                select(EvidenceFile.id)
                .where(EvidenceFile.incident_id == incident.id)
                .order_by(col(EvidenceFile.sequence))
            )
            versions = await statement_versions(incident.id, session=session)
            senior = (
                await session.exec(
                    select(ResponsibleMember).where(
                        ResponsibleMember.authority_id == incident.authority_id,
                        ResponsibleMember.role == MemberRole.SENIOR_MANAGEMENT_MEMBER,
                    )
                )
            ).first()
        working = calendar(settings.bank_holidays_file)
        closed_at = incident.closed_at or activity.info().current_attempt_scheduled_time
        due_on, due_at = working.due(closed_at, settings.post_incident_review_days)
        log.info(
            "timeline_taken_over",
            incident_id=incident.id,
            workflow_id=activity.info().workflow_id,
            authority=authority.code,
            sequence=incident.last_event_sequence,
        )
        return TakeOver(
            reference=incident.reference,
            authority_id=authority.id or 0,
            authority_code=authority.code,
            tlp=incident.tlp,
            exercise=incident.exercise,
            closed_at=incident.closed_at,
            sequence=incident.last_event_sequence,
            evidence_ids=list(evidence),
            statement_versions=versions,
            owner=Owner(
                member_role=MemberRole.SENIOR_MANAGEMENT_MEMBER,
                name=senior.name if senior else "",
            ),
            due_on=due_on,
            due_at=due_at,
            remind_at=working.reminder(due_on, settings.post_incident_reminder_days),
            timings=ReviewTimings(
                review_working_days=settings.post_incident_review_days,
                review_reminder_working_days=settings.post_incident_reminder_days,
                action_escalation_days=settings.review_action_escalation_days,
            ),
            base_url=settings.base_url.rstrip("/"),
        )

    async def _wait_for_incident(self, request: TakeOverRequest) -> None:
        """Wait for the incident's workflow to finish writing its timeline: it closes the
        moment it has started this process, so a long poll on its result ends in a moment.
        Still running after `FINISHING`, this attempt fails and Temporal tries again."""
        handle = activity.client().get_workflow_handle(request.incident_workflow_id)
        try:
            await asyncio.wait_for(handle.result(follow_runs=True), FINISHING.total_seconds())
        except TimeoutError:
            raise ApplicationError(
                "the incident's workflow is still finishing its record", type=INCIDENT_STILL_RUNNING
            ) from None
        except WorkflowFailureError:
            return  # it failed or was ended by hand: either way it writes no more
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return  # closed long ago, and its history past the server's retention
            raise
