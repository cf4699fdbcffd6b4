"""The council's supplier notices on the pages: the list (untriaged first, with the time left),
recording a notice an officer was told of by telephone or email, and one notice with its
triage: link it to an open incident, open an incident from it (the incident form, prefilled),
or dismiss it with a reason.

Every change goes through `services.supplier_notices` as the API's do, so a refusal reads the
same, in the page's language.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, status
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from domain.access import Permission
from domain.clock import UK_TIME
from domain.supplier_notices import NoticeChannel, NoticeContent, TriageState
from domain.vocabulary import Language
from models import Authority
from services import notice_intake, notice_reads
from services import supplier_notices as notices
from services.notice_clocks import start_clocks
from services.suppliers import Registered, suppliers_of
from translations import N_, translate
from web.deps import Caller, SessionDep, SettingsDep, TemporalDep
from web.i18n import in_language, page_language
from web.notice_operations import REFUSALS, no_notice, refusal
from web.operations import OperationError
from web.pages.common import (
    FormData,
    PageOpensIncidents,
    PageReadsIncidents,
    PageRunsIncidents,
    form_answers,
    render,
)
from web.pages.form_errors import FieldWords
from web.pages.incident_form_fields import PARTS
from web.pages.incident_form_fields import _moment as read_moment
from web.pages.saved_banner import saved_banner, say_saved

router = APIRouter(include_in_schema=False)

LIST = "/notices"
NoticeId = Annotated[str, Path(min_length=1, max_length=64)]

#: The form's fields, in the order the error summary lists them.
ORDER = ("supplier", "subject", "text", "reference", "detected_at")
DETECTED_LABEL = N_("When the supplier detected it")
SUPPLIER_MISSING = N_("Select the supplier the notice came from")
IN_THE_PAST = N_("%(label)s must be in the past")
#: Where a refusal of the whole triage (the notice triaged meanwhile) is shown.
TRIAGE = "triage"

#: GOV.UK tag colours for a copy's triage, each with its words beside it.
STATE_TAGS: dict[TriageState, str] = {
    TriageState.UNTRIAGED: "govuk-tag--red",
    TriageState.LINKED: "govuk-tag--green",
    TriageState.OPENED: "govuk-tag--green",
    TriageState.DISMISSED: "govuk-tag--grey",
}


def notice_path(notice_id: str) -> str:
    return f"{LIST}/{notice_id}"


def _form_key(form_id: str | None) -> str | None:
    """The form's own idempotency key, if it is one this site issued (32 hex digits)."""
    return form_id if form_id and re.fullmatch(r"[0-9a-f]{32}", form_id) else None


def _read(
    values: Mapping[str, str], registered: list[Registered], language: Language
) -> tuple[NoticeContent | None, Registered | None, dict[str, str]]:
    """The form as a notice and the supplier chosen, or what is wrong (by field, in order)."""
    errors: dict[str, str] = {}
    chosen = next((r for r in registered if str(r.id) == values.get("supplier", "")), None)
    if chosen is None:
        errors["supplier"] = translate(language, SUPPLIER_MISSING)
    words = FieldWords(translate(language, DETECTED_LABEL))
    moment, problem, _ = read_moment(values, "detected_at", words, language)
    if problem:
        errors["detected_at"] = problem
    content: NoticeContent | None = None
    try:
        content = NoticeContent.model_validate(
            {
                "subject": values.get("subject", ""),
                "text": values.get("text", ""),
                "reference": values.get("reference") or None,
                "detected_at": (
                    datetime.fromisoformat(moment).replace(tzinfo=UK_TIME) if moment else None
                ),
            }
        )
    except ValidationError as invalid:
        for problem_found in invalid.errors():
            field = str(problem_found["loc"][0]) if problem_found["loc"] else "subject"
            message = in_language(str(problem_found["msg"]), language)
            if field == "detected_at":  # the boxes are UK time: only the future can be wrong
                message = translate(language, IN_THE_PAST) % {"label": words.label}
            errors.setdefault(field, message)
    ordered = {field: errors[field] for field in ORDER if field in errors}
    return (content if not errors else None), chosen, ordered


def _anchored(errors: dict[str, str]) -> dict[str, str]:
    """Each error keyed by the element it links to: a moment's first box."""
    return {("detected_at-day" if k == "detected_at" else k): v for k, v in errors.items()}


@router.get(LIST)
async def notice_list(
    request: Request, caller: PageReadsIncidents, session: SessionDep
) -> Response:
    rows = await notice_reads.council_copies(caller.readable, session=session)
    return render(
        request,
        "notices.html.j2",
        section="notices",
        banner=saved_banner(request),
        rows=rows,
        several_councils=len({copy.authority.code for _, copy in rows}) > 1,
        now=datetime.now(UTC),
        tags=STATE_TAGS,
        can_record=caller.can(Permission.OPEN_INCIDENTS) and caller.authority_id is not None,
    )


async def _register(caller: Caller, session: SessionDep) -> list[Registered]:
    if caller.authority_id is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, no_notice("new"))
    return await suppliers_of(caller.authority_id, session=session)


def _new_form(
    request: Request,
    registered: list[Registered],
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "notice_new.html.j2",
        status_code=status_code,
        section="notices",
        suppliers=registered,
        values=values,
        errors=_anchored(errors),
        parts=PARTS,
        wrong=errors.get("detected_at"),
    )


@router.get(LIST + "/new")
async def new_notice_form(
    request: Request, caller: PageOpensIncidents, session: SessionDep
) -> Response:
    registered = await _register(caller, session)
    return _new_form(request, registered, {"form_id": uuid.uuid4().hex}, {})


