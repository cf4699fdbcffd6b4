"""A field in error is marked `aria-invalid="true"` and described by its error message; a field
without an error is not marked, and neither is a radio in a group in error (ARIA does not allow
it there: the group's fieldset carries the message)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import httpx

from runtime.database import Database
from tests.incident_form_steps import check_answers, moment_fields
from tests.support import make_authority, make_user, sign_in
from web.i18n import LANGUAGE_COOKIE

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


class _Elements(HTMLParser):
    """Each element with an id: its attributes and its text."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.attributes: dict[str, dict[str, str | None]] = {}
        self.texts: dict[str, str] = {}
        self.inputs: list[dict[str, str | None]] = []
        self._open: list[str | None] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input":
            self.inputs.append(found)
        element_id = found.get("id")
        if element_id:
            self.attributes[element_id] = found
            self.texts[element_id] = ""
        if tag not in VOID:
            self._open.append(element_id)

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for element_id in self._open:
            if element_id:
                self.texts[element_id] += data

    def invalid(self, element_id: str) -> bool:
        return self.attributes[element_id].get("aria-invalid") == "true"

    def described_by(self, element_id: str) -> list[str]:
        return (self.attributes[element_id].get("aria-describedby") or "").split()

    def error_of(self, element_id: str) -> str:
        """The text of the error message among the elements describing a field."""
        errors = [
            " ".join(self.texts[described].split())
            for described in self.described_by(element_id)
            if "govuk-error-message" in (self.attributes[described].get("class") or "")
        ]
        assert len(errors) == 1, f"{element_id} is described by {errors}"
        return errors[0]


async def test_a_wrong_password_marks_the_email_field_invalid(
    http: httpx.AsyncClient, database: Database
) -> None:
    council = await make_authority(database)
    person, _ = await make_user(database, council)
    http.cookies.set(LANGUAGE_COOKIE, "en")

    refused = await sign_in(http, person.email, "not the right password")

    assert refused.status_code == 401
    page = _Elements(refused.text)
    assert page.invalid("email")
    assert page.error_of("email").startswith("Error:")
    assert "aria-invalid" not in page.attributes["password"]

    blank = _Elements((await http.get("/signin")).text)
    assert "aria-invalid" not in blank.attributes["email"]
    assert "aria-invalid" not in blank.attributes["password"]


async def test_the_incident_forms_fields_in_error_are_marked_invalid(
    http: httpx.AsyncClient, database: Database
) -> None:
    council = await make_authority(database, reporting=False)
    person, password = await make_user(database, council)
    assert (await sign_in(http, person.email, password)).status_code == 303
    http.cookies.set(LANGUAGE_COOKIE, "en")
    detected = datetime.now(UTC) - timedelta(hours=2)
    answers = {
        "authority": council.code,
        "title": "",
        "description": "Site down since 09:00.",
        "incident_type": "denial_of_service",
        "category": "",
        "personal_data": "no",
        "tlp": "TLP:GREEN",
        "reporter_name": "Siân",
        "reporter_email": "sian@oncall.example",
        **moment_fields("detected_at", detected),
        "detected_at-month": "",
    }

    refused = await check_answers(http, answers)

    assert refused.status_code == 422
    page = _Elements(refused.text)
    assert page.invalid("title")
    assert "title-error" in page.described_by("title")
    assert page.error_of("title") == "Error: Enter a short title"
    # Only the wrong box of a moment is marked.
    assert page.invalid("detected_at-month")
    assert "must include the month" in page.texts["detected_at-error"]
    assert "aria-invalid" not in page.attributes["detected_at-day"]
    # Fields without an error are not marked.
    for field in ("description", "incident_type", "reporter_name", "reporter_email"):
        assert "aria-invalid" not in page.attributes[field], field
    # A radio group in error carries its message on the fieldset, not aria-invalid.
    radios = [found for found in page.inputs if found.get("name") == "category"]
    assert radios and all("aria-invalid" not in radio for radio in radios)
    assert "Select the NCSC category" in page.texts["category-error"]
    assert refused.text.count('aria-invalid="true"') == 2
