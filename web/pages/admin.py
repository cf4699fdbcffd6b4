"""The administration pages of an authority's administrator: an overview, and the pages for
members, the escalation policy, reporting rules, users and the history of changes.

Every page works on the administrator's own authority only: the authority's code is in each
address so that another authority's pages are a 404 (`admin_common.OwnAuthority`), never a
page of this one. Every change goes through `services.administration`, as the API's do, so
both are checked and recorded alike."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import Response

from domain.vocabulary import MemberRole
from services.administration import changes_of
from services.directory import authority_by_id, effective_policy, effective_rules, members_of
from services.users import users_of
from web.deps import SessionDep
from web.i18n import page_language
from web.pages import admin_changes, admin_members, admin_policy, admin_reporting, admin_users
from web.pages.admin_common import NOT_FOUND, PageAdministers, admin_path, authority_name
from web.pages.common import render

router = APIRouter(include_in_schema=False)
for part in (admin_members, admin_policy, admin_reporting, admin_users, admin_changes):
    router.include_router(part.router)


@router.get("/admin")
async def overview(request: Request, caller: PageAdministers, session: SessionDep) -> Response:
    authority = (
        await authority_by_id(caller.authority_id, session=session)
        if caller.authority_id is not None
        else None
    )
    if authority is None or authority.id is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    people = await users_of(authority.id, session=session)
    latest = await changes_of(authority.id, limit=1, session=session)
    rules = await effective_rules(authority.id, session=session)
    return render(
        request,
        "admin.html.j2",
        section="admin",
        name=authority_name(authority, page_language(request)),
        base=admin_path(authority),
        named=len(await members_of(authority.id, session=session)),
        roles=len(MemberRole),
        policy=await effective_policy(authority.id, session=session),
        applying=sum(1 for rule in rules.values() if rule.enabled),
        bodies=len(rules),
        active=sum(1 for person in people if person.disabled_at is None),
        latest=latest[0] if latest else None,
    )
