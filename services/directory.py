"""The member directory and escalation policy of an authority."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Required, TypedDict

from email_validator import validate_email
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.centre import CentreContact
from domain.channels import Channel, ChannelPlan
from domain.directory import AuthoritySnapshot, MemberContact
from domain.mobiles import uk_mobile
from domain.obligations import Body, ObligationRule
from domain.policy import NATIONAL_DEFAULT_POLICY, EscalationPolicy
from domain.vocabulary import Language, MemberRole
from models import (
    Authority,
    EscalationPolicyOverride,
    EscalationTimings,
    ReportingRuleOverride,
    ResponsibleMember,
)
from regimes.store import regime_in_force
from services.centre import active_recipients


class UnknownAuthority(LookupError):
    pass


async def authority_by_code(code: str, *, session: AsyncSession) -> Authority | None:
    return (await session.exec(select(Authority).where(Authority.code == code.upper()))).first()


async def authority_by_id(authority_id: int, *, session: AsyncSession) -> Authority | None:
    return await session.get(Authority, authority_id)


async def authorities(*, authority_id: int | None, session: AsyncSession) -> list[Authority]:
    """Every authority by name, or only the one given."""
    query = select(Authority).order_by(Authority.name_en)
    if authority_id is not None:
        query = query.where(Authority.id == authority_id)
    return list((await session.exec(query)).all())


async def members_of(authority_id: int, *, session: AsyncSession) -> list[ResponsibleMember]:
    """The authority's named members, one for each role that has somebody in it."""
    return list(
        (
            await session.exec(
                select(ResponsibleMember)
                .where(ResponsibleMember.authority_id == authority_id)
                .order_by(col(ResponsibleMember.id))
            )
        ).all()
    )


async def member_by_id(member_id: int, *, session: AsyncSession) -> ResponsibleMember | None:
    return await session.get(ResponsibleMember, member_id)


async def effective_policy(authority_id: int, *, session: AsyncSession) -> EscalationPolicy:
    """The national default with the authority's own overrides applied."""
    override = await session.get(EscalationPolicyOverride, authority_id)
    if override is None:
        return NATIONAL_DEFAULT_POLICY
    changes: dict[str, object] = {}
    for field, column in (
        ("ack_timeout_category_1_3", override.ack_timeout_category_1_3_seconds),
        ("ack_timeout_category_4", override.ack_timeout_category_4_seconds),
        ("ack_timeout_category_5_6", override.ack_timeout_category_5_6_seconds),
    ):
        if column is not None:
            changes[field] = timedelta(seconds=column)
    if override.reminders_before_escalation is not None:
        changes["reminders_before_escalation"] = override.reminders_before_escalation
    if override.delivery_timeout_seconds is not None:
        changes["delivery_timeout"] = timedelta(seconds=override.delivery_timeout_seconds)
    if override.channel_plan is not None:
        changes["channels"] = override.channel_plan
    return EscalationPolicy.model_validate(NATIONAL_DEFAULT_POLICY.model_dump() | changes)


async def effective_rules(
    authority_id: int, *, session: AsyncSession
) -> dict[Body, ObligationRule]:
    """The national reporting rules with the authority's own changes applied."""
    overrides = (
        await session.exec(
            select(ReportingRuleOverride).where(ReportingRuleOverride.authority_id == authority_id)
        )
    ).all()
    regime = await regime_in_force(session)
    rules = {body: rule.model_copy(deep=True) for body, rule in regime.rules.items()}
    for override in overrides:
        if override.body not in rules:
            continue  # the body the council changed is no longer in the regime
        changes: dict[str, object] = {}
        if override.enabled is not None:
            changes["enabled"] = override.enabled
        if override.trigger is not None:
            changes["trigger"] = override.trigger
        staged = bool(rules[override.body].stages)  # a staged report's deadlines are its stages'
        if override.window_seconds is not None and not staged:
            changes["window"] = timedelta(seconds=override.window_seconds)
        if override.reminder_offsets_seconds is not None and not staged:
            changes["reminders_at"] = [
                timedelta(seconds=s) for s in override.reminder_offsets_seconds
            ]
        if override.owner is not None:
            changes["owner"] = override.owner
        if override.notify_address is not None:
            changes["notify_address"] = override.notify_address or None
        rules[override.body] = ObligationRule.model_validate(
            rules[override.body].model_dump() | changes
        )
    return rules


