"""Screenshots of every page the browser tests check, for people to look at.

Saved under `SCREENSHOTS` (`var/screenshots/` at the repository's root), one folder per page
language: `var/screenshots/<lang>/<page>.png` for the accessibility check, and
`var/screenshots/<lang>/journey-<width>/<step>.png` for the keyboard journeys. Each run
overwrites the last; the folder is not tracked.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Page

#: The folder the screenshots go to: `var/screenshots` at the repository's root.
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def _safe(part: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", part.lower()).strip("-")


async def screenshot(page: Page, lang: str, *names: str) -> Path:
    """The whole page saved as `SCREENSHOTS/<lang>/<names...>.png`, replacing any earlier one."""
    *folders, last = (_safe(name) for name in names)
    path = SCREENSHOTS.joinpath(_safe(lang), *folders, f"{last}.png")
    path.parent.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(path), full_page=True)
    return path
