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


def uk_moment(text: str) -> datetime:
    """ISO 8601 as a person in Wales writes it: a time without a zone is UK time.

    Raises ValueError with a message a person understands.
    """
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date and time like 2026-11-21T14:30") from None
    if not 2000 <= moment.year <= 2200:
        raise ValueError(f"{text!r} is not a moment of any incident (years 2000 to 2200)")
    return moment if moment.tzinfo else moment.replace(tzinfo=UK_TIME)
