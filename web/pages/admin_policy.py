"""The administrator's pages for the escalation policy: how long each band of incident
categories waits for an acknowledgement, and how many reminders come before escalating."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from domain.policy import NATIONAL_DEFAULT_POLICY, EscalationPolicy
from domain.vocabulary import Language
from models import Authority, EscalationPolicyOverride
from services import administration
from services.directory import effective_policy
from translations import N_, translate
from web.api.admin import PolicyOverrides
from web.deps import SessionDep
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

router = APIRouter(include_in_schema=False)

#: The timeouts, as the form asks for them (minutes) and as the API takes them (seconds).
TIMEOUTS = ("ack_timeout_category_1_3", "ack_timeout_category_4", "ack_timeout_category_5_6")
REMINDERS = "reminders_before_escalation"
_MINUTES = N_("Enter a whole number of minutes from 1 to 10080 (7 days)")
_REMINDERS = N_("Enter a whole number of reminders from 0 to 5")
MESSAGES: FieldMessages = {
    **{field: (_MINUTES, _MINUTES) for field in TIMEOUTS},
    REMINDERS: (_REMINDERS, _REMINDERS),
}


def _values(policy: EscalationPolicy) -> dict[str, str]:
    values = {field: str(int(getattr(policy, field).total_seconds()) // 60) for field in TIMEOUTS}
    return values | {REMINDERS: str(policy.reminders_before_escalation)}


def _as_request(values: dict[str, str]) -> dict[str, Any]:
    """The form in the API's units: a whole number of minutes becomes seconds; anything else is
    handed on as it is, for validation to refuse. An empty field is left out here and reported
    by `_missing`."""
    sent: dict[str, Any] = {}
    for field in (*TIMEOUTS, REMINDERS):
        text = values.get(field, "")
        key = f"{field}_seconds" if field in TIMEOUTS else field
        if re.fullmatch(r"[0-9]{1,9}", text):
            sent[key] = int(text) * (60 if field in TIMEOUTS else 1)
        elif text:
            sent[key] = text
    return sent


def _missing(values: dict[str, str], language: Language) -> dict[str, str]:
    """Every field is asked for: an empty one is a mistake, not "keep what it was", which a
    person clearing a box would not expect."""
    return {
        field: translate(language, MESSAGES[field][0])
        for field in (*TIMEOUTS, REMINDERS)
        if not values.get(field)
    }


class _PolicyForm(AdminForm[PolicyOverrides]):
    """Asked in minutes, taken by the API in seconds, every field required."""

    def read(self, values: dict[str, str], language: Language) -> PolicyOverrides:
        errors: dict[str, str] = {}
        policy_in = PolicyOverrides()
        try:
            policy_in = PolicyOverrides.model_validate(_as_request(values))
        except ValidationError as invalid:
            errors = {
                field.removesuffix("_seconds"): message
                for field, message in readable_errors(
                    invalid,
                    {f"{field}_seconds": MESSAGES[field] for field in TIMEOUTS}
                    | {REMINDERS: MESSAGES[REMINDERS]},
                    language,
                ).items()
            }
        errors = _missing(values, language) | errors
        if errors:
            raise Refused(
                {field: errors[field] for field in (*TIMEOUTS, REMINDERS) if field in errors}
            )
        return policy_in


FORM = _PolicyForm(PolicyOverrides, "admin_policy_change.html.j2", "policy", MESSAGES)


def _context(authority: Authority) -> dict[str, Any]:
    return {
        "national": _values(NATIONAL_DEFAULT_POLICY),
        "action": admin_path(authority, "policy", "change"),
    }


@router.get("/admin/{code}/policy")
async def policy_page(
    request: Request, caller: PageAdministers, authority: OwnAuthority, session: SessionDep
) -> Response:
    assert authority.id is not None
    return render(
        request,
        "admin_policy.html.j2",
        section="admin",
        banner=saved_banner(request),
        policy=await effective_policy(authority.id, session=session),
        national=NATIONAL_DEFAULT_POLICY,
        change=admin_path(authority, "policy", "change"),
        back=admin_path(authority),
    )


@router.get("/admin/{code}/policy/change")
async def policy_form(
    request: Request, caller: PageAdministers, authority: OwnAuthority, session: SessionDep
) -> Response:
    assert authority.id is not None
    policy = await effective_policy(authority.id, session=session)
    return FORM.show(request, authority, _values(policy), {}, **_context(authority))


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
            EscalationPolicyOverride(authority_id=authority.id, **policy_in.model_dump()),
            actor=actor(caller),
            session=session,
        )
        return Saved(N_("The escalation policy has been saved"))

    return await FORM.save(request, authority, FORM.values(form), store, **_context(authority))
