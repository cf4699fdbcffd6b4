"""/wales/suppliers: the suppliers two or more councils hold, for the central team (and an
auditor granted every authority): which councils, the services each names, and how many
record the supplier as a regulated provider. One compromised supplier reaches every council
that holds it, so this is where a campaign starts. Councils' entries are matched by their
normalised name (`domain.suppliers.normalised_name`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.suppliers import shared_suppliers
from web.deps import SessionDep
from web.pages.common import PageReadsNational, render

router = APIRouter(include_in_schema=False)


@router.get("/wales/suppliers")
async def shared_suppliers_page(
    request: Request, caller: PageReadsNational, session: SessionDep
) -> Response:
    return render(
        request,
        "national_suppliers.html.j2",
        section="national",
        shared=await shared_suppliers(session=session),
    )
