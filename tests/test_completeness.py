"""Nothing a reader needs is missing: every message in each language it can be sent in, and
every word a person reads in English and in Welsh.

The tests walk the enums themselves, so a new message kind, event kind or enum fails here until
its templates and words exist (or it is said, with the reason, to need none).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from datetime import UTC, datetime, timedelta
from enum import Enum

import pytest
from jinja2 import TemplateNotFound

import domain
from domain.activity_contracts import NotificationFacts
from domain.directory import MemberContact
from domain.incident import IncidentDetails
from domain.obligations import Body
from domain.vocabulary import (
    Chain,
    Language,
    MemberRole,
    NotificationKind,
    Tlp,
)
from notifications.labels import LABELS, NOT_READ_BY_PEOPLE, SAME_IN_WELSH
from notifications.render import (
    ENGLISH_ONLY_KINDS,
    MessageRenderer,
    RenderedDraft,
    RenderedMessage,
)
from tests.support import incident_details

WRITTEN_IN = (Language.ENGLISH, Language.WELSH)
#: Sent in place of any kind when the message may carry no detail (to the central team, its
#: own, which still names the category and the authority).
RESTRICTED = "restricted"
CENTRE_RESTRICTED = "centre_alert_restricted"
NOW = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)


def languages_of(kind: NotificationKind) -> tuple[Language, ...]:
    return (Language.ENGLISH,) if kind in ENGLISH_ONLY_KINDS else WRITTEN_IN


def domain_enums() -> list[type[Enum]]:
    """Every enum defined in a module of the `domain` package."""
    found: list[type[Enum]] = []
    for module_info in pkgutil.iter_modules(domain.__path__, prefix="domain."):
        module = importlib.import_module(module_info.name)
        found += [
            value
            for _, value in inspect.getmembers(module, inspect.isclass)
            if issubclass(value, Enum) and value.__module__ == module.__name__
        ]
    return sorted(found, key=lambda enum: enum.__qualname__)


def incident(**overrides: object) -> IncidentDetails:
    return incident_details(NOW, **({"reference": "CDF-2026-0009", "tlp": Tlp.AMBER} | overrides))


#: Every fact any template may read.
FACTS = NotificationFacts(
    chain=Chain.EXECUTIVE,
    level=2,
    respond_by=NOW + timedelta(hours=1),
    previous_recipient="Cllr Eleri Morgan",
    reminder_number=1,
    closing_summary="Contained and restored from backups.",
    body=Body.NCSC,
    deadline=NOW + timedelta(hours=24),
    clock_started_at=NOW,
    ncsc_contact_email="cyber@cdf.example",
    sealed_at_event=12,
    authority_name_en="Cardiff Council",
    authority_name_cy="Cyngor Caerdydd",
)


def render(
    kind: NotificationKind,
    language: Language,
    *,
    details: IncidentDetails | None = None,
    restricted: bool = False,
) -> RenderedMessage:
    return MessageRenderer().render(
        kind,
        recipient=MemberContact(
            member_id=7,
            role=MemberRole.SENIOR_MANAGEMENT_MEMBER,
            name="Siân Hughes",
            email="sian@cdf.example",
            language=language,
        ),
        incident=details or incident(),
        facts=FACTS,
        acknowledge_url="https://concordat.example/ack/token",
        incident_url="https://concordat.example/incidents/9",
        draft=RenderedDraft("Draft report.\n", "<p>Draft report.</p>"),
        record_seal="CDF-2026-0009#12:" + "0" * 64,
        restricted=restricted,
    )


@pytest.mark.parametrize("kind", [*NotificationKind, RESTRICTED])
def test_every_message_has_text_and_html_in_each_language_it_is_sent_in(
    kind: NotificationKind | str,
) -> None:
    renderer = MessageRenderer()
    languages = WRITTEN_IN if kind == RESTRICTED else languages_of(NotificationKind(kind))
    for language in languages:
        for part in ("txt", "html"):
            renderer.template(f"{language.value}/{kind}.{part}.j2")


@pytest.mark.parametrize("kind", sorted(ENGLISH_ONLY_KINDS))
def test_a_kind_said_to_be_english_only_has_no_welsh_template(kind: NotificationKind) -> None:
    # Once its Welsh templates exist, it leaves ENGLISH_ONLY_KINDS and is held to them.
    for part in ("txt", "html"):
        with pytest.raises(TemplateNotFound):
            MessageRenderer().template(f"cy/{kind.value}.{part}.j2")


def test_every_template_belongs_to_a_message_kind() -> None:
    names = MessageRenderer().template_names()
    kinds = {kind.value for kind in NotificationKind} | {RESTRICTED, CENTRE_RESTRICTED}
    for name in names:
        folder, _, file = name.partition("/")
        if folder not in {language.value for language in WRITTEN_IN} or file.startswith("_"):
            continue
        assert file.removesuffix(".txt.j2").removesuffix(".html.j2") in kinds, name


@pytest.mark.parametrize("kind", list(NotificationKind))
def test_every_message_renders_in_each_language_with_its_own_words(
    kind: NotificationKind,
) -> None:
    written = {language: render(kind, language) for language in languages_of(kind)}
    for language, message in written.items():
        assert message.subject.startswith("[TLP:AMBER] CDF-2026-0009 "), language
        assert message.text.strip() and f'lang="{language.value}"' in message.html
    if Language.WELSH in written:
        english, welsh = written[Language.ENGLISH], written[Language.WELSH]
        assert welsh.subject != english.subject and welsh.text != english.text


@pytest.mark.parametrize("language", WRITTEN_IN)
@pytest.mark.parametrize(
    "marking", [{"email_compromised": True}, {"tlp": Tlp.RED}], ids=["compromised", "red"]
)
@pytest.mark.parametrize("kind", [NotificationKind.ESCALATION, NotificationKind.CENTRE_ALERT])
def test_the_message_without_detail_renders_in_both_languages(
    language: Language, marking: dict[str, object], kind: NotificationKind
) -> None:
    message = render(kind, language, details=incident(**marking), restricted=True)
    assert "CDF-2026-0009" in message.text
    for detail in ("Ransomware on the revenues", "ransom note"):
        assert detail not in message.text and detail not in message.html


def test_every_enum_in_the_domain_is_labelled_or_said_to_be_read_by_no_one() -> None:
    for enum in domain_enums():
        assert (enum in LABELS) != (enum in NOT_READ_BY_PEOPLE), enum.__qualname__
    for enum, reason in NOT_READ_BY_PEOPLE.items():
        assert reason.strip(), enum.__qualname__


@pytest.mark.parametrize("enum", list(LABELS), ids=lambda enum: enum.__qualname__)
def test_every_value_a_person_reads_has_english_and_welsh_words(enum: type[Enum]) -> None:
    for language in WRITTEN_IN:
        words = [LABELS[enum][language].get(value, "") for value in enum]
        assert all(word.strip() for word in words), (language, words)
        # Two values with the same words could not be told apart.
        assert len(set(words)) == len(words), (language, words)
    for value in enum:
        english = LABELS[enum][Language.ENGLISH][value]
        welsh = LABELS[enum][Language.WELSH][value]
        # Names of services and teams stay as they are; everything else is translated.
        assert (welsh == english) == (value in SAME_IN_WELSH), (value, welsh)
