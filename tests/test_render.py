"""Tables for people: rich for a screenful, a plain aligned layout for long listings."""

from __future__ import annotations

import pytest

from calcinosis_kb.presentation.render import PLAIN_COLUMN_WIDTH, RICH_TABLE_ROWS, Format, emit_rows


def test_a_long_listing_is_a_plain_aligned_table(capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{"case": f"case:{i}", "label": f"case number {i}", "subtype": None if i % 2 else "dystrophic"}
            for i in range(RICH_TABLE_ROWS + 1)]
    rows[0]["label"] = "two\nlines"
    rows[1]["label"] = "y" * (PLAIN_COLUMN_WIDTH + 5)
    emit_rows(rows, ["case", "label", "subtype"], Format.table)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(rows) + 2
    assert lines[0].split() == ["case", "label", "subtype"] and set(lines[1]) <= {"-", " "}
    assert lines[2].split() == ["case:0", "two", "lines", "dystrophic"]
    assert lines[3].split() == ["case:1", "y" * (PLAIN_COLUMN_WIDTH + 5)]  # too long: not cut
    label_at = lines[0].index("label")
    assert all(line[label_at:].startswith(f"case number {i}") for i, line in enumerate(lines[2:]) if i > 1)
    assert lines[-1].split() == [f"case:{RICH_TABLE_ROWS}", "case", "number", str(RICH_TABLE_ROWS), "dystrophic"]


def test_a_short_listing_is_a_rich_table(capsys: pytest.CaptureFixture[str]) -> None:
    emit_rows([{"case": "case:a", "label": "two\nlines"}], ["case", "label"], Format.table)
    out = capsys.readouterr().out
    assert "┃ case" in out and "two" in out and "lines" in out
