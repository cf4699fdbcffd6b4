"""The words of a text message: short, in the member's language, with no incident detail.

A text carries the reference, the category, the code that acknowledges by reply, and a link:
texts are read on lock screens and kept on phones, so nothing more. For a member whose
language is unknown it is in Welsh, then English. The Welsh avoids circumflexes, which would
make the whole text Unicode (70 characters a segment instead of 160).
"""

from __future__ import annotations

from domain.incident import IncidentDetails
from domain.vocabulary import Language, NotificationKind
from notifications.render import MessageRenderer

#: Put before a text about an exercise, in both languages.
EXERCISE_PREFIX = "YMARFER / EXERCISE: "


def sms_text(
    renderer: MessageRenderer,
    kind: NotificationKind,
    *,
    incident: IncidentDetails,
    language: Language,
    code: str | None,
    incident_url: str,
) -> str:
    parts = [
        " ".join(
            renderer.template(f"{written.value}/_sms.txt.j2")
            .render(
                kind=kind.value,
                reference=incident.reference,
                category=int(incident.category),
                code=code,
            )
            .split()
        )
        for written in language.message_languages
    ]
    # One link for both languages: it is the longest part of the text.
    text = "\n\n".join(parts) + "\n" + incident_url
    return EXERCISE_PREFIX + text if incident.exercise else text
