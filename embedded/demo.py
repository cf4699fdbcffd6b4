"""Demonstration members for councils that have named nobody, so `make run` shows real emails
and texts.

Only the embedded set-up uses this; the addresses are under the reserved .example domain and
the mobiles in Ofcom's drama range (07700 900000 to 900999), which no real phone has.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.channels import Channel
from domain.vocabulary import Language, MemberRole
from models import Authority, ResponsibleMember
from services.centre import RecipientDetails, active_recipients, add_recipient
from services.directory import name_member

#: The demonstration's central team duty post: told of every category 1-3 incident.
DEMO_CENTRE = RecipientDetails(
    name="Central team duty officer",
    email="duty@central-team.example",
    mobile="+447700900099",
    language=Language.UNKNOWN,
    channels=[Channel.EMAIL, Channel.SMS],
)

#: A mix of preferences so the demo shows Welsh, English and bilingual messages.
_DEMO_LANGUAGES = {
    MemberRole.EXECUTIVE_MEMBER: Language.WELSH,
    MemberRole.SENIOR_MANAGEMENT_MEMBER: Language.ENGLISH,
}


def demo_mobile(authority_number: int, role: MemberRole) -> str | None:
    """A distinct drama-range mobile for each council's member in each role; `None` once the
    range's thousand numbers run out (the 22 councils use 132 of them)."""
    number = 100 + authority_number * len(MemberRole) + list(MemberRole).index(role)
    return f"+447700900{number:03d}" if number < 1000 else None


async def name_demo_members(*, session: AsyncSession) -> int:
    named = set((await session.exec(select(ResponsibleMember.authority_id))).all())
    authorities = (await session.exec(select(Authority).order_by(col(Authority.id)))).all()
    count = 0
    for number, authority in enumerate(authorities):
        if authority.id in named:
            await _give_demo_mobiles(authority, number, session=session)
            continue
        domain = f"{authority.code.lower()}.council.example"
        for role in MemberRole:
            title = role.value.replace("_", " ").title()
            await name_member(
                authority.id,  # type: ignore[arg-type]
                role,
                name=f"{title} ({authority.code})",
                work_email=f"{role.value.replace('_', '.')}@{domain}",
                language=_DEMO_LANGUAGES.get(role, Language.UNKNOWN),
                out_of_band_email=f"{role.value.replace('_', '.')}@{domain}.personal.example",
                mobile=demo_mobile(number, role),
                session=session,
            )
        # Demonstration: replies from the NCSC go to a system the incident cannot reach.
        authority.ncsc_contact_email = (
            f"cyber-incidents@{authority.code.lower()}.resilience.example"
        )
        session.add(authority)
        await session.commit()
        count += 1
    return count


async def _give_demo_mobiles(authority: Authority, number: int, *, session: AsyncSession) -> None:
    """Demonstration members named before texts existed get their mobiles."""
    domain = f"@{authority.code.lower()}.council.example"
    members = (
        await session.exec(
            select(ResponsibleMember).where(ResponsibleMember.authority_id == authority.id)
        )
    ).all()
    changed = False
    for member in members:
        mobile = demo_mobile(number, member.role)
        if member.mobile is None and mobile and member.work_email.endswith(domain):
            member.mobile = mobile
            session.add(member)
            changed = True
    if changed:
        await session.commit()


async def name_demo_centre(*, session: AsyncSession) -> None:
    """A duty recipient at the centre, unless the deployment has named its own."""
    if not await active_recipients(session=session):
        await add_recipient(DEMO_CENTRE, session=session)
