"""What routes declare in their signatures: a database session, Temporal, and who is asking.

Every route names the permission it needs (`Allowed[...]`, `IncidentFor[...]`): the caller's
role must carry it, a read-only token never carries a write, and the incident must belong to an
authority the caller may see. Another authority's incident is a 404, never a 403: its existence
is not shared.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from domain.access import ROLE_PERMISSIONS, WRITES, AccessRole, Permission, TokenScope
from domain.evidence import NAMED_MEMBERS
from domain.vocabulary import MemberRole
from models import ApiToken, Incident, User
from runtime.database import Database
from runtime.settings import Settings
from services.directory import member_holding
from services.incidents import get_incident
from services.tokens import find_active_token, granted_authorities
from services.users import granted_to, user_by_id
from web.rate_limits import client_address, rate_limits


@dataclass(frozen=True)
class Caller:
    """Who is asking, in which role, and over which authorities."""

    name: str
    role: AccessRole
    authority_id: int | None
    """The authority they act for; `None` for every authority (the central team, systems)."""
    readable: frozenset[int] | None
    """The authorities whose incidents they may see; `None` means every authority."""
    scope: TokenScope = TokenScope.WRITE
    user_id: int | None = None
    token_id: int | None = None
    member_role: MemberRole | None = None
    email: str | None = None

    @classmethod
    async def of_user(
        cls,
        user: User,
        *,
        session: AsyncSession,
        scope: TokenScope = TokenScope.WRITE,
        token_id: int | None = None,
    ) -> Caller:
        own = frozenset() if user.authority_id is None else frozenset({user.authority_id})
        return cls(
            name=user.name,
            role=user.role,
            authority_id=user.authority_id,
            readable=await _readable(
                user.role, own, user.all_authorities, lambda: granted_to(user, session=session)
            ),
            scope=scope,
            user_id=user.id,
            token_id=token_id,
            member_role=user.member_role,
            email=user.email,
        )

    @classmethod
    async def of_token(cls, token: ApiToken, *, session: AsyncSession) -> Caller | None:
        """The caller a token stands for; `None` if it belongs to a disabled user."""
        if token.user_id is not None:
            user = await user_by_id(token.user_id, session=session)
            if user is None or user.disabled_at is not None:
                return None
            return await cls.of_user(user, session=session, scope=token.scope, token_id=token.id)
        own = frozenset() if token.authority_id is None else frozenset({token.authority_id})
        return cls(
            name=token.name,
            role=token.role,
            authority_id=token.authority_id,
            readable=await _readable(
                token.role,
                own,
                token.all_authorities,
                lambda: granted_authorities(token, session=session),
            ),
            scope=token.scope,
            token_id=token.id,
        )

    def can(self, permission: Permission) -> bool:
        return (
            permission in ROLE_PERMISSIONS[self.role]
            and (self.scope is TokenScope.WRITE or permission not in WRITES)
            and self._holds_in_person(permission)
        )

    def _holds_in_person(self, permission: Permission) -> bool:
        """Conditions beyond the role: the national picture needs every authority (an auditor
        granted only some does not get it); among named members only the senior management
        member attests the commitments and signs reviews off, and only the members named
        under commitment c and their deputies approve public statements."""
        if permission in (Permission.READ_NATIONAL, Permission.MANAGE_NATIONAL):
            return self.readable is None
        if self.role is AccessRole.RESPONSIBLE_MEMBER:
            if permission in (Permission.EDIT_COMMITMENTS, Permission.SIGN_OFF_REVIEWS):
                return self.member_role is MemberRole.SENIOR_MANAGEMENT_MEMBER
            if permission is Permission.APPROVE_STATEMENTS:
                return self.member_role in NAMED_MEMBERS
        return True

    def may_act_for(self, authority_id: int) -> bool:
        return self.authority_id is None or self.authority_id == authority_id

    def may_read(self, authority_id: int) -> bool:
        return self.readable is None or authority_id in self.readable


async def _readable(
    role: AccessRole,
    own: frozenset[int],
    all_authorities: bool,
    grants: Callable[[], Awaitable[frozenset[int]]],
) -> frozenset[int] | None:
    if role is AccessRole.SUPPLIER:
        return frozenset()  # a supplier reads no council's incidents, whatever else it holds
    if role is AccessRole.CENTRAL_TEAM:
        return None
    if role is AccessRole.AUDITOR:
        return None if all_authorities else own | await grants()
    return own or None


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


async def end_reading(session: AsyncSession) -> None:
    """End the request's read transaction before the route calls Temporal.

    On SQLite every transaction holds the database's one write lock until it ends, so a read
    left open across a call to the server (which may wait for the worker, whose activities
    need that lock) would stall every incident's writes for the length of the call.
    """
    await session.commit()


TemporalDep = Annotated[Client, Depends(get_temporal)]

_bearer = HTTPBearer(
    auto_error=False, description="A Concordat API token (`concordat token create`)."
)

UNAUTHENTICATED = (
    "A valid API token is required: send it as 'Authorization: Bearer <token>'. / "
    "Mae angen tocyn API dilys: anfonwch ef fel 'Authorization: Bearer <tocyn>'."
)
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


async def get_api_caller(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    if credentials is None:
        # Nothing was guessed, and nothing was looked up: a 401, however often it is asked.
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, UNAUTHENTICATED, headers=_CHALLENGE)
    token = await find_active_token(credentials.credentials, session=session)
    limits = rate_limits(request)
    if token is None:
        # Guessing tokens is throttled per address, like guessing passwords.
        await limits.enforce(
            limits.sign_in,
            "Too many attempts with a wrong API token from here",
            "Gormod o ymdrechion gyda thocyn API anghywir o'r fan hon",
            "wrong-token-from",
            client_address(request),
        )
    else:
        # Per person, whichever of their tokens is used: more tokens buy no more requests.
        await limits.enforce(
            limits.api,
            "Too many API requests from you in the last minute",
            "Gormod o geisiadau API gennych yn y funud ddiwethaf",
            f"person-{token.user_id}" if token.user_id is not None else f"token-{token.id}",
        )
    caller = await Caller.of_token(token, session=session) if token is not None else None
    await end_reading(session)
    if caller is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, UNAUTHENTICATED, headers=_CHALLENGE)
    return caller


AnyCaller = Annotated[Caller, Depends(get_api_caller)]


def refuse_without(caller: Caller, *permissions: Permission) -> None:
    """403 unless the caller holds one of the permissions (with a token scope that allows it)."""
    if not any(caller.can(p) for p in permissions):
        wanted = " or ".join(p.value.replace("_", " ") for p in permissions)
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"Your role ({caller.role.value.replace('_', ' ')}"
            + (", read-only token" if caller.scope is TokenScope.READ else "")
            + f") does not allow this: it needs permission to {wanted}.",
        )


def requires(*permissions: Permission) -> Callable[[Caller], Awaitable[Caller]]:
    async def check(caller: AnyCaller) -> Caller:
        refuse_without(caller, *permissions)
        return caller

    return check


OpensIncidents = Annotated[Caller, Depends(requires(Permission.OPEN_INCIDENTS))]
RunsIncidents = Annotated[Caller, Depends(requires(Permission.RUN_INCIDENTS))]
Acknowledges = Annotated[Caller, Depends(requires(Permission.ACKNOWLEDGE))]
ReadsIncidents = Annotated[Caller, Depends(requires(Permission.READ_INCIDENTS))]
ListsIncidents = Annotated[
    Caller, Depends(requires(Permission.READ_INCIDENTS, Permission.READ_TIMELINES))
]
Administers = Annotated[Caller, Depends(requires(Permission.ADMINISTER))]
ReadsNational = Annotated[Caller, Depends(requires(Permission.READ_NATIONAL))]
ManagesNational = Annotated[Caller, Depends(requires(Permission.MANAGE_NATIONAL))]
ReadsCommitments = Annotated[Caller, Depends(requires(Permission.READ_COMMITMENTS))]
EditsCommitments = Annotated[Caller, Depends(requires(Permission.EDIT_COMMITMENTS))]


async def refuse_unless_acknowledging_for_self(
    caller: Caller, incident: Incident, member_id: int, *, session: AsyncSession
) -> None:
    """A named member acknowledges only for themselves; an on-call officer records an
    acknowledgement given by telephone for anyone in the chain."""
    if caller.role is not AccessRole.RESPONSIBLE_MEMBER:
        return
    own = await member_holding(incident.authority_id, caller.member_role, session=session)
    # The member in the role now, and this person: a role's previous holder is not them.
    if own is None or own.id != member_id or own.work_email.lower() != caller.email:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "A named member can acknowledge only for themselves."
        )


async def readable_incident(incident_id: str, caller: Caller, session: AsyncSession) -> Incident:
    """404 whether it does not exist or belongs to another authority: existence is not shared."""
    incident = await get_incident(incident_id, authority_id=None, session=session)
    if incident is None or not caller.may_read(incident.authority_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No incident {incident_id}.")
    return incident


def incident_for(permission: Permission) -> Callable[..., Awaitable[Incident]]:
    async def resolve(incident_id: str, caller: AnyCaller, session: SessionDep) -> Incident:
        refuse_without(caller, permission)
        incident = await readable_incident(incident_id, caller, session)
        if permission in WRITES and not caller.may_act_for(incident.authority_id):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"No incident {incident_id}.")
        await end_reading(session)
        return incident

    return resolve


IncidentToRun = Annotated[Incident, Depends(incident_for(Permission.RUN_INCIDENTS))]
IncidentToAcknowledge = Annotated[Incident, Depends(incident_for(Permission.ACKNOWLEDGE))]
IncidentToRead = Annotated[Incident, Depends(incident_for(Permission.READ_INCIDENTS))]
IncidentTimeline = Annotated[Incident, Depends(incident_for(Permission.READ_TIMELINES))]
