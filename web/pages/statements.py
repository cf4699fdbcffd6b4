"""The council's statement pages: an incident's statements, and one statement's draft in Welsh
and English side by side (Welsh first) with its published versions.

Drafting needs `RUN_INCIDENTS`; publishing and withdrawing need `APPROVE_STATEMENTS` (a named
member or their deputy); reading needs `READ_INCIDENTS`. Every change goes through
`web.api.statement_operations` as the API's do, so both are checked alike, and each form posts,
then redirects back with a banner (a refusal comes back beside the form, in the page's
language). What residents see, `/public/{code}`, is `web.pages.public`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request, status
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from domain.access import Permission
from domain.statements import ServiceStatus, StatementContent
from domain.vocabulary import Language, Tlp
from models import Incident, PublicStatement
from notifications.labels import label
from runtime.settings import Settings
from services import statements as statement_service
from services.directory import authority_by_id
from services.statements import DraftService, StatementDraft
from translations import N_, translate
from web.api.statement_models import PublishRequest, StatementRequest, WithdrawRequest
from web.api.statement_operations import create, publish, statement_about, withdraw
from web.deps import Caller, SessionDep, SettingsDep, TemporalDep, readable_incident
from web.i18n import in_language, page_language
from web.operations import OperationError
from web.pages.common import (
    FormData,
    PageReadsIncidents,
    PageRunsIncidents,
    page_requires,
    render,
)
from web.pages.form_errors import field_errors
from web.pages.saved_banner import saved_banner, say_saved
from web.rate_limits import RateLimits, rate_limits

router = APIRouter(include_in_schema=False)

PageApprovesStatements = Annotated[Caller, Depends(page_requires(Permission.APPROVE_STATEMENTS))]
StatementId = Annotated[int, Path(gt=0, le=2**31 - 1)]
Limits = Annotated[RateLimits, Depends(rate_limits)]

#: The words each form shows for its fields, so an error names the field as the reader sees it.
LABELS = {
    "title_cy": N_("Title in Welsh"),
    "title_en": N_("Title in English"),
    "text_cy": N_("Text in Welsh"),
    "text_en": N_("Text in English"),
    "tlp": N_("Sharing marking of the statement"),
    "services": N_("Services affected"),
    "reason": N_("Why it is withdrawn"),
}

_SERVICE_FIELD = re.compile(
    r"^services-(\d{1,2})-(name_cy|name_en|status|alternative_cy|alternative_en)$"
)
_SERVICE_TEXTS = ("name_cy", "name_en", "alternative_cy", "alternative_en")
_DRAFT_FIELDS = ("title_cy", "title_en", "text_cy", "text_en")


def _list_path(incident: Incident) -> str:
    return f"/incidents/{incident.id}/statements"


def _statement_path(incident: Incident, statement_id: int) -> str:
    return f"{_list_path(incident)}/{statement_id}"


async def _incident(
    incident_id: str, caller: Caller, session: SessionDep, *, acting: bool = False
) -> Incident:
    """The incident if the caller may see it (and act for its authority, when `acting`); a
    404 otherwise, whether it exists or not."""
    incident = await readable_incident(incident_id, caller, session)
    if acting and not caller.may_act_for(incident.authority_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such incident.")
    return incident


def _can(caller: Caller, incident: Incident, permission: Permission) -> bool:
    return caller.may_act_for(incident.authority_id) and caller.can(permission)


# ------------------------------------------------------------------ reading a form


@dataclass(frozen=True)
class _DraftForm:
    """A draft's form as sent: its values to show again, the request it makes, and which row
    of the form each of the request's services came from (empty rows are left out)."""

    values: dict[str, str]
    rows: list[dict[str, str]]
    body: dict[str, Any]
    row_of_service: list[int]


def _read_draft_form(form: dict[str, Any]) -> _DraftForm:
    values = {name: str(form.get(name) or "") for name in (*_DRAFT_FIELDS, "tlp")}
    found: dict[int, dict[str, str]] = {}
    for name, value in form.items():
        matched = _SERVICE_FIELD.match(name)
        if matched:
            found.setdefault(int(matched[1]), {})[matched[2]] = str(value)
    rows = [found[index] for index in sorted(found)]
    body: dict[str, Any] = {name: values[name] for name in _DRAFT_FIELDS}
    if values["tlp"]:
        body["tlp"] = values["tlp"]
    services, row_of_service = [], []
    for number, row in enumerate(rows):
        if any(row.get(name, "").strip() for name in _SERVICE_TEXTS):
            services.append({name: row.get(name, "") for name in (*_SERVICE_TEXTS, "status")})
            row_of_service.append(number)
    body["services"] = services
    return _DraftForm(values, rows, body, row_of_service)


