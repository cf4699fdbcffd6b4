"""Campaigns: one attack on several councils (a supplier compromised, a phishing wave), which
the central team links together to coordinate, and what each council may see of it.

The sharing rule, applied to every authority's view of a campaign (its incident's status page
and `GET /api/incidents/{id}`), follows the Traffic Light Protocol (TLP 2.0):

- The authority's own incidents in the campaign are its own: shown in full.
- Another authority's incident is described ("an incident at Cardiff Council, category 3,
  stage notifying") only when that incident is marked TLP:GREEN or TLP:CLEAR (the community may
  know) *and* the campaign itself may be shared with the councils linked into it. Otherwise it
  is only counted ("and 2 other incidents in other authorities"). Titles, descriptions and
  references of other authorities' incidents are never shown.
- The campaign's own name and note go to the linked authorities only when the campaign is
  marked TLP:AMBER or lower: AMBER shares with the recipients' organisations on a need-to-know
  basis, which the linked councils are. Under TLP:AMBER+STRICT (the central team's own
  organisation) or TLP:RED (named people) they read "part of a campaign the central team is
  coordinating", and the campaign's marking caps what they read of the others too: knowing
  which councils share a campaign is itself something the campaign says.

When the attack is over the central team closes the campaign. A closed campaign keeps its
incidents, and each council still sees its part by the same rule, told that the campaign was
one the central team has closed; no incident is linked into it or taken out of it until it is
reopened. Closing is the central team's own record, on the campaign: not on any incident's
timeline.

Pure rules and the update the incident's workflow takes; no I/O.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from domain.vocabulary import NcscCategory, Stage, Tlp

#: Markings under which a campaign's name and note go to the authorities linked into it.
SHARED_WITH_LINKED = frozenset({Tlp.AMBER, Tlp.GREEN, Tlp.CLEAR})
#: Markings under which an incident may be described to other authorities (the community).
SHARED_WITH_COMMUNITY = frozenset({Tlp.GREEN, Tlp.CLEAR})


def shares_with_linked(campaign_tlp: Tlp) -> bool:
    """The campaign's name and note may be shown to the councils it links."""
    return campaign_tlp in SHARED_WITH_LINKED


def describes_to_others(campaign_tlp: Tlp, incident_tlp: Tlp) -> bool:
    """Another council may read this incident's authority, category and stage."""
    return shares_with_linked(campaign_tlp) and incident_tlp in SHARED_WITH_COMMUNITY


class CampaignLink(BaseModel):
    """The update an incident's workflow takes when the central team links it into a campaign
    or takes it out: recorded on the incident's own timeline, which only its workflow writes.
    The name is given only when the campaign's marking lets the council read it: the timeline
    is the council's."""

    campaign_id: int
    name: str | None = None
    actor: str
    """The person at the central team, from their credentials."""


class LinkedIncident(BaseModel):
    """One incident of a campaign, as the read side has it (all of it is the central team's to
    see; `as_seen_by` decides what an authority sees)."""

    incident_id: str
    reference: str
    authority_id: int
    authority_code: str
    authority_name_en: str
    authority_name_cy: str
    category: NcscCategory
    stage: Stage
    tlp: Tlp
    exercise: bool = False


class CampaignFacts(BaseModel):
    campaign_id: int
    name: str
    tlp: Tlp
    note: str | None = None
    closed_at: datetime | None = None


class OwnIncident(BaseModel):
    """One of the viewing authority's own incidents in the campaign."""

    incident_id: str
    reference: str
    stage: Stage


class OtherIncident(BaseModel):
    """Another authority's incident, described as far as both markings allow: never its title,
    description or reference."""

    authority: str = Field(description="The other authority's code.")
    authority_name_en: str
    authority_name_cy: str
    category: NcscCategory
    stage: Stage


class CampaignAsSeen(BaseModel):
    """A campaign as one authority's people may see it (the rule: this module's docstring)."""

    campaign_id: int
    tlp: Tlp = Field(description="The campaign's own marking.")
    shared: bool = Field(description="Whether the campaign's name and note may be shown.")
    name: str | None = Field(description="Null when the campaign's marking withholds it.")
    note: str | None
    closed_at: datetime | None = Field(
        None,
        description="When the central team closed the campaign; null while it is open. A "
        "closed campaign keeps its incidents, shown by the same rule.",
    )
    own: list[OwnIncident] = Field(description="This authority's incidents in the campaign.")
    others: list[OtherIncident] = Field(
        description="Other authorities' incidents whose markings let them be described."
    )
    others_withheld: int = Field(
        description="Other authorities' incidents that may only be counted."
    )


def as_seen_by(
    authority_id: int, campaign: CampaignFacts, incidents: list[LinkedIncident]
) -> CampaignAsSeen:
    """What `authority_id`'s people may see of the campaign and its incidents."""
    shared = shares_with_linked(campaign.tlp)
    own = [i for i in incidents if i.authority_id == authority_id]
    others = [i for i in incidents if i.authority_id != authority_id]
    described = [i for i in others if describes_to_others(campaign.tlp, i.tlp)]
    return CampaignAsSeen(
        campaign_id=campaign.campaign_id,
        tlp=campaign.tlp,
        shared=shared,
        name=campaign.name if shared else None,
        note=campaign.note if shared else None,
        closed_at=campaign.closed_at,
        own=[
            OwnIncident(incident_id=i.incident_id, reference=i.reference, stage=i.stage)
            for i in own
        ],
        others=[
            OtherIncident(
                authority=i.authority_code,
                authority_name_en=i.authority_name_en,
                authority_name_cy=i.authority_name_cy,
                category=i.category,
                stage=i.stage,
            )
            for i in described
        ],
        others_withheld=len(others) - len(described),
    )


def link_for_timeline(campaign: CampaignFacts, actor: str) -> CampaignLink:
    """The update recording a link or an unlink: the name only if the council may read it."""
    return CampaignLink(
        campaign_id=campaign.campaign_id,
        name=campaign.name if shares_with_linked(campaign.tlp) else None,
        actor=actor,
    )


def linked_summary(link: CampaignLink) -> str:
    """The timeline's recorded (English) summary of a link; the pages say it again in the
    reader's language (`web.pages.timeline_words`)."""
    if link.name is None:
        return "Linked by the central team to a campaign it is coordinating"
    return f"Linked by the central team to the campaign “{link.name}”"


def unlinked_summary(link: CampaignLink) -> str:
    if link.name is None:
        return "Taken out of a campaign by the central team"
    return f"Taken out of the campaign “{link.name}” by the central team"
