"""The central team's campaign pages under /wales/campaigns: the list, a new campaign, and one
campaign's incidents side by side, with the forms that link and unlink them, and that close
the campaign and reopen it.

Reading needs the national picture (`READ_NATIONAL`); changing needs `MANAGE_NATIONAL`. Every
change goes through `web.api.campaigns` as the API's do, so both are checked alike and a
refusal reads the same, in the page's language.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, status
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from domain.access import Permission
from domain.obligations import ObligationState
from domain.vocabulary import Language, Tlp
from models import Campaign
from services import campaigns as campaign_service
from services.campaigns import CampaignCreate
from translations import N_, translate
from web.api.campaigns import CampaignRequest, LinkRequest, close, link, reopen, unlink
from web.deps import Caller, SessionDep, TemporalDep, end_reading
from web.i18n import in_language, page_language
from web.operations import OperationError
from web.pages.common import (
    FormData,
    PageManagesNational,
    PageReadsNational,
    form_answers,
    from_form,
    render,
)
from web.pages.form_errors import field_errors
from web.pages.saved_banner import saved_banner, say_saved

router = APIRouter(include_in_schema=False)

CampaignId = Annotated[int, Path(gt=0, le=2**31 - 1)]
LIST = "/wales/campaigns"

#: The words each form shows for its fields, so an error names the field as the reader sees it.
LABELS = {
    "name": N_("Name"),
    "tlp": N_("Sharing marking"),
    "note": N_("Note (optional)"),
    "reference": N_("Incident reference"),
}

#: GOV.UK tag colours for a reporting clock's state, each with its words beside it.
CLOCK_TAGS: dict[ObligationState, str] = {
    ObligationState.DUE: "govuk-tag--blue",
    ObligationState.OVERDUE: "govuk-tag--red",
    ObligationState.SUBMITTED: "govuk-tag--green",
    ObligationState.WAIVED: "govuk-tag--grey",
    ObligationState.NOT_REQUIRED: "govuk-tag--grey",
}


def campaign_path(campaign: Campaign) -> str:
    return f"{LIST}/{campaign.id}"


def _errors(invalid: ValidationError, language: Language, whole_form: str) -> dict[str, str]:
    """One message per field in the page's language; a problem with the whole form (the
    campaign's name left out) beside `whole_form`."""
    labels = {field: translate(language, words) for field, words in LABELS.items()}
    errors: dict[str, str] = {}
    for item in invalid.errors():
        message = str(item["msg"]).removeprefix("Value error, ")
        field = str(item["loc"][0]) if item["loc"] else whole_form
        if " / " in message:  # the schema's own refusals are written in both languages
            errors.setdefault(field, in_language(message, language))
    for field, message in field_errors(invalid, language, labels).items():
        errors.setdefault(whole_form if field == "form" else field, message)
    return errors


async def _campaign(campaign_id: int, session: SessionDep) -> Campaign:
    campaign = await campaign_service.campaign_by_id(campaign_id, session=session)
    if campaign is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"No campaign {campaign_id}. / Dim ymgyrch {campaign_id}.",
        )
    return campaign


@router.get(LIST)
async def campaign_list(
    request: Request, caller: PageReadsNational, session: SessionDep
) -> Response:
    return render(
        request,
        "campaign_list.html.j2",
        section="national",
        banner=saved_banner(request),
        campaigns=await campaign_service.campaigns_with_counts(session=session),
        can_manage=caller.can(Permission.MANAGE_NATIONAL),
    )


def _new_form(
    request: Request, values: dict[str, str], errors: dict[str, str], status_code: int = 200
) -> Response:
    return render(
        request,
        "campaign_new.html.j2",
        status_code=status_code,
        section="national",
        values=values,
        errors=errors,
        markings=list(Tlp),
    )


@router.get(LIST + "/new")
async def new_campaign_form(request: Request, caller: PageManagesNational) -> Response:
    return _new_form(request, {"tlp": Tlp.AMBER.value}, {})


@router.post(LIST + "/new")
async def new_campaign(
    request: Request, caller: PageManagesNational, session: SessionDep, form: FormData
) -> Response:
    values = form_answers(form)
    try:
        campaign_in = from_form(CampaignRequest, values)
    except ValidationError as invalid:
        errors = _errors(invalid, page_language(request), whole_form="name")
        return _new_form(request, values, errors, status_code=422)
    campaign = await campaign_service.create_campaign(
        CampaignCreate(**campaign_in.model_dump(), created_by=caller.name), session=session
    )
    say_saved(request, N_("The campaign %(name)s has been set up"), name=campaign.name)
    return RedirectResponse(campaign_path(campaign), status_code=303)


