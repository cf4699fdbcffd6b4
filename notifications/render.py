"""Render a notification in the recipient's language(s) from its Jinja2 templates.

Each kind has `<lang>/<kind>.txt.j2` (with the subject in a `subject` block) and
`<lang>/<kind>.html.j2`, in English and Welsh, except the kinds in `ENGLISH_ONLY_KINDS`.
HTML templates are autoescaped; incident text only ever reaches a template as data, never as
template source.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NamedTuple

from babel.dates import format_datetime
from jinja2 import (
    BaseLoader,
    Environment,
    PackageLoader,
    StrictUndefined,
    Template,
    pass_context,
    select_autoescape,
)

from domain.activity_contracts import NotificationFacts
from domain.clock import UK_TIME
from domain.directory import MemberContact
from domain.incident import IncidentDetails
from domain.vocabulary import Language, NotificationKind, Tlp
from notifications.labels import (
    BODY_NAMES,
    CATEGORY_NAMES,
    CENTRE_NAMES,
    INCIDENT_TYPE_NAMES,
    ROLE_NAMES,
)

#: Kinds written in English alone, and why. A body notification is a notice to a reporting
#: body's own intake address (the NCSC, the ICO, the police, an insurer, and the like), not to
#: a person: like the draft submissions (`notifications.drafts`) it is in English, the language
#: the bodies' reporting processes use, and the workflow addresses every body in English. Every
#: message to a person (a member, a deputy, the reporting officer) is in their own language, as
#: the Welsh Language Standards require. A body that is to be told in Welsh needs the Welsh
#: templates and a language of its own in the workflow.
ENGLISH_ONLY_KINDS: frozenset[NotificationKind] = frozenset({NotificationKind.BODY_NOTIFICATION})

_LANGUAGE_SEPARATOR = "\n\n" + "-" * 60 + "\n\n"


EXERCISE_SUBJECT = "[EXERCISE / YMARFER]"
EXERCISE_BANNER = (
    "*** EXERCISE / YMARFER: this is an exercise, not a real incident. "
    "Ymarfer yw hwn, nid digwyddiad go iawn. ***"
)


#: Handling notices for the stricter markings, shown at the top of the message in both languages.
TLP_NOTICES = {
    Tlp.RED: (
        "TLP:RED: for the people named on this incident only; do not forward or share it. "
        "I'r bobl a enwir ar y digwyddiad hwn yn unig; peidiwch ag anfon ymlaen na rhannu."
    ),
    Tlp.AMBER_STRICT: (
        "TLP:AMBER+STRICT: share only within your own council, with those who need to know. "
        "Rhannwch o fewn eich cyngor eich hun yn unig, gyda'r rhai sydd angen gwybod."
    ),
}


class RenderedDraft(NamedTuple):
    """A draft submission to a body, included in the owner's email and downloadable."""

    text: str
    html: str


class RenderedMessage(NamedTuple):
    subject: str
    text: str
    html: str


#: The locale whose day and month names a message in each language uses.
_LOCALES = {Language.ENGLISH: "en_GB", Language.WELSH: "cy"}

#: Day, date, month, year and 24-hour time, e.g. "Sunday 29 November 2026, 12:14" or
#: "Dydd Sul 29 Tachwedd 2026, 12:14"; the zone follows.
_WHEN_PATTERN = "EEEE d MMMM y, HH:mm"

#: The same to the second, for a timeline whose events in one workflow step differ by seconds.
_WHEN_PATTERN_SECONDS = "EEEE d MMMM y, HH:mm:ss"


def uk_datetime(moment: datetime | None, language: Language, *, seconds: bool = False) -> str:
    """A moment as every message shows it: UK time, in the message's language, with GMT or
    BST beside it ("Dydd Sadwrn 4 Gorffennaf 2026, 14:30 BST"); with `seconds`, to the second
    ("Dydd Sadwrn 4 Gorffennaf 2026, 14:30:05 BST").

    Day and month names come from Babel's locale data. The zone is GMT or BST in both languages
    (Babel's Welsh data has no short names for the UK's zones, and Welsh writes them so too). A
    moment without a zone is taken as UTC, as the database stores it.
    """
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(UK_TIME)
    pattern = _WHEN_PATTERN_SECONDS if seconds else _WHEN_PATTERN
    shown = format_datetime(local, pattern, tzinfo=UK_TIME, locale=_LOCALES[language])
    return f"{shown} {local.tzname()}"


