"""The regime file: reading it, checking it, and saying where it is wrong.

A regime file (TOML, see `regimes/national.toml`) lists the bodies a council may have to tell,
each with its names, trigger, owner, escalation and either one deadline or several stages. It is
checked whole before anything changes, and a mistake is reported with its line and the reason,
as a person editing the file needs it.
"""

from __future__ import annotations

import re
import tomllib
from datetime import timedelta
from typing import Any

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from domain.obligations import (
    Body,
    BodyNames,
    ClockStart,
    DraftField,
    Naming,
    ObligationRule,
    Rename,
    StageRule,
    Trigger,
)
from domain.vocabulary import MemberRole

#: The format this code reads; a later format gets a new number and a reader for it.
FORMAT = 1

_DURATION = re.compile(r"^\s*(\d+)\s*([mhd])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


class RegimeError(ValueError):
    """A regime file that cannot be used, with the line to look at (None: the whole file)."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {reason}" if line else reason)
        self.reason = reason
        self.line = line


def duration(text: object) -> timedelta:
    """ "90m", "24h" or "3d": the units a deadline is written in."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f'{text!r} is not a duration: write it as "90m", "24h" or "3d"')
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


def _before(reminders: list[timedelta], window: timedelta | None) -> list[timedelta]:
    if window is not None and any(at >= window for at in reminders):
        raise ValueError("every reminder must come before the deadline")
    return reminders


class _Durations(BaseModel):
    """Durations are written as text in the file and read as time spans."""

    @field_validator("window", "reminders", mode="before", check_fields=False)
    @classmethod
    def _read_durations(cls, value: object) -> object:
        if isinstance(value, list):
            return [duration(each) for each in value]
        return duration(value)


class StageEntry(_Durations):
    """A `[[body.stage]]` table."""

    model_config = {"extra": "forbid"}

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    name: Naming
    window: timedelta = Field(gt=timedelta(0))
    clock_starts: ClockStart = ClockStart.REQUIRED_AT
    reminders: list[timedelta] = []
    late_reason_required: bool = False
    reference_required: bool = False
    copy_to: list[Body] = []
    fields: list[DraftField] = []

    @field_validator("reminders")
    @classmethod
    def _reminders_before_deadline(
        cls, reminders: list[timedelta], info: ValidationInfo
    ) -> list[timedelta]:
        return _before(reminders, info.data.get("window"))


class BodyEntry(_Durations):
    """A `[[body]]` table."""

    model_config = {"extra": "forbid"}

    key: Body
    name: Naming
    renamed: list[Rename] = []
    address: str | None = Field(default=None, max_length=300)
    enabled: bool = True
    trigger: Trigger
    window: timedelta | None = Field(default=None, gt=timedelta(0))
    clock_starts: ClockStart = ClockStart.REQUIRED_AT
    reminders: list[timedelta] = []
    owner: MemberRole
    escalate_to: list[MemberRole] = Field(min_length=1)
    late_reason_required: bool = False
    reference_required: bool = False
    notify_address: str | None = Field(default=None, max_length=320)
    stage: list[StageEntry] = []

    @model_validator(mode="after")
    def _one_deadline_or_stages(self) -> BodyEntry:
        if self.stage and self.window is not None:
            raise ValueError(
                "give either one window or [[body.stage]] tables, not both: a staged report's "
                "deadlines are its stages'"
            )
        if not self.stage and self.window is None:
            raise ValueError('give the body a window ("72h") or its [[body.stage]] tables')
        if len(self.stage) == 1:
            raise ValueError("a report in one stage gives its window on the body itself")
        if len({s.key for s in self.stage}) != len(self.stage):
            raise ValueError("each stage needs its own key")
        return self

    @field_validator("reminders")
    @classmethod
    def _reminders_before_deadline(
        cls, reminders: list[timedelta], info: ValidationInfo
    ) -> list[timedelta]:
        return _before(reminders, info.data.get("window"))

    def rule(self) -> ObligationRule:
        names = BodyNames(**self.name.model_dump(), renamed=self.renamed)
        stages = [
            StageRule(
                key=s.key,
                name=s.name,
                window=s.window,
                clock_starts=s.clock_starts,
                reminders_at=s.reminders,
                late_reason_required=s.late_reason_required,
                reference_required=s.reference_required,
                copy_to=s.copy_to,
                fields=s.fields,
            )
            for s in self.stage
        ]
        first = stages[0] if stages else None
        return ObligationRule(
            body=self.key,
            enabled=self.enabled,
            trigger=self.trigger,
            window=first.window if first else self.window,
            clock_starts=first.clock_starts if first else self.clock_starts,
            reminders_at=first.reminders_at if first else self.reminders,
            owner=self.owner,
            escalate_to=self.escalate_to,
            late_reason_required=self.late_reason_required,
            reference_required=first.reference_required if first else self.reference_required,
            notify_address=self.notify_address,
            names=names,
            address=self.address,
            stages=stages,
        )


class RegimeFile(BaseModel):
    """The whole file."""

    model_config = {"extra": "forbid"}

    format: int
    version: str = Field(min_length=1, max_length=40)
    body: list[BodyEntry] = Field(min_length=1)

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: int) -> int:
        if value != FORMAT:
            raise ValueError(f"this version of Concordat reads format {FORMAT}, not {value}")
        return value

    @model_validator(mode="after")
    def _keys_unique_and_copies_known(self) -> RegimeFile:
        keys = [entry.key for entry in self.body]
        for entry in self.body:
            if keys.count(entry.key) > 1:
                raise ValueError(f"the body {entry.key!r} is listed more than once")
            for stage in entry.stage:
                for copied in stage.copy_to:
                    if copied not in keys:
                        raise ValueError(
                            f"stage {stage.key!r} of {entry.key!r} is copied to {copied!r}, "
                            "which the file does not list"
                        )
        return self


