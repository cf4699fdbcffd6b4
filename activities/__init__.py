"""Every side effect of an incident: reading the directory, writing the timeline, sending mail.

Each activity is idempotent, because Temporal retries it after any failure, including one that
happened after the work was done.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from activities.archive import ArchiveActivities
from activities.breach import BreachActivities
from activities.directory import DirectoryActivities
from activities.mail import NotificationActivities
from activities.reconcile import ReconcileActivities
from activities.timeline import TimelineActivities
from activities.transports.smtp import SmtpTransport
from notifications.render import MessageRenderer
from runtime.database import Database
from runtime.settings import Settings
from security.ack_links import AckLinkSigner


def build_activities(database: Database, settings: Settings) -> list[Callable[..., Any]]:
    """The activities a worker registers, wired to this process's database and mail server."""
    notifications = NotificationActivities(
        database=database,
        transport=SmtpTransport.from_settings(settings),
        renderer=MessageRenderer(),
        signer=AckLinkSigner(settings.signing_key(), settings.ack_link_lifetime_hours * 3600),
        base_url=settings.base_url,
        mail_from=settings.mail_from,
    )
    return [
        DirectoryActivities(database).load_authority_snapshot,
        TimelineActivities(database).record_timeline,
        notifications.send_notification,
        ArchiveActivities(database).archive_history,
        ReconcileActivities(database, settings.task_queue).reconcile,
        BreachActivities(database).amend_breach_record,
    ]
