"""Changes an authority's administrator makes, each saved with a record of who made it, when,
and every field's value before and after, in one transaction: a change is never saved without
its record, nor recorded without being saved. The pages and the API both change things here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Unpack

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.channels import NATIONAL_CHANNEL_PLAN, ChannelPlan, PagingStep
from domain.vocabulary import MemberRole
from models import (
    AdministrationChange,
    EscalationPolicyOverride,
    EscalationTimings,
    ReportingRuleOverride,
    ResponsibleMember,
    User,
)
from services import directory, users

#: The fields of a named member that a change record compares.
MEMBER_FIELDS = ("name", "work_email", "out_of_band_email", "phone", "mobile", "language")
POLICY_FIELDS = tuple(EscalationTimings.model_fields)
RULE_FIELDS = (
    "enabled",
    "trigger",
    "window_seconds",
    "reminder_offsets_seconds",
    "owner",
    "notify_address",
)


@dataclass(frozen=True)
class Actor:
    """Who made a change: a person, or a token that acts for nobody in particular."""

    name: str
    user_id: int | None = None


def _plain(value: Any) -> Any:
    """A value as JSON keeps it: an enum by its value."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _values(row: object | None, fields: tuple[str, ...]) -> dict[str, Any]:
    return {field: _plain(getattr(row, field, None)) if row else None for field in fields}


def difference(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Each field whose value changed, as `[before, after]`."""
    return {
        field: [before.get(field), value]
        for field, value in after.items()
        if before.get(field) != value
    }


async def _save_recorded(
    authority_id: int,
    actor: Actor,
    subject: str,
    before: dict[str, Any],
    after: dict[str, Any],
    *,
    session: AsyncSession,
) -> None:
    """Commits the staged change with its record of what changed between `before` and `after`,
    so neither is saved without the other; saving nothing changed records nothing."""
    changes = difference(before, after)
    if changes:
        session.add(
            AdministrationChange(
                authority_id=authority_id,
                actor_user_id=actor.user_id,
                actor=actor.name[:200],
                subject=subject,
                changes=changes,
            )
        )
    await session.commit()


async def change_member(
    authority_id: int,
    role: MemberRole,
    *,
    actor: Actor,
    session: AsyncSession,
    **details: Unpack[directory.MemberDetails],
) -> ResponsibleMember:
    """Name the person in a role (as `directory.name_member`), recording what changed."""
    held = await directory.member_holding(authority_id, role, session=session)
    before = _values(held, MEMBER_FIELDS)
    member = await directory.name_member(
        authority_id, role, session=session, commit=False, **details
    )
    after = _values(member, MEMBER_FIELDS)
    await _save_recorded(
        authority_id, actor, f"member:{role.value}", before, after, session=session
    )
    await session.refresh(member)
    return member


def _plan_values(plan: ChannelPlan) -> dict[str, list[str]]:
    """The plan as a change record keeps it: each band's step a field of its own
    ("channels.category_4.first"), its channels in order."""
    return {
        f"channels.{band}.{step.value}": [c.value for c in getattr(plan, band).at(step)]
        for band in ChannelPlan.model_fields
        for step in PagingStep
    }


def _plan_of(policy: EscalationPolicyOverride | None) -> ChannelPlan:
    if policy is None or policy.channel_plan is None:
        return NATIONAL_CHANNEL_PLAN
    return ChannelPlan.model_validate(policy.channel_plan)


async def change_policy(
    authority_id: int,
    timings: EscalationTimings,
    *,
    channels: ChannelPlan | None = None,
    actor: Actor,
    session: AsyncSession,
) -> EscalationPolicyOverride:
    """Set the authority's escalation timings (as `directory.set_policy`) and, given
    `channels`, replace its channel plan (as `directory.set_channel_plan`), recording what
    changed in one record. A plan is compared with the one in effect (the national plan where
    the authority has none), so saving the plan already used changes and records nothing."""
    held = await directory.policy_override(authority_id, session=session)
    before = _values(held, POLICY_FIELDS)
    plan_before = _plan_values(_plan_of(held))
    policy = await directory.set_policy(authority_id, timings, session=session, commit=False)
    after = _values(policy, POLICY_FIELDS)
    if channels is not None and _plan_values(channels) != plan_before:
        policy = await directory.set_channel_plan(
            authority_id, channels, session=session, commit=False
        )
        before, after = before | plan_before, after | _plan_values(channels)
    await _save_recorded(authority_id, actor, "policy", before, after, session=session)
    return policy


async def change_reporting_rule(
    authority_id: int, rule: ReportingRuleOverride, *, actor: Actor, session: AsyncSession
) -> ReportingRuleOverride:
    """Change one body's reporting rule (as `directory.set_reporting_rule`), recording what
    changed."""
    subject = f"reporting_rule:{rule.body.value}"
    before = _values(
        await directory.reporting_rule_override(authority_id, rule.body, session=session),
        RULE_FIELDS,
    )
    saved = await directory.set_reporting_rule(authority_id, rule, session=session, commit=False)
    after = _values(saved, RULE_FIELDS)
    await _save_recorded(authority_id, actor, subject, before, after, session=session)
    return saved


async def add_user(
    authority_id: int, *, actor: Actor, session: AsyncSession, **person: Unpack[users.NewUser]
) -> User:
    """Add a person to the authority (as `users.create_user`, with its refusals), recording who
    they are and their role; never their password."""
    user = await users.create_user(
        authority_id=authority_id, session=session, commit=False, **person
    )
    after = _values(user, ("email", "name", "role", "member_role"))
    shown = {field: value for field, value in after.items() if value}
    await _save_recorded(authority_id, actor, f"user:{user.id}", {}, shown, session=session)
    await session.refresh(user)
    return user


async def disable_user(
    user_id: int, *, authority_id: int, actor: Actor, session: AsyncSession
) -> User | None:
    """Disable a person of the authority (as `users.disable_user`), recording it; None when
    the authority has no such person."""
    user = await users.user_by_id(user_id, session=session)
    was_disabled = user is not None and user.disabled_at is not None
    user = await users.disable_user(
        user_id, authority_id=authority_id, session=session, commit=False
    )
    if user is None:
        return None
    before, after = {"disabled": was_disabled}, {"disabled": True}
    await _save_recorded(authority_id, actor, f"user:{user_id}", before, after, session=session)
    return user


async def changes_of(
    authority_id: int, *, limit: int = 500, session: AsyncSession
) -> list[AdministrationChange]:
    """The authority's changes, the latest first."""
    return list(
        (
            await session.exec(
                select(AdministrationChange)
                .where(AdministrationChange.authority_id == authority_id)
                .order_by(col(AdministrationChange.at).desc(), col(AdministrationChange.id).desc())
                .limit(limit)
            )
        ).all()
    )
