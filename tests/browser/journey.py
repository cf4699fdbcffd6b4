"""The officer's journey, by keyboard alone: sign in, open an incident, have both members
acknowledge from their emails, record the NCSC submission, close.

Every control is reached with Tab and used with Enter, Space, the arrow keys and typing; no
mouse. At every page the first Tab reaches the skip link, and at every stop the focused element
shows its focus. Optionally (`narrow`), every page is also checked to fit its viewport without
sideways scrolling. Each step's page is saved as a screenshot named for the step.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from playwright.async_api import Locator, Page, expect
from temporalio.client import Client

from domain.obligations import Body
from domain.state import IncidentState
from domain.vocabulary import MemberRole
from tests.browser.browsing import (
    first_tab_is_skip_link,
    path_of,
    sideways_scrolling,
    tab_to,
)
from tests.browser.names import Lang, name
from tests.browser.screens import screenshot
from tests.browser.world import Authority, Person, ack_link, state_when
from tests.support import Inbox
from workflows import IncidentWorkflow

_INCIDENT_PATH = re.compile(r"/incidents/([0-9a-f-]{36})(?:[?#]|$)")
#: How many times the arrow key may move a list's choice before the test gives up.
MAX_ARROWS = 12


@dataclass
class Journey:
    """One journey's page, language and what it checks at each step."""

    officer_page: Page
    lang: Lang
    origin: str
    folder: str
    narrow: bool
    new_page: Callable[[], Awaitable[Page]]
    """A page in a fresh browser (a member's own), in the journey's language and size."""
    steps: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Pages that do not fit, listed at the end so that one page does not hide the next."""

    async def arrived(self, page: Page, step: str) -> None:
        """A new page: it fits; its screenshot; its first Tab reaches the skip link."""
        await page.wait_for_load_state()
        # The window the person is looking at: the member's browser, or the officer's again.
        await page.bring_to_front()
        await expect(page.locator("html")).to_have_attribute("lang", self.lang)
        if self.narrow:
            problem = await sideways_scrolling(page, f"{step} ({path_of(page.url)})")
            if problem:
                self.problems.append(problem)
        await screenshot(page, self.lang, self.folder, step)
        self.steps.append(step)
        moved = await page.evaluate(
            "() => document.activeElement !== document.body || location.hash !== ''"
        )
        if not moved:
            # Unless the page put the focus somewhere on purpose (GOV.UK's success banner and
            # error summary take it) or was linked to a place in it, Tab starts at the top.
            await first_tab_is_skip_link(page, self.lang)

    async def enter(self, page: Page, key: str, role: Literal["button", "link"] = "button") -> None:
        """Tab to the control with this accessible name and press Enter."""
        await tab_to(page, page.get_by_role(role, name=name(key, self.lang)).first)
        async with page.expect_navigation():
            await page.keyboard.press("Enter")

    async def type_into(self, page: Page, key: str, text: str) -> None:
        field_ = page.get_by_label(name(key, self.lang)).first
        await tab_to(page, field_)
        await page.keyboard.press("ControlOrMeta+A")
        await page.keyboard.type(text)

    async def choose_any(self, page: Page, key: str) -> None:
        """Tab to a list that starts with no choice and arrow down to its first choice."""
        chooser = page.get_by_label(name(key, self.lang)).first
        await tab_to(page, chooser)
        for _ in range(MAX_ARROWS):
            if await chooser.evaluate("el => el.value !== ''"):
                return
            await page.keyboard.press("ArrowDown")
        raise AssertionError(f"no choice in {key}")

    async def pick(self, page: Page, group_key: str, option_key: str | None = None) -> None:
        """Tab into a group of radios, then choose with Space and the arrow keys: the
        first option, or the one named `option_key`."""
        group = page.get_by_role("group", name=name(group_key, self.lang)).first
        await tab_to(page, group, into=True)
        await page.keyboard.press("Space")
        if option_key is None:
            return
        wanted = group.get_by_role("radio", name=name(option_key, self.lang)).first
        for _ in range(MAX_ARROWS):
            if await wanted.is_checked():
                return
            await page.keyboard.press("ArrowDown")
        raise AssertionError(f"no option {option_key} in {group_key}")

    async def choose(self, page: Page, key: str, value: str, within: Locator) -> None:
        """Tab to a list and move its choice with the arrow keys until `value` is chosen."""
        chooser = within.get_by_label(name(key, self.lang)).first
        await tab_to(page, chooser)
        for _ in range(MAX_ARROWS):
            if await chooser.input_value() == value:
                return
            await page.keyboard.press("ArrowDown")
        raise AssertionError(f"no choice {value} in {key}")

    async def open_action(self, page: Page, key: str) -> Locator:
        """Tab to an action's disclosure (GOV.UK details) and open it with Enter."""
        summary = page.locator("summary").filter(has_text=name(key, self.lang)).first
        await tab_to(page, summary)
        details = page.locator("details").filter(has=summary).first
        if not await details.evaluate("el => el.open"):
            await page.keyboard.press("Enter")
        await expect(details).to_have_attribute("open", "")
        return details

    async def type_within(self, page: Page, within: Locator, key: str, text: str) -> None:
        field_ = within.get_by_label(name(key, self.lang)).first
        await tab_to(page, field_)
        await page.keyboard.type(text)

    async def submit_within(self, page: Page, within: Locator, key: str) -> None:
        await tab_to(page, within.get_by_role("button", name=name(key, self.lang)).first)
        async with page.expect_navigation():
            await page.keyboard.press("Enter")


