"""Who is told, in which order: the member directory as a workflow sees it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from domain.centre import CentreContact
from domain.channels import Channel, Reachable
from domain.obligations import Body, ObligationRule
from domain.policy import EscalationPolicy
from domain.vocabulary import Chain, Language, MemberRole
from regimes.shipped import NATIONAL_RULES

#: Each chain starts with a member named under Concordat commitment c, then their deputy,
#: then the chief executive, who therefore sits at the top of both chains.
CHAIN_ROLES: dict[Chain, tuple[MemberRole, ...]] = {
    Chain.EXECUTIVE: (
        MemberRole.EXECUTIVE_MEMBER,
        MemberRole.DEPUTY_EXECUTIVE_MEMBER,
        MemberRole.CHIEF_EXECUTIVE,
    ),
    Chain.SENIOR_MANAGEMENT: (
        MemberRole.SENIOR_MANAGEMENT_MEMBER,
        MemberRole.DEPUTY_SENIOR_MANAGEMENT_MEMBER,
        MemberRole.CHIEF_EXECUTIVE,
    ),
}


#: The two members every council names under Concordat commitment c; a TLP:RED incident's
#: details go to them alone.
NAMED_ROLES = (MemberRole.EXECUTIVE_MEMBER, MemberRole.SENIOR_MANAGEMENT_MEMBER)


class MemberContact(BaseModel):
    """Someone an incident's emails go to; the reporting officer has no member id or role."""

    member_id: int | None
    role: MemberRole | None
    name: str
    email: str
    language: Language
    out_of_band_email: str | None = None
    """A personal address outside the council's mail, for when that mail may be compromised."""
    mobile: str | None = None
    """A UK mobile number in E.164 form, for texts through GOV.UK Notify."""

    @property
    def reachable(self) -> Reachable:
        return Reachable(
            email=bool(self.email),
            mobile=bool(self.mobile),
            out_of_band_email=bool(self.out_of_band_email),
        )


class AuthoritySnapshot(BaseModel):
    """The authority's directory and policy as they were at one moment of the incident."""

    authority_id: int
    code: str
    name_en: str
    name_cy: str
    members: list[MemberContact]
    policy: EscalationPolicy
    obligation_rules: dict[Body, ObligationRule] = NATIONAL_RULES
    ncsc_contact_email: str | None = None
    """An address on a system the incident has not compromised, for the NCSC's replies."""
    channels: list[Channel] = [Channel.EMAIL]
    """The channels this deployment can send on for the authority (Notify and Teams are
    configured per deployment): a plan's other channels are skipped."""
    centre: list[CentreContact] = []
    """The central team's duty recipients, whom incidents of the categories they watch reach
    at once (`domain.centre`)."""
    taken_at: datetime

    def member(self, role: MemberRole) -> MemberContact | None:
        return next((m for m in self.members if m.role == role), None)

    def member_by_id(self, member_id: int) -> MemberContact | None:
        return next((m for m in self.members if m.member_id == member_id), None)

    def chain_levels(self, chain: Chain) -> list[tuple[MemberRole, MemberContact | None]]:
        return [(role, self.member(role)) for role in CHAIN_ROLES[chain]]

    def chains_of(self, member_id: int) -> list[Chain]:
        """The chains a member's acknowledgement answers for."""
        return [
            chain
            for chain in Chain
            if any(m is not None and m.member_id == member_id for _, m in self.chain_levels(chain))
        ]
