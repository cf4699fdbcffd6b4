"""POST /api/incidents/{incident_id}/...: one route for each action of `web.commands.ACTIONS`.

Each route takes the action's request as JSON, checks the action's permission before the
request is read (another authority's incident is a 404), and answers with the incident's new
state, or a refusal (409, 422, 429, 503) in `Problem` form.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from inspect import Parameter, Signature
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from domain.commands import AcknowledgementChannel
from domain.obligations import Body
from domain.state import IncidentState
from models import Incident
from web.api.responses import COMMON, UPDATE
from web.commands import ACTIONS, Action, Asking, perform
from web.deps import Caller, SessionDep, TemporalDep, incident_for, requires
from web.rate_limits import RateLimits, rate_limits

router = APIRouter(prefix="/api/incidents", responses=COMMON)


def _route(action: Action[Any]) -> Callable[..., Awaitable[IncidentState]]:
    async def endpoint(
        request: Any,
        incident: Incident,
        caller: Caller,
        session: Any,
        temporal: Any,
        limits: RateLimits,
        body: Body | None = None,
    ) -> IncidentState:
        return await perform(
            action,
            request,
            incident=incident,
            caller=caller,
            asking=Asking(caller.name, AcknowledgementChannel.API, body),
            session=session,
            temporal=temporal,
            limits=limits,
        )

    # FastAPI reads what a route needs from its signature: say it with this action's types.
    needs = {
        "request": action.request,
        "incident": Annotated[Incident, Depends(incident_for(action.permission))],
        "caller": Annotated[Caller, Depends(requires(action.permission))],
        "session": SessionDep,
        "temporal": TemporalDep,
        "limits": Annotated[RateLimits, Depends(rate_limits)],
    } | ({"body": Body} if action.names_body else {})
    endpoint.__signature__ = Signature(  # type: ignore[attr-defined]
        [Parameter(name, Parameter.KEYWORD_ONLY, annotation=kind) for name, kind in needs.items()],
        return_annotation=IncidentState,
    )
    endpoint.__name__ = endpoint.__qualname__ = action.name
    endpoint.__doc__ = action.description
    return endpoint


for _action in ACTIONS:
    if _action.path is not None:
        router.add_api_route(
            "/{incident_id}" + _action.path,
            _route(_action),
            methods=["POST"],
            response_model=IncidentState,
            responses=UPDATE,
            tags=[_action.tag],
            name=_action.name,
        )
