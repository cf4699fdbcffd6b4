"""What the tests do in a page as a person would: sign in, choose the language, move by
keyboard, and the checks that apply to every page on the way (visible focus, no sideways
scrolling)."""

from __future__ import annotations

import re

from playwright.async_api import BrowserContext, Locator, Page, expect

from tests.browser.names import Lang, name

#: The cookie the language switch sets (`web.i18n.LANGUAGE_COOKIE`).
LANGUAGE_COOKIE = "concordat_language"
#: How many Tab presses it may take to reach a control before the test gives up: more than
#: any page's controls, fewer than an endless focus trap.
MAX_TABS = 120


async def choose_language(context: BrowserContext, origin: str, lang: Lang) -> None:
    """Set the page language as the switch does, before any page is opened."""
    await context.add_cookies([{"name": LANGUAGE_COOKIE, "value": lang, "url": origin}])


async def switch_language(page: Page, lang: Lang) -> None:
    """Follow the header's language switch if the page is not already in `lang`."""
    if await page.locator("html").get_attribute("lang") == lang:
        return
    switch = page.get_by_role("link", name=name("language switch", "en" if lang == "cy" else "cy"))
    await switch.first.click()
    await expect(page.locator("html")).to_have_attribute("lang", lang)


async def sign_in(page: Page, origin: str, lang: Lang, email: str, password: str) -> None:
    """Sign in through the form, found by its labels in the page's language."""
    await page.goto(f"{origin}/signin")
    await page.get_by_label(name("email address", lang)).fill(email)
    await page.get_by_label(name("password", lang)).first.fill(password)
    await page.get_by_role("button", name=name("sign in button", lang)).click()
    await page.wait_for_load_state()
    assert "/signin" not in page.url, f"sign-in as {email} failed: still at {page.url}"


async def focus_is_visible(page: Page) -> bool:
    """Whether the focused element shows it: an outline, a box shadow, or GOV.UK's focus
    colours (a background or text decoration that differs from the unfocused element)."""
    return bool(
        await page.evaluate(
            """() => {
                const el = document.activeElement;
                if (!el || el === document.body) return false;
                const s = getComputedStyle(el);
                const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
                const shadow = s.boxShadow && s.boxShadow !== 'none';
                return outline || shadow;
            }"""
        )
    )


async def focused_description(page: Page) -> str:
    """The focused element in a few words, for messages."""
    return str(
        await page.evaluate(
            """() => {
                const el = document.activeElement;
                if (!el) return 'nothing';
                const text = (el.innerText || el.value || el.getAttribute('aria-label') || '')
                    .trim().slice(0, 40);
                return `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${text}"`;
            }"""
        )
    )


async def tab_to(page: Page, target: Locator, *, check_focus: bool = True) -> None:
    """Press Tab until `target` has the focus, checking at every stop that focus shows."""
    await expect(target).to_have_count(1)
    for _ in range(MAX_TABS):
        await page.keyboard.press("Tab")
        if await target.evaluate("el => el === document.activeElement"):
            if check_focus:
                assert await focus_is_visible(page), (
                    f"focus is not visible on {await focused_description(page)} at {page.url}"
                )
            return
        on_body = await page.evaluate("() => document.activeElement === document.body")
        if check_focus and not on_body:
            assert await focus_is_visible(page), (
                f"focus is not visible on {await focused_description(page)} at {page.url}"
            )
    raise AssertionError(f"{MAX_TABS} Tab presses did not reach {target} at {page.url}")


async def first_tab_is_skip_link(page: Page, lang: Lang) -> None:
    """The first Tab on a freshly loaded page reaches the skip link, and shows it."""
    await page.keyboard.press("Tab")
    focused = page.locator(":focus")
    await expect(focused).to_have_accessible_name(name("skip link", lang))
    assert await focus_is_visible(page), f"the skip link's focus is not visible at {page.url}"


async def assert_no_sideways_scrolling(page: Page, where: str) -> None:
    """The page fits its viewport's width (WCAG 1.4.10 Reflow at 320 CSS pixels)."""
    widths = await page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    scroll_width, inner_width = widths
    assert scroll_width <= inner_width, (
        f"{where} scrolls sideways at {inner_width}px: it is {scroll_width}px wide"
    )


def path_of(url: str) -> str:
    """The path of a URL, for messages and for matching routes."""
    return re.sub(r"^https?://[^/]+", "", url)
