"""Opening an incident from a page: the form, the check of the answers, then the incident.

The answers travel between the form and the check page as hidden fields, not in the session:
the session is a signed cookie, and a description may be far longer than a cookie can hold.
The form's own idempotency key travels with them, so a double click on "Open the incident"
opens one incident, not two.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse

from domain.clock import UK_TIME
from domain.obligations import PersonalDataRisk
from domain.vocabulary import IncidentType, NcscCategory, Tlp
from models import Authority
from services.directory import authorities
from web.deps import Caller, SessionDep, SettingsDep, TemporalDep
from web.i18n import in_language, page_language
from web.notice_operations import incident_form_values, open_from_notice
from web.operations import OperationError, open_incident
from web.pages.common import FormData, PageOpensIncidents, form_answers, render
from web.pages.form_errors import FORM
from web.pages.incident_form_fields import (
    MOMENTS,
    PARTS,
    ReadForm,
    category_hints,
    field_words,
    read_form,
)
from web.rate_limits import rate_limits

router = APIRouter(include_in_schema=False)


async def _authorities_for(caller: Caller, session: SessionDep) -> list[Authority]:
    return await authorities(authority_id=caller.authority_id, session=session)


def _form_key(form_id: str | None) -> str | None:
    """The form's own idempotency key, if it is one this site issued (32 hex digits)."""
    return form_id if form_id and re.fullmatch(r"[0-9a-f]{32}", form_id) else None


def _first_box(read: ReadForm | None, moment: str) -> str:
    """The box of a moment a problem with it links to: its first wrong one, as GOV.UK's date
    input asks, else the day."""
    wrong = read.wrong_parts.get(moment, frozenset()) if read else frozenset()
    return f"{moment}-{next((part for part in PARTS if part in wrong), 'day')}"


def _linked(read: ReadForm | None) -> tuple[dict[str, str], dict[str, str]]:
    """The errors keyed by the element each links to, and the key of each moment's error."""
    anchors = {moment: _first_box(read, moment) for moment in MOMENTS}
    found = read.errors if read else {}
    return {anchors.get(name, name): message for name, message in found.items()}, anchors


async def _form_page(
    request: Request,
    caller: Caller,
    session: SessionDep,
    values: dict[str, str],
    *,
    read: ReadForm | None = None,
    status_code: int = 200,
) -> Response:
    language = page_language(request)
    errors, anchors = _linked(read)
    return render(
        request,
        "incident_new.html.j2",
        status_code=status_code,
        section="incidents",
        authorities=await _authorities_for(caller, session),
        values=values,
        errors=errors,
        moment_anchors=anchors,
        wrong_parts=read.wrong_parts if read else {},
        words=field_words(language),
        incident_types=list(IncidentType),
        categories=list(NcscCategory),
        category_hints=category_hints(language),
        risks=[PersonalDataRisk.RISK, PersonalDataRisk.HIGH],
        markings=list(Tlp),
        moments=MOMENTS,
        parts=PARTS,
    )


@router.get("/")
async def home() -> RedirectResponse:
    return RedirectResponse("/incidents", status_code=303)


@router.get("/incidents/new")
async def new_incident_form(
    request: Request,
    caller: PageOpensIncidents,
    session: SessionDep,
    notice: Annotated[
        str | None, Query(max_length=64, description="A supplier notice to open it from.")
    ] = None,
) -> Response:
    # The form carries its own idempotency key from its first showing to the incident. Most
    # incidents are reported as soon as they are found, so "detected" starts as now.
    now = datetime.now(UK_TIME)
    detected = {f"detected_at-{part}": str(getattr(now, part)) for part in PARTS}
    detected["detected_at-minute"] = f"{now.minute:02d}"
    values = {"form_id": uuid.uuid4().hex} | detected
    if notice:  # prefilled from a supplier's notice, which travels with the answers
        values |= await incident_form_values(notice, caller, session=session)
    return await _form_page(request, caller, session, values)


@router.post("/incidents/new")
async def check_incident(
    request: Request, caller: PageOpensIncidents, session: SessionDep, form: FormData
) -> Response:
    """The answers checked: the form again with what is wrong, or the check-answers page."""
    values = form_answers(form)
    read = read_form(values, page_language(request))
    if read.request is None:
        return await _form_page(request, caller, session, values, read=read, status_code=422)
    chosen = await _authorities_for(caller, session)
    return render(
        request,
        "incident_check.html.j2",
        section="incidents",
        values=values,
        report=read.request,
        authority=next((a for a in chosen if a.code == read.request.authority), None),
        choose_authority=len(chosen) > 1,
        words=field_words(page_language(request)),
        default_risk=PersonalDataRisk.RISK,
    )


@router.post("/incidents/new/change")
async def change_answers(
    request: Request, caller: PageOpensIncidents, session: SessionDep, form: FormData
) -> Response:
    """Back from the check page to the form, every answer kept."""
    values = form_answers(form)
    values.pop("change", None)
    return await _form_page(request, caller, session, values)


@router.get("/incidents/new/check")
async def check_page_reloaded() -> RedirectResponse:
    """The check page exists only as the answer to a filled-in form: start again."""
    return RedirectResponse("/incidents/new", status_code=303)


@router.post("/incidents/new/check")
async def submit_incident(
    request: Request,
    caller: PageOpensIncidents,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    form: FormData,
) -> Response:
    """Open the incident the checked answers report."""
    values = form_answers(form)
    read = read_form(values, page_language(request))
    if read.request is None:
        return await _form_page(request, caller, session, values, read=read, status_code=422)
    try:
        if values.get("notice_id"):
            incident, _ = await open_from_notice(
                values["notice_id"],
                read.request,
                caller=caller,
                session=session,
                temporal=temporal,
                settings=settings,
                limits=rate_limits(request),
            )
        else:
            incident, _ = await open_incident(
                read.request,
                caller=caller,
                idempotency_key=_form_key(values.get("form_id")),
                session=session,
                temporal=temporal,
                settings=settings,
                limits=rate_limits(request),
            )
    except OperationError as refused:
        read.errors = {FORM: in_language(refused.detail, page_language(request))}
        page = await _form_page(
            request, caller, session, values, read=read, status_code=refused.status_code
        )
        page.headers.update(refused.headers)
        return page
    return RedirectResponse(f"/incidents/{incident.id}", status_code=303)
