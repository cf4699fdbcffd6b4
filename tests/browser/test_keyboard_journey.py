"""The officer's journey by keyboard alone, in Welsh at 320 CSS pixels (WCAG 1.4.10 Reflow,
and Welsh's longer words are the harder fit) and in English at a desktop width: see
`tests.browser.journey` for what each step checks. Each width runs on one database backend
(`JOURNEY_BACKEND` in the conftest), so each backend carries a whole journey.

With `CONCORDAT_SCREENSHOTS=1`, every step is saved under
`var/screenshots/<lang>/journey-<width>/` (`tests.browser.screens`); the journey's time is
printed.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Page
from temporalio.testing import WorkflowEnvironment

from domain.access import AccessRole
from tests.browser.browsing import NewContext, choose_language
from tests.browser.journey import Journey, run_journey
from tests.browser.names import Lang
from tests.browser.site import LiveSite
from tests.browser.world import Authority
from tests.support import MailServer

#: Each language once, and each width once: the narrowest WCAG asks pages to reflow to, and a
#: desktop's.
JOURNEYS = (("cy", 320), ("en", 1280))


@pytest.mark.parametrize(("lang", "width"), JOURNEYS, ids=[f"{lang}-{w}px" for lang, w in JOURNEYS])
async def test_keyboard_journey(
    lang: Lang,
    width: int,
    new_context: NewContext,
    live_site: LiveSite,
    authorities: dict[Lang, Authority],
    mail_server: MailServer,
    dev_server: WorkflowEnvironment,
) -> None:
    viewport = {"width": width, "height": 900}

    async def new_page() -> Page:
        context = await new_context(viewport=viewport)
        await choose_language(context, live_site.origin, lang)
        return await context.new_page()

    authority = authorities[lang]
    journey = Journey(
        officer_page=await new_page(),
        lang=lang,
        origin=live_site.origin,
        folder=f"journey-{width}",
        narrow=width <= 320,
        new_page=new_page,
    )
    seconds = await run_journey(
        journey,
        authority.people[AccessRole.ON_CALL_OFFICER],
        authority,
        mail_server.inbox,
        dev_server.client,
    )
    print(f"keyboard journey ({lang}, {width}px): {len(journey.steps)} pages in {seconds:.1f}s")
    if journey.problems:
        pytest.fail("\n".join(journey.problems), pytrace=False)