def _draft_errors(invalid: ValidationError, sent: _DraftForm, language: Language) -> dict[str, str]:
    """One message per field, keyed by the id of the field it is about: a service's by its
    row ("services-0-name_cy"), a problem with the whole draft beside the Welsh title."""
    labels = {field: translate(language, words) for field, words in LABELS.items()}
    translated = field_errors(invalid, language, labels)
    errors: dict[str, str] = {}
    for item in invalid.errors():
        location = item["loc"]
        message = str(item["msg"]).removeprefix("Value error, ")
        if location and location[0] == "services" and len(location) >= 2:
            index = location[1]
            row = sent.row_of_service[index] if isinstance(index, int) else 0
            field = str(location[2]) if len(location) >= 3 else "name_cy"
            key = f"services-{row}-{field}"
            fallback = translated.get("services", message)
        else:
            key = str(location[0]) if location else "title_cy"
            fallback = translated.get(key, message)
        errors.setdefault(key, in_language(message, language) if " / " in message else fallback)
    return errors


# ------------------------------------------------------------------ an incident's statements


async def _list_page(
    request: Request,
    caller: Caller,
    incident: Incident,
    session: SessionDep,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "statements.html.j2",
        status_code=status_code,
        section="incidents",
        banner=saved_banner(request),
        incident=incident,
        authority=await authority_by_id(incident.authority_id, session=session),
        records=await statement_service.statements_of(incident, session=session),
        can_run=_can(caller, incident, Permission.RUN_INCIDENTS),
        values=values or {},
        errors=errors or {},
    )


@router.get("/incidents/{incident_id}/statements")
async def statement_list(
    request: Request, incident_id: str, caller: PageReadsIncidents, session: SessionDep
) -> Response:
    """The incident's statements, each with its versions, and a form that starts a new one."""
    incident = await _incident(incident_id, caller, session)
    return await _list_page(request, caller, incident, session)


@router.post("/incidents/{incident_id}/statements")
async def new_statement(
    request: Request,
    incident_id: str,
    caller: PageRunsIncidents,
    session: SessionDep,
    form: FormData,
) -> Response:
    incident = await _incident(incident_id, caller, session, acting=True)
    language = page_language(request)
    values = {name: str(form.get(name) or "") for name in ("title_cy", "title_en")}
    try:
        statement = await create(
            incident, StatementRequest.model_validate(values), caller=caller, session=session
        )
    except ValidationError as invalid:
        sent = _DraftForm(values, [], values, [])
        errors = _draft_errors(invalid, sent, language)
        return await _list_page(
            request, caller, incident, session, values=values, errors=errors, status_code=422
        )
    except OperationError as refused:
        errors = {"title_cy": in_language(refused.detail, language)}
        return await _list_page(
            request,
            caller,
            incident,
            session,
            values=values,
            errors=errors,
            status_code=refused.status_code,
        )
    assert statement.id is not None
    say_saved(request, N_("The statement has been started: write it in Welsh and English"))
    return RedirectResponse(_statement_path(incident, statement.id), status_code=303)


# ------------------------------------------------------------------ one statement


def _saved_values(statement: PublicStatement) -> tuple[dict[str, str], list[dict[str, str]]]:
    values = {name: str(getattr(statement, name)) for name in _DRAFT_FIELDS}
    values["tlp"] = statement.tlp.value
    rows = [
        {name: str(service.get(name, "")) for name in (*_SERVICE_TEXTS, "status")}
        for service in statement.services
    ]
    return values, rows


