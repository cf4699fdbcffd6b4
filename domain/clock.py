"""The councils' clock: every time shown to a person is UK time, with GMT or BST beside it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

UK_TIME = ZoneInfo("Europe/London")


def uk_time(moment: datetime | None, *, seconds: bool = False) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(UK_TIME)
    return local.strftime(f"%a %d %b %Y, %H:%M{':%S' if seconds else ''} %Z")


def span(delta: timedelta) -> str:
    """A duration as a person reads it: "2 d 3 h 5 min", "overdue by 40 min"."""
    seconds = int(abs(delta).total_seconds())
    days, seconds = divmod(seconds, 86_400)
    hours, seconds = divmod(seconds, 3_600)
    minutes = seconds // 60
    parts = [f"{days} d"] if days else []
    parts += [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if minutes or not parts else []
    text = " ".join(parts)
    return f"overdue by {text}" if delta < timedelta(0) else text