class Regime(BaseModel):
    """A checked regime: its version, and each body's national rule in the file's order."""

    version: str
    rules: dict[Body, ObligationRule]


def read_regime(text: str) -> Regime:
    """Read and check a regime file's text; `RegimeError` names the line and the reason."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _toml_error(error, text) from None
    try:
        parsed = RegimeFile.model_validate(raw)
        rules = {entry.key: entry.rule() for entry in parsed.body}
    except ValidationError as error:
        first = error.errors()[0]
        location = tuple(first["loc"])
        reason = first["msg"].removeprefix("Value error, ")
        where = ".".join(str(part) for part in location if not isinstance(part, int))
        raise RegimeError(
            f"{where}: {reason}" if where else reason, line_of(text, location)
        ) from None
    return Regime(version=parsed.version, rules=rules)


def _toml_error(error: tomllib.TOMLDecodeError, text: str) -> RegimeError:
    message = str(error)
    found = re.search(r"\(at line (\d+), column \d+\)", message)
    reason = re.sub(r"\s*\(at [^)]*\)$", "", message)
    if found:
        return RegimeError(f"not valid TOML: {reason}", int(found[1]))
    return RegimeError(f"not valid TOML: {reason}", max(1, len(text.splitlines())))


_HEADER = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_.]+)\s*\]\]")
_KEY = re.compile(r"^\s*([A-Za-z0-9_]+)\s*=")


def line_of(text: str, location: tuple[Any, ...]) -> int | None:
    """The line a validation error's location points at: the N-th `[[body]]` (and its M-th
    `[[body.stage]]`), then the key within that table; the table's header if the key is not
    written (a required key left out)."""
    lines = text.splitlines()
    path = [part for part in location]
    if not path or path[0] != "body" or len(path) < 2 or not isinstance(path[1], int):
        key = path[0] if path else None
        return next((n for n, line in enumerate(lines, 1) if _key_is(line, key)), None)
    body_index, rest = path[1], path[2:]
    start = _nth_header(lines, "body", body_index, 0)
    if start is None:
        return None
    if len(rest) >= 2 and rest[0] == "stage" and isinstance(rest[1], int):
        stage_start = _nth_header(lines, "body.stage", rest[1], start)
        if stage_start is not None:
            start, rest = stage_start, rest[2:]
    key = rest[0] if rest and isinstance(rest[0], str) else None
    for number in range(start + 1, len(lines) + 1):
        line = lines[number - 1]
        if _HEADER.match(line):
            break
        if _key_is(line, key):
            return number
    return start


def _key_is(line: str, key: object) -> bool:
    found = _KEY.match(line)
    return bool(found and key is not None and found[1] == key)


def _nth_header(lines: list[str], name: str, index: int, after: int) -> int | None:
    """The line number of the `index`-th `[[name]]` after line `after` (within one body for a
    stage: stops at the next `[[body]]`)."""
    seen = -1
    for number in range(after + 1, len(lines) + 1):
        header = _HEADER.match(lines[number - 1])
        if header is None:
            continue
        if name == "body.stage" and header[1] == "body":
            return None
        if header[1] == name:
            seen += 1
            if seen == index:
                return number
    return None
