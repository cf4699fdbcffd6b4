"""Draft submissions to the bodies: the NCSC's nine questions, the ICO's Article 33(3) content,
and a plain notification for the others. Emailed to the obligation's owner and downloadable.

Drafts are in English, the language the bodies work in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.directory import MemberContact
from domain.incident import IncidentDetails
from domain.obligations import Body, StageRule
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
    stage: StageRule | None = None
    """The stage of a staged report the draft is for: its fields come from the regime."""
    body_name: str | None = None


def stage_answers(stage: StageRule, incident: IncidentDetails) -> list[tuple[str, str | None]]:
    """Each of the stage's fields with what Concordat already knows that answers it (None: the
    council writes it): a field's `from_incident` names an attribute of the incident."""
    answers: list[tuple[str, str | None]] = []
    for each in stage.fields:
        known = getattr(incident, each.from_incident, None) if each.from_incident else None
        if isinstance(known, datetime):
            known = f"{known:%Y-%m-%d %H:%M} UTC"
        elif isinstance(known, bool):
            known = "yes" if known else "no"
        elif known is not None:
            known = str(getattr(known, "value", known))
        answers.append((each.en, known))
    return answers


def render_draft(renderer: MessageRenderer, facts: DraftFacts) -> RenderedDraft:
    name = "staged" if facts.stage else _TEMPLATES.get(facts.body, "generic")
    context = {
        "language": Language.ENGLISH,
        "incident": facts.incident,
        "authority_name": facts.authority_name,
        "body_name": facts.body_name or facts.body.label,
        "stage": facts.stage,
        "answers": stage_answers(facts.stage, facts.incident) if facts.stage else [],
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
