"""Demonstration members for councils that have named nobody, so `make run` shows real emails.

Only the embedded set-up uses this; the addresses are under the reserved .example domain.
"""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.vocabulary import Language, MemberRole
from models import Authority, ResponsibleMember
from services.directory import name_member

#: A mix of preferences so the demo shows Welsh, English and bilingual messages.
_DEMO_LANGUAGES = {
    MemberRole.EXECUTIVE_MEMBER: Language.WELSH,
    MemberRole.SENIOR_MANAGEMENT_MEMBER: Language.ENGLISH,
}


async def name_demo_members(*, session: AsyncSession) -> int:
    named = set((await session.exec(select(ResponsibleMember.authority_id))).all())
    authorities = (await session.exec(select(Authority))).all()
    count = 0
    for authority in authorities:
        if authority.id in named:
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
