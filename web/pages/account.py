"""A signed-in person's own account: who they are, their page language, their password and
their API tokens. Anyone signed in may use it, for themselves only."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from domain.vocabulary import Language
from services.directory import authority_by_id
from translations import N_, PAGE_LANGUAGES, translate
from web.deps import SessionDep
from web.i18n import chosen, page_language
from web.pages import account_password, account_tokens
from web.pages.account_common import own_user
from web.pages.common import AnyPageCaller, FormData, render
from web.pages.saved_banner import saved_banner, say_saved
from web.pages.session import keep_language

router = APIRouter(include_in_schema=False)
router.include_router(account_password.router)
router.include_router(account_tokens.router)


@router.get("/account")
async def account(request: Request, caller: AnyPageCaller, session: SessionDep) -> Response:
    user = await own_user(caller, session)
    authority = (
        await authority_by_id(user.authority_id, session=session) if user.authority_id else None
    )
    language = page_language(request)
    return render(
        request,
        "account.html.j2",
        section="account",
        banner=saved_banner(request),
        user=user,
        authority=(
            (authority.name_cy if language is Language.WELSH else authority.name_en)
            if authority
            else None
        ),
        page_language=language,
    )


def _language_form(request: Request, errors: dict[str, str], status_code: int = 200) -> Response:
    return render(
        request,
        "account_language.html.j2",
        status_code=status_code,
        section="account",
        errors=errors,
        languages=list(PAGE_LANGUAGES),
        current=page_language(request),
    )


@router.get("/account/language")
async def language_form(request: Request, caller: AnyPageCaller) -> Response:
    return _language_form(request, {})


@router.post("/account/language")
async def language_save(
    request: Request, caller: AnyPageCaller, session: SessionDep, form: FormData
) -> Response:
    """Kept as the person's own preference (their pages, and every later sign-in, follow it),
    in this session, and in this browser, as the language switch on every page keeps it."""
    language = chosen(form.get("language"))
    if language is None or caller.user_id is None:
        message = translate(page_language(request), N_("Select the language for your pages"))
        return _language_form(request, {"language": message}, status_code=422)
    response = RedirectResponse("/account", status_code=303)
    await keep_language(request, response, language, caller.user_id, session=session)
    say_saved(request, N_("Your language has been saved"))
    return response
