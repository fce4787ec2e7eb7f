"""A source text as HTML with a case's quotes marked where they occur. A quote matches as
`kb validate` checks it: the same characters, whitespace aside (line breaks of the stored text
fall anywhere inside a quoted sentence)."""

from __future__ import annotations

import re
from html import escape


def _pattern(quote: str) -> re.Pattern[str] | None:
    characters = [re.escape(c) for c in quote if not c.isspace()]
    return re.compile(r"\s*".join(characters)) if characters else None


def highlight(text: str, quotes: list[str]) -> tuple[str, list[str]]:
    """The text as escaped HTML with each quote's first occurrence in <mark>, and the quotes
    not found. Overlapping quotes are merged into one marked stretch."""
    spans: list[tuple[int, int]] = []
    missing: list[str] = []
    for quote in dict.fromkeys(quotes):
        pattern = _pattern(quote)
        found = pattern.search(text) if pattern is not None else None
        if found is None:
            missing.append(quote)
        else:
            spans.append(found.span())
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces: list[str] = []
    position = 0
    for number, (start, end) in enumerate(merged, 1):
        pieces += [escape(text[position:start]), f'<mark id="q{number}">', escape(text[start:end]), "</mark>"]
        position = end
    pieces.append(escape(text[position:]))
    return "".join(pieces), missing
