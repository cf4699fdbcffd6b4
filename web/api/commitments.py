"""/api/authorities/{code}/commitments: where an authority stands on the Concordat's seven
commitments, and its evidence for the five that are attested.

The authority's people, and the central team and auditors granted it, read them; only the
authority's administrator and its named senior management member attest them, for their own
authority alone. Another authority, or one the caller may not read, is a 404. Each attested
commitment has its own address and its own body, so that the document says exactly what each
takes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status

from domain.commitments import EVIDENCE, Commitment, CommitmentView, Evidence, uk_day
from models import Authority
from services import commitments
from services.administration import Actor
from services.commitments import NOT_SAVED, DatesInFuture
from services.directory import authority_by_code
from services.temporal_gateway import WorkflowUnavailable
from web.api.admin import Code
from web.api.responses import COMMON
from web.deps import EditsCommitments, ReadsCommitments, SessionDep, SettingsDep, TemporalDep

router = APIRouter(prefix="/api/authorities", tags=["commitments"], responses=COMMON)

#: What each attested commitment is called in the document.
TITLES = {
    Commitment.A: "Cyber Essentials Plus",
    Commitment.B: "cyber risk considered at senior management level",
    Commitment.D: "CiSP registration",
    Commitment.E: "NCSC Active Cyber Defence tools",
    Commitment.F: "security clearance of responders (counts only, never names)",
}


def _not_found(code: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"No authority {code}.")


async def _readable_authority(
    code: Code, caller: ReadsCommitments, session: SessionDep
) -> Authority:
    """An authority the caller may read; any other is a 404, as if it did not exist."""
    authority = await authority_by_code(code, session=session)
    if authority is None or authority.id is None or not caller.may_read(authority.id):
        raise _not_found(code)
    return authority


async def _own_authority(code: Code, caller: EditsCommitments, session: SessionDep) -> Authority:
    """The caller's own authority, checked before the request is read; any other is a 404."""
    authority = await authority_by_code(code, session=session)
    if authority is None or authority.id is None or authority.id != caller.authority_id:
        raise _not_found(code)
    return authority


ReadableAuthority = Annotated[Authority, Depends(_readable_authority)]
OwnAuthority = Annotated[Authority, Depends(_own_authority)]


def _today() -> date:
    """The day it is in Wales: statuses change at midnight UK time."""
    return uk_day(datetime.now(UTC))


@router.get("/{code}/commitments", response_model=list[CommitmentView])
async def list_commitments(
    authority: ReadableAuthority, session: SessionDep, settings: SettingsDep
) -> list[CommitmentView]:
    """Each commitment, a to g, with its status today, its evidence and who attested it (c and
    g are worked out from the named members and the review year's incidents)."""
    assert authority.id is not None
    return await commitments.commitment_statuses(
        authority.id,
        session=session,
        today=_today(),
        risk_review_days=settings.risk_review_interval_days,
    )


def _attest_route(
    commitment: Commitment, schema: type[Evidence]
) -> Callable[..., Awaitable[CommitmentView]]:
    async def attest(
        evidence: Evidence,
        authority: OwnAuthority,
        caller: EditsCommitments,
        session: SessionDep,
        settings: SettingsDep,
        temporal: TemporalDep,
    ) -> CommitmentView:
        assert authority.id is not None
        day = _today()
        try:
            await commitments.attest(
                authority,
                commitment,
                evidence,
                actor=Actor(name=caller.name, user_id=caller.user_id),
                session=session,
                temporal=temporal,
                task_queue=settings.task_queue,
                base_url=settings.base_url,
                today=day,
            )
        except DatesInFuture as refused:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(refused)) from None
        except WorkflowUnavailable:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE, NOT_SAVED, headers={"Retry-After": "5"}
            ) from None
        views = await commitments.commitment_statuses(
            authority.id,
            session=session,
            today=day,
            risk_review_days=settings.risk_review_interval_days,
        )
        return next(view for view in views if view.commitment is commitment)

    # Each commitment's own body in the document (FastAPI reads the annotation).
    attest.__annotations__ = attest.__annotations__ | {"evidence": schema}
    return attest


for _commitment, _schema in EVIDENCE.items():
    router.add_api_route(
        f"/{{code}}/commitments/{_commitment.value}",
        _attest_route(_commitment, _schema),
        methods=["PUT"],
        response_model=CommitmentView,
        name=f"attest_commitment_{_commitment.value}",
        summary=f"Attest commitment {_commitment.value}: {TITLES[_commitment]}",
        description=(
            "Replace the authority's evidence for this commitment, attested by you now; the "
            "answer is its status today. Every attestation is kept in the administration "
            "history with each field before and after."
            + (
                " Saving a certificate (re)starts its reminders: 90, 30 and 7 days before it "
                "expires, to the senior management member and the central team, and on the "
                "day after it expires."
                if _commitment is Commitment.A
                else ""
            )
        ),
    )
