"""The machinery beneath an incident's procedure: its file, its timeline, its messages.

`IncidentWorkflow` reads as the council's procedure; the escalation chains and the reporting
clocks are its two halves. All three stand on `IncidentProcess`, which declares and provides
what they share: the incident's file, recording a timeline event, sending a message without
waiting for it, and logging. Nothing here decides anything about the incident.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, FailureError

with workflow.unsafe.imports_passed_through():
    from domain import rules
    from domain.activity_contracts import (
        LOAD_AUTHORITY_SNAPSHOT,
        RECIPIENT_REJECTED,
        RECORD_TIMELINE,
        SEND_NOTIFICATION,
        DeliveryOutcome,
        IncidentProjection,
        NotificationFacts,
        NotificationReceipt,
        NotificationRequest,
        SnapshotRequest,
        TimelineBatch,
        TimelineEntry,
    )
    from domain.channels import Channel
    from domain.directory import AuthoritySnapshot, MemberContact
    from domain.incident import IncidentFile
    from domain.vocabulary import EventKind, NotificationKind

SYSTEM_ACTOR = "concordat"

#: A timeline batch waits for the emails in flight (`_keep_timeline_recorded`).
TIMELINE_GATHERS_SENDS = "timeline-gathers-sends"

#: One marker standing for every change to the incident's code up to it (`_changed`).
ALL_CHANGES_TO_2026_11 = "all-changes-to-2026-11"
#: The changes that marker stands for. A change made after it is asked for with
#: `workflow.patched` itself: incidents in flight already carry the marker, so it cannot
#: stand for a change they have not taken.
CHANGES_TO_2026_11 = frozenset(
    {
        "audit-at-closure",
        "centre-alerts",
        "closure-stops-chains",
        "continue-as-new",
        "hand-over-any-time",
        "paging-channels",
        "post-incident",
        "report-stages",
        "reporting-regimes",
        TIMELINE_GATHERS_SENDS,
    }
)

#: How long a timeline batch waits for the emails being sent when its events happened.
GATHER_SENDS = timedelta(seconds=2)

# Database work is quick and safe to repeat; retry it for as long as the database is away.
DATABASE_ACTIVITY: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(seconds=30)),
}
# An SMTP outage delays a message but never loses it; after a day it is reported as failed.
MAIL_ACTIVITY: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=60),
    # A send heartbeats while it talks to the server: a worker that died mid-send is retried
    # after these seconds of silence, not after the whole minute.
    "heartbeat_timeout": timedelta(seconds=10),
    "schedule_to_close_timeout": timedelta(hours=24),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(seconds=2),
        maximum_interval=timedelta(minutes=2),
        non_retryable_error_types=[RECIPIENT_REJECTED],
    ),
}
# Notify and Teams answer over HTTP in seconds: a worker that died mid-send is noticed sooner,
# so the retry (which asks Notify whether the text went) comes sooner too.
HTTP_SEND_ACTIVITY: dict[str, Any] = {
    **MAIL_ACTIVITY,
    "start_to_close_timeout": timedelta(seconds=20),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(seconds=1),
        maximum_interval=timedelta(minutes=1),
        non_retryable_error_types=[RECIPIENT_REJECTED],
    ),
}


class IncidentProcess:
    """The incident's file and the side effects every part of its procedure uses."""

    file: IncidentFile
    """All of the incident's state; exactly what continue-as-new hands to the next run."""

    def _start_machinery(self) -> None:
        """State of this run only: work in flight, which no hand-over carries."""
        self._unrecorded: list[TimelineEntry] = []
        self._deliveries: list[asyncio.Task[None]] = []
        self._recording = False
        self._finished = False
        self._crash: BaseException | None = None
        self._outcomes: dict[str, DeliveryOutcome] = {}
        """What became of each message this run sent, by its key: from the send itself, and
        from the channel's receipts (`delivery_reported`)."""
        self._requests: dict[str, NotificationRequest] = {}
        self._paging = False
        """Whether this run pages on several channels (`workflows.paging.PAGING_CHANNELS`)."""
        self._all_changes: bool | None = None
        """Whether this run has `ALL_CHANGES_TO_2026_11`; None until first asked."""

    def _changed(self, change: str) -> bool:
        """`workflow.patched(change)` for a change `ALL_CHANGES_TO_2026_11` stands for.

        Each `workflow.patched` leaves a marker and a search-attribute upsert in the history:
        ten changes cost an incident 20 history events, each one work for the server. A run
        whose first question is asked on code that has them all records the one marker and
        takes every change. A run from before (or in flight across the upgrade) has no such
        marker, so it asks for each change as it always did, and replays as it ran.
        """
        if change not in CHANGES_TO_2026_11:
            raise ValueError(f"{change!r} is newer than {ALL_CHANGES_TO_2026_11!r}: patch it")
        if self._all_changes is None:
            self._all_changes = workflow.patched(ALL_CHANGES_TO_2026_11)
        return self._all_changes or workflow.patched(change)

    @property
    def _directory(self) -> AuthoritySnapshot:
        return self.file.directory

    # ---------------------------------------------------------------- running parts

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run part of the incident alongside the rest. A bug in it must not fail silently and
        leave the incident waiting for ever: `run` re-raises it, so the workflow task fails
        visibly (and retries) until a fixed worker replays past it."""
        task = asyncio.create_task(work)
        task.add_done_callback(self._notice_crash)
        return task

    def _notice_crash(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None and self._crash is None:
            self._crash = task.exception()

    async def _take_snapshot(self) -> AuthoritySnapshot:
        snapshot: AuthoritySnapshot = await workflow.execute_activity(
            LOAD_AUTHORITY_SNAPSHOT,
            SnapshotRequest(authority_id=self.file.details.authority_id),
            result_type=AuthoritySnapshot,
            **DATABASE_ACTIVITY,
        )
        return snapshot

    def _log(self, event: str, level: int = logging.INFO, **fields: Any) -> None:
        """Log through the workflow logger (silent on replay), identifiers only, never names."""
        workflow.logger.log(
            level,
            event,
            extra={
                "incident_id": self.file.details.incident_id,
                "workflow_id": workflow.info().workflow_id,
                "authority": self.file.details.authority_code,
                **fields,
            },
        )

    # ---------------------------------------------------------------- the timeline

    def _record(
        self, kind: EventKind, summary: str, /, actor: str = SYSTEM_ACTOR, **detail: Any
    ) -> None:
        """Queue a timeline event; `_keep_timeline_recorded` writes queued events in order."""
        self.file.sequence += 1
        self._unrecorded.append(
            TimelineEntry(
                sequence=self.file.sequence,
                kind=kind,
                occurred_at=workflow.now(),
                actor=actor,
                summary=summary,
                detail={k: v for k, v in detail.items() if v is not None},
            )
        )

    async def _keep_timeline_recorded(self) -> None:
        """Write timeline events in batches, one activity at a time, so order is kept and
        a burst of events costs one round trip rather than one each.

        While emails are being sent, a batch waits for them (up to `GATHER_SENDS`), so an
        incident's opening and its first alerts are written by one activity, not three: on a
        busy server every activity and workflow task is history the server must write.
        """
        while True:
            await workflow.wait_condition(lambda: bool(self._unrecorded) or self._finished)
            if not self._unrecorded:
                return
            if self._sending() and self._changed(TIMELINE_GATHERS_SENDS):
                try:
                    await workflow.wait_condition(
                        lambda: not self._sending() or self._finished,
                        timeout=GATHER_SENDS,
                        timeout_summary="timeline/gather-sends",
                    )
                except TimeoutError:
                    pass  # an email is slow (an SMTP outage): record what happened so far
            batch, self._unrecorded = self._unrecorded, []
            self._recording = True
            await workflow.execute_activity(
                RECORD_TIMELINE,
                TimelineBatch(
                    incident_id=self.file.details.incident_id,
                    authority_code=self.file.details.authority_code,
                    entries=batch,
                    projection=self._projection(),
                ),
                **DATABASE_ACTIVITY,
            )
            self._recording = False

    def _timeline_written(self) -> bool:
        return not (self._unrecorded or self._recording)

    def _projection(self) -> IncidentProjection:
        details = self.file.details
        return IncidentProjection(
            stage=self.file.stage,
            category=details.category,
            significant=details.significant,
            personal_data=details.personal_data,
            personal_data_risk=details.personal_data_risk,
            email_compromised=details.email_compromised,
            obligations=[o.model_copy(deep=True) for o in self.file.obligations],
            ico_decision=rules.ico_decision(self.file),
            closed_at=self.file.closed_at,
            awaiting_acknowledgement=sum(
                1
                for chain in self.file.chains
                if chain.requested_at and not chain.acknowledged_at and not chain.stopped_at
            ),
            acknowledgement_requested_at=min(
                (c.requested_at for c in self.file.chains if c.requested_at), default=None
            ),
            first_acknowledged_at=min(
                (c.acknowledged_at for c in self.file.chains if c.acknowledged_at), default=None
            ),
        )

    # ---------------------------------------------------------------- messages

    def _sending(self) -> bool:
        return not all(delivery.done() for delivery in self._deliveries)

    def _facts(self, **facts: Any) -> NotificationFacts:
        previous = facts.pop("previous", None)
        return NotificationFacts(
            authority_name_en=self._directory.name_en,
            authority_name_cy=self._directory.name_cy,
            respond_by=workflow.now()
            + self._directory.policy.ack_timeout(self.file.details.category),
            previous_recipient=previous.name if previous else None,
            closing_summary=self.file.closing_summary,
            **facts,
        )

    def _send(
        self,
        kind: NotificationKind,
        recipient: MemberContact,
        *,
        key: str,
        facts: NotificationFacts,
        include_acknowledge_link: bool = False,
        channel: Channel | None = None,
    ) -> str:
        """Send without waiting: an SMTP outage must never hold up an escalation timer.
        Returns the message's key, under which its outcome is kept. Without a `channel`, an
        email: through Notify to a member's out-of-band address when the council's email may
        be compromised and Notify is there (`_paging` runs only), else the council's relay."""
        channel = channel or self._mail_channel(recipient)
        who = recipient.member_id if recipient.member_id is not None else "reporter"
        idempotency_key = f"{workflow.info().workflow_id}/{key}/{kind.value}/{who}"
        if channel is not Channel.EMAIL:  # email keeps the key it always had
            idempotency_key += f"/{channel.value}"
        request = NotificationRequest(
            idempotency_key=idempotency_key,
            kind=kind,
            recipient=recipient,
            incident=self.file.details,
            facts=facts,
            include_acknowledge_link=include_acknowledge_link and recipient.member_id is not None,
            channel=channel,
        )
        self._requests[idempotency_key] = request
        self._outcomes.setdefault(idempotency_key, DeliveryOutcome.PENDING)
        self._deliveries.append(self._spawn(self._deliver(request)))
        return idempotency_key

    def _mail_channel(self, recipient: MemberContact) -> Channel:
        out_of_band = (
            self._paging
            and self.file.details.email_compromised
            and recipient.member_id is not None
            and recipient.out_of_band_email
            and Channel.NOTIFY_EMAIL in self._directory.channels
        )
        return Channel.NOTIFY_EMAIL if out_of_band else Channel.EMAIL

    def _message_detail(self, request: NotificationRequest) -> dict[str, Any]:
        """What the timeline keeps about a message; email's events are as they always were."""
        role = request.recipient.role.value if request.recipient.role else "reporter"
        if request.kind is NotificationKind.CENTRE_ALERT:
            role = "central_team"
        return {
            "notification": request.kind.value,
            "member_id": request.recipient.member_id,
            "role": "teams" if request.channel is Channel.TEAMS else role,
            "channel": None if request.channel is Channel.EMAIL else request.channel.value,
        }

    @staticmethod
    def _by(request: NotificationRequest) -> str:
        """How the timeline names the channel (" by text"): email says nothing, as it always
        has, and Teams is named as the recipient."""
        if request.channel in (Channel.EMAIL, Channel.TEAMS):
            return ""
        return f" by {request.channel.phrase}"

    async def _deliver(self, request: NotificationRequest) -> None:
        detail = self._message_detail(request)
        key, by = request.idempotency_key, self._by(request)
        options = MAIL_ACTIVITY if request.channel is Channel.EMAIL else HTTP_SEND_ACTIVITY
        try:
            receipt = await workflow.execute_activity(
                SEND_NOTIFICATION, request, result_type=NotificationReceipt, **options
            )
        except ActivityError as failure:
            cause = (
                failure.cause.message if isinstance(failure.cause, FailureError) else str(failure)
            )
            self._outcomes[key] = DeliveryOutcome.PERMANENT_FAILURE
            self._record(
                EventKind.NOTIFICATION_FAILED,
                f"Could not deliver {request.kind.label} to {request.recipient.name}{by}: {cause}",
                **detail,
            )
            return
        if not request.channel.through_notify and self._outcomes[key] is DeliveryOutcome.PENDING:
            # The relay or Teams took it: as delivered as we can know. Notify's receipt says.
            self._outcomes[key] = DeliveryOutcome.DELIVERED
        retried = receipt.attempts > 1
        self._record(
            EventKind.NOTIFICATION_SENT,
            f"Sent {request.kind.label} to {request.recipient.name}{by}"
            + (f" after {receipt.attempts} attempts" if retried else ""),
            message_id=receipt.message_id,
            attempts=receipt.attempts if retried else None,
            last_error=receipt.last_error if retried else None,
            **detail,
        )
