"""The post-incident review's forms: starting the review, its findings, its owner, its actions
(added, done, their risk accepted), its sign-off, and follow-ups after closure.

Each form is a row of `FORMS` (its path, who may send it, how its request is made, where a
refusal is shown), and one route is made for each, as `web.api.actions` makes the API's. Every
form goes through the same checks and the same process as the API
(`web.api.post_incident_operations`); a refusal is shown beside the form it is about, in the
reader's language, and success comes back to the review with a banner saying what was done.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from inspect import Parameter, Signature
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from domain.access import Permission
from domain.commitments import Commitment
from domain.post_incident import (
    AcceptActionRisk,
    CompleteAction,
    NameReviewOwner,
    SignOffReview,
    UpdateReview,
)
from domain.vocabulary import Language
from models import Incident
from runtime.settings import Settings
from services import post_incident_reviews as reviews
from translations import N_, translate
from web.api.post_incident_models import (
    ActionRequest,
    DoneRequest,
    FindingsRequest,
    FollowUpRequest,
    OwnerRequest,
    RiskRequest,
    SignOffRequest,
)
from web.api.post_incident_operations import (
    action_command,
    ask,
    before_closure,
    follow_up_command,
    owner_of,
)
from web.deps import Caller, SessionDep, SettingsDep, TemporalDep, end_reading
from web.i18n import in_language, page_language
from web.operations import OperationError
from web.pages.common import FormData, from_form, page_requires
from web.pages.form_errors import FieldWords, field_errors
from web.pages.post_incident import page_incident, show_review
from web.pages.saved_banner import say_saved
from web.rate_limits import rate_limits

router = APIRouter(include_in_schema=False)

ActionNumber = Annotated[int, Path(ge=1, le=10_000)]

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


def _review_path(incident: Incident, *parts: str) -> str:
    return "/".join((f"/incidents/{incident.id}/review", *parts))


@dataclass(frozen=True)
class _Posted:
    """One of the review's forms as it was posted, with all that answering it needs."""

    form: dict[str, Any]
    incident: Incident
    caller: Caller
    number: int | None
    """The action's number, in the forms of one action; None in the others."""
    session: AsyncSession
    settings: Settings
    temporal: Client
    language: Language


#: How a form's request is made: the update the review's process is sent, and its command.
Command = Callable[[_Posted], Awaitable[tuple[str, BaseModel]]]


@dataclass(frozen=True)
class _Form:
    """One of the review's forms: it posts to the review's path and `path`, by someone with
    `permission`, and `command` makes its request. Its fields' ids on the page are
    "<prefix>-<field>" (`{number}` in `prefix` is the action's); a refusal of the whole request
    is shown beside `field`, and success comes back to the review at `anchor`, saying `saved`."""

    name: str
    path: str
    permission: Permission
    command: Command
    prefix: str
    field: str
    saved: str
    anchor: str = ""


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


