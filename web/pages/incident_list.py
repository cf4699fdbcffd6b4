"""The list of incidents a person may see: filtered, sorted and a page at a time.

The filters are a GET form, so a filtered list is a link that can be shared or bookmarked, and
the list works without JavaScript. A filter naming something the reader cannot see (another
council's code, a stage that does not exist) is ignored rather than refused: the list is only
ever narrowed within what they may read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, get_args
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from domain.access import Permission
from domain.vocabulary import NcscCategory, Stage
from models import Authority
from services import incidents as incident_service
from services.directory import authorities
from services.incidents import IncidentFilter, IncidentOrder
from web.deps import Caller, SessionDep
from web.pages.common import PageReadsIncidents, render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25

#: Each stage's tag colour, by what it asks of the reader: red and orange while the council
#: still has to act, yellow and green as it recovers, grey once it is over.
STAGE_TAGS: dict[Stage, str] = {
    Stage.DETECTED: "govuk-tag--red",
    Stage.TRIAGED: "govuk-tag--red",
    Stage.NOTIFYING: "govuk-tag--red",
    Stage.ACKNOWLEDGED: "govuk-tag--orange",
    Stage.REPORTING: "govuk-tag--orange",
    Stage.CONTAINED: "govuk-tag--yellow",
    Stage.RECOVERED: "govuk-tag--green",
    Stage.CLOSED: "govuk-tag--grey",
}

ORDERS: tuple[str, ...] = get_args(IncidentOrder)


@dataclass(frozen=True)
class Chosen:
    """The filters as the reader set them (their text, to fill the form in again) and as the
    query takes them."""

    text: dict[str, str]
    filter: IncidentFilter
    order: IncidentOrder
    page: int


def _one_of(text: str, options: dict[str, Any]) -> Any:
    return options.get(text)


def _choose(request: Request, caller: Caller, visible: list[Authority]) -> Chosen:
    params = request.query_params
    text = {
        name: params.get(name, "").strip()
        for name in ("authority", "stage", "category", "status", "kind", "sort")
    }
    by_code = {authority.code: authority.id for authority in visible}
    stages = {stage.value: stage for stage in Stage}
    categories = {str(int(category)): category for category in NcscCategory}
    order = text["sort"] if text["sort"] in ORDERS else "detected"
    page_text = params.get("page", "1")
    page = int(page_text) if page_text.isdigit() and 0 < int(page_text) < 100_000 else 1
    chosen = IncidentFilter(
        authority_ids=caller.readable,
        authority_id=_one_of(text["authority"], by_code),
        stage=_one_of(text["stage"], stages),
        category=_one_of(text["category"], categories),
        closed=_one_of(text["status"], {"open": False, "closed": True}),
        exercise=_one_of(text["kind"], {"exercise": True, "real": False}),
    )
    return Chosen(text, chosen, order, page)  # type: ignore[arg-type]


async def _visible_authorities(caller: Caller, session: SessionDep) -> list[Authority]:
    every = await authorities(authority_id=None, session=session)
    return [a for a in every if caller.readable is None or a.id in caller.readable]


def _link(text: dict[str, str], page: int) -> str:
    kept = {name: value for name, value in text.items() if value}
    return "/incidents?" + urlencode(kept | ({"page": str(page)} if page > 1 else {}))


def pages_to_show(current: int, last: int) -> list[int | None]:
    """The page numbers a pagination shows: the first, the last, and those either side of the
    current one; `None` where some are left out (GOV.UK's ellipsis)."""
    wanted = sorted({1, last, current - 1, current, current + 1} & set(range(1, last + 1)))
    shown: list[int | None] = []
    for number in wanted:
        before = shown[-1] if shown else None
        if before is not None and number - before > 1:
            shown.append(None)
        shown.append(number)
    return shown


def _pagination(text: dict[str, str], page: int, total: int) -> dict[str, Any] | None:
    last = max(math.ceil(total / PAGE_SIZE), 1)
    if last == 1:
        return None
    items = [
        {"ellipsis": True}
        if number is None
        else {"number": number, "href": _link(text, number), "current": number == page}
        for number in pages_to_show(page, last)
    ]
    return {
        "items": items,
        "previous": {"href": _link(text, page - 1)} if page > 1 else None,
        "next": {"href": _link(text, page + 1)} if page < last else None,
    }


@router.get("/incidents")
async def incident_list(
    request: Request, caller: PageReadsIncidents, session: SessionDep
) -> Response:
    visible = await _visible_authorities(caller, session)
    chosen = _choose(request, caller, visible)
    rows, total = await incident_service.incident_page(
        chosen.filter,
        order=chosen.order,
        limit=PAGE_SIZE,
        offset=(chosen.page - 1) * PAGE_SIZE,
        session=session,
    )
    filtered = any(value for name, value in chosen.text.items() if name != "sort")
    return render(
        request,
        "incident_list.html.j2",
        section="incidents",
        rows=rows,
        total=total,
        first=(chosen.page - 1) * PAGE_SIZE + 1,
        chosen=chosen.text | {"sort": chosen.order},
        filtered=filtered,
        authorities=visible if len(visible) > 1 else [],
        stages=list(Stage),
        categories=list(NcscCategory),
        stage_tags=STAGE_TAGS,
        pagination=_pagination(chosen.text, chosen.page, total),
        now=datetime.now(UTC),
        can_open=caller.can(Permission.OPEN_INCIDENTS),
    )
