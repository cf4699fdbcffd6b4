"""Each incident's status page, its live region and the actions taken from it.

The page leads with what needs doing now (`web.pages.status_view`); each action has a page of
its own for its form, so a refusal or a mistake comes back beside the fields it is about, and
success returns to the status page with a banner saying what was done.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any, Literal, NamedTuple

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from domain.access import Permission
from domain.commands import AcknowledgementChannel
from domain.obligations import Body, PersonalDataRisk, SubmissionPhase
from domain.scorecard import scorecard
from domain.state import IncidentState
from domain.vocabulary import Language, NcscCategory
from models import Incident, ResponsibleMember
from regimes.store import regime_in_force
from services import incidents as incident_service
from services import reporting
from services.campaigns import campaigns_as_seen
from services.directory import members_of
from services.post_incident_reviews import ico_submissions
from services.temporal_gateway import incident_state
from services.timeline import timeline_of
from translations import N_, translate
from web.commands import ON_PAGES, Action, Asking, perform
from web.deps import (
    Caller,
    SessionDep,
    TemporalDep,
    readable_incident,
    refuse_without,
)
from web.i18n import in_language, page_language
from web.operations import OperationError, amend_breach, draft_response
from web.pages.common import (
    FormData,
    PageActsOnIncidents,
    PageReadsIncidents,
    PageRunsIncidents,
    form_answers,
    from_form,
    render,
)
from web.pages.form_errors import FORM, field_errors
from web.pages.status_view import (
    acknowledgeable,
    chosen_kinds,
    event_kinds,
    filtered,
    now_view,
    offered_actions,
    reportable,
    waivable,
)
from web.rate_limits import rate_limits
from web.schemas import BreachRequest

router = APIRouter(include_in_schema=False)

Kinds = Annotated[list[str], Query(alias="kind")]

#: What the banner says after each action succeeds, by the action's name in its URL.
DONE: dict[str, str] = {
    "acknowledge": N_("The acknowledgement has been recorded."),
    "note": N_("Your note has been added to the timeline."),
    "assessment": N_("The reassessment has been recorded."),
    "submission": N_("The submission has been recorded."),
    "waiver": N_("The decision not to tell the body has been recorded."),
    "contain": N_("The incident has been marked contained."),
    "recover": N_("The incident has been marked recovered."),
    "close": N_("The incident has been closed."),
    "breach": N_("The breach record has been saved."),
}

#: The words each form shows for its fields, so an error names the field as the reader sees it.
FIELD_LABELS: dict[str, dict[str, str]] = {
    "acknowledge": {"member_id": N_("Record an acknowledgement from")},
    "note": {"text": N_("Note")},
    "assessment": {
        "category": N_("Category"),
        "significant": N_("Significant"),
        "personal_data": N_("Personal data involved"),
        "personal_data_risk": N_("Risk to people"),
        "breach_aware_at": N_("Aware of the breach at (UK time)"),
        "email_compromised": N_("The council's email may be compromised"),
        "reason": N_("Reason"),
    },
    "submission": {
        "body": N_("Record a submission to"),
        "phase": N_("Phase"),
        "submitted_at": N_("Sent at (UK time)"),
        "reference": N_("Their reference"),
        "summary": N_("What was sent"),
        "late_reason": N_("Reasons for any delay"),
        "stage": N_("Stage of the report"),
        "copied_to": N_("Also sent at the same time to"),
    },
    "waiver": {"body": N_("Decide not to tell"), "reason": N_("Reason")},
    "contain": {"note": N_("Note (optional)")},
    "recover": {"note": N_("Note (optional)")},
    "close": {"summary": N_("Closing summary")},
    "breach": {
        "facts": N_("Facts"),
        "effects": N_("Effects"),
        "remedial_action": N_("Remedial action"),
        "data_subject_categories": N_("Categories of people affected"),
        "approximate_data_subjects": N_("Approximate number of people"),
        "record_categories": N_("Categories of records"),
        "approximate_records": N_("Approximate number of records"),
        "likely_consequences": N_("Likely consequences"),
    },
}

#: The field a refusal is shown beside, on each action's form.
MAIN_FIELD: dict[str, str] = {
    "acknowledge": "member_id",
    "note": "text",
    "assessment": "reason",
    "submission": "body",
    "waiver": "reason",
    "contain": "note",
    "recover": "note",
    "close": "summary",
}


def _errors(
    invalid: ValidationError, form: str, language: Language, main_field: str
) -> dict[str, str]:
    """Validation errors keyed by the ids of the form's fields ("<form>-<field>"), in the page
    language; a problem with the whole form is shown beside its main field."""
    labels = {
        field: translate(language, words) for field, words in FIELD_LABELS.get(form, {}).items()
    }
    return {
        f"{form}-{main_field if field == FORM else field}": message
        for field, message in field_errors(invalid, language, labels).items()
    }


class _Refusal(NamedTuple):
    """Why an action was not taken: the errors its form shows, the status and any headers."""

    errors: dict[str, str]
    status_code: int
    headers: dict[str, str]


async def _attempt(
    act: Callable[[], Awaitable[None]],
    form_id: str,
    main_field: str,
    language: Language,
    choice_field: str | None,
) -> _Refusal | None:
    """Take the action: nothing once it is done, else what its form shows. A choice that is not
    one of the options is shown beside `choice_field` where the form has one; a refusal from
    the incident beside the form's main field."""
    try:
        await act()
    except ValidationError as invalid:
        return _Refusal(_errors(invalid, form_id, language, main_field), 422, {})
    except ValueError:
        if choice_field is None:
            raise
        choose = translate(language, "Choose one of the options.")
        return _Refusal({f"{form_id}-{choice_field}": choose}, 422, {})
    except OperationError as refused:
        detail = in_language(refused.detail, language)
        return _Refusal({f"{form_id}-{main_field}": detail}, refused.status_code, refused.headers)
    return None


