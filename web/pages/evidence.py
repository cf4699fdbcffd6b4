"""An incident's evidence page, /incidents/{incident_id}/evidence: the files with their hashes,
who may download them, the upload form, the custody form and record, the downloads record and
the evidence bundle.

The page reuses the API's operations (`web.api.evidence_recording`,
`web.api.evidence_downloads`), so a refusal reads the same in either, shown here in the page's
language beside the form it is about. An upload is streamed like the API's (`web.uploads`): the
form's CSRF token arrives among its fields, so it is checked once the body has been read, and a
form that fails the check has its files deleted. Downloads are buttons (POSTs with the CSRF
token), so that every recorded download was asked for on this page, never by a link followed
from another site.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from domain.access import Permission
from domain.evidence import MAX_FILES_AT_ONCE, CustodyMethod, CustodyRecipient
from domain.vocabulary import Language
from models import Incident
from services import evidence as evidence_service
from services import incidents as incident_service
from translations import N_, translate
from web.api.evidence import FileId, StoreDep
from web.api.evidence_downloads import bundle_response, file_response
from web.api.evidence_models import CustodyRequest
from web.api.evidence_recording import MAX_DESCRIPTION, hand_over, receive, record_upload
from web.deps import Caller, SessionDep, SettingsDep, TemporalDep, end_reading, readable_incident
from web.i18n import in_language, page_language
from web.operations import OperationError
from web.pages.common import (
    FormData,
    form_answers,
    local_datetime,
    page_requires,
    render,
)
from web.pages.form_errors import FieldWords, field_errors
from web.pages.saved_banner import saved_banner, say_saved
from web.rate_limits import rate_limits
from web.uploads import readable_size

router = APIRouter(include_in_schema=False)

PageReadsEvidence = Annotated[
    Caller, Depends(page_requires(Permission.READ_INCIDENTS, Permission.READ_TIMELINES))
]
PageRunsIncidents = Annotated[Caller, Depends(page_requires(Permission.RUN_INCIDENTS))]

#: The custody form's fields, as the page names them.
CUSTODY_LABELS = {
    "file_ids": N_("Files handed over"),
    "recipient": N_("Handed over to"),
    "recipient_name": N_("Name of the organisation or person"),
    "method": N_("How it was sent"),
    "handed_over_at": N_("Handed over at (UK time)"),
    "reference": N_("Their reference (optional)"),
    "note": N_("Note (optional)"),
}
_CHOOSE_FILES = N_("Select the files that were handed over")
_FILES_ADDED = N_("The files have been added to the evidence, each with its hash on the timeline.")
_HANDED_OVER = N_("The hand-over has been recorded on the timeline.")


def _page(incident: Incident) -> str:
    return f"/incidents/{incident.id}/evidence"


async def _incident(
    incident_id: str, caller: Caller, session: SessionDep, *, acting: bool = False
) -> Incident:
    """The incident, if the caller reads it (and, `acting`, acts for its authority): 404 else."""
    incident = await readable_incident(incident_id, caller, session)
    if acting and not caller.may_act_for(incident.authority_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such incident.")
    return incident


def _size(size: int, language: Language) -> str:
    """A file's size as people read it: "812 bytes", "14.2 KB", "3.5 MB"."""
    if size < 1024:
        return translate(language, "%(count)s bytes") % {"count": size}
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


