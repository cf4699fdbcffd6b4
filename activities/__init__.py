"""Every side effect of an incident: reading the directory, writing the timeline, sending mail.

Each activity is idempotent, because Temporal retries it after any failure, including one that
happened after the work was done.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from activities.archive import ArchiveActivities
from activities.breach import BreachActivities
from activities.complaints import ComplaintActivities
from activities.deliveries import DeliveryActivities
from activities.directory import DirectoryActivities
from activities.national_messages import NationalMessageActivities
from activities.post_incident import PostIncidentActivities
from activities.reconcile import ReconcileActivities
from activities.reviews import ReviewActivities
from activities.sending import NotificationActivities
from activities.supplier_notices import SupplierNoticeActivities
from activities.timeline import TimelineActivities
from activities.transports import Transport
from activities.transports.notify import NotifyService, NotifyTransport
from activities.transports.smtp import SmtpTransport
from activities.transports.teams import TeamsTransport
from domain.channels import Channel
from notifications.render import MessageRenderer
from runtime.database import Database
from runtime.settings import Settings
from security.ack_links import AckLinkSigner


def build_activities(database: Database, settings: Settings) -> list[Callable[..., Any]]:
    """The activities a worker registers, wired to this process's database and channels."""
    notify = NotifyService.from_settings(settings)
    transports: dict[Channel, Transport] = {Channel.EMAIL: SmtpTransport.from_settings(settings)}
    if notify is not None:
        transports[Channel.SMS] = NotifyTransport(notify, Channel.SMS)
        transports[Channel.NOTIFY_EMAIL] = NotifyTransport(notify, Channel.NOTIFY_EMAIL)
    if settings.teams_webhooks:
        transports[Channel.TEAMS] = TeamsTransport(settings.teams_webhooks)
    notifications = NotificationActivities(
        database=database,
        transports=transports,
        renderer=MessageRenderer(),
        signer=AckLinkSigner(settings.signing_key(), settings.ack_link_lifetime_hours * 3600),
        base_url=settings.base_url,
        mail_from=settings.mail_from,
        code_lifetime=timedelta(hours=settings.sms_code_lifetime_hours),
    )
    receipts = DeliveryActivities(database, notify)
    national = NationalMessageActivities(
        database, transports[Channel.EMAIL], mail_from=settings.mail_from
    )
    return [
        DirectoryActivities(database, settings).load_authority_snapshot,
        TimelineActivities(database).record_timeline,
        notifications.send_notification,
        ArchiveActivities(database).archive_history,
        ReconcileActivities(database, settings.task_queue).reconcile,
        BreachActivities(database).amend_breach_record,
        receipts.check_delivery,
        receipts.poll_received_texts,
        national.send_national_message,
        ReviewActivities(database, settings).record_review_event,
        ReviewActivities(database, settings).take_review_snapshot,
        ReviewActivities(database, settings).open_due_reviews,
        PostIncidentActivities(database, settings).take_over_timeline,
        ComplaintActivities(database, settings).record_complaint,
        ComplaintActivities(database, settings).reconcile_unstarted_complaints,
        *_supplier_notice_activities(database, settings),
    ]


def _supplier_notice_activities(database: Database, settings: Settings) -> list[Callable[..., Any]]:
    notices = SupplierNoticeActivities(database, settings)
    return [
        notices.record_notice_progress,
        notices.record_notice_triage,
        notices.note_notice_on_incident,
        notices.reconcile_unstarted_notices,
    ]
