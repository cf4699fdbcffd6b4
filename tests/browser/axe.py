"""axe-core, run in the page under test, against WCAG 2.2 A and AA.

The pages' Content-Security-Policy allows scripts from the site's own origin only. Rather than
switch the policy off for the check (`bypass_csp`), which would test a page that no reader
gets, axe is served *as if from the app's origin*: the browser context answers requests for
`AXE_PATH` with the vendored file, and the page loads it with an ordinary script tag that its
own policy allows. The page is checked with its real headers, and the request never reaches the
app (nor leaves the machine).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.async_api import BrowserContext, Page, Route

AXE_SOURCE = Path(__file__).parent / "vendor" / "axe.min.js"
#: Where a page finds axe: a path on the app's origin that the app itself never serves.
AXE_PATH = "/__browser-tests__/axe.min.js"
#: The WCAG levels checked: 2.0, 2.1 and 2.2, A and AA (axe's tags for each).
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
#: Every page checked in this run and how many rules it broke, for the run's summary line.
CHECKED: list[tuple[str, int]] = []


@dataclass(frozen=True)
class Violation:
    """One rule broken on a page, with the elements that break it."""

    rule: str
    impact: str
    help: str
    help_url: str
    targets: tuple[str, ...]
    summaries: tuple[str, ...]

    def describe(self) -> str:
        nodes = "\n".join(
            f"      {target}\n        {summary.replace(chr(10), chr(10) + '        ')}"
            for target, summary in zip(self.targets, self.summaries, strict=True)
        )
        return f"  {self.rule} ({self.impact}): {self.help}\n    {self.help_url}\n{nodes}"


async def serve_axe(context: BrowserContext, origin: str) -> None:
    """Answer `origin + AXE_PATH` with the vendored axe in every page of the context."""
    source = AXE_SOURCE.read_text(encoding="utf-8")

    async def fulfil(route: Route) -> None:
        await route.fulfill(status=200, content_type="text/javascript", body=source)

    # The last route registered is tried first, so this one wins over the context's guard.
    await context.route(origin + AXE_PATH, fulfil)


async def violations(page: Page) -> list[Violation]:
    """Every WCAG 2.2 A/AA violation axe finds in the page as it is now."""
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.add_script_tag(url=AXE_PATH)
    found: list[dict[str, Any]] = await page.evaluate(
        """async (tags) => {
            // Only the violations are wanted: axe still runs every rule, but details the
            // passes and the inconclusive results by one node each rather than all of them.
            const result = await axe.run(document, {
                runOnly: {type: 'tag', values: tags},
                resultTypes: ['violations'],
            });
            return result.violations;
        }""",
        list(WCAG_TAGS),
    )
    return [
        Violation(
            rule=v["id"],
            impact=v.get("impact") or "unknown",
            help=v["help"],
            help_url=v["helpUrl"],
            targets=tuple(" ".join(map(str, n["target"])) for n in v["nodes"]),
            summaries=tuple(n.get("failureSummary") or n.get("html", "") for n in v["nodes"]),
        )
        for v in found
    ]


def report(where: str, found: list[Violation]) -> str:
    """A readable list of a page's violations: rule, impact, help, and each element."""
    return f"{len(found)} accessibility violation(s) on {where}:\n" + "\n".join(
        v.describe() for v in found
    )


async def assert_accessible(page: Page, where: str) -> list[Violation]:
    """Fail, naming every rule and element, if axe finds any violation on the page; count the
    page (and its violations) for the run's summary either way."""
    found = await violations(page)
    CHECKED.append((where, len(found)))
    assert not found, report(where, found)
    return found