async def _evidence_page(
    request: Request,
    caller: Caller,
    incident: Incident,
    session: SessionDep,
    settings: SettingsDep,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The page, or the page again with what is wrong beside the form it is about (and the
    refusal's headers, such as Retry-After)."""
    language = page_language(request)
    files = await evidence_service.evidence_of(incident.id, session=session)
    names = {row.id: row.name for row in files}
    custody = await evidence_service.custody_of(incident.id, session=session)
    downloads = await evidence_service.downloads_of(incident.id, session=session)
    authority = await incident_service.authority_of(incident, session=session)
    await end_reading(session)
    refusal = evidence_service.download_refusal(caller, incident)
    page = render(
        request,
        "evidence.html.j2",
        status_code=status_code,
        section="incidents",
        banner=saved_banner(request),
        incident=incident,
        authority=authority,
        back_href=f"/incidents/{incident.id}"
        if caller.can(Permission.READ_INCIDENTS)
        else f"/audit/incidents/{incident.id}",
        files=[{"row": row, "size": _size(row.size, language)} for row in files],
        names=names,
        custody=custody,
        downloads=downloads,
        may_download=refusal is None,
        refusal=in_language(refusal, language) if refusal else None,
        can_run=caller.can(Permission.RUN_INCIDENTS) and caller.may_act_for(incident.authority_id),
        largest=readable_size(settings.evidence_max_bytes, welsh=language is Language.WELSH),
        most_files=MAX_FILES_AT_ONCE,
        most_description=MAX_DESCRIPTION,
        recipients=list(CustodyRecipient),
        methods=list(CustodyMethod),
        errors=errors or {},
        values=values or {},
    )
    page.headers.update(headers or {})
    return page


@router.get("/incidents/{incident_id}/evidence")
async def evidence_page(
    request: Request,
    incident_id: str,
    caller: PageReadsEvidence,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    incident = await _incident(incident_id, caller, session)
    return await _evidence_page(request, caller, incident, session, settings)


def _csrf_matches(request: Request, sent: str | None) -> bool:
    expected = request.session.get("csrf")
    return (
        isinstance(expected, str)
        and isinstance(sent, str)
        and secrets.compare_digest(expected, sent)
    )


@router.post("/incidents/{incident_id}/evidence")
async def upload_form(
    request: Request,
    incident_id: str,
    caller: PageRunsIncidents,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    store: StoreDep,
) -> Response:
    """The upload form: multipart, streamed into the store as the API's upload is."""
    incident = await _incident(incident_id, caller, session, acting=True)
    await end_reading(session)
    language = page_language(request)
    try:
        received = await receive(
            request, incident, store=store, settings=settings, limits=rate_limits(request)
        )
        if not _csrf_matches(request, received.field("csrf_token")):
            await evidence_service.discard(store, received)
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                "The form expired or did not come from this site; reload it and try again.",
            )
        await record_upload(
            incident,
            received,
            caller=caller,
            store=store,
            session=session,
            temporal=temporal,
            settings=settings,
            allowed_fields=frozenset({"csrf_token"}),
        )
    except OperationError as refused:
        return await _evidence_page(
            request,
            caller,
            incident,
            session,
            settings,
            errors={"files": in_language(refused.detail, language)},
            values={"description": ""},
            status_code=refused.status_code,
            headers=refused.headers,
        )
    say_saved(request, _FILES_ADDED)
    return RedirectResponse(f"{_page(incident)}#evidence-files", status_code=303)


def _custody_request(form: dict[str, Any], chosen: list[str]) -> CustodyRequest:
    values: dict[str, Any] = {
        name: str(form.get(name) or "").strip()
        for name in ("recipient", "recipient_name", "method", "reference", "note")
    }
    values = {name: value for name, value in values.items() if value}
    moment = str(form.get("handed_over_at") or "").strip()
    if moment:
        values["handed_over_at"] = local_datetime(moment)
    return CustodyRequest.model_validate(values | {"file_ids": chosen})


def _custody_errors(invalid: ValidationError, language: Language) -> dict[str, str]:
    labels: dict[str, str | FieldWords] = {
        field: translate(language, words) for field, words in CUSTODY_LABELS.items()
    }
    return {
        f"custody-{field}": message
        for field, message in field_errors(invalid, language, labels).items()
    }


@router.post("/incidents/{incident_id}/evidence/custody")
async def custody_form(
    request: Request,
    incident_id: str,
    caller: PageRunsIncidents,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    form: FormData,
) -> Response:
    incident = await _incident(incident_id, caller, session, acting=True)
    await end_reading(session)
    language = page_language(request)
    chosen = [str(value) for value in (await request.form()).getlist("file_ids")]
    values: dict[str, Any] = form_answers(form) | {"file_ids": chosen}
    errors: dict[str, str] = {}
    status_code = 422
    headers: dict[str, str] = {}
    try:
        request_in = _custody_request(form, chosen)
    except ValidationError as invalid:
        errors = _custody_errors(invalid, language)
    if not chosen:
        errors = {"custody-file_ids": translate(language, _CHOOSE_FILES)} | errors
    if not errors:
        try:
            await hand_over(
                incident,
                request_in,
                caller=caller,
                session=session,
                temporal=temporal,
                settings=settings,
                limits=rate_limits(request),
            )
        except OperationError as refused:
            errors = {"custody-file_ids": in_language(refused.detail, language)}
            status_code, headers = refused.status_code, refused.headers
    if errors:
        return await _evidence_page(
            request,
            caller,
            incident,
            session,
            settings,
            errors=errors,
            values=values,
            status_code=status_code,
            headers=headers,
        )
    say_saved(request, _HANDED_OVER)
    return RedirectResponse(f"{_page(incident)}#custody", status_code=303)


async def _download(
    incident_id: str,
    caller: Caller,
    session: SessionDep,
    respond: Callable[[Incident], Awaitable[Response]],
) -> Response:
    """A download asked for with one of the page's buttons: `respond` streams it, and a
    refusal (the TLP rule, a stored file that cannot be read) is an error page."""
    incident = await _incident(incident_id, caller, session)
    await end_reading(session)
    try:
        return await respond(incident)
    except OperationError as refused:
        raise HTTPException(refused.status_code, refused.detail) from None


@router.post("/incidents/{incident_id}/evidence/bundle")
async def bundle_download(
    incident_id: str,
    caller: PageReadsEvidence,
    session: SessionDep,
    store: StoreDep,
    form: FormData,
) -> Response:
    """The evidence bundle, for a reader the TLP rule allows; recorded as a download."""
    return await _download(
        incident_id,
        caller,
        session,
        lambda incident: bundle_response(incident, caller=caller, session=session, store=store),
    )


@router.post("/incidents/{incident_id}/evidence/{file_id}/download")
async def file_download(
    incident_id: str,
    file_id: FileId,
    caller: PageReadsEvidence,
    session: SessionDep,
    store: StoreDep,
    form: FormData,
) -> Response:
    """One file, for a reader the TLP rule allows; recorded as a download."""
    return await _download(
        incident_id,
        caller,
        session,
        lambda incident: file_response(
            incident, file_id, caller=caller, session=session, store=store
        ),
    )
