"""The administrator's pages for the authority's users: who may sign in, in which role;
adding a person and disabling one (kept for the record, never deleted)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, status
from fastapi.responses import RedirectResponse, Response

from domain.access import AccessRole
from domain.vocabulary import Language, MemberRole
from models import Authority, User
from security.passwords import WeakPassword
from services import administration
from services.users import UserExists, user_by_id, users_of
from translations import N_, translate
from web.api.admin import AUTHORITY_ROLES, UserRequest
from web.deps import SessionDep
from web.i18n import page_language
from web.pages.account_password import password_problem
from web.pages.admin_common import (
    NOT_FOUND,
    AdminForm,
    FieldMessages,
    OwnAuthority,
    PageAdministers,
    Refused,
    Saved,
    actor,
    admin_path,
)
from web.pages.common import FormData, render
from web.pages.saved_banner import saved_banner, say_saved

router = APIRouter(include_in_schema=False)

UserId = Annotated[int, Path(gt=0, le=2**31 - 1)]

MESSAGES: FieldMessages = {
    "name": (N_("Enter their full name"), N_("Enter a name of 200 characters or fewer")),
    "email": (
        N_("Enter their email address"),
        N_("Enter an email address in the correct format, like name@council.gov.uk"),
    ),
    "role": (N_("Select their role"), N_("Select their role")),
    "member_role": (
        N_("Select the role a responsible member holds"),
        N_("Select the role a responsible member holds"),
    ),
    "password": (
        N_("Enter a password for them of at least 12 characters"),
        N_("Enter a password for them of at least 12 characters"),
    ),
}


class _NewUserForm(AdminForm[UserRequest]):
    """A person the authority's administrator may add: one of the authority's roles, and a
    responsible member with the role they hold."""

    def values(self, form: Mapping[str, Any]) -> dict[str, str]:
        values = super().values(form)
        if values.get("role") != AccessRole.RESPONSIBLE_MEMBER.value:
            values.pop("member_role", None)  # only a responsible member holds one
        return values

    def read(self, values: dict[str, str], language: Language) -> UserRequest:
        user_in = super().read(values, language)
        if user_in.role not in AUTHORITY_ROLES:
            raise Refused({"role": translate(language, N_("Select their role"))})
        if user_in.role is AccessRole.RESPONSIBLE_MEMBER and user_in.member_role is None:
            raise Refused({"member_role": translate(language, MESSAGES["member_role"][0])})
        return user_in


#: The password is never sent back in a page.
FORM = _NewUserForm(UserRequest, "admin_user_new.html.j2", "users", MESSAGES, secret=("password",))


def _context(authority: Authority) -> dict[str, Any]:
    return {
        "roles": list(AUTHORITY_ROLES),
        "member_roles": list(MemberRole),
        "action": admin_path(authority, "users", "new"),
    }


@router.get("/admin/{code}/users")
async def user_list(
    request: Request, caller: PageAdministers, authority: OwnAuthority, session: SessionDep
) -> Response:
    assert authority.id is not None
    return render(
        request,
        "admin_users.html.j2",
        section="admin",
        banner=saved_banner(request),
        people=await users_of(authority.id, session=session),
        me=caller.user_id,
        base=admin_path(authority),
    )


@router.get("/admin/{code}/users/new")
async def user_form(request: Request, caller: PageAdministers, authority: OwnAuthority) -> Response:
    return FORM.show(request, authority, {}, {}, **_context(authority))


@router.post("/admin/{code}/users/new")
async def user_add(
    request: Request,
    caller: PageAdministers,
    authority: OwnAuthority,
    session: SessionDep,
    form: FormData,
) -> Response:
    assert authority.id is not None
    language = page_language(request)
    values = FORM.values(form)

    async def store(user_in: UserRequest) -> Saved:
        assert authority.id is not None
        try:
            user = await administration.add_user(
                authority.id, actor=actor(caller), session=session, **user_in.person()
            )
        except WeakPassword:
            raise Refused(
                {"password": password_problem(values.get("password", ""), language)}
            ) from None
        except UserExists:
            # Says nothing of where the address is used, as the API does not.
            message = N_("That address cannot be used for a new user")
            raise Refused({"email": translate(language, message)}) from None
        except ValueError:  # a role that needs more than the form gave
            raise Refused({"role": translate(language, N_("Select their role"))}) from None
        return Saved(N_("%(name)s has been added"), {"name": user.name})

    return await FORM.save(request, authority, values, store, **_context(authority))


async def _person(user_id: int, authority: Authority, session: SessionDep) -> User:
    """A person of this authority; anyone else's is a 404."""
    user = await user_by_id(user_id, session=session)
    if user is None or user.authority_id != authority.id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return user


@router.get("/admin/{code}/users/{user_id}/disable")
async def disable_form(
    request: Request,
    user_id: UserId,
    caller: PageAdministers,
    authority: OwnAuthority,
    session: SessionDep,
) -> Response:
    person = await _person(user_id, authority, session)
    return render(
        request,
        "admin_user_disable.html.j2",
        section="admin",
        person=person,
        yourself=person.id == caller.user_id,
        back=admin_path(authority, "users"),
        action=admin_path(authority, "users", str(user_id), "disable"),
    )


@router.post("/admin/{code}/users/{user_id}/disable")
async def disable(
    request: Request,
    user_id: UserId,
    caller: PageAdministers,
    authority: OwnAuthority,
    session: SessionDep,
    form: FormData,
) -> Response:
    assert authority.id is not None
    person = await _person(user_id, authority, session)
    if person.id == caller.user_id:
        # An authority left with no administrator could not undo it: ask another to do it.
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            "Another administrator must disable you. / Rhaid i weinyddwr arall eich analluogi.",
        )
    await administration.disable_user(
        user_id, authority_id=authority.id, actor=actor(caller), session=session
    )
    say_saved(request, N_("%(name)s has been disabled"), name=person.name)
    return RedirectResponse(admin_path(authority, "users"), status_code=303)
