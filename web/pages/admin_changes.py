"""The authority's history of administration: every change, who made it, when, and each
field's value before and after, in words the reader's language has."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from domain.access import AccessRole
from domain.channels import Channel, PagingStep
from domain.commitments import Commitment
from domain.obligations import Body, Trigger
from domain.vocabulary import Language, MemberRole
from models import AdministrationChange
from notifications.labels import label
from services.administration import changes_of
from services.users import users_of
from translations import N_, translate
from web.deps import SessionDep
from web.i18n import page_language, time_span
from web.pages.admin_common import OwnAuthority, PageAdministers, admin_path
from web.pages.admin_policy import BANDS
from web.pages.common import render
from web.pages.timeline_words import exact_span

router = APIRouter(include_in_schema=False)

#: What each recorded field is called on the page.
FIELD_NAMES: dict[str, str] = {
    "name": N_("Name"),
    "work_email": N_("Work email"),
    "out_of_band_email": N_("Personal email"),
    "phone": N_("Telephone"),
    "mobile": N_("Mobile for texts"),
    "language": N_("Language"),
    "ack_timeout_category_1_3_seconds": N_("Acknowledgement time, categories 1 to 3"),
    "ack_timeout_category_4_seconds": N_("Acknowledgement time, category 4"),
    "ack_timeout_category_5_6_seconds": N_("Acknowledgement time, categories 5 and 6"),
    "reminders_before_escalation": N_("Reminders before escalating"),
    "delivery_timeout_seconds": N_("Time for a message to be delivered"),
    "enabled": N_("Applies"),
    "trigger": N_("When it applies"),
    "window_seconds": N_("Time to report"),
    "reminder_offsets_seconds": N_("Reminders after the clock starts"),
    "owner": N_("Owner"),
    "notify_address": N_("Told automatically at"),
    "email": N_("Email"),
    "role": N_("Role"),
    "member_role": N_("Member role"),
    "disabled": N_("Disabled"),
    "attested_at": N_("Attested"),
    "certificate_number": N_("Certificate number"),
    "certifying_body": N_("Certifying body"),
    "issued_on": N_("Issued"),
    "expires_on": N_("Expires"),
    "register_entry": N_("Corporate risk register entry"),
    "register_reference": N_("Risk register reference"),
    "last_considered_on": N_("Last considered by senior management"),
    "organisation_name": N_("Organisation name"),
    "registered_on": N_("Registered"),
    "tools": N_("Active Cyber Defence tools"),
    "clearances": N_("Security clearances"),
}

#: Fields whose values are enums a reader has words for.
_ENUMS: dict[str, type[Enum]] = {
    "language": Language,
    "owner": MemberRole,
    "member_role": MemberRole,
    "role": AccessRole,
}


@dataclass(frozen=True)
class ChangeRow:
    at: datetime
    actor: str
    subject: str
    fields: list[tuple[str, str, str]]
    """Each field's name, value before and value after, as the reader reads them."""


def _field_name(field: str, language: Language) -> str:
    if field in FIELD_NAMES:
        return translate(language, FIELD_NAMES[field])
    parts = field.split(".")
    steps = {step.value for step in PagingStep}
    if len(parts) == 3 and parts[0] == "channels" and parts[1] in BANDS and parts[2] in steps:
        return translate(language, N_("Channels for %(band)s: %(step)s")) % {
            "band": translate(language, BANDS[parts[1]][1]),
            "step": label(PagingStep(parts[2]), language).lower(),
        }
    return field


def _value(field: str, value: Any, language: Language) -> str:
    if value is None or value == "":
        return translate(language, N_("Not set"))
    if field.startswith("channels.") and isinstance(value, list):
        try:
            return ", ".join(label(Channel(channel), language) for channel in value)
        except ValueError:
            return ", ".join(str(channel) for channel in value)
    if field == "delivery_timeout_seconds" and isinstance(value, int):
        return exact_span(timedelta(seconds=value), language)
    if isinstance(value, bool):
        return translate(language, N_("Yes")) if value else translate(language, N_("No"))
    if field in _ENUMS:
        try:
            return label(_ENUMS[field](value), language)
        except (ValueError, KeyError):
            return str(value)
    if field == "trigger" and value in set(Trigger):
        return str(value).replace("_", " ")
    if field.endswith("_seconds") and isinstance(value, int):
        return time_span(timedelta(seconds=value), language)
    if field.endswith("_seconds") and isinstance(value, list):
        return ", ".join(time_span(timedelta(seconds=int(v)), language) for v in value) or (
            translate(language, N_("None"))
        )
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        # Evidence in rows (tools adopted, clearances held): each row's values in order.
        return "; ".join(", ".join(str(v) for v in item.values()) for item in value) or (
            translate(language, N_("None"))
        )
    return str(value)


def _subject(subject: str, names: dict[int, str], language: Language) -> str:
    kind, _, rest = subject.partition(":")
    try:
        if kind == "member":
            return label(MemberRole(rest), language).capitalize()
        if kind == "reporting_rule":
            return translate(language, N_("Reporting rule: %(body)s")) % {
                "body": label(Body(rest), language)
            }
        if kind == "user":
            return translate(language, N_("User: %(name)s")) % {"name": names.get(int(rest), rest)}
        if kind == "commitment":
            return translate(language, N_("Commitment %(letter)s: %(title)s")) % {
                "letter": rest,
                "title": label(Commitment(rest), language),
            }
    except ValueError:
        return subject
    if kind == "policy":
        return translate(language, N_("Escalation policy"))
    return subject


def readable(change: AdministrationChange, names: dict[int, str], language: Language) -> ChangeRow:
    return ChangeRow(
        at=change.at,
        actor=change.actor,
        subject=_subject(change.subject, names, language),
        fields=[
            (
                _field_name(field, language),
                _value(field, before, language),
                _value(field, after, language),
            )
            for field, (before, after) in change.changes.items()
        ],
    )


@router.get("/admin/{code}/changes")
async def change_history(
    request: Request, caller: PageAdministers, authority: OwnAuthority, session: SessionDep
) -> Response:
    assert authority.id is not None
    language = page_language(request)
    names = {
        person.id: person.name
        for person in await users_of(authority.id, session=session)
        if person.id is not None
    }
    changes = await changes_of(authority.id, session=session)
    return render(
        request,
        "admin_changes.html.j2",
        section="admin",
        changes=[readable(change, names, language) for change in changes],
        back=admin_path(authority),
    )
