"""Reporting an incident through the pages as a person does: the form, the check of the
answers, then "Open the incident". For tests that need an incident opened from the form."""

from __future__ import annotations

import re
from datetime import datetime
from html import unescape
from typing import Any

import httpx

from domain.clock import UK_TIME


def form_value(page: str, name: str) -> str:
    """A field's value as the page sets it (`<input name=... value=...>`)."""
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', page)
    assert found is not None, f"no {name} field on the page"
    return unescape(found.group(1))


def hidden_fields(page: str) -> dict[str, str]:
    """Every hidden field of a page, as a form would send them."""
    return {
        unescape(name): unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    }


def moment_fields(name: str, moment: datetime | str) -> dict[str, str]:
    """A moment as the form's five boxes, in UK time; "2026-11-20T09:00" is UK time already."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UK_TIME)
    return {
        f"{name}-day": str(moment.day),
        f"{name}-month": str(moment.month),
        f"{name}-year": str(moment.year),
        f"{name}-hour": str(moment.hour),
        f"{name}-minute": f"{moment.minute:02d}",
    }


async def check_answers(http: httpx.AsyncClient, fields: dict[str, Any]) -> httpx.Response:
    """Fill in the form (its CSRF token and form id are read from a fresh one unless given)
    and continue to the check-answers page."""
    if "csrf_token" not in fields or "form_id" not in fields:
        form = await http.get("/incidents/new")
        fields = {
            "csrf_token": form_value(form.text, "csrf_token"),
            "form_id": form_value(form.text, "form_id"),
        } | fields
    return await http.post("/incidents/new", data=fields)


async def confirm(http: httpx.AsyncClient, check_page: httpx.Response) -> httpx.Response:
    """Press "Open the incident" on a check-answers page."""
    assert check_page.status_code == 200, check_page.text
    return await http.post("/incidents/new/check", data=hidden_fields(check_page.text))


async def report_through_the_form(
    http: httpx.AsyncClient, fields: dict[str, Any]
) -> httpx.Response:
    """The form, the check page, then the incident: the response to "Open the incident"
    (a redirect to the incident's page when it opened)."""
    return await confirm(http, await check_answers(http, fields))
