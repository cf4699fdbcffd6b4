"""The escalation policy: how long a named member has to acknowledge before others are told.

Policies are data (a row per authority overrides the national default) and are snapshotted into
each incident's workflow when it starts, so editing a policy never moves a running clock.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field

from domain.channels import NATIONAL_CHANNEL_PLAN, ChannelPlan
from domain.vocabulary import NcscCategory


class EscalationPolicy(BaseModel):
    ack_timeout_category_1_3: timedelta = Field(timedelta(minutes=15), gt=timedelta(0))
    ack_timeout_category_4: timedelta = Field(timedelta(hours=1), gt=timedelta(0))
    ack_timeout_category_5_6: timedelta = Field(timedelta(hours=4), gt=timedelta(0))
    reminders_before_escalation: int = Field(1, ge=0, le=5)
    channels: ChannelPlan = NATIONAL_CHANNEL_PLAN
    """Which channels page a member at each step, per band of categories."""
    delivery_timeout: timedelta = Field(timedelta(minutes=5), gt=timedelta(0))
    """How long a message may go undelivered before the member's next channel is tried.
    The escalation clock never waits for it."""

    def ack_timeout(self, category: NcscCategory) -> timedelta:
        if category.nationally_significant:
            return self.ack_timeout_category_1_3
        if category == NcscCategory.SUBSTANTIAL:
            return self.ack_timeout_category_4
        return self.ack_timeout_category_5_6


NATIONAL_DEFAULT_POLICY = EscalationPolicy()
