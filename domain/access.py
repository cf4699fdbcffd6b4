"""Who may do what: roles, what each role may do, and over which authorities.

Checked on the server for every page and endpoint (`web.deps`). An authority's people see only
its incidents; the central team and auditors granted every authority see across them but change
nothing.
"""

from __future__ import annotations

from enum import StrEnum


class AccessRole(StrEnum):
    ON_CALL_OFFICER = "on_call_officer"
    """Opens and runs incidents of their authority."""
    RESPONSIBLE_MEMBER = "responsible_member"
    """A named member: acknowledges, and reads their authority's incidents."""
    AUTHORITY_ADMIN = "authority_admin"
    """Names the members, sets the policies and manages the users of their authority."""
    AUDITOR = "auditor"
    """Reads timelines, replays and exports of the authorities granted; changes nothing."""
    CENTRAL_TEAM = "central_team"
    """Reads every authority's incidents; changes none."""


class Permission(StrEnum):
    OPEN_INCIDENTS = "open_incidents"
    RUN_INCIDENTS = "run_incidents"
    """Notes, reassessments, submissions, waivers, containment, closure, the breach register."""
    ACKNOWLEDGE = "acknowledge"
    READ_INCIDENTS = "read_incidents"
    """An incident's details and live state, obligations, drafts, the breach register."""
    READ_TIMELINES = "read_timelines"
    ADMINISTER = "administer"
    """Members, policies and users of the authority."""


ROLE_PERMISSIONS: dict[AccessRole, frozenset[Permission]] = {
    AccessRole.ON_CALL_OFFICER: frozenset(
        {
            Permission.OPEN_INCIDENTS,
            Permission.RUN_INCIDENTS,
            Permission.ACKNOWLEDGE,  # on behalf of a member who answered by telephone
            Permission.READ_INCIDENTS,
            Permission.READ_TIMELINES,
        }
    ),
    AccessRole.RESPONSIBLE_MEMBER: frozenset(
        {Permission.ACKNOWLEDGE, Permission.READ_INCIDENTS, Permission.READ_TIMELINES}
    ),
    AccessRole.AUTHORITY_ADMIN: frozenset({Permission.ADMINISTER}),
    AccessRole.AUDITOR: frozenset({Permission.READ_TIMELINES}),
    AccessRole.CENTRAL_TEAM: frozenset({Permission.READ_INCIDENTS, Permission.READ_TIMELINES}),
}

#: Permissions that change something; a read-only token never carries them.
WRITES = frozenset(
    {
        Permission.OPEN_INCIDENTS,
        Permission.RUN_INCIDENTS,
        Permission.ACKNOWLEDGE,
        Permission.ADMINISTER,
    }
)


class TokenScope(StrEnum):
    READ = "read"
    WRITE = "write"
