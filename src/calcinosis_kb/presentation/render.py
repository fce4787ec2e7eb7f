"""Output: tables and text for people, JSON/CSV/TSV for programs. Data goes to stdout."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table

from calcinosis_kb.knowledgebase.values import json_value


class Format(StrEnum):
    """The output formats shared by the commands (each command accepts a subset)."""

    text = "text"
    table = "table"
    json = "json"
    csv = "csv"
    tsv = "tsv"
    ttl = "ttl"


ROW_FORMATS = (Format.table, Format.json, Format.csv, Format.tsv)
"""The formats of every command that prints rows."""


def stdout_console() -> Console:
    return Console(soft_wrap=True, highlight=False)


def emit_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "; ".join(_cell(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def emit_rows(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: Format, title: str | None = None) -> None:
    """Rows as a table (people), or JSON, CSV or TSV (programs)."""
    if fmt is Format.json:
        emit_json([{c: json_value(row.get(c)) for c in columns} for row in rows])
        return
    if fmt in (Format.csv, Format.tsv):
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="," if fmt is Format.csv else "\t", lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
        print(buffer.getvalue(), end="")
        return
    if len(rows) > RICH_TABLE_ROWS:
        print(plain_table(rows, columns, title), end="")
        return
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(row.get(c)) for c in columns))
    stdout_console().print(table)


RICH_TABLE_ROWS = 1000
"""Above this many rows a table is laid out by plain_table: rich measures and folds every cell,
which took 13 s for the 49,721 rows of `kb query cases-by-pattern` on 100,000 cases."""
PLAIN_COLUMN_WIDTH = 60
"""A longer cell is not cut: it runs past its column on its own line."""


def plain_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str | None = None) -> str:
    """Rows as text in aligned columns: a header, a rule, one line a row (line breaks in a cell
    become spaces)."""
    cells = [[_cell(row.get(c)).replace("\r", " ").replace("\n", " ") for c in columns] for row in rows]
    widths = [min(PLAIN_COLUMN_WIDTH, max([len(column), *(len(line[i]) for line in cells)]))
              for i, column in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(value.ljust(width) for value, width in zip(values, widths, strict=True)).rstrip()

    lines = ([title] if title else []) + [line(columns), line(["-" * width for width in widths])]
    lines += [line(values) for values in cells]
    return "\n".join(lines) + "\n"
