"""Working days in Wales: Monday to Friday, less the bank holidays kept as data.

A post-incident review is due a number of working days after closure. The holidays are read
from `bank_holidays.toml` (or a deployment's own file), never from code, so a new year's list is
a data change. Workflows never read the file: the dates worked out from it are handed to them,
so a later list cannot change what an old history replays.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")
DEFAULT_FILE = Path(__file__).with_name("bank_holidays.toml")


@dataclass(frozen=True)
class WorkingCalendar:
    holidays: frozenset[date]

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def add(self, start: date, days: int) -> date:
        """The working day `days` working days after `start` (which is not counted)."""
        day, left = start, days
        step = timedelta(days=1 if days >= 0 else -1)
        while left:
            day += step
            if self.is_working_day(day):
                left -= 1 if days > 0 else -1
        return day

    def due(self, closed_at: datetime, working_days: int) -> tuple[date, datetime]:
        """The day something is due, counted in working days from a moment, and the end of
        that day in UK time (after which it is overdue)."""
        due_on = self.add(closed_at.astimezone(UK).date(), working_days)
        return due_on, end_of_day(due_on)

    def reminder(self, due_on: date, working_days_before: int) -> datetime:
        """09:00 UK time, a number of working days before a due day."""
        day = self.add(due_on, -working_days_before)
        return datetime.combine(day, time(9, 0), tzinfo=UK)


def end_of_day(day: date) -> datetime:
    """The last moment of a day in UK time, through clock changes."""
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=UK) - timedelta(
        microseconds=1
    )


@lru_cache
def calendar(path: Path | None = None) -> WorkingCalendar:
    """The calendar in a bank-holidays file (the one shipped, when none is named)."""
    data = tomllib.loads((path or DEFAULT_FILE).read_text())
    days = {date.fromisoformat(day) for year in data.get("wales", {}).values() for day in year}
    return WorkingCalendar(frozenset(days))
