"""/api/authorities/{code}: an authority's administrator names members, sets the escalation
policy and manages the authority's users. Nobody else may, and no administrator reaches
another authority (404)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, status
from pydantic import BaseModel, EmailStr, Field, StringConstraints

from domain.access import AccessRole
from domain.channels import ChannelPlan
from domain.policy import EscalationPolicy
from domain.vocabulary import Language, MemberRole
from models import Authority, EscalationPolicyOverride, ResponsibleMember, User
from security.passwords import WeakPassword
from services import administration, commitments
from services.administration import Actor
from services.directory import MemberDetails, authority_by_code, effective_policy, members_of
from services.temporal_gateway import WorkflowUnavailable
from services.users import NewUser, UserExists
from web.api.responses import COMMON
from web.deps import Administers, Caller, SessionDep, SettingsDep, TemporalDep
from web.schemas import OneLine, Strict, UkMobile, Whole

router = APIRouter(prefix="/api/authorities", tags=["administration"], responses=COMMON)

Code = Annotated[str, Path(min_length=2, max_length=8, pattern=r"^[A-Za-z0-9]+$")]

#: The roles an authority's administrator may give; the central team and auditors are national.
AUTHORITY_ROLES = (
    AccessRole.ON_CALL_OFFICER,
    AccessRole.RESPONSIBLE_MEMBER,
    AccessRole.AUTHORITY_ADMIN,
)


class MemberRequest(Strict):
    name: Annotated[OneLine, StringConstraints(min_length=1, max_length=200)]
    work_email: EmailStr
    language: Language = Language.UNKNOWN
    out_of_band_email: EmailStr | None = Field(
        default=None, description="A personal address outside the council's mail."
    )
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ()-]{6,30}$")] | None = None
    mobile: UkMobile | None = Field(
        default=None,
        description="A UK mobile number for texts through GOV.UK Notify, as it is written "
        "(07700 900123, +44 7700 900123); kept in E.164 (+447700900123).",
    )

    def details(self) -> MemberDetails:
        """The member as `administration.change_member` takes them, from the API and the page
        alike: addresses as text, no personal address as None."""
        return MemberDetails(
            name=self.name,
            work_email=str(self.work_email),
            language=self.language,
            out_of_band_email=str(self.out_of_band_email) if self.out_of_band_email else None,
            phone=self.phone,
            mobile=self.mobile,
        )


class MemberView(BaseModel):
    id: int
    role: MemberRole
    name: str
    work_email: str
    language: Language
    out_of_band_email: str | None
    phone: str | None
    mobile: str | None = Field(description="In E.164: +447700900123.")


class PolicyOverrides(Strict):
    """The authority's own escalation timings for new incidents; fields left out are kept."""

    ack_timeout_category_1_3_seconds: Whole | None = Field(default=None, ge=60, le=7 * 86400)
    ack_timeout_category_4_seconds: Whole | None = Field(default=None, ge=60, le=7 * 86400)
    ack_timeout_category_5_6_seconds: Whole | None = Field(default=None, ge=60, le=7 * 86400)
    reminders_before_escalation: Whole | None = Field(default=None, ge=0, le=5)
    delivery_timeout_seconds: Whole | None = Field(
        default=None,
        ge=30,
        le=86400,
        description="How long a message may go undelivered before the member's next channel "
        "is tried. The escalation never waits for it.",
    )
    channels: ChannelPlan | None = Field(
        default=None,
        description="Which channels each step uses at once, per band of categories; given, it "
        "replaces the authority's plan (a band left out takes the national default). Teams is "
        "a broadcast to the council's channel, never a step of the plan.",
    )

    def timings(self, authority_id: int) -> EscalationPolicyOverride:
        """The timings as `administration.change_policy` takes them; the plan goes alongside."""
        return EscalationPolicyOverride(
            authority_id=authority_id, **self.model_dump(exclude={"channels"})
        )


class PolicyInEffect(BaseModel):
    """The escalation policy new incidents start with: the authority's own settings, and the
    national defaults for the rest."""

    ack_timeout_category_1_3_seconds: int
    ack_timeout_category_4_seconds: int
    ack_timeout_category_5_6_seconds: int
    reminders_before_escalation: int
    delivery_timeout_seconds: int
    channels: ChannelPlan

    @classmethod
    def of(cls, policy: EscalationPolicy) -> PolicyInEffect:
        return cls(
            ack_timeout_category_1_3_seconds=_seconds(policy.ack_timeout_category_1_3),
            ack_timeout_category_4_seconds=_seconds(policy.ack_timeout_category_4),
            ack_timeout_category_5_6_seconds=_seconds(policy.ack_timeout_category_5_6),
            reminders_before_escalation=policy.reminders_before_escalation,
            delivery_timeout_seconds=_seconds(policy.delivery_timeout),
            channels=policy.channels,
        )


def _seconds(span: timedelta) -> int:
    return int(span.total_seconds())


class PolicyView(BaseModel):
    """What the authority has set (None: the national default applies), and the policy in
    effect for new incidents."""

    ack_timeout_category_1_3_seconds: int | None
    ack_timeout_category_4_seconds: int | None
    ack_timeout_category_5_6_seconds: int | None
    reminders_before_escalation: int | None
    delivery_timeout_seconds: int | None
    channels: ChannelPlan | None = Field(description="The authority's own plan, if it has one.")
    in_effect: PolicyInEffect


