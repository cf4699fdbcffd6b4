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
    SUPPLIER = "supplier"
    """A supplier's own API token: sends notices of incidents at the supplier to the councils
    that have it on their register, and reads what it sent. Never a person's role."""


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
    READ_COMMITMENTS = "read_commitments"
    """The authority's Concordat commitments (a-g), their evidence and its annual reviews."""
    EDIT_COMMITMENTS = "edit_commitments"
    """Attest the authority's commitments and answer its annual review (the administrator,
    and the named senior management member)."""
    READ_NATIONAL = "read_national"
    """Every authority at once: the national picture, campaigns, performance figures and the
    all-Wales report. Held only by callers who read every authority."""
    MANAGE_NATIONAL = "manage_national"
    """The central team's own work: campaigns, the centre's alert policy, accepting or
    returning annual reviews. Never an authority's incidents."""
    APPROVE_STATEMENTS = "approve_statements"
    """Publish (or withdraw) a public statement: a named member or their deputy only."""
    REVIEW_INCIDENTS = "review_incidents"
    """Write a closed incident's post-incident review: findings, actions, actions done."""
    SIGN_OFF_REVIEWS = "sign_off_reviews"
    """Name a review's owner, accept an action's risk, sign the review off: the senior
    management member only."""
    SUBMIT_SUPPLIER_NOTICES = "submit_supplier_notices"
    """Send a notice of an incident at the supplier, and read the notices it sent: a
    supplier's own token only."""


ROLE_PERMISSIONS: dict[AccessRole, frozenset[Permission]] = {
    AccessRole.ON_CALL_OFFICER: frozenset(
        {
            Permission.OPEN_INCIDENTS,
            Permission.RUN_INCIDENTS,
            Permission.ACKNOWLEDGE,  # on behalf of a member who answered by telephone
            Permission.READ_INCIDENTS,
            Permission.READ_TIMELINES,
            Permission.READ_COMMITMENTS,
            Permission.REVIEW_INCIDENTS,
        }
    ),
    AccessRole.RESPONSIBLE_MEMBER: frozenset(
        {
            Permission.ACKNOWLEDGE,
            Permission.READ_INCIDENTS,
            Permission.READ_TIMELINES,
            Permission.READ_COMMITMENTS,
            Permission.EDIT_COMMITMENTS,  # the senior management member only (`web.deps`)
            Permission.APPROVE_STATEMENTS,  # named members and deputies only (`web.deps`)
            Permission.REVIEW_INCIDENTS,
            Permission.SIGN_OFF_REVIEWS,  # the senior management member only (`web.deps`)
        }
    ),
    AccessRole.AUTHORITY_ADMIN: frozenset(
        {Permission.ADMINISTER, Permission.READ_COMMITMENTS, Permission.EDIT_COMMITMENTS}
    ),
    AccessRole.AUDITOR: frozenset(
        {
            Permission.READ_TIMELINES,
            Permission.READ_COMMITMENTS,
            Permission.READ_NATIONAL,  # an auditor granted every authority only (`web.deps`)
        }
    ),
    AccessRole.CENTRAL_TEAM: frozenset(
        {
            Permission.READ_INCIDENTS,
            Permission.READ_TIMELINES,
            Permission.READ_COMMITMENTS,
            Permission.READ_NATIONAL,
            Permission.MANAGE_NATIONAL,
        }
    ),
    AccessRole.SUPPLIER: frozenset({Permission.SUBMIT_SUPPLIER_NOTICES}),
}

#: Permissions that change something; a read-only token never carries them.
WRITES = frozenset(
    {
        Permission.OPEN_INCIDENTS,
        Permission.RUN_INCIDENTS,
        Permission.ACKNOWLEDGE,
        Permission.ADMINISTER,
        Permission.EDIT_COMMITMENTS,
        Permission.MANAGE_NATIONAL,
        Permission.APPROVE_STATEMENTS,
        Permission.REVIEW_INCIDENTS,
        Permission.SIGN_OFF_REVIEWS,
        Permission.SUBMIT_SUPPLIER_NOTICES,
    }
)


class TokenScope(StrEnum):
    READ = "read"
    WRITE = "write"
