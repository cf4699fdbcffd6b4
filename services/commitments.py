"""Each authority's Concordat commitments: the evidence attested, the statuses worked out from
it on reading, and the durable messages that follow a change (the certificate's reminders, a
named role left empty).

A change and its record in the administration history are saved in one transaction; a change
that must tell people starts its workflow inside that transaction, so that either both happen
or neither does (Temporal unreachable: nothing is saved, and the caller says to try again).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import structlog
from pydantic import ValidationError
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from domain.commitments import (
    EVIDENCE,
    NAMED_ROLES,
    CertificateReminders,
    Commitment,
    CommitmentStatus,
    CommitmentView,
    CyberEssentialsPlus,
    Evidence,
    RoleEmptied,
    SignificantIncident,
    attested_status,
    future_dates,
    named_members_status,
    ncsc_reporting_status,
    review_year_label,
    review_year_of,
    review_year_span,
)
from domain.obligations import Body
from domain.vocabulary import Language, MemberRole, NcscCategory
from models import (
    AdministrationChange,
    Authority,
    CommitmentEvidence,
    Incident,
    ObligationRecord,
    ResponsibleMember,
)
from runtime.settings import get_settings
from services import directory
from services.administration import MEMBER_FIELDS, Actor, difference
from services.temporal_gateway import WorkflowUnavailable
from workflows import CertificateRemindersWorkflow, RoleEmptiedWorkflow

log = structlog.get_logger(__name__)


#: What the API and the pages say when a change could not start the workflow it needs.
NOT_SAVED = (
    "The workflow service is unavailable, so nothing was saved; try again. / "
    "Nid yw'r gwasanaeth llif gwaith ar gael, felly ni chadwyd dim; rhowch gynnig arall arni."
)


#: How long a start may take. The change waits, uncommitted, for it: on SQLite that holds the
#: database's one write lock, so an unreachable server must not hold it for long.
START_TIMEOUT = timedelta(seconds=5)


class DatesInFuture(ValueError):
    """Evidence that says something happened on a day still to come: the fields, by name."""

    def __init__(self, fields: list[str]) -> None:
        super().__init__(
            ", ".join(fields) + " must not be in the future / "
            "ni ddylai " + ", ".join(fields) + " fod yn y dyfodol"
        )
        self.fields = fields


# --- Reading ----------------------------------------------------------------------------------


def read_evidence(row: CommitmentEvidence) -> Evidence | None:
    """The stored evidence as its commitment's structure; None (and a warning) should a row
    no longer read as it, rather than a status page that fails for everyone."""
    try:
        return EVIDENCE[row.commitment].model_validate(row.evidence)
    except (KeyError, ValidationError):
        log.warning(
            "commitment_evidence_unreadable",
            authority_id=row.authority_id,
            commitment=row.commitment.value,
        )
        return None


async def evidence_of(
    authority_id: int, commitment: Commitment, *, session: AsyncSession
) -> CommitmentEvidence | None:
    return await session.get(CommitmentEvidence, (authority_id, commitment))


async def commitment_statuses(
    authority_id: int,
    *,
    session: AsyncSession,
    today: date,
    risk_review_days: int | None = None,
) -> list[CommitmentView]:
    """Where the authority stands on each of the seven commitments, a to g, on `today`.
    `risk_review_days` is commitment b's interval (by default the deployment's setting)."""
    found = await _statuses([authority_id], session, today, risk_review_days)
    return found[authority_id]


async def all_authorities_statuses(
    *, session: AsyncSession, today: date, risk_review_days: int | None = None
) -> dict[int, list[CommitmentView]]:
    """Every authority's commitments, a to g, by authority id: four queries whatever the
    number of authorities."""
    return await _statuses(None, session, today, risk_review_days)


async def _statuses(
    authority_ids: list[int] | None,
    session: AsyncSession,
    today: date,
    risk_review_days: int | None,
) -> dict[int, list[CommitmentView]]:
    interval = risk_review_days or get_settings().risk_review_interval_days
    if authority_ids is None:
        authority_ids = list((await session.exec(select(Authority.id))).all())  # type: ignore[arg-type]
    evidence = await _evidence_rows(authority_ids, session)
    named = await _named_members(authority_ids, session)
    incidents = await _significant_incidents(authority_ids, review_year_of(today), session)
    year = review_year_of(today)
    views: dict[int, list[CommitmentView]] = {}
    for authority_id in authority_ids:
        views[authority_id] = [
            _attested_view(commitment, evidence.get((authority_id, commitment)), today, interval)
            if commitment in EVIDENCE
            else _named_view(named[authority_id])
            if commitment is Commitment.C
            else _reporting_view(incidents[authority_id], year, today)
            for commitment in Commitment
        ]
    return views


async def _evidence_rows(
    authority_ids: list[int], session: AsyncSession
) -> dict[tuple[int, Commitment], CommitmentEvidence]:
    rows = await session.exec(
        select(CommitmentEvidence).where(col(CommitmentEvidence.authority_id).in_(authority_ids))
    )
    return {(row.authority_id, row.commitment): row for row in rows}


async def _named_members(
    authority_ids: list[int], session: AsyncSession
) -> dict[int, dict[MemberRole, str | None]]:
    named: dict[int, dict[MemberRole, str | None]] = defaultdict(
        lambda: dict.fromkeys(NAMED_ROLES, None)
    )
    rows = await session.exec(
        select(ResponsibleMember).where(
            col(ResponsibleMember.authority_id).in_(authority_ids),
            col(ResponsibleMember.role).in_(NAMED_ROLES),
        )
    )
    for member in rows:
        named[member.authority_id][member.role] = member.name
    return named


async def _significant_incidents(
    authority_ids: list[int], year: int, session: AsyncSession
) -> dict[int, list[SignificantIncident]]:
    """The review year's incidents that commitment g says the NCSC must be told of, with
    their NCSC obligation (if any), by authority."""
    start, end = review_year_span(year)
    rows = await session.exec(
        select(Incident, ObligationRecord)
        .outerjoin(
            ObligationRecord,
            (col(ObligationRecord.incident_id) == Incident.id)
            & (col(ObligationRecord.body) == Body.NCSC),
        )
        .where(
            col(Incident.authority_id).in_(authority_ids),
            col(Incident.exercise).is_(False),
            col(Incident.aware_at) >= start.astimezone(UTC),
            col(Incident.aware_at) < end.astimezone(UTC),
            or_(
                col(Incident.category) <= NcscCategory.SIGNIFICANT,
                col(Incident.significant).is_(True),
            ),
        )
        .order_by(col(Incident.aware_at), col(Incident.year), col(Incident.number))
    )
    found: dict[int, list[SignificantIncident]] = defaultdict(list)
    for incident, obligation in rows:
        found[incident.authority_id].append(
            SignificantIncident(
                incident_id=incident.id,
                reference=incident.reference,
                category=incident.category,
                significant=incident.significant,
                aware_at=incident.aware_at,
                ncsc_state=obligation.state if obligation else None,
                deadline=obligation.deadline if obligation else None,
                submitted_at=obligation.submitted_at if obligation else None,
                late=obligation.late if obligation else False,
            )
        )
    return found


def _attested_view(
    commitment: Commitment, row: CommitmentEvidence | None, today: date, interval: int
) -> CommitmentView:
    evidence = read_evidence(row) if row is not None else None
    return CommitmentView(
        commitment=commitment,
        status=attested_status(commitment, evidence, today, risk_review_days=interval),
        evidence=evidence.model_dump(mode="json") if evidence is not None else {},
        attested_by=row.attested_by if row is not None and evidence is not None else None,
        attested_at=row.attested_at if row is not None and evidence is not None else None,
    )


def _named_view(named: dict[MemberRole, str | None]) -> CommitmentView:
    return CommitmentView(
        commitment=Commitment.C,
        status=named_members_status(named),
        evidence={role.value: named.get(role) for role in NAMED_ROLES},
    )


def _reporting_view(incidents: list[SignificantIncident], year: int, today: date) -> CommitmentView:
    return CommitmentView(
        commitment=Commitment.G,
        status=ncsc_reporting_status(incidents, today),
        evidence={
            "review_year": year,
            "review_year_label": review_year_label(year),
            "incidents": [
                {
                    "incident_id": incident.incident_id,
                    "reference": incident.reference,
                    "category": int(incident.category),
                    "significant": incident.significant,
                    "aware_at": incident.aware_at.isoformat(),
                    "deadline": incident.deadline.isoformat() if incident.deadline else None,
                    "submitted_at": (
                        incident.submitted_at.isoformat() if incident.submitted_at else None
                    ),
                    "ncsc_state": incident.ncsc_state.value if incident.ncsc_state else None,
                    "outcome": incident.outcome(today),
                }
                for incident in incidents
            ],
        },
    )


def status_of(views: list[CommitmentView], commitment: Commitment) -> CommitmentStatus:
    return next(view.status for view in views if view.commitment is commitment)


# --- Attesting --------------------------------------------------------------------------------


async def attest(
    authority: Authority,
    commitment: Commitment,
    evidence: Evidence,
    *,
    actor: Actor,
    session: AsyncSession,
    temporal: Client,
    task_queue: str,
    today: date,
    base_url: str = "",
) -> CommitmentEvidence:
    """Save the authority's evidence for an attested commitment, as attested by `actor` now,
    with its record in the administration history (every field before and after). Evidence
    for commitment a (re)starts the certificate's reminders, with its dates, in the same
    transaction. Raises DatesInFuture for a day still to come where one that has passed is
    meant, and WorkflowUnavailable (nothing saved) when the reminders cannot be started."""
    assert authority.id is not None
    if not isinstance(evidence, EVIDENCE[commitment]):
        raise TypeError(f"commitment {commitment.value} takes {EVIDENCE[commitment].__name__}")
    later = future_dates(evidence, today)
    if later:
        raise DatesInFuture(later)
    row = await evidence_of(authority.id, commitment, session=session)
    before = dict(row.evidence) if row is not None else {}
    before_at = row.attested_at.isoformat() if row is not None else None
    after = evidence.model_dump(mode="json")
    row = row or CommitmentEvidence(
        authority_id=authority.id, commitment=commitment, attested_by=actor.name
    )
    row.evidence = after
    row.attested_by, row.attested_by_user_id = actor.name[:200], actor.user_id
    row.attested_at = datetime.now(UTC)
    session.add(row)
    session.add(
        AdministrationChange(
            authority_id=authority.id,
            actor_user_id=actor.user_id,
            actor=actor.name[:200],
            subject=f"commitment:{commitment.value}",
            # Attesting again with nothing changed still says "true as of today".
            changes=difference(before, after)
            | {"attested_at": [before_at, row.attested_at.isoformat()]},
        )
    )
    await session.flush()
    if isinstance(evidence, CyberEssentialsPlus):
        await _start_or_give_up(
            session,
            start_certificate_reminders(
                authority.code,
                evidence,
                temporal=temporal,
                task_queue=task_queue,
                commitments_url=commitments_url(base_url, authority.code, Commitment.A),
            ),
        )
    await session.commit()
    log.info("commitment_attested", authority=authority.code, commitment=commitment.value)
    return row


async def _start_or_give_up(session: AsyncSession, starting: Awaitable[None]) -> None:
    """Start a workflow for the change being saved; if it cannot be started, save nothing."""
    try:
        await starting
    except WorkflowUnavailable:
        await session.rollback()
        raise


def commitments_url(base_url: str, authority_code: str, commitment: Commitment) -> str | None:
    """A commitment's page, for a message to link to; None without the site's address."""
    if not base_url:
        return None
    return f"{base_url.rstrip('/')}/commitments/{authority_code.upper()}/{commitment.value}"


def certificate_workflow_id(authority_code: str) -> str:
    """One reminders workflow per authority: a new certificate replaces the old one's."""
    return f"certificate-reminders-{authority_code.upper()}"


