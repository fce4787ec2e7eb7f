"""docs/queries.md, generated from the queries' headers: `python -m calcinosis_kb.querying.querydocs > docs/queries.md`.
A test fails when the file and the headers disagree, or when a query lacks a title or description."""

from __future__ import annotations

from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.querying.named import NamedQuery, load_queries


def render(queries: dict[str, NamedQuery]) -> str:
    lines = [
        "# Named queries",
        "",
        "Generated from the headers of `queries/*.rq` by `python -m calcinosis_kb.querying.querydocs`; "
        "do not edit by hand.",
        "Run one with `kb query NAME [--param NAME=VALUE ...] [--format table|json|csv|tsv]`.",
        "With `--format json` each row is an object keyed by the query's variables: IRIs as CURIEs (strings),",
        "numeric literals (counts, lab values) as JSON numbers, `xsd:boolean` literals as JSON booleans, other",
        "literals as strings, an unbound variable as null. Tables, CSV and TSV print every value as written.",
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
    return "\n".join(lines + FAST_QUERIES + [""])


FAST_QUERIES = """## Writing a query that stays fast

The embedded store (pyoxigraph) joins the patterns of one group by looking each row up in
turn, a few microseconds per lookup: fine for thousands of rows, over a second for a listing
of 50,000 cases. Measured on 100,000 synthetic cases (`benchmarks/bench_queries.py`), these
forms of the same query return the same rows in a quarter to a half of the time:

- **A pattern in a subquery of its own** (`{ SELECT ?case ?lesion WHERE { ?case cckb:hasLesion
  ?lesion } }`) is read once, whole, and joined by hashing. Use it where most rows of the
  pattern take part in the answer (lesion sites per subtype: 0.73 s -> 0.20 s). Put the smaller
  subquery first: the first one is the one held in memory.
- **Count per class, label afterwards**: group by the class IRI in a subquery and look the
  label up outside it, once per row of the answer rather than once per fact.
- **Don't check per row what the ontology already says.** Every member of a pattern or subtype
  class is a case (both are subclasses of `cckb:CalcinosisCutis`), so a listing takes the class's
  members (`?case a ?pattern`) without asking `?case a cckb:CalcinosisCutis` of each (0.41 s ->
  0.11 s for 50,000 cases). A transitive `rdfs:subClassOf*` check of the parameter would be as
  cheap, but Virtuoso 7.2 then drops rows from `cases-by-subtype` (6 of its 7 on the shipped
  cases).
- **`MINUS` for "has no ..."**: `MINUS { ?case cckb:inferredSubtype ?subtype }` is one anti-join;
  `FILTER NOT EXISTS` is a lookup per case.
- **A few classes first, then their members**: `{ SELECT ?class ?subtype WHERE { ?class
  rdfs:subClassOf cckb:EtiologicSubtype ; rdfs:label ?subtype } }` before `?case
  cckb:inferredSubtype ?class` reads the five subtypes' members in order.
- Beware an unbound variable in an OPTIONAL after a subquery: `OPTIONAL { ?value rdfs:label ?x }`
  with `?value` unbound matches every label in the store.

Each form is plain SPARQL 1.1, so the remote servers give the same rows (the `CI=true` tests
check Virtuoso and Oxigraph server); every clinical query's rows are checked against the case
files in `tests/test_queries.py`. rdflib is the exception: it joins subqueries by nested loops,
so on these forms its time grows with the square of the cases (the benchmark's rdflib reference
stops such a query after `--rdflib-limit` seconds).
""".splitlines()


if __name__ == "__main__":
    print(render(load_queries(KnowledgeBase.locate().query_files)), end="")
