"""Changing one's own password: the current one first, the same strength rules as everywhere
(`security.passwords`), and every other session ended, since one of them may be why."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from domain.vocabulary import Language
from security.passwords import MAX_LENGTH, MIN_LENGTH, WeakPassword
from services.users import WrongPassword, change_password
from translations import N_, translate
from web.deps import SessionDep
from web.i18n import in_language, page_language
from web.pages.account_common import own_user
from web.pages.common import AnyPageCaller, FormData, render, start_session
from web.pages.saved_banner import say_saved
from web.rate_limits import TooFast, password_turn, settle_password

router = APIRouter(include_in_schema=False)


def password_problem(password: str, language: Language) -> str:
    """What is wrong with a password `security.passwords.check_strength` refused, in the page's
    language."""
    if len(password) < MIN_LENGTH:
        return translate(language, N_("Enter a password of at least 12 characters"))
    if len(password) > MAX_LENGTH:
        return translate(language, N_("Enter a password of 200 characters or fewer"))
    return translate(
        language, N_("Enter a password with more different characters, like a few unrelated words")
    )


def _form(request: Request, errors: dict[str, str], status_code: int = 200) -> Response:
    return render(
        request,
        "account_password.html.j2",
        status_code=status_code,
        section="account",
        errors=errors,
    )


@router.get("/account/password")
async def password_form(request: Request, caller: AnyPageCaller) -> Response:
    return _form(request, {})


@router.post("/account/password")
async def password_save(
    request: Request, caller: AnyPageCaller, session: SessionDep, form: FormData
) -> Response:
    user = await own_user(caller, session, end_read=True)
    language = page_language(request)
    current = str(form.get("current_password", ""))
    new = str(form.get("new_password", ""))
    errors: dict[str, str] = {}
    if not current:
        errors["current_password"] = translate(language, N_("Enter your current password"))
    if not new:
        errors["new_password"] = translate(language, N_("Enter a new password"))
    elif new != str(form.get("confirm_password", "")):
        errors["confirm_password"] = translate(language, N_("Enter the same new password twice"))
    if errors:
        return _form(request, errors, status_code=422)
    # The current password is guessed here no faster than at sign-in: the same turns.
    try:
        turn = await password_turn(request, user.email)
    except TooFast as refused:
        page = _form(
            request,
            {"current_password": in_language(refused.message, language)},
            status_code=429,
        )
        page.headers.update(refused.headers)
        return page
    try:
        user = await change_password(user, current, new, session=session)
    except WrongPassword:
        await settle_password(request, turn, right=False)
        message = translate(language, N_("Your current password is not right"))
        return _form(request, {"current_password": message}, status_code=401)
    except WeakPassword:
        await settle_password(request, turn, right=True)
        problem = (
            translate(language, N_("Enter a new password that is not your current one"))
            if new == current
            else password_problem(new, language)
        )
        return _form(request, {"new_password": problem}, status_code=422)
    await settle_password(request, turn, right=True)
    # Every session ended with the change; this one goes on as a fresh one.
    start_session(request, user)
    say_saved(
        request, N_("Your password has been changed. You have been signed out everywhere else.")
    )
    return RedirectResponse("/account", status_code=303)