async def _statement_page(
    request: Request,
    caller: Caller,
    incident: Incident,
    statement: PublicStatement,
    session: SessionDep,
    *,
    values: dict[str, str] | None = None,
    rows: list[dict[str, str]] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    language = page_language(request)
    record = await statement_service.record_of(statement, session=session)
    saved_values, saved_rows = _saved_values(statement)
    shown_rows = list(saved_rows if rows is None else rows)
    shown_rows.append({"status": ServiceStatus.UNAVAILABLE.value})  # room for one more
    bare = StatementContent(
        title_cy=statement.title_cy,
        title_en=statement.title_en,
        text_cy=statement.text_cy,
        text_en=statement.text_en,
    )
    return render(
        request,
        "statements_edit.html.j2",
        status_code=status_code,
        section="incidents",
        banner=saved_banner(request),
        incident=incident,
        statement=statement,
        record=record,
        values=saved_values if values is None else values,
        rows=shown_rows,
        errors=errors or {},
        markings=list(Tlp),
        statuses=list(ServiceStatus),
        missing=bare.missing_language(),
        draft=StatementDraft(
            **bare.model_dump(exclude={"services"}),
            services=[DraftService.model_validate(s) for s in statement.services],
        ),
        as_content=StatementContent.model_validate,
        published_as_is=statement_service.published_as_is(record),
        label_in=lambda value, code: label(value, Language(code)),
        needs_clear=Tlp.CLEAR not in (incident.tlp, statement.tlp),
        can_run=_can(caller, incident, Permission.RUN_INCIDENTS),
        can_approve=_can(caller, incident, Permission.APPROVE_STATEMENTS),
        said=lambda message: in_language(message, language),
    )


@router.get("/incidents/{incident_id}/statements/{statement_id}")
async def statement_page(
    request: Request,
    incident_id: str,
    statement_id: StatementId,
    caller: PageReadsIncidents,
    session: SessionDep,
) -> Response:
    """The draft, Welsh and English side by side, and every version published."""
    incident = await _incident(incident_id, caller, session)
    statement = await statement_about(incident, statement_id, session)
    return await _statement_page(request, caller, incident, statement, session)


@router.post("/incidents/{incident_id}/statements/{statement_id}")
async def save_statement(
    request: Request,
    incident_id: str,
    statement_id: StatementId,
    caller: PageRunsIncidents,
    session: SessionDep,
    form: FormData,
) -> Response:
    incident = await _incident(incident_id, caller, session, acting=True)
    statement = await statement_about(incident, statement_id, session)
    sent = _read_draft_form(form)
    try:
        request_in = StatementRequest.model_validate(sent.body)
    except ValidationError as invalid:
        errors = _draft_errors(invalid, sent, page_language(request))
        return await _statement_page(
            request,
            caller,
            incident,
            statement,
            session,
            values=sent.values,
            rows=sent.rows,
            errors=errors,
            status_code=422,
        )
    await statement_service.update_statement(
        statement, request_in.draft(), actor=caller.name, session=session
    )
    say_saved(request, N_("The draft has been saved"))
    return RedirectResponse(_statement_path(incident, statement_id), status_code=303)


@dataclass(frozen=True)
class _Approval:
    """A publish or withdraw form, as posted by someone who approves statements: the statement
    it is about, and all that changing it needs."""

    request: Request
    caller: Caller
    incident: Incident
    statement: PublicStatement
    session: AsyncSession
    temporal: Client
    settings: Settings
    limits: RateLimits
    form: dict[str, Any]

    async def answer(
        self,
        change: Callable[[], Awaitable[object]],
        *,
        field: str,
        invalid: Callable[[ValidationError, Language], str],
        saved: str,
    ) -> Response:
        """Make the change (`change` reads the form as the API's request first): back to the
        statement with the banner `saved`, or the statement shown again with what is wrong, or
        the refusal, beside `field`."""
        language = page_language(self.request)
        try:
            await change()
        except ValidationError as problem:
            errors, status_code, headers = {field: invalid(problem, language)}, 422, {}
        except OperationError as refused:
            errors = {field: in_language(refused.detail, language)}
            status_code, headers = refused.status_code, refused.headers
        else:
            assert self.statement.id is not None
            say_saved(self.request, saved)
            path = _statement_path(self.incident, self.statement.id)
            return RedirectResponse(path, status_code=303)
        shown = await _statement_page(
            self.request,
            self.caller,
            self.incident,
            self.statement,
            self.session,
            errors=errors,
            status_code=status_code,
        )
        shown.headers.update(headers)
        return shown


async def _approval(
    request: Request,
    incident_id: str,
    statement_id: StatementId,
    caller: PageApprovesStatements,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    limits: Limits,
    form: FormData,
) -> _Approval:
    """Both forms' checks, in the order every form has them: who is asking, the form's CSRF
    token, then the incident and the statement (a 404 for one the caller may not act on)."""
    incident = await _incident(incident_id, caller, session, acting=True)
    statement = await statement_about(incident, statement_id, session)
    return _Approval(
        request, caller, incident, statement, session, temporal, settings, limits, form
    )


Approval = Annotated[_Approval, Depends(_approval)]


def _no_choice(problem: ValidationError, language: Language) -> str:
    return translate(language, "Choose one of the options.")


def _first_problem(problem: ValidationError, language: Language) -> str:
    return in_language(str(problem.errors()[0]["msg"]).removeprefix("Value error, "), language)


@router.post("/incidents/{incident_id}/statements/{statement_id}/publish")
async def publish_form(approval: Approval) -> Response:
    async def change() -> None:
        publish_in = PublishRequest.model_validate({"tlp": approval.form.get("tlp") or None})
        await publish(
            approval.incident,
            approval.statement,
            tlp=publish_in.tlp,
            caller=approval.caller,
            session=approval.session,
            temporal=approval.temporal,
            task_queue=approval.settings.task_queue,
            limits=approval.limits,
        )

    return await approval.answer(
        change, field="publish", invalid=_no_choice, saved=N_("The statement has been published")
    )


@router.post("/incidents/{incident_id}/statements/{statement_id}/withdraw")
async def withdraw_form(approval: Approval) -> Response:
    async def change() -> None:
        reason = str(approval.form.get("reason") or "")
        withdraw_in = WithdrawRequest.model_validate({"reason": reason})
        await withdraw(
            approval.incident,
            approval.statement,
            reason=withdraw_in.reason,
            caller=approval.caller,
            session=approval.session,
            temporal=approval.temporal,
            task_queue=approval.settings.task_queue,
            limits=approval.limits,
        )

    return await approval.answer(
        change,
        field="withdraw-reason",
        invalid=_first_problem,
        saved=N_("The statement has been withdrawn from the public page"),
    )
