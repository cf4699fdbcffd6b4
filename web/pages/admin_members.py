"""The administrator's pages for the authority's named members and deputies: who holds each
role, and how to reach them when the council's own mail may be compromised (a personal
address, a telephone to ring, a mobile to text)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response

from domain.commitments import NAMED_ROLES
from domain.vocabulary import Language, MemberRole
from models import Authority, ResponsibleMember
from services import administration, commitments
from services.directory import member_holding, members_of
from services.temporal_gateway import WorkflowUnavailable
from translations import N_
from web.api.admin import MemberRequest
from web.deps import SessionDep, SettingsDep, TemporalDep
from web.pages.admin_common import (
    NOT_FOUND,
    AdminForm,
    FieldMessages,
    OwnAuthority,
    PageAdministers,
    Saved,
    actor,
    admin_path,
)
from web.pages.common import FormData, render
from web.pages.saved_banner import saved_banner, say_saved

router = APIRouter(include_in_schema=False)

MESSAGES: FieldMessages = {
    "name": (N_("Enter their full name"), N_("Enter a name of 200 characters or fewer")),
    "work_email": (
        N_("Enter their work email address"),
        N_("Enter a work email address in the correct format, like name@council.gov.uk"),
    ),
    "out_of_band_email": (
        N_("Enter a personal email address in the correct format, like name@example.com"),
        N_("Enter a personal email address in the correct format, like name@example.com"),
    ),
    "phone": (
        N_("Enter a telephone number, like 029 2087 2087 or +44 29 2087 2087"),
        N_("Enter a telephone number, like 029 2087 2087 or +44 29 2087 2087"),
    ),
    "mobile": (
        N_("Enter a UK mobile number, like 07700 900123 or +44 7700 900123"),
        N_("Enter a UK mobile number, like 07700 900123 or +44 7700 900123"),
    ),
    "language": (
        N_("Select the language they read messages in"),
        N_("Select the language they read messages in"),
    ),
}


def _role(role: str) -> MemberRole:
    try:
        return MemberRole(role)
    except ValueError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND) from None


async def _held(
    authority: Authority, role: str, session: SessionDep
) -> tuple[MemberRole, ResponsibleMember | None]:
    """The role in the address (no such role is a 404) and whoever holds it now, for the pages
    that show one role."""
    assert authority.id is not None
    member_role = _role(role)
    return member_role, await member_holding(authority.id, member_role, session=session)


def _values(member: ResponsibleMember | None) -> dict[str, str]:
    if member is None:
        return {"language": Language.UNKNOWN.value}
    return {
        "name": member.name,
        "work_email": member.work_email,
        "out_of_band_email": member.out_of_band_email or "",
        "phone": member.phone or "",
        "mobile": member.mobile or "",
        "language": member.language.value,
    }


FORM = AdminForm(MemberRequest, "admin_member.html.j2", "members", MESSAGES)


def _context(authority: Authority, role: MemberRole, *, held: bool = False) -> dict[str, Any]:
    return {
        "authority": authority,
        "role": role,
        "languages": list(Language),
        "action": admin_path(authority, "members", role.value),
        "remove": admin_path(authority, "members", role.value, "remove") if held else None,
    }


@router.get("/admin/{code}/members")
async def member_list(
    request: Request, caller: PageAdministers, authority: OwnAuthority, session: SessionDep
) -> Response:
    assert authority.id is not None
    held = {m.role: m for m in await members_of(authority.id, session=session)}
    return render(
        request,
        "admin_members.html.j2",
        section="admin",
        banner=saved_banner(request),
        authority=authority,
        members=[(role, held.get(role)) for role in MemberRole],
        base=admin_path(authority),
    )


@router.get("/admin/{code}/members/{role}")
async def member_form(
    request: Request,
    role: str,
    caller: PageAdministers,
    authority: OwnAuthority,
    session: SessionDep,
) -> Response:
    member_role, held = await _held(authority, role, session)
    return FORM.show(
        request,
        authority,
        _values(held),
        {},
        **_context(authority, member_role, held=held is not None),
    )


@router.post("/admin/{code}/members/{role}")
async def member_save(
    request: Request,
    role: str,
    caller: PageAdministers,
    authority: OwnAuthority,
    session: SessionDep,
    form: FormData,
) -> Response:
    assert authority.id is not None
    member_role = _role(role)

    async def store(member_in: MemberRequest) -> Saved:
        assert authority.id is not None
        await administration.change_member(
            authority.id, member_role, actor=actor(caller), session=session, **member_in.details()
        )
        return Saved(N_("%(name)s's details have been saved"), {"name": member_in.name})

    return await FORM.save(
        request, authority, FORM.values(form), store, **_context(authority, member_role)
    )


@router.get("/admin/{code}/members/{role}/remove")
async def remove_form(
    request: Request,
    role: str,
    caller: PageAdministers,
    authority: OwnAuthority,
    session: SessionDep,
) -> Response:
    """Asks before a role is left empty, saying what that means for commitment c."""
    member_role, held = await _held(authority, role, session)
    return render(
        request,
        "admin_member_remove.html.j2",
        section="admin",
        role=member_role,
        member=held,
        named_role=member_role in NAMED_ROLES,
        back=admin_path(authority, "members", member_role.value),
        action=admin_path(authority, "members", member_role.value, "remove"),
    )


@router.post("/admin/{code}/members/{role}/remove")
async def remove(
    request: Request,
    role: str,
    caller: PageAdministers,
    authority: OwnAuthority,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    form: FormData,
) -> Response:
    """Leave the role empty (recorded; the centre told for a role of commitment c)."""
    member_role = _role(role)
    try:
        removed = await commitments.empty_role(
            authority,
            member_role,
            actor=actor(caller),
            session=session,
            temporal=temporal,
            task_queue=settings.task_queue,
            base_url=settings.base_url,
        )
    except WorkflowUnavailable:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, commitments.NOT_SAVED) from None
    if removed is not None:
        say_saved(request, N_("%(name)s is no longer named in the role"), name=removed.name)
    return RedirectResponse(admin_path(authority, "members"), status_code=303)
