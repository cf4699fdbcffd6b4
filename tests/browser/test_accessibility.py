"""Every page, in Welsh and in English, as each role that can see it: no WCAG 2.2 A or AA
violation that axe-core finds.

Pages are reached as a person reaches them, by the links and buttons they would use, found by
accessible name (`tests.browser.names`), so the check follows the pages as they are rebuilt.
Each page's screenshot is saved (`tests.browser.screens.SCREENSHOTS`), and the run ends with a
line counting the pages checked and their violations.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from playwright.async_api import Page, expect

from domain.access import AccessRole
from domain.vocabulary import MemberRole
from tests.browser.axe import report, violations
from tests.browser.conftest import RESULTS
from tests.browser.names import LANGUAGES, Lang, name
from tests.browser.screens import screenshot
from tests.browser.site import LiveSite
from tests.browser.world import Authority, Incidents, ack_link
from tests.support import MailServer

OFFICER = AccessRole.ON_CALL_OFFICER
MEMBER = AccessRole.RESPONSIBLE_MEMBER
ADMIN = AccessRole.AUTHORITY_ADMIN
AUDITOR = AccessRole.AUDITOR
CENTRAL = AccessRole.CENTRAL_TEAM
#: The roles that read an authority's incidents.
READERS = (OFFICER, MEMBER, CENTRAL)


@dataclass(frozen=True)
class Visit:
    """What a visit needs: the page, its language, the site and what is on it."""

    page: Page
    lang: Lang
    site: LiveSite
    authority: Authority
    incidents: Incidents
    mail: MailServer

    async def go(self, path: str) -> None:
        response = await self.page.goto(self.site.origin + path)
        assert response is not None

    async def follow(self, key: str) -> None:
        """Follow the first link with this accessible name."""
        await self.page.get_by_role("link", name=name(key, self.lang)).first.click()
        await self.page.wait_for_load_state()

    async def open_incident(self, reference: str, start: str = "/incidents") -> None:
        await self.go(start)
        await self.page.get_by_role("link", name=reference, exact=True).first.click()
        await self.page.wait_for_load_state()

    async def press(self, key: str) -> None:
        await self.page.get_by_role("button", name=name(key, self.lang)).first.click()
        await self.page.wait_for_load_state()


async def _new_form(visit: Visit) -> None:
    await visit.go("/incidents")
    await visit.follow("report incident link")


async def _form_with_errors(visit: Visit) -> None:
    await _new_form(visit)
    await visit.page.get_by_label(name("title field", visit.lang)).first.fill("")
    await visit.press("form continue")
    await expect(visit.page.get_by_role("alert").first).to_be_visible()


async def _check_answers(visit: Visit) -> None:
    await _new_form(visit)
    page, lang = visit.page, visit.lang
    await page.get_by_label(name("title field", lang)).first.fill("Check answers: door access")
    await page.get_by_label(name("description field", lang)).first.fill("Badges stopped working.")
    await page.get_by_label(name("your name", lang)).first.fill("Rhian Evans")
    await page.get_by_label(name("your email", lang)).first.fill(
        f"rhian@{visit.authority.council.domain}"
    )
    await visit.press("form continue")
    heading = page.get_by_role("heading", level=1, name=name("check answers heading", lang))
    if not await heading.count():
        pytest.skip(f"no check-answers page: the form led straight to {page.url}")


async def _status(visit: Visit, which: str) -> None:
    await visit.open_incident(getattr(visit.incidents, which).reference)


async def _ack(visit: Visit) -> None:
    link = await ack_link(
        visit.mail.inbox,
        visit.authority.council,
        MemberRole.EXECUTIVE_MEMBER,
        visit.incidents.notifying.reference,
    )
    assert link.startswith(visit.site.origin), f"the emailed link is not this site's: {link}"
    await visit.page.goto(link)
    button = visit.page.get_by_role("button", name=name("acknowledge button", visit.lang))
    await expect(button).to_be_visible()


async def _not_found(visit: Visit) -> None:
    response = await visit.page.goto(visit.site.origin + "/no-such-page")
    assert response is not None and response.status == 404


async def _signed_in_nav(visit: Visit, key: str) -> None:
    await visit.go("/incidents")
    await visit.follow(key)


async def _audit_incident(visit: Visit) -> None:
    await visit.open_incident(visit.incidents.closed.reference, start="/audit")


async def _sign_in_errors(visit: Visit) -> None:
    await visit.go("/signin")
    await visit.press("sign in button")


Go = Callable[[Visit], Awaitable[None]]

#: Each page: how a person reaches it, and who can.
PAGES: dict[str, tuple[Go, tuple[AccessRole | None, ...]]] = {
    "sign-in": (lambda v: v.go("/signin"), (None,)),
    "sign-in-errors": (_sign_in_errors, (None,)),
    "incident-list": (lambda v: v.go("/incidents"), READERS),
    "new-incident": (_new_form, (OFFICER,)),
    "new-incident-errors": (_form_with_errors, (OFFICER,)),
    "check-answers": (_check_answers, (OFFICER,)),
    "status-notifying": (lambda v: _status(v, "notifying"), READERS),
    "status-reporting": (lambda v: _status(v, "reporting"), (OFFICER,)),
    "status-closed": (lambda v: _status(v, "closed"), (OFFICER,)),
    "acknowledge": (_ack, (None,)),
    "administration": (lambda v: _signed_in_nav(v, "administration nav"), (ADMIN,)),
    "account": (lambda v: _signed_in_nav(v, "account nav"), (OFFICER,)),
    "sign-out": (lambda v: _signed_in_nav(v, "sign out nav"), (OFFICER,)),
    "audit-list": (lambda v: v.go("/audit"), (AUDITOR,)),
    "audit-incident": (_audit_incident, (AUDITOR,)),
    "not-found": (_not_found, (OFFICER,)),
}

CASES = [
    pytest.param(lang, page, role, id=f"{lang}-{page}-{role.value if role else 'anonymous'}")
    for lang in LANGUAGES
    for page, (_, roles) in PAGES.items()
    for role in roles
]


@pytest.mark.parametrize(("lang", "page_name", "role"), CASES)
async def test_page_has_no_accessibility_violations(
    lang: Lang,
    page_name: str,
    role: AccessRole | None,
    page_for: Callable[..., Awaitable[Page]],
    live_site: LiveSite,
    authorities: dict[Lang, Authority],
    incidents: dict[Lang, Incidents],
    mail_server: MailServer,
) -> None:
    page = await page_for(lang, role)
    go, _ = PAGES[page_name]
    await go(Visit(page, lang, live_site, authorities[lang], incidents[lang], mail_server))
    await expect(page.locator("html")).to_have_attribute("lang", lang)
    who = role.value if role else "anonymous"
    await screenshot(page, lang, page_name if role in (None, OFFICER) else f"{page_name}-{who}")
    found = await violations(page)
    where = f"{page_name} ({lang}, {who}) at {page.url.removeprefix(live_site.origin)}"
    RESULTS.append((where, len(found)))
    assert not found, report(where, found)
