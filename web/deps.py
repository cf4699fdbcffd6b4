"""What routes declare in their signatures: a database session, Temporal, and who is asking."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from models import ApiToken, Incident
from runtime.database import Database
from runtime.settings import Settings
from security.tokens import find_active_token
from services.incidents import get_incident


@dataclass(frozen=True)
class Caller:
    """Who is asking, and which authority they act for (`None`: every authority)."""

    token_id: int
    name: str
    authority_id: int | None

    @classmethod
    def of(cls, token: ApiToken) -> Caller:
        assert token.id is not None
        return cls(token_id=token.id, name=token.name, authority_id=token.authority_id)

    def may_act_for(self, authority_id: int) -> bool:
        return self.authority_id is None or self.authority_id == authority_id


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_database(request: Request) -> Database:
    return request.app.state.database


def get_temporal(request: Request) -> Client:
    return request.app.state.temporal


async def get_session(
    database: Annotated[Database, Depends(get_database)],
) -> AsyncIterator[AsyncSession]:
    async with database.session() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
TemporalDep = Annotated[Client, Depends(get_temporal)]

_bearer = HTTPBearer(
    auto_error=False, description="A Concordat API token (`concordat token create`)."
)


async def get_api_caller(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    token = (
        await find_active_token(credentials.credentials, session=session) if credentials else None
    )
    if token is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "A valid API token is required: send it as 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return Caller.of(token)


ApiCaller = Annotated[Caller, Depends(get_api_caller)]


async def get_visible_incident(
    incident_id: str, caller: ApiCaller, session: SessionDep
) -> Incident:
    """The incident named in the path, if the caller's authority may see it.

    404 whether it does not exist or belongs to another authority: existence is not shared.
    """
    incident = await get_incident(incident_id, authority_id=caller.authority_id, session=session)
    if incident is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No incident {incident_id}.")
    return incident


VisibleIncident = Annotated[Incident, Depends(get_visible_incident)]
