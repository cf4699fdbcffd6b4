"""The words of messages about an authority (`domain.national_messages`): one template per kind
and language in `templates/national/`, in the recipient's language, or Welsh then English when
their choice is unknown."""

from __future__ import annotations

from datetime import date, datetime
from html import escape

from babel.dates import format_date
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

from domain.national_messages import NationalMessageKind
from domain.vocabulary import Language
from notifications.render import RenderedMessage, uk_datetime

_SEPARATOR = "\n\n" + "-" * 60 + "\n\n"
_LOCALES = {Language.ENGLISH: "en_GB", Language.WELSH: "cy"}


@pass_context
def _day(context: Context, value: str | None) -> str:
    """An ISO date as a person reads it, in the message's language: "28 January 2027"."""
    if not value:
        return ""
    return format_date(date.fromisoformat(value), "d MMMM y", locale=_LOCALES[context["language"]])


@pass_context
def _moment(context: Context, value: str | None) -> str:
    """An ISO moment as every message shows it, in UK time and the message's language:
    "Saturday 4 July 2026, 14:30 BST" (`notifications.render.uk_datetime`)."""
    if not value:
        return ""
    return uk_datetime(datetime.fromisoformat(value), context["language"])


class NationalMessageRenderer:
    def __init__(self) -> None:
        self._env = Environment(
            loader=PackageLoader("notifications", "templates/national"),
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self._env.filters["day"] = _day
        self._env.filters["when"] = _moment
        self._layout = Environment(
            loader=PackageLoader("notifications", "templates"), autoescape=True
        ).get_template("layout.html.j2")

    def render(
        self,
        kind: NationalMessageKind,
        *,
        language: Language,
        recipient_name: str,
        authority_name_en: str,
        authority_name_cy: str,
        facts: dict[str, str | int | None],
    ) -> RenderedMessage:
        subjects, texts = [], []
        for written in language.message_languages:
            template = self._env.get_template(f"{written.value}/{kind.value}.txt.j2")
            context = {
                "language": written,
                "recipient_name": recipient_name,
                "authority_name": (
                    authority_name_cy if written is Language.WELSH else authority_name_en
                ),
                "facts": facts,
            }
            subject_block = template.blocks["subject"](template.new_context(context))
            subjects.append(" ".join("".join(subject_block).split()))
            texts.append(template.render(context).strip() + "\n")
        subject = " / ".join(subjects)
        html = self._layout.render(
            sections=[
                (written, "".join(f"<p>{escape(part)}</p>" for part in text.split("\n\n")))
                for written, text in zip(language.message_languages, texts, strict=True)
            ],
            title=subject,
            exercise_banner=None,
            tlp_notice=None,
        )
        return RenderedMessage(subject, _SEPARATOR.join(texts), html)
