"""What importing a regime file would change, in lines a person reads before saying yes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from domain.obligations import ObligationRule
from regimes.format import Regime

#: The fields of a rule compared between regimes, in the order a person reads them.
_COMPARED = (
    "names",
    "address",
    "enabled",
    "trigger",
    "window",
    "clock_starts",
    "reminders_at",
    "owner",
    "escalate_to",
    "late_reason_required",
    "reference_required",
    "notify_address",
    "stages",
)


def describe_changes(before: Regime, after: Regime) -> list[str]:
    """One line per body added, dropped or changed; nothing when the regimes agree."""
    lines: list[str] = []
    if before.version != after.version:
        lines.append(f"version {before.version} -> {after.version}")
    for key, rule in after.rules.items():
        if key not in before.rules:
            lines.append(f"+ {key}: {_name(rule)} added ({_deadlines(rule)})")
    for key, rule in before.rules.items():
        if key not in after.rules:
            lines.append(
                f"- {key}: {_name(rule)} no longer listed (clocks already running keep their rule)"
            )
    for key, rule in after.rules.items():
        old = before.rules.get(key)
        if old is None:
            continue
        for field in _COMPARED:
            was, now = getattr(old, field), getattr(rule, field)
            if _plain(was) != _plain(now):
                lines.append(f"~ {key}: {field.replace('_', ' ')} {_show(was)} -> {_show(now)}")
    return lines


def _name(rule: ObligationRule) -> str:
    return rule.names.en if rule.names else str(rule.body)


def _deadlines(rule: ObligationRule) -> str:
    if not rule.stages:
        return f"one report within {_duration(rule.window)}"
    return ", ".join(f"{s.name.en} within {_duration(s.window)}" for s in rule.stages)


def _duration(span: timedelta) -> str:
    hours = int(span.total_seconds() // 3600)
    return f"{hours}h" if span == timedelta(hours=hours) else f"{int(span.total_seconds() // 60)}m"


def _plain(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_plain(each) for each in value]
    return value


def _show(value: Any) -> str:
    if isinstance(value, timedelta):
        return _duration(value)
    if isinstance(value, list) and all(isinstance(each, timedelta) for each in value):
        return "[" + ", ".join(_duration(each) for each in value) + "]"
    if isinstance(value, list) and value and hasattr(value[0], "key"):
        return "[" + ", ".join(f"{s.key} {_duration(s.window)}" for s in value) + "]"
    if hasattr(value, "model_dump"):
        dumped = value.model_dump(mode="json", exclude_defaults=True)
        return ", ".join(f"{k}={v}" for k, v in dumped.items())
    if hasattr(value, "value"):
        return str(value.value)
    return str(value) if value is not None else "none"
