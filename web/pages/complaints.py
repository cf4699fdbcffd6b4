"""The breach register's pages: `/breaches`, the authority's register of personal-data breaches
and the data-protection complaints beside them; `/complaints/new`, recording a complaint; and
`/complaints/{id}`, one complaint with the days left to acknowledge it and the forms that
acknowledge it and give its outcome.

Reading needs `READ_INCIDENTS`; recording and the forms need `RUN_INCIDENTS`, for the reader's
own authority, as the API does. Every form is read as the API's request
(`web.api.complaint_models`) and goes through the same operations
(`web.api.complaint_operations`), so a form and the API are refused alike; each problem is
shown beside its field in the page's language, and success comes back with a banner.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from babel.dates import format_timedelta
from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from domain.access import Permission
from domain.clock import UK_TIME
from domain.complaints import ComplaintChannel, ComplaintOutcome, ComplaintStage, whole_days
from domain.vocabulary import Language
from services import complaints, reporting
from services.complaints import RecordedComplaint
from services.directory import authorities
from translations import N_, translate
from web.api.complaint_models import (
    AcknowledgementRequest,
    ComplaintRequest,
    OutcomeRequest,
    complaint_view,
)
from web.api.complaint_operations import acknowledge, give_outcome, readable_complaint, record
from web.deps import Caller, SessionDep, SettingsDep, TemporalDep
from web.i18n import in_language, page_language
from web.operations import OperationError
from web.pages.common import FormData, PageReadsIncidents, PageRunsIncidents, from_form, render
from web.pages.form_errors import FORM, FieldWords, field_errors
from web.pages.saved_banner import saved_banner, say_saved

router = APIRouter(include_in_schema=False)

#: The words each form's fields are named by.
_LABELS: dict[str, FieldWords] = {
    "received_at": FieldWords(
        N_("When it arrived (UK time)"), N_("Enter when the complaint arrived")
    ),
    "received_how": FieldWords(N_("How it arrived"), N_("Select how the complaint arrived")),
    "summary": FieldWords(N_("What the complaint is about"), N_("Enter what it is about")),
    "breach_record_id": FieldWords(N_("Breach register entry")),
    "how": FieldWords(
        N_("How the acknowledgement was sent"), N_("Select how the acknowledgement was sent")
    ),
    "acknowledged_at": FieldWords(N_("Sent at (UK time)")),
    "outcome": FieldWords(N_("Outcome"), N_("Select the outcome")),
    "reasons": FieldWords(N_("Reasons"), N_("Enter the reasons for the outcome")),
}
#: The forms on a complaint's page, by the prefix of their fields' ids.
_ACKNOWLEDGEMENT, _OUTCOME = "ack", "outcome"


def _labels(language: Language) -> dict[str, FieldWords]:
    return {
        field: FieldWords(
            translate(language, words.label),
            translate(language, words.missing) if words.missing else None,
        )
        for field, words in _LABELS.items()
    }


def _errors(invalid: ValidationError, language: Language, prefix: str = "") -> dict[str, str]:
    found = field_errors(invalid, language, _labels(language))
    return {(f"{prefix}-{field}" if prefix else field): text for field, text in found.items()}


def _values(form: dict[str, Any], prefix: str = "") -> dict[str, str]:
    return {(f"{prefix}-{key}" if prefix else key): str(value) for key, value in form.items()}


def _refused(refused: OperationError, language: Language, field: str) -> dict[str, str]:
    return {field: in_language(refused.detail, language)}


def time_left(until: timedelta, language: Language) -> str:
    """How long is left (or, negative, how long overdue), as a page says it plainly: in days
    ("30 days": any part of a day left counts, none overdue does), or in hours within the
    last day; never in weeks or months."""
    size = abs(until)
    if size >= timedelta(days=1):
        days = whole_days(size) if until > timedelta(0) else size.days
        return format_timedelta(
            timedelta(days=days), granularity="day", threshold=10**6, locale=language.value
        )
    hours = timedelta(hours=max(whole_hours(size), 1))
    return format_timedelta(hours, granularity="hour", threshold=10**6, locale=language.value)


def whole_hours(delta: timedelta) -> int:
    return int(delta / timedelta(hours=1))


def _plainly(recorded: RecordedComplaint, language: Language, now: datetime) -> str:
    """Where the complaint's acknowledgement stands, in one sentence."""
    complaint = recorded.complaint
    left = complaint.acknowledge_by - now
    if complaint.outcome is not None:
        return translate(language, "Closed: its outcome has been given.")
    if complaint.acknowledged_at is not None:
        return translate(language, "Acknowledged; its outcome is still to be given.")
    if left > timedelta(0):
        return translate(language, "%(time)s left to acknowledge it.") % {
            "time": time_left(left, language)
        }
    return translate(language, "The acknowledgement is %(time)s overdue.") % {
        "time": time_left(left, language)
    }


