"""The central team's duty recipients: the policy for telling the centre, kept as data."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.centre import DEFAULT_CATEGORIES, DEFAULT_CHANNELS
from domain.channels import Channel
from domain.vocabulary import Language
from models import CentreRecipient


@dataclass(frozen=True)
class RecipientDetails:
    """A duty recipient as the API, the command line and the demo give one."""

    name: str
    email: str | None = None
    mobile: str | None = None
    """Already a UK mobile in E.164 (`domain.mobiles.uk_mobile`)."""
    language: Language = Language.UNKNOWN
    categories: list[int] = field(default_factory=lambda: list(DEFAULT_CATEGORIES))
    significant: bool = True
    channels: list[Channel] = field(default_factory=lambda: list(DEFAULT_CHANNELS))


async def active_recipients(*, session: AsyncSession) -> list[CentreRecipient]:
    return list(
        await session.exec(
            select(CentreRecipient)
            .where(col(CentreRecipient.active).is_(True))
            .order_by(col(CentreRecipient.id))
        )
    )


async def add_recipient(details: RecipientDetails, *, session: AsyncSession) -> CentreRecipient:
    """Incidents opened from now on tell them; incidents already open keep the recipients
    their snapshot holds."""
    if not (details.email or details.mobile):
        raise ValueError("a duty recipient needs an email address or a mobile number")
    recipient = CentreRecipient(
        name=details.name,
        email=details.email,
        mobile=details.mobile,
        language=details.language,
        categories=sorted(set(details.categories)),
        significant=details.significant,
        channels=[c.value for c in details.channels],
    )
    session.add(recipient)
    await session.commit()
    await session.refresh(recipient)
    return recipient


async def retire_recipient(recipient_id: int, *, session: AsyncSession) -> CentreRecipient | None:
    """Kept, not deleted: the timelines of incidents that told them still name them."""
    recipient = await session.get(CentreRecipient, recipient_id)
    if recipient is None or not recipient.active:
        return None
    recipient.active = False
    session.add(recipient)
    await session.commit()
    await session.refresh(recipient)
    return recipient
