"""Acknowledge links from emails.

Opening the link shows a page with one button; only pressing it acknowledges. Mail security
scanners open every link in a message, and an acknowledgement must mean a person saw it.

The page is in the member's recorded language (Welsh when it is unknown), unless this browser
chose the other: the member has no account, so the link itself says who is reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response

from domain.commands import AcknowledgementChannel
from domain.vocabulary import Language
from models import Authority, Incident, ResponsibleMember, UsedAckLink
from security.ack_links import AckLinkSigner, ExpiredAckLink, InvalidAckLink
from services.ack_links import link_used, mark_link_used
from services.directory import member_by_id
from services.incidents import authority_of, get_incident
from services.temporal_gateway import incident_state
from translations import N_
from web.commands import BY_NAME, Asking
from web.deps import SessionDep, SettingsDep, TemporalDep
from web.i18n import in_language, page_language
from web.operations import OperationError, run_update
from web.pages.common import render
from web.schemas import AcknowledgeRequest

router = APIRouter(include_in_schema=False)

#: Why a link cannot be used, each an English message the page shows in the reader's language.
EXPIRED = N_(
    "This acknowledge link has expired. Ask the on-call officer to record your acknowledgement."
)
NOT_VALID = N_("This acknowledge link is not valid. Use the link exactly as it is in the email.")
NO_INCIDENT = N_("This acknowledge link does not match an incident.")
PREVIOUS_HOLDER = N_(
    "This acknowledge link was sent to a previous holder of the role. "
    "Use the link in your own email, or ask the on-call officer."
)
COMPROMISED = N_(
    "The council's email may be compromised, so links sent there no longer acknowledge. "
    "Use the link sent to your personal address, or ring the on-call officer."
)


class AckLinkProblem(Exception):
    """Why a link cannot be used; the app answers with the acknowledge page saying so.

    `message` is an English message marked for translation; `language` is the member's own,
    where the link named one."""

    def __init__(self, status_code: int, message: str, language: Language | None = None) -> None:
        super().__init__(message)
        self.status_code, self.message, self.language = status_code, message, language


@dataclass(frozen=True)
class AckTarget:
    incident: Incident
    member: ResponsibleMember
    authority: Authority
    used: UsedAckLink | None
    """When this link was pressed, if it was: each link acknowledges once."""


async def _resolve(token: str, settings: SettingsDep, session: SessionDep) -> AckTarget:
    """What the link names, or the reason it cannot be used."""
    signer = AckLinkSigner(settings.signing_key(), settings.ack_link_lifetime_hours * 3600)
    try:
        grant = signer.verify(token)
    except ExpiredAckLink:
        raise AckLinkProblem(410, EXPIRED) from None
    except InvalidAckLink:
        raise AckLinkProblem(400, NOT_VALID) from None
    incident = await get_incident(grant.incident_id, authority_id=None, session=session)
    member = await member_by_id(grant.member_id, session=session)
    if incident is None or member is None or member.authority_id != incident.authority_id:
        raise AckLinkProblem(404, NO_INCIDENT)
    if not (
        grant.was_sent_to(member.work_email)
        or (member.out_of_band_email and grant.was_sent_to(member.out_of_band_email))
    ):
        raise AckLinkProblem(403, PREVIOUS_HOLDER, member.language)
    if incident.email_compromised and grant.was_sent_to(member.work_email):
        raise AckLinkProblem(403, COMPROMISED, member.language)
    used = await link_used(token, session=session)
    return AckTarget(incident, member, await authority_of(incident, session=session), used)


def _page(
    request: Request, target: AckTarget, token: str, status_code: int = 200, **context: Any
) -> Response:
    defaults: dict[str, Any] = {
        "problem": None,
        "done": None,
        "earlier": None,
        "used": target.used,
        "closed": False,
    }
    return render(
        request,
        "ack.html.j2",
        status_code,
        language=target.member.language,
        incident=target.incident,
        member=target.member,
        authority=target.authority,
        token=token,
        **(defaults | context),
    )


def link_problem_page(request: Request, problem: AckLinkProblem) -> Response:
    return render(
        request,
        "ack_problem.html.j2",
        status_code=problem.status_code,
        language=problem.language,
        problem=problem.message,
    )


@router.get("/ack/{token}")
async def acknowledge_page(
    request: Request, token: str, settings: SettingsDep, session: SessionDep, temporal: TemporalDep
):
    target = await _resolve(token, settings, session)
    if target.used is not None:
        # Nothing went wrong: the acknowledgement made with this link stands.
        return _page(request, target, token)
    state = await incident_state(target.incident, temporal=temporal)
    earlier = (
        next((a for a in state.acknowledgements if a.member_id == target.member.id), None)
        if state
        else None
    )
    closed = target.incident.closed_at is not None
    return _page(request, target, token, earlier=earlier, closed=closed)


@router.post("/ack/{token}")
async def acknowledge(
    request: Request, token: str, settings: SettingsDep, session: SessionDep, temporal: TemporalDep
):
    target = await _resolve(token, settings, session)
    if target.used is not None:
        return _page(request, target, token)  # a second press, or the browser sending it again
    assert target.member.id is not None
    # The same action as on the API and the status page, through a third door: the signed
    # link names the member, so the guard for signed-in people has nothing to check.
    acknowledging = BY_NAME["acknowledge"]
    asking = Asking(target.member.name, AcknowledgementChannel.EMAIL_LINK)
    command = acknowledging.command(AcknowledgeRequest(member_id=target.member.id), asking)
    try:
        state = await run_update(target.incident, acknowledging.update, command, temporal=temporal)
    except OperationError as refused:
        language = page_language(request, target.member.language)
        problem = in_language(refused.detail, language)
        return _page(request, target, token, refused.status_code, problem=problem)
    await mark_link_used(token, target.incident.id, session=session)
    done = next(a for a in state.acknowledgements if a.member_id == target.member.id)
    return _page(request, target, token, done=done)
