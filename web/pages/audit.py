"""The auditor's pages: every readable incident, each one's replayed timeline, and exports.

Read-only by construction: no form here changes anything, and an auditor's session is refused
by every page that does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import Response
from temporalio.service import RPCError

from audit.history import ArchiveDamaged
from audit.rebuild import NoHistory, rebuild_from_database, rebuild_incident
from audit.report import IncidentReplay, to_csv, to_html, to_json
from domain.clock import uk_moment
from domain.obligations import ObligationState
from notifications.render import uk_datetime
from services import incidents as incident_service
from web.deps import SessionDep, TemporalDep, readable_incident
from web.i18n import page_language
from web.pages.audit_words import findings, source
from web.pages.common import PageReadsTimelines, render

router = APIRouter(include_in_schema=False)

_EXPORTS = {
    "json": ("application/json", to_json),
    "csv": ("text/csv; charset=utf-8", to_csv),
    "html": ("text/html; charset=utf-8", lambda r: to_html(r, generated_at=datetime.now(UTC))),
}


@router.get("/audit")
async def audit_list(request: Request, caller: PageReadsTimelines, session: SessionDep):
    rows = await incident_service.list_incidents(
        authority_ids=caller.readable, limit=500, offset=0, session=session
    )
    return render(request, "audit_list.html.j2", section="audit", rows=rows)


async def _replay(
    incident_id: str,
    caller: PageReadsTimelines,
    session: SessionDep,
    temporal: TemporalDep,
    as_of: str | None,
) -> IncidentReplay:
    incident = await readable_incident(incident_id, caller, session)
    try:
        moment = uk_moment(as_of) if as_of else None
    except ValueError:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "Enter a UK date and time like 2026-11-21T14:30, in the years 2000 to 2200. / "
            "Rhowch ddyddiad ac amser yn y DU fel 2026-11-21T14:30, yn y blynyddoedd 2000 i 2200.",
        ) from None
    try:
        return await rebuild_incident(
            incident,
            client=temporal,
            converter=temporal.data_converter,
            session=session,
            as_of=moment,
        )
    except (NoHistory, ArchiveDamaged, RPCError) as unavailable:
        why = (
            "the archived history is damaged"
            if isinstance(unavailable, ArchiveDamaged)
            else ("no history was available")
        )
        return await rebuild_from_database(incident, session=session, as_of=moment, why=why)


@router.get("/audit/incidents/{incident_id}")
async def audit_incident(
    request: Request,
    incident_id: str,
    caller: PageReadsTimelines,
    session: SessionDep,
    temporal: TemporalDep,
    as_of: Annotated[str | None, Query(max_length=40)] = None,
):
    replay = await _replay(incident_id, caller, session, temporal, as_of)
    language = page_language(request)
    return render(
        request,
        "audit_incident.html.j2",
        section="audit",
        replay=replay,
        findings=findings(replay, language),
        source=source(replay, language),
        as_of_value=as_of or "",
        uk_seconds=lambda moment: uk_datetime(moment, language, seconds=True),
        obligation_state=ObligationState,
    )


@router.get("/audit/incidents/{incident_id}/export.{kind}")
async def audit_export(
    incident_id: str,
    kind: Literal["json", "csv", "html"],
    caller: PageReadsTimelines,
    session: SessionDep,
    temporal: TemporalDep,
    as_of: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    replay = await _replay(incident_id, caller, session, temporal, as_of)
    media_type, render_as = _EXPORTS[kind]
    return Response(
        render_as(replay),
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{replay.reference}-timeline.{kind}"'
        },
    )
