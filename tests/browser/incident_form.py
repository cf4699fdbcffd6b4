"""Filling in the new-incident form, by accessible name: GOV.UK's fields, radios in fieldsets
named by their legends, and a list of incident types that starts with no choice."""

from __future__ import annotations

from playwright.async_api import Page

from tests.browser.names import Lang, name

TITLE = "Door access badges stopped working"
DESCRIPTION = "Badge readers at the civic centre reject every card; the supplier suspects malware."


async def fill_new_incident(page: Page, lang: Lang, reporter_email: str) -> None:
    """A valid incident, reported to the NCSC (category 1), with no personal data."""
    await page.get_by_label(name("title field", lang)).first.fill(TITLE)
    await page.get_by_label(name("description field", lang)).first.fill(DESCRIPTION)
    kinds = page.get_by_label(name("incident type", lang)).first
    values = await kinds.evaluate("el => [...el.options].map(o => o.value).filter(v => v)")
    await kinds.select_option(values[0])
    for group_key, choice in (
        ("category group", None),
        ("personal data group", "no"),
        ("tlp group", None),
    ):
        group = page.get_by_role("group", name=name(group_key, lang)).first
        radio = (
            group.get_by_role("radio", name=name(choice, lang))
            if choice
            else group.get_by_role("radio")
        )
        if await group.count():
            await radio.first.check()
    await page.get_by_label(name("your name", lang)).first.fill("Rhian Evans")
    await page.get_by_label(name("your email", lang)).first.fill(reporter_email)
