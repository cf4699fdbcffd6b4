"""Horizontal bar charts drawn on the server as inline SVG: no JavaScript, no image requests,
nothing the Content-Security-Policy would have to allow.

Each chart is an image to assistive technology (`role="img"`), named by its `<title>` and
described by its `<desc>`, and each page follows it with a table of the same numbers, which is
what a screen reader reads. Nothing is said by colour alone: every bar carries its label and
its value in text, and the one colour is GOV.UK's blue on white, with text in GOV.UK's black.
Presentation attributes, never `style`, so the page's policy (`style-src 'self'`) holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

#: GOV.UK Frontend's palette.
BLUE = "#1d70b8"
BLACK = "#0b0c0c"
MID_GREY = "#b1b4b6"

WIDTH = 640
#: A bar's row: its label above, then the bar with its value beside it.
ROW = 44
LABEL_SIZE = 16
BAR_HEIGHT = 16
#: Room kept at the right of the longest bar for its value.
VALUE_ROOM = 110


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str
    """The value as the reader reads it ("12", "75%", "2 hours 5 minutes")."""


def _number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def bar_chart(
    bars: Sequence[Bar],
    *,
    chart_id: str,
    title: str,
    description: str,
    most: float | None = None,
    title_shown: bool = True,
) -> Markup:
    """A chart of `bars` in the order given, each as long as its share of `most` (by default
    the largest value); `chart_id` makes the ids of its title and description unique. Its
    title is shown above it unless `title_shown` is false (a heading just before says it)."""
    top = most if most is not None else max((bar.value for bar in bars), default=0.0)
    span = WIDTH - VALUE_ROOM
    height = ROW * max(len(bars), 1) + 8
    ident = escape(chart_id)
    # The wrapper's class gives the text the page's own font, which the SVG inherits; its
    # title is shown above it too, for those who see the chart.
    parts = [
        '<div class="govuk-body">',
        f'<p class="govuk-!-font-weight-bold govuk-!-margin-bottom-2">{escape(title)}</p>'
        if title_shown
        else "",
        f'<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" viewBox="0 0 {WIDTH} '
        f'{height}" width="100%" role="img" focusable="false" '
        f'aria-labelledby="{ident}-title" aria-describedby="{ident}-desc">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
    ]
    for number, bar in enumerate(bars):
        top_of_row = number * ROW
        length = span * bar.value / top if top > 0 and bar.value > 0 else 0.0
        bar_top = top_of_row + LABEL_SIZE + 6
        parts.append(
            f'<text x="0" y="{top_of_row + LABEL_SIZE}" font-size="{LABEL_SIZE}" '
            f'fill="{BLACK}">{escape(bar.label)}</text>'
        )
        # An empty bar is a hairline, so "none" is still seen as a bar of nothing.
        parts.append(
            f'<rect x="0" y="{bar_top}" width="{_number(max(length, 2.0))}" '
            f'height="{BAR_HEIGHT}" fill="{BLUE if length else MID_GREY}"/>'
        )
        parts.append(
            f'<text x="{_number(max(length, 2.0) + 8)}" y="{bar_top + BAR_HEIGHT - 3}" '
            f'font-size="{LABEL_SIZE}" font-weight="bold" fill="{BLACK}">'
            f"{escape(bar.shown)}</text>"
        )
    parts.append("</svg></div>")
    # Every piece of text in it went through `escape` above.
    return Markup("".join(parts))  # noqa: S704
