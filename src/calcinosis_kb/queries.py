"""Named SPARQL queries: one .rq file each, opening with a header of `# key: value` lines.

    # title: Cases by inferred subtype
    # description: What a clinician asks, in a clinician's words.
    # param: subtype string dystrophic  The subtype to list
Files whose name starts with `qc-` are checks: they must return no rows."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph
from rdflib.query import Result, ResultRow

from .errors import UsageError

CHECK_PREFIX = "qc-"


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    default: str | None
    description: str


@dataclass
class NamedQuery:
    name: str
    path: Path
    title: str
    description: str
    text: str
    parameters: list[Parameter] = field(default_factory=list)

    @property
    def check(self) -> bool:
        return self.name.startswith(CHECK_PREFIX)

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name, "title": self.title, "description": self.description, "check": self.check,
            "parameters": [p.__dict__ for p in self.parameters],
        }


def read_query(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    header: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        key, sep, value = line.lstrip("#").strip().partition(":")
        if sep:
            header.setdefault(key.strip().lower(), []).append(value.strip())
    parameters = []
    for spec in header.get("param", []):
        parts = spec.split(None, 3)
        if len(parts) >= 2:
            default = parts[2] if len(parts) > 2 and parts[2] != "-" else None
            parameters.append(Parameter(parts[0], parts[1], default, parts[3] if len(parts) > 3 else ""))
    return NamedQuery(
        name=path.stem,
        path=path,
        title=" ".join(header.get("title", [])),
        description=" ".join(header.get("description", [])),
        text=text,
        parameters=parameters,
    )


def load_queries(files: list[Path]) -> dict[str, NamedQuery]:
    return {q.name: q for q in (read_query(f) for f in files)}


def find_query(queries: dict[str, NamedQuery], name: str) -> NamedQuery:
    if name in queries:
        return queries[name]
    close = difflib.get_close_matches(name, list(queries), n=1)
    hint = f"; did you mean {close[0]}?" if close else "; `kb query --list` shows them"
    raise UsageError(f"no query named {name!r}{hint}")


def run_checks(graph: Graph, queries: dict[str, NamedQuery]) -> list[tuple[NamedQuery, dict[str, str]]]:
    """Run every QC query; each returned row is a problem."""
    problems: list[tuple[NamedQuery, dict[str, str]]] = []
    for query in queries.values():
        if not query.check:
            continue
        result: Result = graph.query(query.text)
        for row in result:
            if isinstance(row, ResultRow):
                problems.append((query, {str(k): str(v) for k, v in row.asdict().items()}))
    return problems
