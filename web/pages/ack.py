"""Acknowledge links from emails.

Opening the link shows a page with one button; only pressing it acknowledges. Mail security
scanners open every link in a message, and an acknowledgement must mean a person saw it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from domain.commands import Acknowledge, AcknowledgementChannel
from models import Authority, Incident, ResponsibleMember
from security.ack_links import AckGrant, AckLinkSigner, ExpiredAckLink, InvalidAckLink
from web.deps import SessionDep, SettingsDep, TemporalDep
from web.operations import OperationError, live_state, run_update
from web.pages.common import render
from workflows import IncidentWorkflow

router = APIRouter(include_in_schema=False)


def _signer(settings: SettingsDep) -> AckLinkSigner:
    return AckLinkSigner(settings.signing_key(), settings.ack_link_lifetime_hours * 3600)


async def _resolve(token: str, settings: SettingsDep, session: SessionDep):  # type: ignore[no-untyped-def]
    """The grant in the link and what it names, or the sentence to show instead."""
    try:
        grant: AckGrant = _signer(settings).verify(token)
    except ExpiredAckLink:
        return (
            None,
            "This acknowledge link has expired. "
            "Ask the on-call officer to record your acknowledgement.",
        )
    except InvalidAckLink:
        return (
            None,
            "This acknowledge link is not valid. Use the link exactly as it appears in the email.",
        )
    incident = await session.get(Incident, grant.incident_id)
    member = await session.get(ResponsibleMember, grant.member_id)
    if incident is None or member is None or member.authority_id != incident.authority_id:
        return None, "This acknowledge link does not match an incident."
    authority = await session.get(Authority, incident.authority_id)
    return (incident, member, authority), None


@router.get("/ack/{token}")
async def acknowledge_page(
    request: Request, token: str, settings: SettingsDep, session: SessionDep, temporal: TemporalDep
):
    found, problem = await _resolve(token, settings, session)
    if found is None:
        return render(
            request,
            "ack.html.j2",
            status_code=410 if "expired" in problem else 400,
            problem=problem,
        )
    incident, member, authority = found
    state = await live_state(incident, temporal=temporal)
    earlier = (
        next((a for a in state.acknowledgements if a.member_id == member.id), None)
        if state
        else None
    )
    return render(
        request,
        "ack.html.j2",
        problem=None,
        incident=incident,
        member=member,
        authority=authority,
        token=token,
        done=earlier,
        closed=incident.closed_at is not None,
    )


@router.post("/ack/{token}")
async def acknowledge(
    request: Request, token: str, settings: SettingsDep, session: SessionDep, temporal: TemporalDep
):
    found, problem = await _resolve(token, settings, session)
    if found is None:
        return render(
            request,
            "ack.html.j2",
            status_code=410 if "expired" in problem else 400,
            problem=problem,
        )
    incident, member, authority = found
    command = Acknowledge(
        member_id=member.id, actor=member.name, via=AcknowledgementChannel.EMAIL_LINK
    )
    try:
        state = await run_update(incident, IncidentWorkflow.acknowledge, command, temporal=temporal)
    except OperationError as refused:
        return render(
            request,
            "ack.html.j2",
            status_code=refused.status_code,
            problem=refused.detail,
            incident=incident,
            member=member,
            authority=authority,
        )
    done = next(a for a in state.acknowledgements if a.member_id == member.id)
    return render(
        request,
        "ack.html.j2",
        problem=None,
        incident=incident,
        member=member,
        authority=authority,
        token=token,
        done=done,
        closed=False,
    )
