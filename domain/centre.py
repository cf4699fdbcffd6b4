"""The central team's duty recipients, as an incident sees them, and when each is told.

The centre is told at once when an authority opens or reassesses an incident into the
categories a recipient watches (by default 1-3), or marks it significant. Each recipient is
told once per category and significance the incident reaches, so a reassessment to a more
serious category tells them again and going back down does not.
"""

from __future__ import annotations

from pydantic import BaseModel

from domain.channels import Channel
from domain.vocabulary import Language, NcscCategory

#: Who the centre tells, unless the deployment says otherwise.
DEFAULT_CATEGORIES = (1, 2, 3)
DEFAULT_CHANNELS = (Channel.EMAIL, Channel.SMS)


class CentreContact(BaseModel):
    """One duty recipient (`models.CentreRecipient`) as the incident's snapshot holds it."""

    recipient_id: int
    name: str
    email: str | None = None
    mobile: str | None = None
    language: Language = Language.UNKNOWN
    categories: list[int] = list(DEFAULT_CATEGORIES)
    significant: bool = True
    channels: list[Channel] = list(DEFAULT_CHANNELS)

    def alert_for(self, category: NcscCategory, significant: bool) -> str | None:
        """What this recipient is told of an incident now ("category-2", "category-4
        significant"), or `None` if it is not theirs to hear of."""
        in_scope = int(category) in self.categories
        counts_significant = significant and self.significant
        if not (in_scope or counts_significant):
            return None
        return f"category-{int(category)}" + ("-significant" if counts_significant else "")
