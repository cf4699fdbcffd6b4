"""A real browser against the real app: Chromium driven by Playwright's async API, on the
tests' session event loop, against the app served on a loopback port.

Chromium is launched once per run and each test gets a fresh browser context (its own cookies
and storage), whose every request is checked: a request to anywhere but the app's own origin
fails the test, so no page ever depends on (or leaks to) a third party.

The tests are skipped, with the reason, when Chromium is not installed at `CHROMIUM`, unless
CONCORDAT_REQUIRE_BROWSER is set (as in CI), when they fail instead.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, BrowserContext, Page, Route, async_playwright
from temporalio.testing import WorkflowEnvironment

from domain.access import AccessRole
from runtime.database import Database
from runtime.ports import free_port
from runtime.settings import Settings
from tests.browser.axe import CHECKED, serve_axe
from tests.browser.browsing import NewContext, choose_language, sign_in
from tests.browser.names import Lang
from tests.browser.site import LiveSite, serve, site_settings
from tests.browser.world import Authority, Incidents, make_authorities, make_incidents
from tests.support import MailServer

#: Debian's Chromium; Playwright's own browser downloads are never used.
CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_BROWSER = bool(os.environ.get("CONCORDAT_REQUIRE_BROWSER"))
#: Nothing in the background that would reach the network (updates, sync, QUIC probes).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        message = f"Chromium is not installed at {CHROMIUM}"
        if REQUIRE_BROWSER:
            pytest.fail(message + " and CONCORDAT_REQUIRE_BROWSER is set")
        pytest.skip(message + "; install Debian's chromium package to run the browser tests")
    return CHROMIUM


@pytest.fixture(scope="session")
async def live_site(
    chromium: Path,
    dev_settings: Settings,
    dev_server: WorkflowEnvironment,
    database: Database,
    mail_server: MailServer,
) -> AsyncIterator[LiveSite]:
    """The app on a real port, with a worker of its own, for the whole run (per database)."""
    from worker import build_worker

    settings = site_settings(dev_settings, free_port())
    async with build_worker(dev_server.client, database, settings):
        target = dev_server.client.service_client.config.target_host
        with serve(settings, target) as site:
            yield site


@pytest.fixture(scope="session")
async def authorities(live_site: LiveSite, database: Database) -> dict[Lang, Authority]:
    return await make_authorities(database)


@pytest.fixture(scope="session")
async def incidents(
    live_site: LiveSite,
    dev_server: WorkflowEnvironment,
    database: Database,
    authorities: dict[Lang, Authority],
) -> dict[Lang, Incidents]:
    """Each language's incidents in each state, made once per run."""
    return {
        lang: await make_incidents(
            dev_server.client, database, authority, live_site.settings.task_queue
        )
        for lang, authority in authorities.items()
    }


@pytest.fixture(scope="session")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


@pytest.fixture
async def new_context(browser: Browser, live_site: LiveSite) -> AsyncIterator[NewContext]:
    """Fresh browser contexts for a test, each with every request checked: none may go
    anywhere but the app. Whatever tried to is listed when the test ends."""
    contexts: list[BrowserContext] = []
    escaped: list[str] = []

    async def guard(route: Route) -> None:
        if urlsplit(route.request.url).netloc == live_site.host:
            await route.continue_()
        else:
            escaped.append(f"{route.request.method} {route.request.url}")
            await route.abort("blockedbyclient")

    async def make(**options: object) -> BrowserContext:
        context = await browser.new_context(**options)  # type: ignore[arg-type]
        context.set_default_timeout(5_000)
        await context.route("**/*", guard)
        await serve_axe(context, live_site.origin)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        await context.close()
    assert not escaped, "requests left the machine:\n" + "\n".join(escaped)


#: Signed-in sessions, kept per database, language and role: signing in once is enough.
_SIGNED_IN: dict[tuple[str, Lang, AccessRole], object] = {}


@pytest.fixture
async def page_for(
    new_context: NewContext, live_site: LiveSite, authorities: dict[Lang, Authority]
) -> Callable[..., Awaitable[Page]]:
    """A page in a fresh context, in a language, signed in as a role (None: not signed in)."""

    async def make(lang: Lang, role: AccessRole | None, **options: object) -> Page:
        key = (live_site.settings.database_url, lang, role) if role else None
        stored = _SIGNED_IN.get(key) if key else None
        context = await new_context(**options, **({"storage_state": stored} if stored else {}))
        await choose_language(context, live_site.origin, lang)
        page = await context.new_page()
        if role is not None and key is not None and stored is None:
            person = authorities[lang].people[role]
            await sign_in(page, live_site.origin, lang, person.email, person.password)
            _SIGNED_IN[key] = await context.storage_state()
        return page

    return make


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if CHECKED:
        pages = len(CHECKED)
        broken = sum(1 for _, count in CHECKED if count)
        total = sum(count for _, count in CHECKED)
        terminalreporter.write_line(
            f"browser accessibility: {pages} pages checked, {broken} with violations, "
            f"{total} violations in all"
        )


#: Which database each journey width runs on (one language each, see `test_keyboard_journey`).
#: The pages are the same on both; one journey on each backend keeps the browser tests to a few
#: minutes while both backends carry a whole journey.
JOURNEY_BACKEND = {1280: "sqlite", 320: "postgresql"}

#: Which database the axe sweep of every page runs on, per language: each page is checked once
#: in each language, and both backends serve half of the sweep.
SWEEP_BACKEND = {"en": "sqlite", "cy": "postgresql"}


def _runs_elsewhere(item: pytest.Item) -> bool:
    params = getattr(item, "callspec", None)
    if params is None or "database_url" not in params.params:
        return False
    backend = params.params["database_url"]
    width, lang = params.params.get("width"), params.params.get("lang")
    if width is not None:
        return JOURNEY_BACKEND[width] != backend
    if getattr(item, "originalname", None) == "test_page_has_no_accessibility_violations":
        return SWEEP_BACKEND[lang] != backend
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    chosen, deselected = [], []
    for item in items:
        if _runs_elsewhere(item):
            deselected.append(item)
        else:
            chosen.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = chosen