class UserRequest(Strict):
    email: EmailStr
    name: Annotated[OneLine, StringConstraints(min_length=1, max_length=200)]
    role: AccessRole
    member_role: MemberRole | None = None
    password: Annotated[str, StringConstraints(min_length=12, max_length=200)]

    def person(self) -> NewUser:
        """The person as `administration.add_user` takes them, from the API and the page alike."""
        return NewUser(
            email=str(self.email),
            name=self.name,
            password=self.password,
            role=self.role,
            member_role=self.member_role,
        )


class UserView(BaseModel):
    id: int
    email: str
    name: str
    role: AccessRole
    member_role: MemberRole | None
    disabled: bool


async def _own_authority(code: Code, caller: Administers, session: SessionDep) -> Authority:
    """The administrator's own authority; any other is a 404, checked before the request is read."""
    authority = await authority_by_code(code, session=session)
    if authority is None or authority.id is None or authority.id != caller.authority_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No authority {code}.")
    return authority


OwnAuthority = Annotated[Authority, Depends(_own_authority)]


def actor_of(caller: Caller) -> Actor:
    """Who a change record names: the person, or the token acting for nobody in particular."""
    return Actor(name=caller.name, user_id=caller.user_id)


def _member_view(member: ResponsibleMember) -> MemberView:
    return MemberView.model_validate(member, from_attributes=True)


@router.get("/{code}/members", response_model=list[MemberView])
async def list_members(authority: OwnAuthority, session: SessionDep) -> list[MemberView]:
    assert authority.id is not None
    return [_member_view(m) for m in await members_of(authority.id, session=session)]


@router.put("/{code}/members/{role}", response_model=MemberView)
async def put_member(
    role: MemberRole,
    member_in: MemberRequest,
    authority: OwnAuthority,
    caller: Administers,
    session: SessionDep,
) -> MemberView:
    """Name the person in a role (replacing whoever held it); new incidents use them. The
    change is recorded, as every administrator's change is."""
    assert authority.id is not None
    member = await administration.change_member(
        authority.id,
        role,
        actor=actor_of(caller),
        session=session,
        **member_in.details(),
    )
    return _member_view(member)


@router.delete("/{code}/members/{role}", response_model=MemberView)
async def remove_member(
    role: MemberRole,
    authority: OwnAuthority,
    caller: Administers,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
) -> MemberView:
    """Leave a role empty: whoever held it is no longer named, and new incidents skip the
    role. Emptying the executive member's or the senior management member's role means
    Concordat commitment c is no longer met: the central team and the other named member are
    told. The change is recorded, as every administrator's change is; the answer is the person
    who was named."""
    assert authority.id is not None
    try:
        removed = await commitments.empty_role(
            authority,
            role,
            actor=actor_of(caller),
            session=session,
            temporal=temporal,
            task_queue=settings.task_queue,
            base_url=settings.base_url,
        )
    except WorkflowUnavailable:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, commitments.NOT_SAVED, headers={"Retry-After": "5"}
        ) from None
    if removed is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"Nobody is named as {role.value}. / Nid oes neb wedi'i enwi fel {role.value}.",
        )
    return _member_view(removed)


@router.put("/{code}/policy", response_model=PolicyView)
async def put_policy(
    policy_in: PolicyOverrides, authority: OwnAuthority, caller: Administers, session: SessionDep
) -> PolicyView:
    """Override the national escalation timings and channel plan for new incidents; empty
    fields are kept. The answer shows the policy now in effect."""
    assert authority.id is not None
    saved = await administration.change_policy(
        authority.id,
        policy_in.timings(authority.id),
        channels=policy_in.channels,
        actor=actor_of(caller),
        session=session,
    )
    in_effect = await effective_policy(authority.id, session=session)
    return PolicyView(
        **saved.model_dump(exclude={"authority_id", "channel_plan"}),
        channels=ChannelPlan.model_validate(saved.channel_plan) if saved.channel_plan else None,
        in_effect=PolicyInEffect.of(in_effect),
    )


@router.post("/{code}/users", response_model=UserView, status_code=status.HTTP_201_CREATED)
async def add_user(
    user_in: UserRequest, authority: OwnAuthority, caller: Administers, session: SessionDep
) -> UserView:
    """Add a person to the authority: an on-call officer, a named member or an administrator."""
    if user_in.role not in AUTHORITY_ROLES:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "An authority's administrator adds on-call officers, responsible members and "
            "administrators; auditors and the central team are added nationally.",
        )
    try:
        assert authority.id is not None
        user = await administration.add_user(
            authority.id,
            actor=actor_of(caller),
            session=session,
            **user_in.person(),
        )
    except UserExists:
        # Only a request that would otherwise have added the person gets this far (see
        # `create_user`), and the answer does not say where the address is used.
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            "That address cannot be used for a new user. / "
            "Ni ellir defnyddio'r cyfeiriad hwnnw ar gyfer defnyddiwr newydd.",
        ) from None
    except (WeakPassword, ValueError) as refused:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(refused)) from None
    return _user_view(user)


@router.delete("/{code}/users/{user_id}", response_model=UserView)
async def disable_user(
    user_id: Annotated[int, Path(gt=0, le=2**31 - 1)],
    authority: OwnAuthority,
    caller: Administers,
    session: SessionDep,
) -> UserView:
    """Disable a person at once: their sessions and tokens stop working. Kept for the record."""
    assert authority.id is not None
    user = await administration.disable_user(
        user_id, authority_id=authority.id, actor=actor_of(caller), session=session
    )
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No user {user_id}.")
    return _user_view(user)


def _user_view(user: User) -> UserView:
    assert user.id is not None
    return UserView(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        member_role=user.member_role,
        disabled=user.disabled_at is not None,
    )
