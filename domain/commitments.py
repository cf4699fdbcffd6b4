"""The Concordat's seven commitments (a-g), and where an authority stands on each.

See ../shared/DOMAIN.md: each authority commits to them, and the central team reviews them
every year.
"""

from __future__ import annotations

from enum import StrEnum


class Commitment(StrEnum):
    """The commitments by their letter in the Concordat."""

    A = "a"
    """Cyber Essentials Plus."""
    B = "b"
    """Cyber risk at senior management level."""
    C = "c"
    """Named executive and senior management members."""
    D = "d"
    """CiSP registration."""
    E = "e"
    """NCSC Active Cyber Defence tools."""
    F = "f"
    """Security clearance of responders."""
    G = "g"
    """Significant incidents reported to the NCSC."""


class CommitmentStatus(StrEnum):
    MET = "met"
    AT_RISK = "at_risk"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"
