"""The post-incident review pages: a closed incident's review (its key moments, findings,
actions and sign-off, and follow-ups after closure), its report as a page and ready to print,
an authority's lessons list, and the central team's lessons across Wales.

Every form goes through the same checks and the same process as the API
(`web.api.post_incident`); a refusal is shown beside the form it is about, in the reader's
language, and success comes back to the review with a banner saying what was done.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from babel.dates import format_date
from fastapi import APIRouter, Depends, HTTPException, Path, Request, status
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from domain.access import Permission
from domain.commitments import Commitment
from domain.obligations import Body
from domain.post_incident import (
    AcceptActionRisk,
    CompleteAction,
    NameReviewOwner,
    SignOffReview,
    UpdateReview,
)
from domain.vocabulary import Language
from models import Authority, Incident, User
from notifications.labels import COMMITMENT_NAMES, label
from services import post_incident_reviews as reviews
from services.incidents import authority_of
from translations import N_, translate
from web.api.admin import Code
from web.api.post_incident import (
    ActionRequest,
    DoneRequest,
    FindingsRequest,
    FollowUpRequest,
    OwnerRequest,
    ReviewView,
    RiskRequest,
    SignOffRequest,
    action_command,
    ask,
    authority_lessons,
    before_closure,
    current_review,
    follow_up_command,
    owner_of,
    readable_authority,
)
from web.deps import Caller, SessionDep, SettingsDep, TemporalDep, end_reading, readable_incident
from web.i18n import in_language, page_language, time_span
from web.operations import OperationError
from web.pages.common import (
    FormData,
    PageReadsIncidents,
    PageReadsNational,
    from_form,
    page_requires,
    render,
)
from web.pages.form_errors import FieldWords, field_errors
from web.pages.saved_banner import saved_banner, say_saved
from web.rate_limits import rate_limits

router = APIRouter(include_in_schema=False)

PageReviews = Annotated[Caller, Depends(page_requires(Permission.REVIEW_INCIDENTS))]
PageSignsOff = Annotated[Caller, Depends(page_requires(Permission.SIGN_OFF_REVIEWS))]
PageRunsIncidents = Annotated[Caller, Depends(page_requires(Permission.RUN_INCIDENTS))]
ActionNumber = Annotated[int, Path(ge=1, le=10_000)]

_LOCALES = {Language.ENGLISH: "en_GB", Language.WELSH: "cy"}

#: Each key moment of the incident, in words.
MOMENT_WORDS: dict[str, str] = {
    "detected": N_("Detected"),
    "aware": N_("The council became aware"),
    "opened": N_("Opened in Concordat"),
    "acknowledged": N_("First acknowledged"),
    "told": N_("Reported to %(body)s"),
    "follow_up": N_("Follow-up sent to %(body)s"),
    "contained": N_("Contained"),
    "recovered": N_("Services recovered"),
    "closed": N_("Closed"),
}

#: How each review status reads as a tag.
STATUS_COLOURS = {
    "not_started": "govuk-tag--grey",
    "open": "govuk-tag--blue",
    "signed_off": "govuk-tag--green",
}
ACTION_COLOURS = {
    "open": "govuk-tag--blue",
    "done": "govuk-tag--green",
    "risk_accepted": "govuk-tag--yellow",
}

#: The words every form's fields are named by (ids on the page are "<form>-<field>").
_LABELS: dict[str, FieldWords] = {
    "root_cause": FieldWords(N_("Root cause")),
    "went_well": FieldWords(N_("What went well")),
    "went_badly": FieldWords(N_("What did not go well")),
    "lessons": FieldWords(N_("Lessons")),
    "commitments": FieldWords(N_("Concordat commitments it touched")),
    "user_id": FieldWords(N_("Owner")),
    "owner_user_id": FieldWords(N_("Owner")),
    "title": FieldWords(N_("Action"), N_("Enter what is to be done")),
    "due_on": FieldWords(N_("Due by"), N_("Enter the day it is due")),
    "note": FieldWords(N_("What was done"), N_("Enter what was done")),
    "reason": FieldWords(N_("Reason"), N_("Enter why the risk is accepted")),
    "body": FieldWords(N_("Body")),
    "summary": FieldWords(N_("What the follow-up told them"), N_("Enter what was sent")),
    "reference": FieldWords(N_("Their reference")),
    "submitted_at": FieldWords(N_("Sent at (UK time)")),
}


def day_of(day: date | None, language: Language) -> str:
    """A day as the pages say it: "Monday 4 January 2027", "Dydd Llun 4 Ionawr 2027"."""
    if day is None:
        return ""
    return format_date(day, "EEEE d MMMM y", locale=_LOCALES[language])


def _owner_items(owners: list[User], language: Language) -> Callable[[str], list[dict[str, Any]]]:
    """The choices of owner for a select: the senior management member, then the authority's
    people; `chosen` is the value sent (a user's id, or empty)."""

    def items(chosen: str) -> list[dict[str, Any]]:
        first = {"value": "", "text": translate(language, SENIOR_WORDS), "selected": not chosen}
        return [first] + [
            {"value": str(user.id), "text": user.name, "selected": chosen == str(user.id)}
            for user in owners
        ]

    return items


SENIOR_WORDS = N_("The senior management member")


def _words(language: Language) -> dict[str, Any]:
    """What the review's templates need to say things in the reader's language."""
    return {
        "day_of": lambda day: day_of(day, language),
        "after_detection": lambda seconds: time_span(timedelta(seconds=seconds), language),
        "commitment_title": lambda letter: COMMITMENT_NAMES[language][Commitment(letter)],
        "commitments": [c.value for c in Commitment],
        "status_colours": STATUS_COLOURS,
        "action_colours": ACTION_COLOURS,
        "moment_words": lambda moment: (
            translate(language, MOMENT_WORDS[moment.what])
            % {"body": label(moment.body, language) if moment.body else ""}
        ),
    }


def _review_path(incident: Incident, *parts: str) -> str:
    return "/".join((f"/incidents/{incident.id}/review", *parts))


async def _incident(
    incident_id: str, caller: Caller, session: SessionDep, *, acting: bool = False
) -> Incident:
    """An incident the caller may read (and, `acting`, act for); any other is a 404."""
    incident = await readable_incident(incident_id, caller, session)
    if acting and not caller.may_act_for(incident.authority_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such incident.")
    return incident


def _may(caller: Caller, incident: Incident, permission: Permission) -> bool:
    return caller.may_act_for(incident.authority_id) and caller.can(permission)


def _open_actions(review: ReviewView) -> list[str]:
    """The actions that stop the review being signed off, by number."""
    return [str(action.number) for action in review.actions if action.state == "open"]


async def _show(
    request: Request,
    caller: Caller,
    incident: Incident,
    *,
    session: SessionDep,
    temporal: TemporalDep,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
    template: str = "post_incident.html.j2",
) -> Response:
    language = page_language(request)
    authority = await authority_of(incident, session=session)
    owners = await reviews.possible_owners(incident.authority_id, session=session)
    review = await current_review(incident, session=session, temporal=temporal)
    is_open = review.status == "open"
    return render(
        request,
        template,
        status_code=status_code,
        section="national" if caller.authority_id is None else "incidents",
        banner=saved_banner(request),
        incident=incident,
        authority=authority,
        authority_name=authority.name_cy if language is Language.WELSH else authority.name_en,
        review=review,
        owner_items=_owner_items(owners, language),
        bodies=list(Body),
        open_actions=_open_actions(review),
        can_start=review.status == "not_started"
        and incident.closed_at is not None
        and _may(caller, incident, Permission.REVIEW_INCIDENTS),
        can_review=is_open and _may(caller, incident, Permission.REVIEW_INCIDENTS),
        can_sign_off=is_open and _may(caller, incident, Permission.SIGN_OFF_REVIEWS),
        can_follow_up=incident.closed_at is not None
        and _may(caller, incident, Permission.RUN_INCIDENTS),
        can_read_lessons=caller.may_read(incident.authority_id),
        errors=errors or {},
        values=values or {},
        **_words(language),
    )


@router.get("/incidents/{incident_id}/review")
async def review_page(
    request: Request,
    incident_id: str,
    caller: PageReadsIncidents,
    session: SessionDep,
    temporal: TemporalDep,
) -> Response:
    incident = await _incident(incident_id, caller, session)
    return await _show(request, caller, incident, session=session, temporal=temporal)


@router.get("/incidents/{incident_id}/review/report")
async def review_report(
    request: Request,
    incident_id: str,
    caller: PageReadsIncidents,
    session: SessionDep,
    temporal: TemporalDep,
) -> Response:
    """The review as a report, in the reader's language (the switch gives the other)."""
    incident = await _incident(incident_id, caller, session)
    return await _show(
        request,
        caller,
        incident,
        session=session,
        temporal=temporal,
        template="post_incident_report.html.j2",
    )


@router.get("/incidents/{incident_id}/review/report/print")
async def review_report_print(
    request: Request,
    incident_id: str,
    caller: PageReadsIncidents,
    session: SessionDep,
    temporal: TemporalDep,
) -> Response:
    """The report ready to print: A4, no navigation."""
    incident = await _incident(incident_id, caller, session)
    return await _show(
        request,
        caller,
        incident,
        session=session,
        temporal=temporal,
        template="post_incident_report_print.html.j2",
    )


# ---------------------------------------------------------------- the review's forms


@dataclass(frozen=True)
class _Form:
    """One of the review's forms: its fields' ids on the page are "<prefix>-<field>"; a
    refusal of the whole request is shown beside `field`."""

    prefix: str
    field: str
    saved: str
    anchor: str


Command = Callable[[], Awaitable[tuple[str, BaseModel]]]


class _FormProblems(Exception):
    """Problems with a form's fields, already worded in the page's language, by field name."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


def _errors(invalid: ValidationError, prefix: str, language: Language) -> dict[str, str]:
    labels = {
        name: FieldWords(
            translate(language, words.label),
            translate(language, words.missing) if words.missing else None,
        )
        for name, words in _LABELS.items()
    }
    return {
        f"{prefix}-{field}": message
        for field, message in field_errors(invalid, language, labels).items()
    }


async def _act(
    request: Request,
    caller: Caller,
    incident: Incident,
    form: dict[str, Any],
    which: _Form,
    command: Command,
    *,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
) -> Response:
    """Make the request from the form, send it to the review's process, and come back to the
    review with a banner; or show the review again with what is wrong beside the form."""
    language = page_language(request)
    values = {f"{which.prefix}-{key}": str(value) for key, value in form.items()}
    try:
        update, made = await command()
        await end_reading(session)
        await ask(
            incident,
            update,
            made,
            settings=settings,
            temporal=temporal,
            limits=rate_limits(request),
        )
    except ValidationError as invalid:
        errors, code = _errors(invalid, which.prefix, language), 422
    except _FormProblems as problems:
        errors = {f"{which.prefix}-{field}": text for field, text in problems.errors.items()}
        code = 422
    except OperationError as refused:
        errors = {f"{which.prefix}-{which.field}": in_language(refused.detail, language)}
        code = refused.status_code
    else:
        say_saved(request, which.saved)
        return RedirectResponse(_review_path(incident) + which.anchor, status_code=303)
    return await _show(
        request,
        caller,
        incident,
        session=session,
        temporal=temporal,
        errors=errors,
        values=values,
        status_code=code,
    )


def _text(form: dict[str, Any], name: str) -> str | None:
    value = str(form.get(name) or "").strip()
    return value or None


def _action_request(form: dict[str, Any], language: Language) -> ActionRequest:
    """The add-action form as the API's request; every field's problem at once, a day that is
    not one said in the page's language (pydantic's own words for it are English)."""
    text = str(form.get("due_on") or "").strip()
    try:
        due_on: date | None = date.fromisoformat(text) if text else None
        bad_day = False
    except ValueError:
        due_on, bad_day = None, True
    errors: dict[str, str] = {}
    try:
        read = ActionRequest.model_validate(
            {
                "title": str(form.get("title") or ""),
                "due_on": due_on,
                "owner_user_id": _owner_id(form, "owner_user_id"),
            }
        )
    except ValidationError as invalid:
        errors = {
            key.removeprefix("action-"): value
            for key, value in _errors(invalid, "action", language).items()
        }
    if bad_day:
        errors["due_on"] = translate(language, N_("Due by must be a real date, like 2027-01-31"))
    if errors:
        raise _FormProblems(errors)
    return read


def _owner_id(form: dict[str, Any], name: str) -> int | str | None:
    text = str(form.get(name) or "").strip()
    return int(text) if text.isdigit() and len(text) < 12 else (text or None)


@router.post("/incidents/{incident_id}/review/start")
async def start_form(
    request: Request,
    incident_id: str,
    caller: PageReviews,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    form: FormData,
) -> Response:
    incident = await _incident(incident_id, caller, session, acting=True)

    async def command() -> tuple[str, BaseModel]:
        return "start_review", reviews.start_review(settings, actor=caller.name)

    which = _Form("start", "button", N_("The post-incident review has started."), "")
    return await _act(
        request,
        caller,
        incident,
        form,
        which,
        command,
        session=session,
        settings=settings,
        temporal=temporal,
    )


@router.post("/incidents/{incident_id}/review/findings")
async def findings_form(
    request: Request,
    incident_id: str,
    caller: PageReviews,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    form: FormData,
) -> Response:
    incident = await _incident(incident_id, caller, session, acting=True)

    async def command() -> tuple[str, BaseModel]:
        # Every field is sent: an emptied one is emptied, and the boxes are the whole set.
        findings = FindingsRequest.model_validate(
            {
                "root_cause": str(form.get("root_cause") or ""),
                "went_well": str(form.get("went_well") or ""),
                "went_badly": str(form.get("went_badly") or ""),
                "lessons": str(form.get("lessons") or ""),
                "commitments": [c.value for c in Commitment if form.get(f"commitment_{c.value}")],
            }
        )
        return "update_review", UpdateReview(**findings.model_dump(), actor=caller.name)

    which = _Form("findings", "root_cause", N_("The review's findings have been saved."), "")
    return await _act(
        request,
        caller,
        incident,
        form,
        which,
        command,
        session=session,
        settings=settings,
        temporal=temporal,
    )


@router.post("/incidents/{incident_id}/review/owner")
async def owner_form(
    request: Request,
    incident_id: str,
    caller: PageSignsOff,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    form: FormData,
) -> Response:
    incident = await _incident(incident_id, caller, session, acting=True)

    async def command() -> tuple[str, BaseModel]:
        read = OwnerRequest.model_validate({"user_id": _owner_id(form, "user_id")})
        owner = await owner_of(incident, read.user_id, session=session)
        return "name_review_owner", NameReviewOwner(owner=owner, actor=caller.name)

    which = _Form("owner", "user_id", N_("The review's owner has been named and told."), "")
    return await _act(
        request,
        caller,
        incident,
        form,
        which,
        command,
        session=session,
        settings=settings,
        temporal=temporal,
    )


@router.post("/incidents/{incident_id}/review/actions")
async def action_form(
    request: Request,
    incident_id: str,
    caller: PageReviews,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    form: FormData,
) -> Response:
    incident = await _incident(incident_id, caller, session, acting=True)
    language = page_language(request)

    async def command() -> tuple[str, BaseModel]:
        read = _action_request(form, language)
        owner = await owner_of(incident, read.owner_user_id, session=session)
        return "add_action", action_command(read, owner, caller.name)

    which = _Form("action", "title", N_("The action has been added."), "#actions")
    return await _act(
        request,
        caller,
        incident,
        form,
        which,
        command,
        session=session,
        settings=settings,
        temporal=temporal,
    )


@router.post("/incidents/{incident_id}/review/actions/{number}/done")
async def done_form(
    request: Request,
    incident_id: str,
    number: ActionNumber,
    caller: PageReviews,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    form: FormData,
) -> Response:
    incident = await _incident(incident_id, caller, session, acting=True)

    async def command() -> tuple[str, BaseModel]:
        read = DoneRequest.model_validate({"note": str(form.get("note") or "")})
        return "complete_action", CompleteAction(number=number, note=read.note, actor=caller.name)

    which = _Form(f"done-{number}", "note", N_("The action has been marked done."), "#actions")
    return await _act(
        request,
        caller,
        incident,
        form,
        which,
        command,
        session=session,
        settings=settings,
        temporal=temporal,
    )


@router.post("/incidents/{incident_id}/review/actions/{number}/accept-risk")
async def risk_form(
    request: Request,
    incident_id: str,
    number: ActionNumber,
    caller: PageSignsOff,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    form: FormData,
) -> Response:
    incident = await _incident(incident_id, caller, session, acting=True)

    async def command() -> tuple[str, BaseModel]:
        read = RiskRequest.model_validate({"reason": str(form.get("reason") or "")})
        return "accept_action_risk", AcceptActionRisk(
            number=number, reason=read.reason, actor=caller.name
        )

    which = _Form(
        f"risk-{number}", "reason", N_("The action's risk has been accepted."), "#actions"
    )
    return await _act(
        request,
        caller,
        incident,
        form,
        which,
        command,
        session=session,
        settings=settings,
        temporal=temporal,
    )


@router.post("/incidents/{incident_id}/review/sign-off")
async def sign_off_form(
    request: Request,
    incident_id: str,
    caller: PageSignsOff,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    form: FormData,
) -> Response:
    incident = await _incident(incident_id, caller, session, acting=True)

    async def command() -> tuple[str, BaseModel]:
        read = SignOffRequest.model_validate({"note": _text(form, "note")})
        return "sign_off_review", SignOffReview(note=read.note, actor=caller.name)

    which = _Form("sign-off", "note", N_("The review has been signed off."), "")
    return await _act(
        request,
        caller,
        incident,
        form,
        which,
        command,
        session=session,
        settings=settings,
        temporal=temporal,
    )


@router.post("/incidents/{incident_id}/review/follow-ups")
async def follow_up_form(
    request: Request,
    incident_id: str,
    caller: PageRunsIncidents,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    form: FormData,
) -> Response:
    incident = await _incident(incident_id, caller, session, acting=True)

    async def command() -> tuple[str, BaseModel]:
        read = from_form(FollowUpRequest, form)
        if incident.closed_at is None:
            raise before_closure(incident, read.body)
        return "record_follow_up", follow_up_command(read, caller.name)

    which = _Form(
        "follow-up", "summary", N_("The follow-up has been recorded on the timeline."), ""
    )
    return await _act(
        request,
        caller,
        incident,
        form,
        which,
        command,
        session=session,
        settings=settings,
        temporal=temporal,
    )


# ---------------------------------------------------------------- lessons


@router.get("/lessons/{code}")
async def lessons_page(
    request: Request, code: Code, caller: PageReadsIncidents, session: SessionDep
) -> Response:
    """The authority's lessons list and its actions' figures."""
    language = page_language(request)
    authority = await readable_authority(code, caller, session)
    found, figures = await authority_lessons(authority, session=session)
    return render(
        request,
        "lessons.html.j2",
        section="national" if caller.authority_id is None else "incidents",
        authority=authority,
        authority_name=_name(authority, language),
        lessons=found,
        figures=figures,
        **_words(language),
    )


def _name(authority: Authority, language: Language) -> str:
    return authority.name_cy if language is Language.WELSH else authority.name_en


@router.get("/wales/lessons")
async def national_lessons_page(
    request: Request, caller: PageReadsNational, session: SessionDep
) -> Response:
    """Every authority's lessons and actions' figures, for the central team."""
    language = page_language(request)
    lines, wales = await reviews.national_lessons(session=session)
    lines.sort(key=lambda line: _name(line.authority, language).casefold())
    return render(
        request,
        "lessons_wales.html.j2",
        section="national",
        lines=lines,
        wales=wales,
        lessons=[lesson for line in lines for lesson in line.lessons],
        name_of=lambda authority: _name(authority, language),
        lesson_authority=lambda lesson: (
            lesson.authority_name_cy if language is Language.WELSH else lesson.authority_name_en
        ),
        **_words(language),
    )