async def start_certificate_reminders(
    authority_code: str,
    certificate: CyberEssentialsPlus,
    *,
    temporal: Client,
    task_queue: str,
    commitments_url: str | None = None,
) -> None:
    """Start the authority's certificate reminders with these dates, ending the run for any
    earlier certificate (whose reminders were for dates no longer true)."""
    try:
        await temporal.start_workflow(
            CertificateRemindersWorkflow.run,
            CertificateReminders(
                authority_code=authority_code.upper(),
                certificate_number=certificate.certificate_number,
                expires_on=certificate.expires_on,
                commitments_url=commitments_url,
            ),
            id=certificate_workflow_id(authority_code),
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.TERMINATE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            rpc_timeout=START_TIMEOUT,
        )
    except Exception as error:  # unreachable, timed out, refused: nothing is started
        log.warning(
            "certificate_reminders_not_started",
            authority=authority_code,
            error=type(error).__name__,
        )
        raise WorkflowUnavailable(type(error).__name__) from error


# --- Emptying a named role --------------------------------------------------------------------


def role_emptied_workflow_id(authority_code: str, role: MemberRole, change_id: int) -> str:
    """From the change that emptied the role: telling of it is started once per change."""
    return f"role-emptied-{authority_code.upper()}-{role.value}-{change_id}"


