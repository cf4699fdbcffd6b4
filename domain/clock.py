"""The councils' clock: every time shown to a person is UK time, with GMT or BST beside it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import PlainSerializer, WithJsonSchema

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


def iso_duration(delta: timedelta) -> str:
    """A duration as the API writes it: ISO 8601 in whole seconds ("PT1H30M", "P2DT3H",
    "PT0S"), with a leading minus when negative (ISO 8601-2: "-PT20M")."""
    seconds = round(delta / timedelta(seconds=1))
    days, rest = divmod(abs(seconds), 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, rest = divmod(rest, 60)
    time = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (rest, "S")) if n)
    if not days and not time:
        return "PT0S"
    sign, date = "-" if seconds < 0 else "", f"{days}D" if days else ""
    return f"{sign}P{date}T{time}" if time else f"{sign}P{date}"


#: A length of time that is never negative, in JSON an RFC 3339 duration (`format: duration`,
#: which has neither a sign nor fractions of a second).
Duration = Annotated[
    timedelta,
    PlainSerializer(iso_duration, return_type=str, when_used="json"),
    WithJsonSchema(
        {"type": "string", "format": "duration", "examples": ["PT1H30M"]}, mode="serialization"
    ),
]

#: Time to spare, or overrun: in JSON an ISO 8601 duration in whole seconds, with a leading
#: minus when negative (ISO 8601-2), which `format: duration` does not allow.
SignedDuration = Annotated[
    timedelta,
    PlainSerializer(iso_duration, return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^-?P(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$",
            "description": "ISO 8601 duration in whole seconds; negative (a leading minus, "
            "ISO 8601-2) once the time has run out.",
            "examples": ["PT5H12M", "-PT20M"],
        },
        mode="serialization",
    ),
]
