"""Who may do what: the roles a credential carries."""

from __future__ import annotations

from enum import StrEnum


class AccessRole(StrEnum):
    ON_CALL_OFFICER = "on_call_officer"
    """Opens and runs incidents of their authority (or of every authority, for the central
    team's officers)."""
    AUDITOR = "auditor"
    """Reads timelines, replays and exports of the authorities granted; changes nothing."""