async def _campaign_page(
    request: Request,
    caller: Caller,
    campaign: Campaign,
    session: SessionDep,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    assert campaign.id is not None
    return render(
        request,
        "campaign.html.j2",
        status_code=status_code,
        section="national",
        banner=saved_banner(request),
        campaign=campaign,
        rows=await campaign_service.campaign_rows(campaign.id, session=session),
        clock_tags=CLOCK_TAGS,
        can_manage=caller.can(Permission.MANAGE_NATIONAL),
        can_read_incidents=caller.can(Permission.READ_INCIDENTS),
        values=values or {},
        errors=errors or {},
    )


@router.get(LIST + "/{campaign_id}")
async def campaign_page(
    request: Request, campaign_id: CampaignId, caller: PageReadsNational, session: SessionDep
) -> Response:
    """The campaign's incidents side by side: authority, reference, category, stage, who is
    still to acknowledge, and each reporting clock."""
    return await _campaign_page(request, caller, await _campaign(campaign_id, session), session)


@router.post(LIST + "/{campaign_id}/incidents")
async def link_form(
    request: Request,
    campaign_id: CampaignId,
    caller: PageManagesNational,
    session: SessionDep,
    temporal: TemporalDep,
    form: FormData,
) -> Response:
    campaign = await _campaign(campaign_id, session)
    await end_reading(session)
    language = page_language(request)
    values = form_answers(form)
    try:
        link_in = from_form(LinkRequest, values)
        incident = await link(
            campaign, link_in.reference, caller=caller, session=session, temporal=temporal
        )
    except ValidationError as invalid:
        errors = _errors(invalid, language, whole_form="reference")
        return await _campaign_page(
            request, caller, campaign, session, values=values, errors=errors, status_code=422
        )
    except OperationError as refused:
        errors = {"reference": in_language(refused.detail, language)}
        return await _campaign_page(
            request,
            caller,
            campaign,
            session,
            values=values,
            errors=errors,
            status_code=refused.status_code,
        )
    say_saved(
        request, N_("%(reference)s has been linked into the campaign"), reference=incident.reference
    )
    return RedirectResponse(campaign_path(campaign), status_code=303)


@router.post(LIST + "/{campaign_id}/incidents/{incident_id}/unlink")
async def unlink_form(
    request: Request,
    campaign_id: CampaignId,
    incident_id: Annotated[str, Path(max_length=36)],
    caller: PageManagesNational,
    session: SessionDep,
    temporal: TemporalDep,
    form: FormData,
) -> Response:
    campaign = await _campaign(campaign_id, session)
    await end_reading(session)
    try:
        incident = await unlink(
            campaign, incident_id, caller=caller, session=session, temporal=temporal
        )
    except OperationError as refused:
        errors = {f"unlink-{incident_id}": in_language(refused.detail, page_language(request))}
        return await _campaign_page(
            request, caller, campaign, session, errors=errors, status_code=refused.status_code
        )
    say_saved(
        request,
        N_("%(reference)s has been taken out of the campaign"),
        reference=incident.reference,
    )
    return RedirectResponse(campaign_path(campaign), status_code=303)


@router.post(LIST + "/{campaign_id}/closure")
async def close_form(
    request: Request,
    campaign_id: CampaignId,
    caller: PageManagesNational,
    session: SessionDep,
    form: FormData,
) -> Response:
    campaign = await _campaign(campaign_id, session)
    try:
        await close(campaign, caller=caller, session=session)
    except OperationError as refused:
        errors = {"closure": in_language(refused.detail, page_language(request))}
        return await _campaign_page(
            request, caller, campaign, session, errors=errors, status_code=refused.status_code
        )
    say_saved(request, N_("The campaign %(name)s has been closed"), name=campaign.name)
    return RedirectResponse(campaign_path(campaign), status_code=303)


@router.post(LIST + "/{campaign_id}/reopening")
async def reopen_form(
    request: Request,
    campaign_id: CampaignId,
    caller: PageManagesNational,
    session: SessionDep,
    form: FormData,
) -> Response:
    campaign = await _campaign(campaign_id, session)
    try:
        await reopen(campaign, session=session)
    except OperationError as refused:
        errors = {"closure": in_language(refused.detail, page_language(request))}
        return await _campaign_page(
            request, caller, campaign, session, errors=errors, status_code=refused.status_code
        )
    say_saved(request, N_("The campaign %(name)s has been reopened"), name=campaign.name)
    return RedirectResponse(campaign_path(campaign), status_code=303)