async def empty_role(
    authority: Authority,
    role: MemberRole,
    *,
    actor: Actor,
    session: AsyncSession,
    temporal: Client,
    task_queue: str,
    base_url: str = "",
) -> ResponsibleMember | None:
    """Leave a role empty (`directory.remove_member`), recording who held it in the
    administration history; None when nobody did. Emptying a role of commitment c makes it
    "not met" at once, and tells the central team and the other named member through a
    durable workflow started in the same transaction: WorkflowUnavailable (nothing saved)
    when it cannot be."""
    assert authority.id is not None
    removed = await directory.remove_member(authority.id, role, session=session, commit=False)
    if removed is None:
        return None
    before = {field: _plain(getattr(removed, field)) for field in MEMBER_FIELDS}
    change = AdministrationChange(
        authority_id=authority.id,
        actor_user_id=actor.user_id,
        actor=actor.name[:200],
        subject=f"member:{role.value}",
        changes=difference(before, dict.fromkeys(MEMBER_FIELDS)),
    )
    session.add(change)
    await session.flush()
    if role in NAMED_ROLES:
        assert change.id is not None
        await _start_or_give_up(
            session,
            _tell_role_emptied(
                RoleEmptied(
                    authority_code=authority.code,
                    role=role,
                    change_id=change.id,
                    commitments_url=commitments_url(base_url, authority.code, Commitment.C),
                ),
                temporal=temporal,
                task_queue=task_queue,
            ),
        )
    await session.commit()
    log.info("member_role_emptied", authority=authority.code, role=role.value)
    return removed


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, MemberRole | Language) else value


async def _tell_role_emptied(emptied: RoleEmptied, *, temporal: Client, task_queue: str) -> None:
    try:
        await temporal.start_workflow(
            RoleEmptiedWorkflow.run,
            emptied,
            id=role_emptied_workflow_id(emptied.authority_code, emptied.role, emptied.change_id),
            task_queue=task_queue,
            # A retried start joins the one already telling of this change.
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            rpc_timeout=START_TIMEOUT,
        )
    except Exception as error:  # unreachable, timed out, refused: nothing is started
        log.warning(
            "role_emptied_not_started",
            authority=emptied.authority_code,
            role=emptied.role.value,
            error=type(error).__name__,
        )
        raise WorkflowUnavailable(type(error).__name__) from error
