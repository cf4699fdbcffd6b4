"""What routes declare in their signatures: a database session, Temporal, and who is asking."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from domain.access import AccessRole
from models import ApiToken, Incident
from runtime.database import Database
from runtime.settings import Settings
from security.tokens import find_active_token, granted_authorities
from services.incidents import get_incident


@dataclass(frozen=True)
class Caller:
    """Who is asking, in which role, and for which authority (`None`: every authority)."""

    token_id: int
    name: str
    authority_id: int | None
    role: AccessRole = AccessRole.ON_CALL_OFFICER
    readable: frozenset[int] | None = None
    """The authorities whose incidents it may read; `None` means every authority."""

    @classmethod
    async def of(cls, token: ApiToken, *, session: AsyncSession) -> Caller:
        assert token.id is not None
        own = frozenset() if token.authority_id is None else frozenset({token.authority_id})
        if token.role is AccessRole.AUDITOR:
            granted = own | await granted_authorities(token, session=session)
            readable = None if token.all_authorities else frozenset(granted)
        else:
            readable = own or None
        return cls(
            token_id=token.id,
            name=token.name,
            authority_id=token.authority_id,
            role=token.role,
            readable=readable,
        )

    @property
    def is_auditor(self) -> bool:
        return self.role is AccessRole.AUDITOR

    def may_act_for(self, authority_id: int) -> bool:
        return not self.is_auditor and (
            self.authority_id is None or self.authority_id == authority_id
        )

    def may_read(self, authority_id: int) -> bool:
        return self.readable is None or authority_id in self.readable


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
    return await Caller.of(token, session=session)


ReadingCaller = Annotated[Caller, Depends(get_api_caller)]
"""Anybody with a valid token, auditors included: for read-only routes."""


async def get_officer(caller: ReadingCaller) -> Caller:
    if caller.is_auditor:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "Auditors have read-only access to timelines: this needs an on-call officer's token.",
        )
    return caller


ApiCaller = Annotated[Caller, Depends(get_officer)]
"""An on-call officer: everything that runs or changes an incident."""


async def readable_incident(incident_id: str, caller: Caller, session: AsyncSession) -> Incident:
    """404 whether it does not exist or belongs to another authority: existence is not shared."""
    incident = await get_incident(incident_id, authority_id=None, session=session)
    if incident is None or not caller.may_read(incident.authority_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No incident {incident_id}.")
    return incident


async def get_visible_incident(
    incident_id: str, caller: ApiCaller, session: SessionDep
) -> Incident:
    """The incident named in the path, if the officer's authority may see it."""
    return await readable_incident(incident_id, caller, session)


async def get_auditable_incident(
    incident_id: str, caller: ReadingCaller, session: SessionDep
) -> Incident:
    """The incident named in the path, if the caller may read it (officers and auditors)."""
    return await readable_incident(incident_id, caller, session)


VisibleIncident = Annotated[Incident, Depends(get_visible_incident)]
AuditableIncident = Annotated[Incident, Depends(get_auditable_incident)]
