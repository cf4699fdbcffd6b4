"""What the tests do in a page as a person would: sign in, choose the language, move by
keyboard, and the checks that apply to every page on the way (visible focus, no sideways
scrolling)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from playwright.async_api import BrowserContext, Locator, Page, expect

from tests.browser.names import Lang, name

#: Makes a fresh browser context for a test (the `new_context` fixture).
NewContext = Callable[..., Awaitable[BrowserContext]]
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


_FOCUS_SHOWS = """async (settle) => {
    if (settle) {
        // A date field moves the focus into its own parts a frame after the Tab.
        await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
    }
    const el = document.activeElement;
    if (!el || el === document.body) return false;
    // Chromium's own calendar button inside a date or time field: focus is on a part of the
    // browser's, drawn by the browser, and the field itself no longer matches :focus.
    const dated = ['date', 'datetime-local', 'time', 'month', 'week'].includes(el.type);
    if (el.tagName === 'INPUT' && dated && !el.matches(':focus')) return true;
    const s = getComputedStyle(el);
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
    const shadow = Boolean(s.boxShadow) && s.boxShadow !== 'none';
    return outline || shadow;
}"""


async def focus_is_visible(page: Page) -> bool:
    """Whether the focused element shows it: a computed outline or box shadow (GOV.UK's
    focus state is one or both). Checked again after two frames before saying no."""
    return bool(await page.evaluate(_FOCUS_SHOWS, False)) or bool(
        await page.evaluate(_FOCUS_SHOWS, True)
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
                const s = getComputedStyle(el);
                const style = `outline: ${s.outlineStyle} ${s.outlineWidth}; `
                    + `box-shadow: ${s.boxShadow}; matches :focus: ${el.matches(':focus')}`;
                const id = el.id ? '#' + el.id : '';
                return `${el.tagName.toLowerCase()}${id} "${text}" (${style}) ${el.outerHTML}`;
            }"""
        )
    )


async def tab_to(
    page: Page, target: Locator, *, check_focus: bool = True, into: bool = False
) -> None:
    """Press Tab until `target` (or, `into`, something inside it) has the focus, checking at
    every stop that focus shows."""
    await expect(target).to_have_count(1)
    arrived = (
        "el => el.contains(document.activeElement)"
        if into
        else "el => el === document.activeElement"
    )
    for _ in range(MAX_TABS):
        await page.keyboard.press("Tab")
        if await target.evaluate(arrived):
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


_TOO_WIDE = """() => {
    const width = window.innerWidth;
    // Inside a box that scrolls or clips sideways itself, an element makes no page scroll.
    const contained = el => {
        for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
            if (getComputedStyle(up).overflowX !== 'visible') return true;
        }
        return false;
    };
    const wide = [...document.querySelectorAll('body *')].filter(el => {
        const box = el.getBoundingClientRect();
        return box.width > 0 && box.right > width + 0.5 && !contained(el);
    });
    // The innermost: an element whose children all fit is the one that overflows.
    const innermost = wide.filter(el => !wide.some(other => other !== el && el.contains(other)));
    return innermost.slice(0, 5).map(el => {
        const id = el.id ? '#' + el.id : '';
        const cls = el.classList.length ? '.' + [...el.classList].join('.') : '';
        const text = (el.innerText || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
        return `${el.tagName.toLowerCase()}${id}${cls} "${text}" `
            + `(right edge ${Math.round(el.getBoundingClientRect().right)}px)`;
    });
}"""


async def sideways_scrolling(page: Page, where: str) -> str | None:
    """Why the page scrolls sideways (WCAG 1.4.10 Reflow), naming the elements that stick
    out, or None if it fits its viewport's width."""
    scroll_width, inner_width = await page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    if scroll_width <= inner_width:
        return None
    culprits = "\n    ".join(await page.evaluate(_TOO_WIDE))
    return (
        f"{where} scrolls sideways at {inner_width}px: it is {scroll_width}px wide; "
        f"sticking out:\n    {culprits}"
    )


def path_of(url: str) -> str:
    """The path of a URL, for messages and for matching routes."""
    return re.sub(r"^https?://[^/]+", "", url)