async def reporting_rule_override(
    authority_id: int, body: Body, *, session: AsyncSession
) -> ReportingRuleOverride | None:
    """The authority's own changes to one body's rule, if it has made any."""
    return await session.get(ReportingRuleOverride, (authority_id, body))


async def set_reporting_rule(
    authority_id: int,
    changes: ReportingRuleOverride,
    *,
    session: AsyncSession,
    commit: bool = True,
) -> ReportingRuleOverride:
    """Change one body's rule for the authority; fields left empty keep what it had. With
    `commit=False` the change is only flushed, so that a record of it can be saved in the same
    transaction (`services.administration`)."""
    if changes.notify_address:
        changes.notify_address = validate_email(
            changes.notify_address, check_deliverability=False, globally_deliverable=False
        ).normalized
    rule = await session.get(ReportingRuleOverride, (authority_id, changes.body)) or (
        ReportingRuleOverride(authority_id=authority_id, body=changes.body)
    )
    for field, value in changes.model_dump(
        exclude={"authority_id", "body"}, exclude_none=True
    ).items():
        setattr(rule, field, value)
    session.add(rule)
    await session.flush()
    if commit:
        await session.commit()
    return rule


async def set_ncsc_contact(authority_id: int, address: str, *, session: AsyncSession) -> Authority:
    """Record the address the NCSC should write to: never one on the council's own domain,
    which the incident may have compromised."""
    address = validate_email(
        address, check_deliverability=False, globally_deliverable=False
    ).normalized
    domain = address.rpartition("@")[2].lower()
    members = await members_of(authority_id, session=session)
    if any(m.work_email.lower().endswith("@" + domain) for m in members):
        raise ValueError(
            f"{domain} is the council's own mail domain, which an incident may compromise: "
            "give an address on another system"
        )
    authority = await session.get(Authority, authority_id)
    if authority is None:
        raise UnknownAuthority(f"authority {authority_id} does not exist")
    authority.ncsc_contact_email = address
    session.add(authority)
    await session.commit()
    return authority


async def centre_contacts(*, session: AsyncSession) -> list[CentreContact]:
    """The central team's active duty recipients, as incidents take them into their snapshot."""
    return [
        CentreContact(
            recipient_id=row.id or 0,
            name=row.name,
            email=row.email,
            mobile=row.mobile,
            language=row.language,
            categories=list(row.categories or []),
            significant=row.significant,
            channels=[Channel(c) for c in row.channels or [] if c in set(Channel)],
        )
        for row in await active_recipients(session=session)
    ]


async def snapshot_authority(
    authority_id: int, *, session: AsyncSession, channels: list[Channel] | None = None
) -> AuthoritySnapshot:
    """The directory and policy as an incident starts with them; `channels` are those the
    deployment can send on for this authority (`Settings.channels_for`)."""
    authority = await session.get(Authority, authority_id)
    if authority is None:
        raise UnknownAuthority(f"authority {authority_id} does not exist")
    members = await members_of(authority_id, session=session)
    return AuthoritySnapshot(
        authority_id=authority_id,
        code=authority.code,
        name_en=authority.name_en,
        name_cy=authority.name_cy,
        members=[
            MemberContact(
                member_id=m.id,
                role=m.role,
                name=m.name,
                email=m.work_email,
                language=m.language,
                out_of_band_email=m.out_of_band_email,
                mobile=m.mobile,
            )
            for m in members
        ],
        policy=await effective_policy(authority_id, session=session),
        obligation_rules=await effective_rules(authority_id, session=session),
        ncsc_contact_email=authority.ncsc_contact_email,
        channels=channels or [Channel.EMAIL],
        centre=await centre_contacts(session=session),
        taken_at=datetime.now(UTC),
    )