async def _act(
    act: Callable[[], Awaitable[None]],
    request: Request,
    *,
    form_id: str,
    main_field: str,
    done: str,
    page: Callable[..., Awaitable[Response]],
    choice_field: str | None = None,
) -> Response:
    """Take an action from a page's form: on to `done` once it is taken, else the `page`
    again with the answers and what was wrong with them."""
    refusal = await _attempt(act, form_id, main_field, page_language(request), choice_field)
    if refusal is None:
        return RedirectResponse(done, status_code=303)
    shown = await page(errors=refusal.errors, status_code=refusal.status_code)
    shown.headers.update(refusal.headers)
    return shown


async def _visible(
    incident_id: str, caller: Caller, session: SessionDep, *, acting: bool = False
) -> Incident:
    incident = await readable_incident(incident_id, caller, session)
    if acting and not caller.may_act_for(incident.authority_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such incident.")
    return incident


async def _live_context(
    caller: Caller,
    incident: Incident,
    session: SessionDep,
    temporal: TemporalDep,
    kinds: list[str],
) -> dict[str, Any]:
    """What the live region shows (the "now" summary and the timeline), and what the rest of
    the page needs from the same reading."""
    members = await members_of(incident.authority_id, session=session)
    state = await incident_state(incident, temporal=temporal)
    events = await timeline_of(incident.id, session=session)
    chosen = chosen_kinds(kinds)
    can_run = caller.may_act_for(incident.authority_id) and caller.can(Permission.RUN_INCIDENTS)
    can_acknowledge = caller.may_act_for(incident.authority_id) and caller.can(
        Permission.ACKNOWLEDGE
    )
    return {
        "incident": incident,
        "state": state,
        "members": members,
        "now": now_view(state, members, datetime.now(UTC)) if state else None,
        "timeline": filtered(events, chosen),
        "all_events": len(events),
        "kinds": event_kinds(events),
        "chosen_kinds": chosen,
        "offered": offered_actions(state, can_run=can_run, can_acknowledge=can_acknowledge),
        "can_run": can_run,
        "can_acknowledge": can_acknowledge,
    }


async def _status_page(
    request: Request,
    caller: Caller,
    incident: Incident,
    session: SessionDep,
    temporal: TemporalDep,
    *,
    kinds: list[str] | None = None,
    banner: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = await _live_context(caller, incident, session, temporal, kinds or [])
    state = context["state"]
    await regime_in_force(session)  # the names of bodies an import added since this started
    return render(
        request,
        "incident_status.html.j2",
        status_code=status_code,
        section="incidents",
        banner=banner,
        authority=await incident_service.authority_of(incident, session=session),
        breach=await reporting.breach_of(incident.id, session=session),
        ico_submissions=(await ico_submissions([incident.id], session=session))[incident.id]
        if incident.personal_data
        else [],
        campaigns=await campaigns_as_seen(incident, session=session),
        scorecard=scorecard(state, datetime.now(UTC)) if state and incident.exercise else None,
        errors=errors or {},
        values=values or {},
        **form_choices(state, context["members"]),
        **context,
    )


def _banner(done: str | None, language: Language) -> str | None:
    message = DONE.get(done or "")
    return translate(language, message) if message else None


@router.get("/incidents/{incident_id}")
async def incident_status(
    request: Request,
    incident_id: str,
    caller: PageReadsIncidents,
    session: SessionDep,
    temporal: TemporalDep,
    kind: Kinds = [],  # noqa: B006 - FastAPI copies a query default; it is never mutated
    done: str | None = None,
) -> Response:
    """The status page; `done` names the action that just succeeded, for its banner."""
    incident = await _visible(incident_id, caller, session)
    return await _status_page(
        request,
        caller,
        incident,
        session,
        temporal,
        kinds=kind,
        banner=_banner(done, page_language(request)),
    )


@router.get("/incidents/{incident_id}/live")
async def incident_live(
    request: Request,
    incident_id: str,
    caller: PageReadsIncidents,
    session: SessionDep,
    temporal: TemporalDep,
    kind: Kinds = [],  # noqa: B006 - FastAPI copies a query default; it is never mutated
) -> Response:
    """The status page's live region alone, for `status.js` to swap in every few seconds: the
    same checks as the page, so it shows nothing the page would not."""
    incident = await _visible(incident_id, caller, session)
    context = await _live_context(caller, incident, session, temporal, kind)
    response = render(request, "incident_status_live.html.j2", **context)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/incidents/{incident_id}/obligations/{body}/draft")
async def draft_download(
    incident_id: str,
    body: Body,
    caller: PageReadsIncidents,
    session: SessionDep,
    temporal: TemporalDep,
    format: Literal["text", "html"] = "text",
) -> Response:
    """The draft submission, for the signed-in officer to download from the status page."""
    incident = await _visible(incident_id, caller, session)
    return await draft_response(incident, body, format, session=session, temporal=temporal)


@router.post("/incidents/{incident_id}/breach")
async def breach_form(
    request: Request,
    incident_id: str,
    caller: PageRunsIncidents,
    session: SessionDep,
    temporal: TemporalDep,
    form: FormData,
) -> Response:
    """The breach register entry, edited from the status page."""
    incident = await _visible(incident_id, caller, session, acting=True)

    async def amend() -> None:
        changes = from_form(BreachRequest, form)
        await amend_breach(
            incident,
            changes.model_dump(),
            actor=caller.name,
            session=session,
            temporal=temporal,
            limits=rate_limits(request),
        )

    return await _act(
        amend,
        request,
        form_id="breach",
        main_field="facts",
        done=f"/incidents/{incident.id}?done=breach#breach",
        page=partial(
            _status_page, request, caller, incident, session, temporal, values=form_answers(form)
        ),
    )


def _chosen(caller: Caller, action: str) -> Action[Any]:
    chosen = ON_PAGES.get(action)
    refuse_without(caller, chosen.permission if chosen else Permission.RUN_INCIDENTS)
    if chosen is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such action.")
    return chosen


async def _action_page(
    request: Request,
    caller: Caller,
    incident: Incident,
    action: str,
    session: SessionDep,
    temporal: TemporalDep,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    members = await members_of(incident.authority_id, session=session)
    state = await incident_state(incident, temporal=temporal)
    return render(
        request,
        "incident_action_page.html.j2",
        status_code=status_code,
        section="incidents",
        action=action,
        incident=incident,
        state=state,
        now=now_view(state, members, datetime.now(UTC)) if state else None,
        members=members,
        errors=errors or {},
        values=values or {},
        **form_choices(state, members),
    )


def form_choices(state: IncidentState | None, members: list[ResponsibleMember]) -> dict[str, Any]:
    """The choices the action forms offer, for the status page and the action pages alike."""
    return {
        "acknowledgeable": acknowledgeable(state, members),
        "reportable": reportable(state),
        "waivable": waivable(state),
        "categories": list(NcscCategory),
        "risks": list(PersonalDataRisk),
        "phases": list(SubmissionPhase),
    }


@router.get("/incidents/{incident_id}/actions/{action}")
async def incident_action_form(
    request: Request,
    incident_id: str,
    action: str,
    caller: PageActsOnIncidents,
    session: SessionDep,
    temporal: TemporalDep,
) -> Response:
    """One action's form on a page of its own (each is also offered on the status page)."""
    _chosen(caller, action)
    incident = await _visible(incident_id, caller, session, acting=True)
    return await _action_page(request, caller, incident, action, session, temporal)


@router.post("/incidents/{incident_id}/actions/{action}")
async def incident_action(
    request: Request,
    incident_id: str,
    action: str,
    caller: PageActsOnIncidents,
    session: SessionDep,
    temporal: TemporalDep,
    form: FormData,
) -> Response:
    chosen = _chosen(caller, action)
    incident = await _visible(incident_id, caller, session, acting=True)

    async def take() -> None:
        request_in = from_form(chosen.request, form)
        named = Body(str(form.get("body") or "")) if chosen.names_body else None
        await perform(
            chosen,
            request_in,
            incident=incident,
            caller=caller,
            asking=Asking(caller.name, AcknowledgementChannel.WEB, named),
            session=session,
            temporal=temporal,
            limits=rate_limits(request),
        )

    return await _act(
        take,
        request,
        form_id=action,
        main_field=MAIN_FIELD[action],
        done=f"/incidents/{incident.id}?done={action}",
        page=partial(
            _action_page,
            request,
            caller,
            incident,
            action,
            session,
            temporal,
            values=form_answers(form),
        ),
        choice_field="body",
    )