@router.post(LIST + "/new")
async def record_notice(
    request: Request,
    caller: PageOpensIncidents,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    form: FormData,
) -> Response:
    """Record a notice the council was told of by telephone or email; its clock starts."""
    registered = await _register(caller, session)
    values = form_answers(form)
    content, chosen, errors = _read(values, registered, page_language(request))
    if content is None or chosen is None:
        return _new_form(request, registered, values, errors, status_code=422)
    authority = await session.get(Authority, caller.authority_id)
    assert authority is not None
    key = _form_key(values.get("form_id"))
    notice, created = await notice_intake.record_notice(
        content,
        supplier_name=chosen.supplier.normalised_name,
        display_name=chosen.supplier.name,
        channel=NoticeChannel.PAGE,
        councils=[notice_intake.Receiving(authority, chosen.supplier)],
        recorded_by=caller.name,
        user_id=caller.user_id,
        window_minutes=settings.notice_triage_minutes,
        idempotency_key=f"page:{key}" if key else None,
        session=session,
    )
    if created:
        await start_clocks(
            notice.id,
            session=session,
            temporal=temporal,
            task_queue=settings.task_queue,
            base_url=settings.base_url,
        )
        say_saved(
            request, N_("The notice from %(name)s has been recorded"), name=chosen.supplier.name
        )
    return RedirectResponse(notice_path(notice.id), status_code=303)


async def _notice_page(
    request: Request,
    notice_id: str,
    caller: Caller,
    session: SessionDep,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    found = await notice_reads.notice_for(notice_id, caller.readable, session=session)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, no_notice(notice_id))
    own = next((c for c in found.copies if c.authority.id == caller.authority_id), None)
    can_triage = own is not None and own.untriaged and caller.can(Permission.RUN_INCIDENTS)
    incidents = (
        await notice_reads.open_incidents_of(own.authority.id or 0, session=session)
        if own is not None and can_triage
        else []
    )
    return render(
        request,
        "notice.html.j2",
        status_code=status_code,
        section="notices",
        banner=saved_banner(request),
        notice=found.notice,
        copies=found.copies if own is None else [own],
        own=own,
        now=datetime.now(UTC),
        tags=STATE_TAGS,
        can_triage=can_triage,
        can_open=can_triage and caller.can(Permission.OPEN_INCIDENTS),
        incidents=incidents,
        path=notice_path(found.notice.id),
        values=values or {},
        errors=errors or {},
    )


@router.get(LIST + "/{notice_id}")
async def notice_page(
    request: Request, notice_id: NoticeId, caller: PageReadsIncidents, session: SessionDep
) -> Response:
    return await _notice_page(request, notice_id, caller, session)


async def _own_copy(notice_id: str, caller: Caller, session: SessionDep) -> int:
    """The caller's council, which has a copy of the notice; anyone else's is a 404."""
    if caller.authority_id is None or (
        await notices.copy_of(notice_id, caller.authority_id, session=session) is None
    ):
        raise HTTPException(status.HTTP_404_NOT_FOUND, no_notice(notice_id))
    return caller.authority_id


def _refused(error: Exception, field: str, language: Language) -> tuple[dict[str, str], int]:
    refused: OperationError = refusal(error)
    return {field: in_language(refused.detail, language)}, refused.status_code


@router.post(LIST + "/{notice_id}/link")
async def link(
    request: Request,
    notice_id: NoticeId,
    caller: PageRunsIncidents,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    form: FormData,
) -> Response:
    """Link the notice to one of the council's open incidents."""
    authority_id = await _own_copy(notice_id, caller, session)
    values = form_answers(form)
    language = page_language(request)
    chosen = values.get("incident", "").strip()
    if not chosen:
        errors = {"incident": translate(language, N_("Select the open incident to link it to"))}
        return await _notice_page(
            request, notice_id, caller, session, values=values, errors=errors, status_code=422
        )
    try:
        outcome = await notices.link_notice(
            notice_id,
            authority_id,
            chosen,
            actor=caller.name,
            user_id=caller.user_id,
            session=session,
            temporal=temporal,
            task_queue=settings.task_queue,
            base_url=settings.base_url,
        )
    except REFUSALS as failure:
        errors, code = _refused(failure, "incident", language)
        return await _notice_page(
            request, notice_id, caller, session, values=values, errors=errors, status_code=code
        )
    assert outcome.incident_id is not None
    say_saved(request, N_("The notice has been linked to %(reference)s"), reference=chosen.upper())
    return RedirectResponse(notice_path(notice_id), status_code=303)


@router.post(LIST + "/{notice_id}/dismiss")
async def dismiss(
    request: Request,
    notice_id: NoticeId,
    caller: PageRunsIncidents,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    form: FormData,
) -> Response:
    """Dismiss the notice with the reason."""
    authority_id = await _own_copy(notice_id, caller, session)
    values = form_answers(form)
    language = page_language(request)
    try:
        await notices.dismiss_notice(
            notice_id,
            authority_id,
            values.get("reason", ""),
            actor=caller.name,
            user_id=caller.user_id,
            session=session,
            temporal=temporal,
            task_queue=settings.task_queue,
            base_url=settings.base_url,
        )
    except ValidationError as invalid:
        message = str(invalid.errors()[0]["msg"]).removeprefix("Value error, ")
        errors = {"reason": in_language(message, language)}
        return await _notice_page(
            request, notice_id, caller, session, values=values, errors=errors, status_code=422
        )
    except REFUSALS as failure:
        errors, code = _refused(failure, TRIAGE, language)
        return await _notice_page(
            request, notice_id, caller, session, values=values, errors=errors, status_code=code
        )
    say_saved(request, N_("The notice has been dismissed"))
    return RedirectResponse(notice_path(notice_id), status_code=303)