async def run_journey(
    journey: Journey, person: Person, authority: Authority, inbox: Inbox, client: Client
) -> float:
    """The whole journey; returns its time in seconds (waiting for the workflow included)."""
    page, lang, started = journey.officer_page, journey.lang, time.monotonic()

    await page.goto(f"{journey.origin}/signin")
    await journey.arrived(page, "01-sign-in")
    await journey.type_into(page, "email address", person.email)
    await journey.type_into(page, "password", person.password)
    await journey.enter(page, "sign in button")
    await journey.arrived(page, "02-incident-list")

    await journey.enter(page, "report incident link", role="link")
    await journey.arrived(page, "03-new-incident")
    await journey.type_into(page, "title field", f"Keyboard journey ({lang})")
    await journey.type_into(page, "description field", "Payroll server unreachable; ransom note.")
    await journey.choose_any(page, "incident type")
    await journey.pick(page, "category group")
    await journey.pick(page, "personal data group", "no")
    await journey.pick(page, "tlp group")
    await journey.type_into(page, "your name", "Rhian Evans")
    await journey.type_into(page, "your email", f"rhian@{authority.council.domain}")
    await journey.enter(page, "form continue")
    heading = page.get_by_role("heading", level=1, name=name("check answers heading", lang))
    if await heading.count():
        await journey.arrived(page, "04-check-answers")
        await journey.enter(page, "confirm and open")

    found = _INCIDENT_PATH.search(path_of(page.url))
    assert found, f"opening the incident led to {page.url}, not its status page"
    incident_id = found.group(1)
    handle = client.get_workflow_handle(f"incident-{incident_id}")
    await state_when(handle, lambda s: bool(s.chains) and all(c.level for c in s.chains))
    await page.reload()
    await journey.arrived(page, "05-status-notifying")

    for role in (MemberRole.EXECUTIVE_MEMBER, MemberRole.SENIOR_MANAGEMENT_MEMBER):
        link = await ack_link(inbox, authority.council, role, incident_id)
        member_page = await journey.new_page()
        await member_page.goto(link)
        await journey.arrived(member_page, f"06-acknowledge-{role.value}")
        await journey.enter(member_page, "acknowledge button")
        await journey.arrived(member_page, f"07-acknowledged-{role.value}")
        await member_page.context.close()

    await state_when(handle, lambda s: all(c.acknowledged_by for c in s.chains))
    await page.reload()
    await journey.arrived(page, "08-status-reporting")

    # The NCSC first, then every other body still waiting, so that the incident can close.
    bodies = [Body.NCSC]
    state: IncidentState = await handle.query(IncidentWorkflow.state)
    bodies += [o.body for o in state.obligations if o.state.open and o.body != Body.NCSC]
    for number, body in enumerate(bodies, start=1):
        form = await journey.open_action(page, "submission action")
        await journey.choose(page, "submission body", body.value, within=form)
        await journey.type_within(page, form, "submission reference", f"REF-{number:04d}")
        await journey.submit_within(page, form, "record submission")
        await journey.arrived(page, f"09-submission-{body.value}")
    state = await handle.query(IncidentWorkflow.state)
    ncsc = next(o for o in state.obligations if o.body == Body.NCSC)
    assert ncsc.submissions, "the NCSC submission was not recorded"

    form = await journey.open_action(page, "close incident")
    await journey.type_within(page, form, "closing summary", "Restored from backups; no loss.")
    await journey.submit_within(page, form, "close incident")
    await state_when(handle, lambda s: s.closed_at is not None)
    await page.reload()
    await journey.arrived(page, "10-status-closed")
    return time.monotonic() - started
