"""Acknowledge links from emails.

Opening the link shows a page with one button; only pressing it acknowledges. Mail security
scanners open every link in a message, and an acknowledgement must mean a person saw it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response

from domain.clock import uk_time
from domain.commands import AcknowledgementChannel
from models import Authority, Incident, ResponsibleMember
from security.ack_links import AckLinkSigner, ExpiredAckLink, InvalidAckLink
from services.ack_links import link_used, mark_link_used
from services.directory import member_by_id
from services.incidents import authority_of, get_incident
from services.temporal_gateway import incident_state
from web.commands import BY_NAME, Asking
from web.deps import SessionDep, SettingsDep, TemporalDep
from web.operations import OperationError, run_update
from web.pages.common import render
from web.schemas import AcknowledgeRequest

router = APIRouter(include_in_schema=False)


class AckLinkProblem(Exception):
    """Why a link cannot be used; the app answers with the acknowledge page saying so."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code, self.message = status_code, message


@dataclass(frozen=True)
class AckTarget:
    incident: Incident
    member: ResponsibleMember
    authority: Authority


async def _resolve(token: str, settings: SettingsDep, session: SessionDep) -> AckTarget:
    """What the link names, or the reason it cannot be used."""
    signer = AckLinkSigner(settings.signing_key(), settings.ack_link_lifetime_hours * 3600)
    try:
        grant = signer.verify(token)
    except ExpiredAckLink:
        raise AckLinkProblem(
            410,
            "This acknowledge link has expired. "
            "Ask the on-call officer to record your acknowledgement.",
        ) from None
    except InvalidAckLink:
        raise AckLinkProblem(
            400, "This acknowledge link is not valid. Use the link exactly as it is in the email."
        ) from None
    incident = await get_incident(grant.incident_id, authority_id=None, session=session)
    member = await member_by_id(grant.member_id, session=session)
    if incident is None or member is None or member.authority_id != incident.authority_id:
        raise AckLinkProblem(404, "This acknowledge link does not match an incident.")
    if not (
        grant.was_sent_to(member.work_email)
        or (member.out_of_band_email and grant.was_sent_to(member.out_of_band_email))
    ):
        raise AckLinkProblem(
            403,
            "This acknowledge link was sent to a previous holder of the role. "
            "Use the link in your own email, or ask the on-call officer.",
        )
    if incident.email_compromised and grant.was_sent_to(member.work_email):
        raise AckLinkProblem(
            403,
            "The council's email may be compromised, so links sent there no longer acknowledge. "
            "Use the link sent to your personal address, or ring the on-call officer.",
        )
    used = await link_used(token, session=session)
    if used is not None:
        raise AckLinkProblem(
            410,
            f"This acknowledge link was used on {uk_time(used.used_at)}; each link works once. "
            "Your acknowledgement is recorded on the incident's timeline.",
        )
    return AckTarget(incident, member, await authority_of(incident, session=session))


def _page(request: Request, target: AckTarget, token: str, **context: Any) -> Response:
    return render(
        request,
        "ack.html.j2",
        incident=target.incident,
        member=target.member,
        authority=target.authority,
        token=token,
        **({"problem": None, "done": None, "closed": False} | context),
    )


def link_problem_page(request: Request, problem: AckLinkProblem) -> Response:
    return render(request, "ack.html.j2", status_code=problem.status_code, problem=problem.message)


@router.get("/ack/{token}")
async def acknowledge_page(
    request: Request, token: str, settings: SettingsDep, session: SessionDep, temporal: TemporalDep
):
    target = await _resolve(token, settings, session)
    state = await incident_state(target.incident, temporal=temporal)
    earlier = (
        next((a for a in state.acknowledgements if a.member_id == target.member.id), None)
        if state
        else None
    )
    return _page(request, target, token, done=earlier, closed=target.incident.closed_at is not None)


@router.post("/ack/{token}")
async def acknowledge(
    request: Request, token: str, settings: SettingsDep, session: SessionDep, temporal: TemporalDep
):
    target = await _resolve(token, settings, session)
    assert target.member.id is not None
    # The same action as on the API and the status page, through a third door: the signed
    # link names the member, so the guard for signed-in people has nothing to check.
    acknowledging = BY_NAME["acknowledge"]
    asking = Asking(target.member.name, AcknowledgementChannel.EMAIL_LINK)
    command = acknowledging.command(AcknowledgeRequest(member_id=target.member.id), asking)
    try:
        state = await run_update(target.incident, acknowledging.update, command, temporal=temporal)
    except OperationError as refused:
        return render(
            request, "ack.html.j2", status_code=refused.status_code, problem=refused.detail
        )
    await mark_link_used(token, target.incident.id, session=session)
    done = next(a for a in state.acknowledgements if a.member_id == target.member.id)
    return _page(request, target, token, done=done)
