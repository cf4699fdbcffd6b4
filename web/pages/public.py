"""The public page of an authority's statements, `/public/{code}`, for residents: no sign-in.

It shows published statements only, with both languages on the page: the reader's chosen
language first, Welsh where nobody has chosen. `public_page` renders it for the route and for
`concordat statements export` (`cli.statements`) alike, so the static copy published elsewhere
while the council's own site is down is the page this site serves. Kept apart from the council's
own statement pages (`web.pages.statements`), which need a signed-in reader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, Response

from domain.statements import ServiceStatus
from domain.vocabulary import Language
from models import Authority
from notifications.labels import label
from notifications.render import uk_datetime
from services import statements as statement_service
from services.directory import authority_by_code
from services.statements import PublishedStatement
from translations import translate
from web.deps import SessionDep
from web.i18n import environment, other_language, page_language

router = APIRouter(include_in_schema=False)

#: GOV.UK tag colours for a service's status, each with its words beside it.
STATUS_TAGS: dict[ServiceStatus, str] = {
    ServiceStatus.UNAVAILABLE: "govuk-tag--red",
    ServiceStatus.DISRUPTED: "govuk-tag--orange",
    ServiceStatus.RESTORED: "govuk-tag--green",
}


@dataclass(frozen=True)
class PublicAssets:
    """Where the public page finds its stylesheet and icons: this site's own files, or the
    copies written beside an exported page."""

    stylesheet: str
    images: str


#: The public page as this site serves it.
SERVED_ASSETS = PublicAssets("/static/govuk/concordat.min.css", "/static/govuk/assets/images/")


def _paragraphs(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"\n\s*\n", text) if part.strip()]


def _say(language: Language, message: str, **values: Any) -> str:
    words = translate(language, message)
    return words % values if values else words


def _page(template: str, first: Language, **context: Any) -> str:
    shared = {
        "both": [first, other_language(first)],
        "translate": _say,
        "when": uk_datetime,
        "label_in": label,
        "paragraphs": _paragraphs,
        "status_tags": STATUS_TAGS,
    }
    return environment(first).get_template(template).render(**(shared | context))


def public_page(
    authority: Authority,
    statements: list[PublishedStatement],
    *,
    first: Language,
    assets: PublicAssets,
    switch_href: str,
) -> str:
    """The authority's public page, `first` language first; `switch_href` puts the other
    language first (the site's language switch, or the exported page in the other order)."""
    return _page(
        "public.html.j2",
        first,
        names={"cy": authority.name_cy, "en": authority.name_en},
        statements=statements,
        assets=assets,
        switch_href=switch_href,
    )


def public_not_found_page(code: str, *, first: Language, switch_href: str) -> str:
    return _page(
        "public_not_found.html.j2",
        first,
        names={"cy": "Concordat", "en": "Concordat"},
        code=code,
        assets=SERVED_ASSETS,
        switch_href=switch_href,
    )


@router.get("/public/{code}")
async def public_statements(request: Request, code: str, session: SessionDep) -> Response:
    """The authority's published statements, for residents: no sign-in."""
    first = page_language(request)
    here = f"/public/{code}"
    switch_href = f"/language/{other_language(first).value}?next={quote(here)}"
    authority = (
        await authority_by_code(code, session=session)
        if re.fullmatch(r"[A-Za-z0-9]{1,8}", code)
        else None
    )
    if authority is None or authority.id is None:
        page = public_not_found_page(code, first=first, switch_href=switch_href)
        return HTMLResponse(page, status_code=status.HTTP_404_NOT_FOUND)
    statements = await statement_service.public_statements(authority.id, session=session)
    return HTMLResponse(
        public_page(
            authority, statements, first=first, assets=SERVED_ASSETS, switch_href=switch_href
        )
    )
