"""Telling the central team: a serious incident anywhere in Wales reaches the centre at once.

When an authority opens an incident in the categories a duty recipient watches, reassesses it
into them, or marks it significant, the recipient is told in the same workflow task, on each of
their channels, before anything waits. A TLP:RED or AMBER+STRICT incident tells them only the
reference, the category and the authority (`domain.disclosure`).
"""

from __future__ import annotations

from temporalio import workflow

from workflows.process import IncidentProcess

with workflow.unsafe.imports_passed_through():
    from domain.centre import CentreContact
    from domain.channels import Channel
    from domain.directory import MemberContact
    from domain.vocabulary import NotificationKind

#: Incidents started before the centre was told keep replaying without it.
CENTRE_ALERTS = "centre-alerts"


class CentreAlerts(IncidentProcess):
    """The central team's part of an incident: told once of each level it reaches."""

    def _alert_centre(self) -> None:
        if not self._changed(CENTRE_ALERTS):
            return
        details = self.file.details
        for contact in self._directory.centre:
            alert = contact.alert_for(details.category, details.significant)
            told = f"{contact.recipient_id}/{alert}"
            if alert is None or told in self.file.centre_told:
                continue
            self.file.centre_told.append(told)
            recipient = MemberContact(
                member_id=None,
                role=None,
                name=contact.name,
                email=contact.email or "",
                language=contact.language,
                mobile=contact.mobile,
            )
            for channel in self._centre_channels(contact):
                self._send(
                    NotificationKind.CENTRE_ALERT,
                    recipient,
                    key=f"centre/{contact.recipient_id}/{alert}",
                    facts=self._facts(),
                    channel=channel,
                )

    def _centre_channels(self, contact: CentreContact) -> list[Channel]:
        """The recipient's channels this deployment has and they have a detail for; Teams is
        the authority's own channel, never the centre's."""
        available = set(self._directory.channels)
        usable = {
            Channel.EMAIL: bool(contact.email),
            Channel.NOTIFY_EMAIL: bool(contact.email),
            Channel.SMS: bool(contact.mobile),
            Channel.TEAMS: False,
        }
        return [c for c in contact.channels if c in available and usable[c]]