# Councils work in UK time; every time in a message goes through this one filter.
@pass_context
def _when(context: Any, moment: datetime | None) -> str:
    return uk_datetime(moment, context["language"])


def _one_line(value: str) -> str:
    """Collapse any line breaks: a subject is a header, and a header is one line."""
    return " ".join(value.split())


class MessageRenderer:
    def __init__(self, loader: BaseLoader | None = None) -> None:
        """`loader` finds the templates; by default, those in this package."""
        self._env = Environment(
            loader=loader or PackageLoader("notifications", "templates"),
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self._env.filters["when"] = _when

    def template(self, name: str) -> Template:
        return self._env.get_template(name)

    def template_names(self) -> list[str]:
        return self._env.list_templates(extensions=["j2"])

    def render(
        self,
        kind: NotificationKind,
        *,
        recipient: MemberContact,
        incident: IncidentDetails,
        facts: NotificationFacts,
        acknowledge_url: str | None,
        incident_url: str,
        draft: RenderedDraft | None = None,
        record_seal: str | None = None,
        restricted: bool = False,
        out_of_band: bool = False,
    ) -> RenderedMessage:
        """`restricted` renders a message with nothing but the reference and links: for a
        recipient a TLP:RED marking leaves out, or when the council's email may be read by an
        attacker."""
        template_name = kind.value
        if restricted:
            centre = kind is NotificationKind.CENTRE_ALERT
            template_name = "centre_alert_restricted" if centre else "restricted"
        subjects, texts, htmls = [], [], []
        for language in recipient.language.message_languages:
            context = {
                "language": language,
                "recipient": recipient,
                "role_name": (
                    CENTRE_NAMES[language]
                    if kind is NotificationKind.CENTRE_ALERT
                    else ROLE_NAMES[language][recipient.role]
                ),
                "incident": incident,
                "facts": facts,
                "category_name": CATEGORY_NAMES[language][incident.category],
                "incident_type_name": INCIDENT_TYPE_NAMES[language][incident.incident_type],
                "authority_name": (
                    facts.authority_name_cy
                    if language is Language.WELSH
                    else facts.authority_name_en
                ),
                "acknowledge_url": acknowledge_url,
                "incident_url": incident_url,
                "body_name": body_name(facts, language),
                "draft": None if restricted else draft,
                "record_seal": record_seal,
                "email_compromised": incident.email_compromised,
                "out_of_band": out_of_band,
            }
            text_template = self._env.get_template(f"{language.value}/{template_name}.txt.j2")
            template_context = text_template.new_context(context)
            subjects.append(_one_line("".join(text_template.blocks["subject"](template_context))))
            texts.append(text_template.render(context).strip() + "\n")
            htmls.append(
                self._env.get_template(f"{language.value}/{template_name}.html.j2").render(context)
            )
        subject = f"[{incident.tlp.value}] {incident.reference} " + " / ".join(subjects)
        text = _LANGUAGE_SEPARATOR.join(texts)
        if incident.exercise:
            # Nobody may mistake an exercise for the real thing, whichever part they read.
            subject = f"{EXERCISE_SUBJECT} {subject}"
            text = f"{EXERCISE_BANNER}\n\n{text}\n{EXERCISE_BANNER}\n"
        notice = TLP_NOTICES.get(incident.tlp)
        if notice:
            text = f"{notice}\n\n{text}"
        html = self._env.get_template("layout.html.j2").render(
            sections=list(zip(recipient.language.message_languages, htmls, strict=True)),
            title=subject,
            exercise_banner=EXERCISE_BANNER if incident.exercise else None,
            tlp_notice=notice,
        )
        return RenderedMessage(_one_line(subject), text, html)


def body_name(facts: NotificationFacts, language: Language) -> str:
    """The body a message is about, with the stage of a staged report: "the regulator
    (initial notice)"."""
    if facts.body is None:
        return ""
    welsh = language is Language.WELSH
    name = (facts.body_name_cy if welsh else facts.body_name_en) or BODY_NAMES[language][facts.body]
    stage = facts.stage_name_cy if welsh else facts.stage_name_en
    return f"{name} ({stage})" if stage else name
