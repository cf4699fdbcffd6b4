"""/wales/notices: every supplier notice once, with each council's triage of it, for the central
team (and an auditor granted every authority); one notice's page, and the central team's "Start
a campaign", which makes a campaign of the notice and links into it every incident a council
linked the notice to or opened from it (and each one linked or opened later).

The campaign form is the campaigns' own request (`web.api.campaigns.CampaignRequest`), so it is
checked and refused alike, in the page's language.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, status
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from domain.access import Permission
from domain.vocabulary import Language, Tlp
from services import notice_reads
from services import supplier_notices as notices
from services.campaigns import CampaignCreate
from translations import N_, translate
from web.api.campaigns import CampaignRequest
from web.deps import SessionDep, TemporalDep
from web.i18n import in_language, page_language
from web.notice_operations import REFUSALS, incident_title, no_notice, refusal
from web.pages.common import (
    FormData,
    PageManagesNational,
    PageReadsNational,
    form_answers,
    from_form,
    render,
)
from web.pages.form_errors import field_errors
from web.pages.notices import STATE_TAGS
from web.pages.saved_banner import saved_banner, say_saved

router = APIRouter(include_in_schema=False)

LIST = "/wales/notices"
NoticeId = Annotated[str, Path(min_length=1, max_length=64)]

#: The campaign form's fields as the reader sees them, for its errors.
LABELS = {"name": N_("Name"), "tlp": N_("Sharing marking"), "note": N_("Note (optional)")}


def _errors(invalid: ValidationError, language: Language) -> dict[str, str]:
    """One message per field in the page's language (the campaign's own refusals are written in
    both languages)."""
    errors: dict[str, str] = {}
    for item in invalid.errors():
        message = str(item["msg"]).removeprefix("Value error, ")
        field = str(item["loc"][0]) if item["loc"] else "name"
        if " / " in message:
            errors.setdefault(field, in_language(message, language))
    labels = {field: translate(language, words) for field, words in LABELS.items()}
    for field, message in field_errors(invalid, language, labels).items():
        errors.setdefault("name" if field == "form" else field, message)
    return errors


@router.get(LIST)
async def national_notices(
    request: Request, caller: PageReadsNational, session: SessionDep
) -> Response:
    return render(
        request,
        "national_notices.html.j2",
        section="national",
        found=await notice_reads.national_notices(session=session),
        tags=STATE_TAGS,
    )


async def _notice_page(
    request: Request,
    notice_id: str,
    can_manage: bool,
    session: SessionDep,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    found = await notice_reads.notice_for(notice_id, None, session=session)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, no_notice(notice_id))
    notice = found.notice
    return render(
        request,
        "national_notice.html.j2",
        status_code=status_code,
        section="national",
        banner=saved_banner(request),
        notice=notice,
        copies=found.copies,
        tags=STATE_TAGS,
        can_manage=can_manage and notice.campaign_id is None,
        markings=list(Tlp),
        values=values
        or {
            "name": incident_title(notice.supplier_display_name, notice.subject),
            "tlp": Tlp.AMBER.value,
        },
        errors=errors or {},
    )


@router.get(LIST + "/{notice_id}")
async def national_notice(
    request: Request, notice_id: NoticeId, caller: PageReadsNational, session: SessionDep
) -> Response:
    return await _notice_page(request, notice_id, caller.can(Permission.MANAGE_NATIONAL), session)


@router.post(LIST + "/{notice_id}/campaign")
async def start_campaign(
    request: Request,
    notice_id: NoticeId,
    caller: PageManagesNational,
    session: SessionDep,
    temporal: TemporalDep,
    form: FormData,
) -> Response:
    """Make a campaign of the notice, then show the campaign."""
    values = form_answers(form)
    language = page_language(request)
    try:
        campaign_in = from_form(CampaignRequest, values)
    except ValidationError as invalid:
        return await _notice_page(
            request,
            notice_id,
            True,
            session,
            values=values,
            errors=_errors(invalid, language),
            status_code=422,
        )
    try:
        campaign, _, not_linked = await notices.start_campaign(
            notice_id,
            CampaignCreate(**campaign_in.model_dump(), created_by=caller.name),
            session=session,
            temporal=temporal,
        )
    except REFUSALS as failure:
        refused = refusal(failure)
        if refused.status_code == status.HTTP_404_NOT_FOUND:
            raise HTTPException(refused.status_code, refused.detail) from None
        return await _notice_page(
            request,
            notice_id,
            True,
            session,
            values=values,
            errors={"name": in_language(refused.detail, language)},
            status_code=refused.status_code,
        )
    if not_linked:
        say_saved(
            request,
            N_("The campaign %(name)s has been set up; link %(references)s by hand"),
            name=campaign.name,
            references=", ".join(not_linked),
        )
    else:
        say_saved(request, N_("The campaign %(name)s has been set up"), name=campaign.name)
    return RedirectResponse(f"/wales/campaigns/{campaign.id}", status_code=303)