def _stage_classes(stage: ComplaintStage) -> str:
    return {
        ComplaintStage.AWAITING_ACKNOWLEDGEMENT: "govuk-tag--yellow",
        ComplaintStage.ACKNOWLEDGEMENT_OVERDUE: "govuk-tag--red",
        ComplaintStage.INVESTIGATING: "govuk-tag--blue",
        ComplaintStage.CLOSED: "govuk-tag--green",
    }[stage]


def _rows(
    recorded: list[RecordedComplaint], language: Language, now: datetime
) -> list[dict[str, Any]]:
    rows = []
    for one in recorded:
        view = complaint_view(one, now)
        rows.append(
            {
                "view": view,
                "breach_incident": one.breach_incident,
                "plainly": _plainly(one, language, now),
                "tag": _stage_classes(view.stage),
            }
        )
    return rows


def _can_record(caller: Caller) -> bool:
    return caller.can(Permission.RUN_INCIDENTS) and caller.authority_id is not None


# ------------------------------------------------------------------ the breach register


@router.get("/breaches")
async def breach_register(
    request: Request, caller: PageReadsIncidents, session: SessionDep
) -> Response:
    """The breach register of the authorities the reader may see: every personal-data breach
    (exercises left out), and every data-protection complaint with where it stands."""
    language, now = page_language(request), datetime.now(UTC)
    entries = await reporting.breach_register(
        authority_ids=caller.readable, include_exercises=False, session=session
    )
    recorded = await complaints.complaints_of(caller.readable, session=session)
    many = caller.readable is None or len(caller.readable) > 1
    codes = (
        {a.id: a.code for a in await authorities(authority_id=None, session=session)}
        if many
        else {}
    )
    return render(
        request,
        "breaches.html.j2",
        section="incidents",
        banner=saved_banner(request),
        entries=[
            (record, incident, codes.get(record.authority_id, "")) for record, incident in entries
        ],
        complaints=_rows(recorded, language, now),
        many=many,
        can_record=_can_record(caller),
    )


# ------------------------------------------------------------------ a new complaint


def _now_in_uk() -> str:
    """Now, as a datetime-local field shows it."""
    return datetime.now(UTC).astimezone(UK_TIME).strftime("%Y-%m-%dT%H:%M")


