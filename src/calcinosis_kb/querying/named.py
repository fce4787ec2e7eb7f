"""Named SPARQL queries: one .rq file each, opening with a header of `# key: value` lines.

    # title: Cases by inferred subtype
    # description: What a clinician asks, in a clinician's words.
    # param: subtype string dystrophic  The subtype to list
Files whose name starts with `qc-` are checks: they must return no rows."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calcinosis_kb.knowledgebase.errors import InputFileError, UsageError
from calcinosis_kb.knowledgebase.namespaces import expand as expand_curie
from calcinosis_kb.knowledgebase.namespaces import is_iri

if TYPE_CHECKING:  # rdflib's query engine loads only where a check runs: `kb query` answers from the store
    from rdflib import Graph

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
    header: dict[str, str] = field(default_factory=dict)
    """Every `# key: value` line of the header, keys in lower case (repeated keys joined by a space)."""

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
        header={key: " ".join(values) for key, values in header.items()},
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
    from rdflib.query import Result, ResultRow

    problems: list[tuple[NamedQuery, dict[str, str]]] = []
    for query in queries.values():
        if not query.check:
            continue
        result: Result = graph.query(query.text)
        for row in result:
            if isinstance(row, ResultRow):
                problems.append((query, {str(k): str(v) for k, v in row.asdict().items()}))
    return problems


PARAMETER_TYPES = ("iri", "string", "integer", "decimal", "boolean")


def bind(query: NamedQuery, given: dict[str, str]) -> dict[Any, Any]:
    """Each parameter as an RDF term of the type the header gives, for SPARQL substitution:
    values are never pasted into the query text, so a value cannot change the query."""
    import pyoxigraph

    known = {p.name: p for p in query.parameters}
    unknown = sorted(set(given) - set(known))
    if unknown:
        choices = ", ".join(known) or "none"
        raise UsageError(f"query {query.name} has no parameter {unknown[0]!r}; its parameters: {choices}")
    bound: dict[Any, Any] = {}
    for name, parameter in known.items():
        value = given.get(name, parameter.default)
        if value is None:
            raise UsageError(
                f"query {query.name} needs --param {name}=VALUE ({parameter.type}: {parameter.description})"
            )
        bound[pyoxigraph.Variable(name)] = to_term(name, parameter.type, value)
    return bound


def to_term(name: str, kind: str, value: str) -> Any:
    import pyoxigraph

    xsd = "http://www.w3.org/2001/XMLSchema#"
    if kind == "iri":
        iri = expand(value)
        if iri is None:
            raise UsageError(f"--param {name}={value!r} is not an IRI; give a CURIE such as cckb:Thigh or a full IRI")
        return pyoxigraph.NamedNode(iri)
    if kind == "string":
        return pyoxigraph.Literal(value)
    checks = {"integer": r"[+-]?\d+", "decimal": r"[+-]?(\d+(\.\d*)?|\.\d+)", "boolean": r"true|false"}
    if kind in checks:
        if not re.fullmatch(checks[kind], value):
            raise UsageError(f"--param {name}={value!r} is not a valid {kind}")
        return pyoxigraph.Literal(value, datatype=pyoxigraph.NamedNode(xsd + kind))
    raise UsageError(f"parameter {name} has unknown type {kind!r}; use one of {', '.join(PARAMETER_TYPES)}")


def expand(value: str) -> str | None:
    """A CURIE (the knowledge base's prefixes or a standard one: HP:0025520), <iri> or a full IRI, as an IRI."""
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", value):
        return value if is_iri(value) else None
    _, sep, local = value.partition(":")
    if not sep or not re.fullmatch(r"[A-Za-z0-9_.\-]*", local):
        return None
    return expand_curie(value)


def read_query_file(path: Path) -> str:
    """The text of a SPARQL file given on the command line."""
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InputFileError(f"{path}:{line}: not UTF-8 text ({error.reason}); SPARQL files are UTF-8: "
                             "save it as UTF-8") from None


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--param {pair!r}: write it as NAME=VALUE")
        values[name.strip()] = value
    return values


def with_values(text: str, substitutions: dict[str, str]) -> str:
    """The query with `VALUES (?a ?b) { (t1 t2) }` opening every WHERE group, subqueries
    included, as SEP-0007 substitution binds a variable everywhere. The terms are N-Triples
    serialisations made by pyoxigraph (so escaped); nothing else is inserted. Used for remote
    endpoints and for the embedded store alike: pyoxigraph's planner starts from a VALUES block
    but not from a substitution (at 100,000 cases, treatments-by-subtype-and-condition 1.04 s ->
    0.07 s, cases-by-pattern 3.6 s -> 1.4 s)."""
    if not substitutions:
        return text
    variables = " ".join(f"?{name}" for name in substitutions)
    terms = " ".join(substitutions.values())
    block = f"VALUES ({variables}) {{ ({terms}) }}"
    groups = 0

    def insert(match: re.Match[str]) -> str:
        nonlocal groups
        if match.lastgroup != "where":  # a string, an IRI or a comment: left as written
            return match.group(0)
        groups += 1
        return f"{match.group(0)} {block} "  # on the WHERE line: a syntax error keeps the file's line number

    bound = _SPARQL_TOKENS.sub(insert, text)
    if not groups:
        raise UsageError("a parameterised query needs a WHERE clause to bind its parameters")
    return bound


_SPARQL_TOKENS = re.compile("|".join((
    r'(?P<long>"""(?:[^"\\]|\\.|"(?!""))*"""' + r"|'''(?:[^'\\]|\\.|'(?!''))*''')",
    r"""(?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')""",
    r"""(?P<iri><[^<>"{}|^`\\\s]*>)""",
    r"(?P<comment>#[^\n]*)",
    r"(?P<where>\bWHERE\s*\{)",
)), re.IGNORECASE)
"""What `with_values` must step over (string literals, IRIs, comments) and where it inserts."""
