"""Draft submissions to the bodies: the NCSC's nine questions, the ICO's Article 33(3) content,
and a plain notification for the others. Emailed to the obligation's owner and downloadable.

Drafts are in English, the language the bodies work in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.directory import MemberContact
from domain.incident import IncidentDetails
from domain.obligations import Body
from domain.vocabulary import Language
from models import BreachRecord
from notifications.render import MessageRenderer, RenderedDraft

_TEMPLATES = {Body.NCSC: "ncsc", Body.ICO: "ico"}


@dataclass(frozen=True)
class DraftFacts:
    incident: IncidentDetails
    authority_name: str
    body: Body
    deadline: datetime | None
    contact_email: str | None
    """The address for the body's replies, on a system the incident has not compromised."""
    dpo: MemberContact | None = None
    breach: BreachRecord | None = None
    told: list[str] = field(default_factory=list)


def render_draft(renderer: MessageRenderer, facts: DraftFacts) -> RenderedDraft:
    name = _TEMPLATES.get(facts.body, "generic")
    context = {
        "language": Language.ENGLISH,
        "incident": facts.incident,
        "authority_name": facts.authority_name,
        "body_name": facts.body.label,
        "deadline": facts.deadline,
        "contact_email": facts.contact_email,
        "dpo": facts.dpo,
        "breach": facts.breach,
        "told": facts.told,
        "exercise": facts.incident.exercise,
    }
    return RenderedDraft(
        text=renderer.template(f"reports/{name}.txt.j2").render(context).strip() + "\n",
        html=renderer.template(f"reports/{name}.html.j2").render(context),
    )
