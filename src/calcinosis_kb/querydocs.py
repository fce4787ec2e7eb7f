"""docs/queries.md, generated from the queries' headers: `python -m calcinosis_kb.querydocs > docs/queries.md`.
A test fails when the file and the headers disagree, or when a query lacks a title or description."""

from __future__ import annotations

from .kbdir import KnowledgeBase
from .queries import NamedQuery, load_queries


def render(queries: dict[str, NamedQuery]) -> str:
    lines = [
        "# Named queries",
        "",
        "Generated from the headers of `queries/*.rq` by `python -m calcinosis_kb.querydocs`; do not edit by hand.",
        "Run one with `kb query NAME [--param NAME=VALUE ...] [--format table|json|csv|tsv]`.",
        "Queries whose name starts with `qc-` are checks: `kb validate` runs them and they must return no rows.",
        "",
    ]
    for check in (False, True):
        lines += ["## Checks" if check else "## Clinical queries", ""]
        for query in sorted((q for q in queries.values() if q.check == check), key=lambda q: q.name):
            lines += [f"### `{query.name}`: {query.title}", "", query.description, ""]
            if query.parameters:
                lines += ["| parameter | type | default | meaning |", "|---|---|---|---|"]
                lines += [f"| `{p.name}` | {p.type} | `{p.default}` | {p.description} |" for p in query.parameters]
                lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(load_queries(KnowledgeBase.locate().query_files)), end="")