async def _new_page(
    request: Request,
    caller: Caller,
    session: AsyncSession,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    assert caller.authority_id is not None
    entries = await complaints.breach_entries_of(caller.authority_id, session=session)
    return render(
        request,
        "complaint_new.html.j2",
        status_code=status_code,
        section="incidents",
        values=values,
        errors=errors,
        channels=list(ComplaintChannel),
        entries=entries,
    )


def _recording(caller: Caller) -> None:
    """Only someone of an authority records its complaints (the page is theirs alone)."""
    if caller.authority_id is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such page.")


@router.get("/complaints/new")
async def new_complaint(
    request: Request, caller: PageRunsIncidents, session: SessionDep
) -> Response:
    _recording(caller)
    return await _new_page(request, caller, session, {"received_at": _now_in_uk()}, {})


@router.post("/complaints/new")
async def record_complaint(
    request: Request,
    caller: PageRunsIncidents,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    form: FormData,
) -> Response:
    _recording(caller)
    language = page_language(request)
    values = _values(form)
    try:
        complaint_in = from_form(
            ComplaintRequest, {k: v for k, v in form.items() if k != "authority"}
        )
    except ValidationError as invalid:
        return await _new_page(request, caller, session, values, _errors(invalid, language), 422)
    try:
        recorded = await record(
            complaint_in, caller=caller, session=session, temporal=temporal, settings=settings
        )
    except OperationError as refused:
        field = "breach_record_id" if refused.status_code == 422 else FORM
        errors = _refused(refused, language, field)
        return await _new_page(request, caller, session, values, errors, refused.status_code)
    say_saved(
        request,
        N_("Complaint %(reference)s has been recorded; its clock has started"),
        reference=recorded.complaint.reference,
    )
    return RedirectResponse(f"/complaints/{recorded.id}", status_code=303)


# ------------------------------------------------------------------ one complaint


def _complaint_page(
    request: Request,
    caller: Caller,
    recorded: RecordedComplaint,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    language, now = page_language(request), datetime.now(UTC)
    view = complaint_view(recorded, now)
    acts = caller.can(Permission.RUN_INCIDENTS) and caller.may_act_for(
        recorded.complaint.authority_id
    )
    return render(
        request,
        "complaint.html.j2",
        status_code=status_code,
        section="incidents",
        banner=saved_banner(request),
        complaint=recorded.complaint,
        view=view,
        authority=recorded.authority,
        breach_incident=recorded.breach_incident,
        plainly=_plainly(recorded, language, now),
        tag=_stage_classes(view.stage),
        can_acknowledge=acts and view.acknowledged_at is None and view.outcome is None,
        can_give_outcome=acts and view.outcome is None,
        channels=list(ComplaintChannel),
        outcomes=list(ComplaintOutcome),
        values=values or {},
        errors=errors or {},
    )


@router.get("/complaints/{complaint_id}")
async def complaint_page(
    request: Request, complaint_id: str, caller: PageReadsIncidents, session: SessionDep
) -> Response:
    recorded = await readable_complaint(complaint_id, caller, session)
    return _complaint_page(request, caller, recorded)


async def _send(
    request: Request,
    complaint_id: str,
    caller: Caller,
    session: AsyncSession,
    temporal: Client,
    form: dict[str, Any],
    *,
    prefix: str,
    schema: type[BaseModel],
    operation: Callable[..., Awaitable[RecordedComplaint]],
    saved: str,
) -> Response:
    """One of the complaint's forms: read as the API's request, sent to its clock, and back
    to the complaint with a banner, or with the problem beside the form."""
    recorded = await readable_complaint(complaint_id, caller, session, acting=True)
    language = page_language(request)
    values = _values(form, prefix)
    try:
        asked = from_form(schema, form)
    except ValidationError as invalid:
        errors = _errors(invalid, language, prefix)
        return _complaint_page(
            request, caller, recorded, values=values, errors=errors, status_code=422
        )
    reference, path = recorded.complaint.reference, f"/complaints/{recorded.id}"
    try:
        await operation(recorded, asked, caller=caller, session=session, temporal=temporal)
    except OperationError as refused:
        field = f"{prefix}-{'how' if prefix == _ACKNOWLEDGEMENT else 'outcome'}"
        errors = _refused(refused, language, field)
        return _complaint_page(
            request, caller, recorded, values=values, errors=errors, status_code=refused.status_code
        )
    say_saved(request, saved, reference=reference)
    return RedirectResponse(path, status_code=303)


@router.post("/complaints/{complaint_id}/acknowledgement")
async def acknowledge_complaint(
    request: Request,
    complaint_id: str,
    caller: PageRunsIncidents,
    session: SessionDep,
    temporal: TemporalDep,
    form: FormData,
) -> Response:
    return await _send(
        request,
        complaint_id,
        caller,
        session,
        temporal,
        form,
        prefix=_ACKNOWLEDGEMENT,
        schema=AcknowledgementRequest,
        operation=acknowledge,
        saved=N_("The acknowledgement of %(reference)s has been recorded"),
    )


@router.post("/complaints/{complaint_id}/outcome")
async def record_outcome(
    request: Request,
    complaint_id: str,
    caller: PageRunsIncidents,
    session: SessionDep,
    temporal: TemporalDep,
    form: FormData,
) -> Response:
    return await _send(
        request,
        complaint_id,
        caller,
        session,
        temporal,
        form,
        prefix=_OUTCOME,
        schema=OutcomeRequest,
        operation=give_outcome,
        saved=N_("The outcome of %(reference)s has been recorded; its clock has ended"),
    )
