"""What routes declare in their signatures: a database session, Temporal, and who is asking."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from models import ApiToken
from runtime.database import Database
from runtime.settings import Settings
from security.tokens import find_active_token


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
