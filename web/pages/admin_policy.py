"""The administrator's pages for the escalation policy: how long each band of incident
categories waits for an acknowledgement, how many reminders come before escalating, how long a
message may go undelivered before the member's next channel is tried, and which channels each
step of an escalation uses."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from domain.channels import PERSONAL_CHANNELS, ChannelPlan, PagingStep
from domain.policy import NATIONAL_DEFAULT_POLICY, EscalationPolicy
from domain.vocabulary import Language
from models import Authority
from notifications.labels import label
from services import administration
from services.directory import effective_policy
from translations import N_, translate
from web.api.admin import PolicyOverrides
from web.deps import SessionDep
from web.i18n import page_language
from web.pages.admin_common import (
    AdminForm,
    FieldMessages,
    OwnAuthority,
    PageAdministers,
    Refused,
    Saved,
    actor,
    admin_path,
    readable_errors,
)
from web.pages.common import FormData, render
from web.pages.saved_banner import saved_banner
from web.pages.timeline_words import exact_span

router = APIRouter(include_in_schema=False)

#: The timeouts, as the form asks for them (minutes) and as the API takes them (seconds).
TIMEOUTS = ("ack_timeout_category_1_3", "ack_timeout_category_4", "ack_timeout_category_5_6")
REMINDERS = "reminders_before_escalation"
DELIVERY = "delivery_timeout"
_MINUTES = N_("Enter a whole number of minutes from 1 to 10080 (7 days)")
_REMINDERS = N_("Enter a whole number of reminders from 0 to 5")
_DELIVERY = N_("Enter a whole number of minutes from 1 to 1440 (1 day)")
MESSAGES: FieldMessages = {
    **{field: (_MINUTES, _MINUTES) for field in TIMEOUTS},
    REMINDERS: (_REMINDERS, _REMINDERS),
    DELIVERY: (_DELIVERY, _DELIVERY),
}
#: Fields given in minutes on the form and in seconds to the API.
_IN_MINUTES = (*TIMEOUTS, DELIVERY)

#: The bands of categories a channel plan has (`ChannelPlan`'s fields), as a heading and as
#: words within a sentence.
BANDS: dict[str, tuple[str, str]] = {
    "category_1_3": (N_("Categories 1 to 3"), N_("categories 1 to 3")),
    "category_4": (N_("Category 4"), N_("category 4")),
    "category_5_6": (N_("Categories 5 and 6"), N_("categories 5 and 6")),
}
#: The plan's checkboxes, one group for each band's step: "category_4_reminder".
PLAN = tuple(f"{band}_{step.value}" for band in BANDS for step in PagingStep)
#: What to do when a step is left without a channel.
_NO_CHANNEL = {
    PagingStep.FIRST: N_("Select at least one channel for the first request, %(band)s"),
    PagingStep.REMINDER: N_("Select at least one channel for reminders, %(band)s"),
    PagingStep.ESCALATION: N_("Select at least one channel for escalation, %(band)s"),
}
#: The channels a plan may use: Teams is a broadcast, never a way to reach a person.
OFFERED = tuple(channel.value for channel in PERSONAL_CHANNELS)


def _plan_values(plan: ChannelPlan) -> dict[str, str]:
    """Each of the plan's checkbox groups, its channels written "email,sms"."""
    return {
        f"{band}_{step.value}": ",".join(getattr(plan, band).at(step))
        for band in BANDS
        for step in PagingStep
    }