async def member_holding(
    authority_id: int, role: MemberRole | None, *, session: AsyncSession
) -> ResponsibleMember | None:
    if role is None:
        return None
    return (
        await session.exec(
            select(ResponsibleMember).where(
                ResponsibleMember.authority_id == authority_id, ResponsibleMember.role == role
            )
        )
    ).first()


class MemberDetails(TypedDict, total=False):
    """A named member's details as `name_member` takes them, for a caller that hands them on."""

    name: Required[str]
    work_email: Required[str]
    language: Language
    out_of_band_email: str | None
    phone: str | None
    mobile: str | None


async def name_member(
    authority_id: int,
    role: MemberRole,
    *,
    name: str,
    work_email: str,
    language: Language = Language.UNKNOWN,
    out_of_band_email: str | None = None,
    phone: str | None = None,
    mobile: str | None = None,
    session: AsyncSession,
    commit: bool = True,
) -> ResponsibleMember:
    """Name (or rename) the authority's member in a role; one person holds each role. With
    `commit=False` the change is only flushed, so that a record of it can be saved in the same
    transaction (`services.administration`)."""
    work_email = validate_email(
        work_email, check_deliverability=False, globally_deliverable=False
    ).normalized
    if out_of_band_email:
        out_of_band_email = validate_email(
            out_of_band_email, check_deliverability=False, globally_deliverable=False
        ).normalized
    if mobile:
        mobile = uk_mobile(mobile)
    member = await member_holding(authority_id, role, session=session) or ResponsibleMember(
        authority_id=authority_id, role=role, name=name, work_email=work_email
    )
    member.name, member.work_email, member.language = name, work_email, language
    member.out_of_band_email, member.phone = out_of_band_email, phone
    member.mobile = mobile or None
    member.updated_at = datetime.now(UTC)
    session.add(member)
    await session.flush()
    if commit:
        await session.commit()
        await session.refresh(member)
    return member


async def remove_member(
    authority_id: int, role: MemberRole, *, session: AsyncSession, commit: bool = True
) -> ResponsibleMember | None:
    """Leave a role empty: whoever held it is no longer named (incidents already open keep
    the people they started with). None when nobody held it. With `commit=False` the removal
    is only flushed, so that a record of it can be saved in the same transaction."""
    member = await member_holding(authority_id, role, session=session)
    if member is None:
        return None
    await session.delete(member)
    await session.flush()
    if commit:
        await session.commit()
    return member


async def policy_override(
    authority_id: int, *, session: AsyncSession
) -> EscalationPolicyOverride | None:
    """The authority's own escalation timings, if it has set any."""
    return await session.get(EscalationPolicyOverride, authority_id)


async def set_channel_plan(
    authority_id: int, plan: ChannelPlan | None, *, session: AsyncSession, commit: bool = True
) -> EscalationPolicyOverride:
    """The authority's own channel plan (None: back to the national plan), kept in full so
    it always reads back as it was checked."""
    policy = await session.get(EscalationPolicyOverride, authority_id) or EscalationPolicyOverride(
        authority_id=authority_id
    )
    policy.channel_plan = plan.model_dump(mode="json") if plan is not None else None
    session.add(policy)
    await session.flush()
    if commit:
        await session.commit()
    return policy


async def set_policy(
    authority_id: int, changes: EscalationTimings, *, session: AsyncSession, commit: bool = True
) -> EscalationPolicyOverride:
    """Apply the given overrides; fields left empty keep what the authority had. With
    `commit=False` the change is only flushed, so that a record of it can be saved in the same
    transaction (`services.administration`)."""
    policy = await session.get(EscalationPolicyOverride, authority_id) or EscalationPolicyOverride(
        authority_id=authority_id
    )
    for field, value in changes.model_dump(
        include=set(EscalationTimings.model_fields), exclude_none=True
    ).items():
        setattr(policy, field, value)
    session.add(policy)
    await session.flush()
    if commit:
        await session.commit()
    return policy
