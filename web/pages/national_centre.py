"""/wales/centre: who at the central team is told of serious incidents, for which categories
and on which channels. The policy for the centre is this list; the central team keeps it, and
auditors granted every authority read it. The forms post through `web.api.centre`'s request, so
a page and the API refuse alike."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, status
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from domain.access import Permission
from domain.channels import Channel
from domain.vocabulary import Language, NcscCategory
from services import centre
from translations import N_, translate
from web.api.centre import CentreRecipientRequest
from web.deps import SessionDep
from web.i18n import in_language, page_language
from web.pages.common import FormData, PageManagesNational, PageReadsNational, render
from web.pages.form_errors import field_errors
from web.pages.saved_banner import saved_banner, say_saved

router = APIRouter(include_in_schema=False)

PAGE = "/wales/centre"
#: The channels a duty recipient may be told on (Teams is each authority's own).
CENTRE_CHANNELS = [Channel.EMAIL, Channel.SMS, Channel.NOTIFY_EMAIL]
#: The form's lists, sent as one value per ticked box.
LISTS = ("categories", "channels")

LABELS = {
    "name": N_("Duty post"),
    "email": N_("Email address"),
    "mobile": N_("Mobile number"),
    "language": N_("Language"),
    "categories": N_("Categories"),
    "channels": N_("Channels"),
}


def _page(
    request: Request,
    *,
    recipients: list[Any],
    can_manage: bool,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "national_centre.html.j2",
        status_code=status_code,
        section="national",
        banner=saved_banner(request),
        recipients=recipients,
        can_manage=can_manage,
        values=values,
        errors=errors,
        categories=list(NcscCategory),
        channels=CENTRE_CHANNELS,
        languages=[Language.UNKNOWN, Language.WELSH, Language.ENGLISH],
    )


#: A new recipient's form as it first shows: the national default.
DEFAULTS: dict[str, Any] = {
    "language": Language.UNKNOWN.value,
    "categories": ["1", "2", "3"],
    "channels": [Channel.EMAIL.value, Channel.SMS.value],
    "significant": "true",
}


@router.get(PAGE)
async def centre_recipients(
    request: Request, caller: PageReadsNational, session: SessionDep
) -> Response:
    return _page(
        request,
        recipients=await centre.active_recipients(session=session),
        can_manage=caller.can(Permission.MANAGE_NATIONAL),
        values=DEFAULTS,
        errors={},
    )


@router.post(PAGE)
async def add_centre_recipient(
    request: Request, caller: PageManagesNational, session: SessionDep, form: FormData
) -> Response:
    submitted = await request.form()
    values: dict[str, Any] = {k: str(v) for k, v in form.items() if k not in LISTS}
    for field in LISTS:
        values[field] = [str(v) for v in submitted.getlist(field)]
    language = page_language(request)
    try:
        wanted = CentreRecipientRequest.model_validate(
            {
                "name": values.get("name", ""),
                "email": values.get("email") or None,
                "mobile": values.get("mobile") or None,
                "language": values.get("language") or Language.UNKNOWN.value,
                "categories": [int(c) for c in values["categories"] if c.isdigit()],
                "significant": values.get("significant") == "true",
                "channels": values["channels"],
            }
        )
    except ValidationError as invalid:
        return await _refused(request, session, values, _errors(invalid, language))
    try:
        await centre.add_recipient(
            centre.RecipientDetails(
                name=wanted.name,
                email=str(wanted.email) if wanted.email else None,
                mobile=wanted.mobile,
                language=wanted.language,
                categories=wanted.categories,
                significant=wanted.significant,
                channels=wanted.channels,
            ),
            session=session,
        )
    except ValueError:  # neither an address nor a number
        message = translate(language, N_("Give an email address or a mobile number"))
        return await _refused(request, session, values, {"email": message})
    say_saved(request, N_("%(name)s will be told of serious incidents"), name=wanted.name)
    return RedirectResponse(PAGE, status_code=303)


@router.post(PAGE + "/{recipient_id}/retire")
async def retire_centre_recipient(
    request: Request,
    recipient_id: Annotated[int, Path(gt=0, le=2**31 - 1)],
    caller: PageManagesNational,
    session: SessionDep,
    form: FormData,
) -> Response:
    retired = await centre.retire_recipient(recipient_id, session=session)
    if retired is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"No duty recipient {recipient_id}. / Dim derbynnydd dyletswydd {recipient_id}.",
        )
    say_saved(request, N_("%(name)s will no longer be told"), name=retired.name)
    return RedirectResponse(PAGE, status_code=303)


async def _refused(
    request: Request, session: SessionDep, values: dict[str, Any], errors: dict[str, str]
) -> Response:
    return _page(
        request,
        recipients=await centre.active_recipients(session=session),
        can_manage=True,
        values=values,
        errors=errors,
        status_code=422,
    )


def _errors(invalid: ValidationError, language: Language) -> dict[str, str]:
    labels = {field: translate(language, words) for field, words in LABELS.items()}
    errors: dict[str, str] = {}
    for item in invalid.errors():
        message = str(item["msg"])
        field = str(item["loc"][0]) if item["loc"] else "name"
        if " / " in message:  # the request's own refusals are written in both languages
            errors.setdefault(field, in_language(message, language))
    for field, message in field_errors(invalid, language, labels).items():
        errors.setdefault("name" if field == "form" else field, message)
    return errors