def _values(policy: EscalationPolicy) -> dict[str, str]:
    values = {field: str(int(getattr(policy, field).total_seconds()) // 60) for field in TIMEOUTS}
    delivery = max(1, round(policy.delivery_timeout.total_seconds() / 60))
    return values | {REMINDERS: str(policy.reminders_before_escalation), DELIVERY: str(delivery)}


def _form_values(policy: EscalationPolicy) -> dict[str, str]:
    return _values(policy) | _plan_values(policy.channels)


async def _plan_choices(request: Request) -> dict[str, str]:
    """The plan's checkboxes as sent: a group sends one value for each box ticked, which the
    form as a dictionary would keep only the last of."""
    form = await request.form()
    return {field: ",".join(str(value) for value in form.getlist(field)) for field in PLAN}


def _as_request(values: dict[str, str]) -> dict[str, Any]:
    """The form in the API's units: a whole number of minutes becomes seconds; anything else is
    handed on as it is, for validation to refuse. An empty field is left out here and reported
    by `_missing`. The plan is read by `_plan`."""
    sent: dict[str, Any] = {}
    for field in (*_IN_MINUTES, REMINDERS):
        text = values.get(field, "")
        key = f"{field}_seconds" if field in _IN_MINUTES else field
        if re.fullmatch(r"[0-9]{1,9}", text):
            sent[key] = int(text) * (60 if field in _IN_MINUTES else 1)
        elif text:
            sent[key] = text
    return sent


def _missing(values: dict[str, str], language: Language) -> dict[str, str]:
    """Every field is asked for: an empty one is a mistake, not "keep what it was", which a
    person clearing a box would not expect."""
    return {
        field: translate(language, MESSAGES[field][0])
        for field in (*TIMEOUTS, REMINDERS, DELIVERY)
        if not values.get(field)
    }


def _plan(
    values: dict[str, str], language: Language
) -> tuple[dict[str, dict[str, list[str]]], dict[str, str]]:
    """The plan the boxes ticked make, and each step left without a channel. Only the channels
    offered count: anything else sent is not a box on the form."""
    plan: dict[str, dict[str, list[str]]] = {}
    errors: dict[str, str] = {}
    for band, (_, words) in BANDS.items():
        for step in PagingStep:
            field = f"{band}_{step.value}"
            chosen = [c for c in values.get(field, "").split(",") if c in OFFERED]
            plan.setdefault(band, {})[step.value] = chosen
            if not chosen:
                errors[field] = translate(language, _NO_CHANNEL[step]) % {
                    "band": translate(language, words)
                }
    return plan, errors


class _PolicyForm(AdminForm[PolicyOverrides]):
    """Asked in minutes, taken by the API in seconds, every field required; the channel plan
    as a group of checkboxes for each band's step."""

    def read(self, values: dict[str, str], language: Language) -> PolicyOverrides:
        errors: dict[str, str] = {}
        plan, plan_errors = _plan(values, language)
        policy_in = PolicyOverrides()
        try:
            policy_in = PolicyOverrides.model_validate(
                _as_request(values) | ({} if plan_errors else {"channels": plan})
            )
        except ValidationError as invalid:
            errors = {
                field.removesuffix("_seconds"): message
                for field, message in readable_errors(
                    invalid,
                    {f"{field}_seconds": MESSAGES[field] for field in _IN_MINUTES}
                    | {REMINDERS: MESSAGES[REMINDERS]},
                    language,
                ).items()
            }
        errors = _missing(values, language) | errors | plan_errors
        if errors:
            order = (*TIMEOUTS, REMINDERS, DELIVERY, *PLAN)
            raise Refused({field: errors[field] for field in order if field in errors})
        return policy_in


FORM = _PolicyForm(PolicyOverrides, "admin_policy_change.html.j2", "policy", MESSAGES)


def _context(authority: Authority, language: Language) -> dict[str, Any]:
    return {
        "national": _form_values(NATIONAL_DEFAULT_POLICY),
        "bands": [
            (band, translate(language, heading), translate(language, words))
            for band, (heading, words) in BANDS.items()
        ],
        "steps": list(PagingStep),
        "channels": list(PERSONAL_CHANNELS),
        "action": admin_path(authority, "policy", "change"),
    }


def _plan_rows(plan: ChannelPlan, language: Language) -> list[tuple[str, list[str]]]:
    """The plan as the policy page's table shows it: a row for each band, the channels of
    each step in a cell."""
    return [
        (
            translate(language, heading),
            [
                ", ".join(label(channel, language) for channel in getattr(plan, band).at(step))
                for step in PagingStep
            ],
        )
        for band, (heading, _) in BANDS.items()
    ]


@router.get("/admin/{code}/policy")
async def policy_page(
    request: Request, caller: PageAdministers, authority: OwnAuthority, session: SessionDep
) -> Response:
    assert authority.id is not None
    language = page_language(request)
    policy = await effective_policy(authority.id, session=session)
    return render(
        request,
        "admin_policy.html.j2",
        section="admin",
        banner=saved_banner(request),
        policy=policy,
        national=NATIONAL_DEFAULT_POLICY,
        delivery=exact_span(policy.delivery_timeout, language),
        national_delivery=exact_span(NATIONAL_DEFAULT_POLICY.delivery_timeout, language),
        steps=list(PagingStep),
        plan=_plan_rows(policy.channels, language),
        national_plan=policy.channels == NATIONAL_DEFAULT_POLICY.channels,
        change=admin_path(authority, "policy", "change"),
        back=admin_path(authority),
    )


@router.get("/admin/{code}/policy/change")
async def policy_form(
    request: Request, caller: PageAdministers, authority: OwnAuthority, session: SessionDep
) -> Response:
    assert authority.id is not None
    policy = await effective_policy(authority.id, session=session)
    context = _context(authority, page_language(request))
    return FORM.show(request, authority, _form_values(policy), {}, **context)


@router.post("/admin/{code}/policy/change")
async def policy_save(
    request: Request,
    caller: PageAdministers,
    authority: OwnAuthority,
    session: SessionDep,
    form: FormData,
) -> Response:
    assert authority.id is not None

    async def store(policy_in: PolicyOverrides) -> Saved:
        assert authority.id is not None
        await administration.change_policy(
            authority.id,
            policy_in.timings(authority.id),
            channels=policy_in.channels,
            actor=actor(caller),
            session=session,
        )
        return Saved(N_("The escalation policy has been saved"))

    values = FORM.values(form) | await _plan_choices(request)
    context = _context(authority, page_language(request))
    return await FORM.save(request, authority, values, store, **context)
