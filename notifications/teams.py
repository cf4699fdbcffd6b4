"""The Adaptive Card posted to a council's Teams incident channel.

A broadcast to everyone in the channel, so it says less than a message to a named member:
under TLP:RED or TLP:AMBER+STRICT, or when the council's email (and so perhaps its Microsoft
365) may be compromised, nothing but the reference and the link. Welsh first, then English,
as for anyone whose language is unknown.
"""

from __future__ import annotations

from typing import Any

from domain.incident import IncidentDetails
from domain.vocabulary import Language, NotificationKind
from notifications.labels import CATEGORY_NAMES, INCIDENT_TYPE_NAMES

_HEADLINES: dict[NotificationKind, tuple[str, str]] = {
    NotificationKind.ACKNOWLEDGEMENT_REQUEST: (
        "Digwyddiad seiber wedi'i agor: gofynnwyd i'r aelodau a enwir gydnabod",
        "Cyber incident opened: the named members are asked to acknowledge",
    ),
    NotificationKind.UNACKNOWLEDGED_ALERT: (
        "Nid oes neb yn y gadwyn wedi cydnabod y digwyddiad seiber",
        "Nobody in the chain has acknowledged the cyber incident",
    ),
    NotificationKind.INCIDENT_CLOSED: ("Digwyddiad seiber wedi'i gau", "Cyber incident closed"),
}

ADAPTIVE_CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def incident_card(
    kind: NotificationKind,
    *,
    incident: IncidentDetails,
    incident_url: str,
    restricted: bool,
) -> dict[str, Any]:
    welsh, english = _HEADLINES[kind]
    body: list[dict[str, Any]] = [
        _text(incident.reference, weight="Bolder", size="Large"),
    ]
    if incident.exercise:
        body.append(_text("YMARFER / EXERCISE", weight="Bolder", color="Attention"))
    if not restricted:
        body += [
            _text(welsh, weight="Bolder", lang="cy"),
            _text(english, weight="Bolder"),
            _text(incident.tlp.value),
            {
                "type": "FactSet",
                "facts": [
                    {
                        "title": "Categori / Category",
                        "value": f"{int(incident.category)}: "
                        f"{CATEGORY_NAMES[Language.WELSH][incident.category]} / "
                        f"{CATEGORY_NAMES[Language.ENGLISH][incident.category]}",
                    },
                    {
                        "title": "Math / Type",
                        "value": f"{INCIDENT_TYPE_NAMES[Language.WELSH][incident.incident_type]}"
                        f" / {INCIDENT_TYPE_NAMES[Language.ENGLISH][incident.incident_type]}",
                    },
                    {"title": "Teitl / Title", "value": incident.title},
                ],
            },
        ]
    return {
        "$schema": ADAPTIVE_CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": [
            {"type": "Action.OpenUrl", "title": "Agor / Open", "url": incident_url},
        ],
    }
