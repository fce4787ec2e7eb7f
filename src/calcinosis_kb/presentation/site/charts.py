"""Charts as static SVG, drawn here rather than by a JavaScript library: the site loads nothing
from another host and works without scripts. Each chart names itself for assistive technology
(role="img" with a title and description); its numbers are also given as a table beside it."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

BAR_HEIGHT = 22
GAP = 6
LABEL_WIDTH = 250
BAR_WIDTH = 300
MAX_BARS = 25
"""A chart shows the most frequent values; its table lists every one."""


def bar_chart(identifier: str, title: str, counts: Sequence[tuple[str, int]], unit: str = "cases") -> str:
    """A horizontal bar chart of (label, count), largest first as given."""
    shown = list(counts)[:MAX_BARS]
    if not shown:
        return ""
    largest = max(count for _, count in shown) or 1
    height = len(shown) * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + BAR_WIDTH + 60
    summary = "; ".join(f"{name}: {count}" for name, count in shown)
    more = f" (the {len(shown)} most frequent of {len(counts)})" if len(counts) > len(shown) else ""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{identifier}-t {identifier}-d" '
        f'viewBox="0 0 {width} {height}" width="100%" class="chart">',
        f'<title id="{identifier}-t">{escape(title)}{escape(more)}</title>',
        f'<desc id="{identifier}-d">{escape(unit)} per value: {escape(summary)}</desc>',
    ]
    for index, (name, count) in enumerate(shown):
        y = GAP + index * (BAR_HEIGHT + GAP)
        bar = max(1, round(BAR_WIDTH * count / largest))
        short = name if len(name) <= 30 else name[:29] + "…"
        parts += [
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT - 6}" text-anchor="end" class="chart-label">'
            f'{escape(short)}</text>',
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{bar}" height="{BAR_HEIGHT}" class="chart-bar"/>',
            f'<text x="{LABEL_WIDTH + bar + 6}" y="{y + BAR_HEIGHT - 6}" class="chart-value">{count}</text>',
        ]
    parts.append("</svg>")
    return "\n".join(parts)
