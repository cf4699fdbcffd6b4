"""The administrator's pages for reporting rules: for each body that may have to be told
about an incident, whether it applies, how long the council has, who owns it, and reminders."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import Response
from pydantic import BeforeValidator, EmailStr, Field, model_validator

from domain.obligations import Body, ObligationRule
from domain.vocabulary import MemberRole
from models import Authority, ReportingRuleOverride
from services import administration
from services.directory import effective_rules
from translations import N_
from web.deps import SessionDep
from web.pages.admin_common import (
    NOT_FOUND,
    AdminForm,
    FieldMessages,
    OwnAuthority,
    PageAdministers,
    Saved,
    actor,
    admin_path,
)
from web.pages.common import FormData, render
from web.pages.saved_banner import saved_banner
from web.schemas import Flag, Strict, Whole

router = APIRouter(include_in_schema=False)

#: The longest window a council may give itself: a quarter of a year.
MOST_HOURS = 24 * 92


def _hours_list(value: Any) -> Any:
    """ "1, 4, 12" (hours after the clock starts) as numbers; anything else as it is, to fail."""
    if isinstance(value, str):
        parts = [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
        if all(part.isdigit() and len(part) < 6 for part in parts):
            return [int(part) for part in parts]
    return value


class RuleRequest(Strict):
    """One body's rule as the page takes it: hours where the rule keeps seconds."""

    enabled: Flag
    window_hours: Whole = Field(ge=1, le=MOST_HOURS)
    owner: MemberRole
    reminder_hours: Annotated[
        list[Annotated[int, Field(ge=1, le=MOST_HOURS)]], BeforeValidator(_hours_list)
    ] = Field(default_factory=list, max_length=10)
    notify_address: EmailStr | None = None

    @model_validator(mode="after")
    def _reminders_before_deadline(self) -> RuleRequest:
        if any(hours >= self.window_hours for hours in self.reminder_hours):
            raise ValueError("reminders come before the deadline")
        return self


MESSAGES: FieldMessages = {
    "enabled": (
        N_("Select whether this body must be told"),
        N_("Select whether this body must be told"),
    ),
    "window_hours": (
        N_("Enter the time to report in hours"),
        N_("Enter the time to report as a whole number of hours from 1 to 2208"),
    ),
    "owner": (
        N_("Select who owns this obligation"),
        N_("Select who owns this obligation"),
    ),
    "reminder_hours": (
        N_("Enter reminders as hours after the clock starts, separated by commas, like 1, 4, 12"),
        N_("Enter reminders as hours after the clock starts, separated by commas, like 1, 4, 12"),
    ),
    "notify_address": (
        N_("Enter an email address in the correct format, like report@example.org"),
        N_("Enter an email address in the correct format, like report@example.org"),
    ),
    "form": (
        N_("Each reminder must come before the deadline"),
        N_("Each reminder must come before the deadline"),
    ),
}


def _body(body: str, rules: dict[Body, ObligationRule]) -> Body:
    """The body named in the address, if the regime in force lists it."""
    if body not in rules:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return Body(body)


def _hours(seconds: float) -> int:
    return int(seconds) // 3600


def _values(rule: ObligationRule) -> dict[str, str]:
    return {
        "enabled": "yes" if rule.enabled else "no",
        "window_hours": str(_hours(rule.window.total_seconds())),
        "owner": rule.owner.value,
        "reminder_hours": ", ".join(str(_hours(r.total_seconds())) for r in rule.reminders_at),
        "notify_address": rule.notify_address or "",
    }


#: A reminder not before the deadline is the whole form's problem, shown by the reminders' box.
FORM = AdminForm(
    RuleRequest, "admin_rule.html.j2", "reporting", MESSAGES, whole_form_field="reminder_hours"
)


def _context(authority: Authority, body: Body) -> dict[str, Any]:
    return {
        "body": body,
        "owners": list(MemberRole),
        "action": admin_path(authority, "reporting", body.value),
    }


@router.get("/admin/{code}/reporting")
async def rule_list(
    request: Request, caller: PageAdministers, authority: OwnAuthority, session: SessionDep
) -> Response:
    assert authority.id is not None
    return render(
        request,
        "admin_rules.html.j2",
        section="admin",
        banner=saved_banner(request),
        rules=list((await effective_rules(authority.id, session=session)).values()),
        base=admin_path(authority),
    )


@router.get("/admin/{code}/reporting/{body}")
async def rule_form(
    request: Request,
    body: str,
    caller: PageAdministers,
    authority: OwnAuthority,
    session: SessionDep,
) -> Response:
    assert authority.id is not None
    rules = await effective_rules(authority.id, session=session)
    chosen = _body(body, rules)
    return FORM.show(request, authority, _values(rules[chosen]), {}, **_context(authority, chosen))


@router.post("/admin/{code}/reporting/{body}")
async def rule_save(
    request: Request,
    body: str,
    caller: PageAdministers,
    authority: OwnAuthority,
    session: SessionDep,
    form: FormData,
) -> Response:
    assert authority.id is not None
    rules = await effective_rules(authority.id, session=session)
    chosen = _body(body, rules)
    current = rules[chosen]

    async def store(rule_in: RuleRequest) -> Saved:
        assert authority.id is not None
        await administration.change_reporting_rule(
            authority.id,
            ReportingRuleOverride(
                authority_id=authority.id,
                body=chosen,
                enabled=rule_in.enabled,
                window_seconds=rule_in.window_hours * 3600,
                owner=rule_in.owner,
                reminder_offsets_seconds=[hours * 3600 for hours in rule_in.reminder_hours],
                # An emptied address is kept as "", which clears the one the rule had.
                notify_address=str(rule_in.notify_address)
                if rule_in.notify_address
                else ("" if current.notify_address else None),
            ),
            actor=actor(caller),
            session=session,
        )
        return Saved(N_("The reporting rule has been saved"))

    return await FORM.save(
        request, authority, FORM.values(form), store, **_context(authority, chosen)
    )