async def _act(request: Request, posted: _Posted, which: _Form) -> Response:
    """Make the request from the form, send it to the review's process, and come back to the
    review with a banner; or show the review again with what is wrong beside the form."""
    prefix = which.prefix.format(number=posted.number)
    values = {f"{prefix}-{key}": str(value) for key, value in posted.form.items()}
    try:
        update, made = await which.command(posted)
        await end_reading(posted.session)
        await ask(
            posted.incident,
            update,
            made,
            settings=posted.settings,
            temporal=posted.temporal,
            limits=rate_limits(request),
        )
    except ValidationError as invalid:
        errors, code = _errors(invalid, prefix, posted.language), 422
    except _FormProblems as problems:
        errors = {f"{prefix}-{field}": text for field, text in problems.errors.items()}
        code = 422
    except OperationError as refused:
        errors = {f"{prefix}-{which.field}": in_language(refused.detail, posted.language)}
        code = refused.status_code
    else:
        say_saved(request, which.saved)
        return RedirectResponse(_review_path(posted.incident) + which.anchor, status_code=303)
    return await show_review(
        request,
        posted.caller,
        posted.incident,
        session=posted.session,
        temporal=posted.temporal,
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


# ---------------------------------------------------------------- each form's request


async def _start(posted: _Posted) -> tuple[str, BaseModel]:
    return "start_review", reviews.start_review(posted.settings, actor=posted.caller.name)


async def _findings(posted: _Posted) -> tuple[str, BaseModel]:
    # Every field is sent: an emptied one is emptied, and the boxes are the whole set.
    form = posted.form
    findings = FindingsRequest.model_validate(
        {
            "root_cause": str(form.get("root_cause") or ""),
            "went_well": str(form.get("went_well") or ""),
            "went_badly": str(form.get("went_badly") or ""),
            "lessons": str(form.get("lessons") or ""),
            "commitments": [c.value for c in Commitment if form.get(f"commitment_{c.value}")],
        }
    )
    return "update_review", UpdateReview(**findings.model_dump(), actor=posted.caller.name)


async def _owner(posted: _Posted) -> tuple[str, BaseModel]:
    read = OwnerRequest.model_validate({"user_id": _owner_id(posted.form, "user_id")})
    owner = await owner_of(posted.incident, read.user_id, session=posted.session)
    return "name_review_owner", NameReviewOwner(owner=owner, actor=posted.caller.name)


async def _add_action(posted: _Posted) -> tuple[str, BaseModel]:
    read = _action_request(posted.form, posted.language)
    owner = await owner_of(posted.incident, read.owner_user_id, session=posted.session)
    return "add_action", action_command(read, owner, posted.caller.name)


async def _done(posted: _Posted) -> tuple[str, BaseModel]:
    assert posted.number is not None
    read = DoneRequest.model_validate({"note": str(posted.form.get("note") or "")})
    done = CompleteAction(number=posted.number, note=read.note, actor=posted.caller.name)
    return "complete_action", done


async def _accept_risk(posted: _Posted) -> tuple[str, BaseModel]:
    assert posted.number is not None
    read = RiskRequest.model_validate({"reason": str(posted.form.get("reason") or "")})
    accepted = AcceptActionRisk(number=posted.number, reason=read.reason, actor=posted.caller.name)
    return "accept_action_risk", accepted


async def _sign_off(posted: _Posted) -> tuple[str, BaseModel]:
    read = SignOffRequest.model_validate({"note": _text(posted.form, "note")})
    return "sign_off_review", SignOffReview(note=read.note, actor=posted.caller.name)


async def _follow_up(posted: _Posted) -> tuple[str, BaseModel]:
    read = from_form(FollowUpRequest, posted.form)
    if posted.incident.closed_at is None:
        raise before_closure(posted.incident, read.body)
    return "record_follow_up", follow_up_command(read, posted.caller.name)


# ---------------------------------------------------------------- the forms' routes

_REVIEWS, _SIGNS_OFF = Permission.REVIEW_INCIDENTS, Permission.SIGN_OFF_REVIEWS

#: The review's forms, each posting to /incidents/{incident_id}/review/<path>.
FORMS = (
    _Form(
        name="start_form",
        path="start",
        permission=_REVIEWS,
        command=_start,
        prefix="start",
        field="button",
        saved=N_("The post-incident review has started."),
    ),
    _Form(
        name="findings_form",
        path="findings",
        permission=_REVIEWS,
        command=_findings,
        prefix="findings",
        field="root_cause",
        saved=N_("The review's findings have been saved."),
    ),
    _Form(
        name="owner_form",
        path="owner",
        permission=_SIGNS_OFF,
        command=_owner,
        prefix="owner",
        field="user_id",
        saved=N_("The review's owner has been named and told."),
    ),
    _Form(
        name="action_form",
        path="actions",
        permission=_REVIEWS,
        command=_add_action,
        prefix="action",
        field="title",
        saved=N_("The action has been added."),
        anchor="#actions",
    ),
    _Form(
        name="done_form",
        path="actions/{number}/done",
        permission=_REVIEWS,
        command=_done,
        prefix="done-{number}",
        field="note",
        saved=N_("The action has been marked done."),
        anchor="#actions",
    ),
    _Form(
        name="risk_form",
        path="actions/{number}/accept-risk",
        permission=_SIGNS_OFF,
        command=_accept_risk,
        prefix="risk-{number}",
        field="reason",
        saved=N_("The action's risk has been accepted."),
        anchor="#actions",
    ),
    _Form(
        name="sign_off_form",
        path="sign-off",
        permission=_SIGNS_OFF,
        command=_sign_off,
        prefix="sign-off",
        field="note",
        saved=N_("The review has been signed off."),
    ),
    _Form(
        name="follow_up_form",
        path="follow-ups",
        permission=Permission.RUN_INCIDENTS,
        command=_follow_up,
        prefix="follow-up",
        field="summary",
        saved=N_("The follow-up has been recorded on the timeline."),
    ),
)


def _route(which: _Form) -> Callable[..., Awaitable[Response]]:
    async def endpoint(
        request: Request,
        incident_id: str,
        caller: Caller,
        session: AsyncSession,
        settings: Settings,
        temporal: Client,
        form: dict[str, Any],
        number: int | None = None,
    ) -> Response:
        incident = await page_incident(incident_id, caller, session, acting=True)
        language = page_language(request)
        posted = _Posted(form, incident, caller, number, session, settings, temporal, language)
        return await _act(request, posted, which)

    # FastAPI reads what a route needs from its signature: say it with this form's permission,
    # and with the action's number where its path has one.
    needs = {
        "request": Request,
        "incident_id": str,
        **({"number": ActionNumber} if "{number}" in which.path else {}),
        "caller": Annotated[Caller, Depends(page_requires(which.permission))],
        "session": SessionDep,
        "settings": SettingsDep,
        "temporal": TemporalDep,
        "form": FormData,
    }
    endpoint.__signature__ = Signature(  # type: ignore[attr-defined]
        [Parameter(name, Parameter.KEYWORD_ONLY, annotation=kind) for name, kind in needs.items()],
        return_annotation=Response,
    )
    endpoint.__name__ = endpoint.__qualname__ = which.name
    return endpoint


for _which in FORMS:
    router.add_api_route(
        f"/incidents/{{incident_id}}/review/{_which.path}",
        _route(_which),
        methods=["POST"],
        name=_which.name,
    )
