"""Screenshots of every page the browser tests check, for people to look at.

Taken when `CONCORDAT_SCREENSHOTS=1` is set (a full-page picture costs about a fifth of a
second, which over some three hundred pages is a minute of every run that nobody looks at).
Saved under `SCREENSHOTS` (`var/screenshots/` at the repository's root), one folder per page
language: `var/screenshots/<lang>/<page>.png` for the accessibility check, and
`var/screenshots/<lang>/journey-<width>/<step>.png` for the keyboard journeys. Each run
overwrites the last; the folder is not tracked.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.async_api import Page

#: The folder the screenshots go to: `var/screenshots` at the repository's root.
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
#: Whether this run takes them.
WANTED = os.environ.get("CONCORDAT_SCREENSHOTS") == "1"


def _safe(part: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", part.lower()).strip("-")


async def screenshot(page: Page, lang: str, *names: str) -> Path | None:
    """The whole page saved as `SCREENSHOTS/<lang>/<names...>.png`, replacing any earlier one,
    when screenshots are `WANTED`."""
    if not WANTED:
        return None
    *folders, last = (_safe(name) for name in names)
    path = SCREENSHOTS.joinpath(_safe(lang), *folders, f"{last}.png")
    path.parent.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(path), full_page=True)
    return path
