"""Named SPARQL queries: one .rq file each, opening with a header of `# key: value` lines.

    # title: Cases by inferred subtype
    # description: What a clinician asks, in a clinician's words.
    # param: subtype string dystrophic  The subtype to list
Files whose name starts with `qc-` are checks: they must return no rows."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import UsageError
from .namespaces import PREFIXES, curie

if TYPE_CHECKING:  # rdflib's query engine loads only where a check runs: `kb query` answers from the store
    from rdflib import Graph

    from .remote import Endpoint

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
    """A CURIE with one of the knowledge base's prefixes, <iri> or a full IRI, as an IRI."""
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://\S+$", value):
        return value
    prefix, sep, local = value.partition(":")
    if sep and prefix in PREFIXES and re.fullmatch(r"[A-Za-z0-9_.\-]*", local):
        return str(PREFIXES[prefix]) + local
    return None


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--param {pair!r}: write it as NAME=VALUE")
        values[name.strip()] = value
    return values


@dataclass
class Answer:
    """A query's answer: rows (SELECT), a boolean (ASK) or triples (CONSTRUCT/DESCRIBE)."""

    columns: list[str] = field(default_factory=list)
    rows: list[dict[str, str | None]] = field(default_factory=list)
    boolean: bool | None = None
    triples: str | None = None


@lru_cache(maxsize=65536)
def _short(iri: str) -> str:
    return curie(iri).strip("<>")


@lru_cache(maxsize=1)
def _term_kinds() -> tuple[type, type]:
    """pyoxigraph's IRI and literal classes, imported on first use (kb --help stays fast)."""
    import pyoxigraph

    return pyoxigraph.NamedNode, pyoxigraph.Literal


def _lexical(column: list[Any]) -> list[str | None]:
    """Each term's text as pyoxigraph holds it, read once (for unbound, None): reading it is the
    dearest step of turning 50,000 rows into Python, so the sort and the output share it."""
    try:
        return [None if term is None else term.value for term in column]
    except AttributeError:  # an RDF-star triple term has no single value
        return [getattr(term, "value", None) for term in column]


def column_texts(column: list[Any], values: list[str | None]) -> list[str | None]:
    """The output text of every term in one column, given their values (from _lexical): an IRI as
    a CURIE, a literal as its lexical form, unbound as None. A listing repeats the same few classes
    thousands of times, so each IRI is shortened once per call."""
    iri, literal = _term_kinds()
    shortened: dict[str, str] = {}
    texts: list[str | None] = []
    for term, value in zip(column, values, strict=True):
        kind = type(term)
        if kind is iri:
            text = shortened.get(value)  # type: ignore[arg-type]
            if text is None:
                text = shortened[value] = _short(value)  # type: ignore[index,arg-type]
            texts.append(text)
        elif kind is literal:
            texts.append(value)
        else:
            texts.append(None if term is None else str(term))
    return texts


def run_local(store: Any, text: str, substitutions: dict[Any, Any] | None = None, *, where: str = "query",
              sort_here: bool = True) -> Answer:
    """Run SPARQL against the embedded store (asserted and inferred triples in its default graph).

    A final ORDER BY on plain variables is applied here rather than by pyoxigraph, whose sort
    looks every term up in the store at each comparison (4.6 s for 100,000 case IRIs, against
    milliseconds in Python). The order is SPARQL's: unbound, then IRIs by their text, then
    literals; whenever a column holds terms whose order SPARQL leaves to the engine (blank
    nodes, mixed kinds of literal, other datatypes) the query runs again with pyoxigraph
    sorting, so the rows come out as pyoxigraph orders them either way."""
    import pyoxigraph

    if substitutions:
        text = with_values(text, {variable.value: str(term) for variable, term in substitutions.items()})
    split = split_order(text) if sort_here else None
    result = _execute(store, split[0] if split else text, None, where)
    if isinstance(result, bool | pyoxigraph.QueryBoolean):
        return Answer(boolean=bool(result))
    if isinstance(result, pyoxigraph.QuerySolutions):
        columns = [v.value for v in result.variables]
        solutions = [tuple(solution) for solution in result]
        if not columns:
            return Answer(columns=columns, rows=[{} for _ in solutions])
        terms = [list(column) for column in zip(*solutions, strict=True)] or [[] for _ in columns]
        values = [_lexical(column) for column in terms]
        if split is not None:
            order = _order(dict(zip(columns, zip(terms, values, strict=True), strict=True)), split[1])
            if order is None:
                return run_local(store, text, where=where, sort_here=False)
            terms = [[column[i] for i in order] for column in terms]
            values = [[column[i] for i in order] for column in values]
        texts = [column_texts(column, lexical) for column, lexical in zip(terms, values, strict=True)]
        rows = [dict(zip(columns, row, strict=True)) for row in zip(*texts, strict=True)]
        return Answer(columns=columns, rows=rows)
    triples = "".join(f"{t.subject} {t.predicate} {t.object} .\n" for t in result)
    return Answer(triples=triples)


def answer_query(kb: Path | None, text: str, substitutions: dict[Any, Any] | None = None, *, where: str,
                 endpoint: Endpoint | None = None) -> Answer:
    """The answer of the remote endpoint when one is given (the knowledge base is not read), else
    of the knowledge base's embedded store, built first if it is out of date."""
    if endpoint is not None:
        return endpoint.query(text, {variable.value: str(term) for variable, term in (substitutions or {}).items()})
    from .kbdir import KnowledgeBase
    from .store import open_store, stderr_notice

    return run_local(open_store(KnowledgeBase.locate(kb), stderr_notice), text, substitutions, where=where)


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


def _execute(store: Any, text: str, substitutions: dict[Any, Any] | None, where: str) -> Any:
    try:
        return store.query(text, substitutions=substitutions or None)
    except SyntaxError as error:
        raise UsageError(f"{where}: SPARQL syntax {error}; fix the query there") from None
    except (RuntimeError, OSError, ValueError) as error:
        raise UsageError(f"{where}: the query could not run: {error}") from None


_FINAL_ORDER = re.compile(r"\bORDER\s+BY((?:\s*(?:(?:ASC|DESC)\s*\(\s*\?\w+\s*\)|\?\w+))+)(?:\s|#[^\n]*)*$",
                          re.IGNORECASE)
_ORDER_CONDITION = re.compile(r"(?:(ASC|DESC)\s*\(\s*)?\?(\w+)", re.IGNORECASE)


def split_order(text: str) -> tuple[str, list[tuple[str, bool]]] | None:
    """A query ending in `ORDER BY` plain variables (ASC/DESC allowed, no LIMIT or OFFSET after
    it) as the query without that clause and its (variable, descending) conditions; else None."""
    match = _FINAL_ORDER.search(text)
    if match is None or re.search(r"\b(LIMIT|OFFSET)\s+\d+\s*$", text[:match.start()], re.IGNORECASE):
        return None  # (a LIMIT before ORDER BY is a syntax error: pyoxigraph reports it)
    conditions = [(name, (word or "").upper() == "DESC") for word, name in _ORDER_CONDITION.findall(match.group(1))]
    return text[:match.start()], conditions


_XSD = "http://www.w3.org/2001/XMLSchema#"
_NUMERIC = {_XSD + name for name in (
    "integer", "decimal", "float", "double", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
    "nonPositiveInteger", "negativeInteger", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}


class _Unordered(Exception):
    """A term whose place in SPARQL's order is left to the engine."""


def _sort_key(term: Any) -> tuple[Any, ...]:
    """Where SPARQL puts a term: unbound first, then IRIs (by their text), then literals. A
    literal's second item names its kind; a column mixing kinds is left to the engine."""
    iri, literal = _term_kinds()
    kind = type(term)
    if kind is iri:
        return (1, term.value)
    if term is None:
        return (0,)
    if kind is not literal:
        raise _Unordered
    if term.language:
        return (2, "@" + term.language, term.value)
    datatype = term.datatype.value
    if datatype == _XSD + "string":
        return (2, "string", term.value)
    if datatype in _NUMERIC:
        from decimal import Decimal, InvalidOperation

        try:
            number = Decimal(term.value.strip())
        except InvalidOperation:
            raise _Unordered from None
        if not number.is_finite():
            raise _Unordered
        return (2, "number", number)
    raise _Unordered


def _column_keys(column: list[Any], values: list[str | None]) -> list[tuple[Any, ...]]:
    """_sort_key of every term in one column; a column of IRIs alone (case listings) is keyed
    from the values already read, without a call per term."""
    iri, _ = _term_kinds()
    if all(type(term) is iri for term in column):
        return [(1, value) for value in values]
    return list(map(_sort_key, column))


def _order(columns: dict[str, tuple[list[Any], list[str | None]]],
           conditions: list[tuple[str, bool]]) -> list[int] | None:
    """The row numbers in the order of the ORDER BY conditions, or None when the engine must sort.
    `columns` maps each column's name to its terms and their values."""
    if any(name not in columns for name, _ in conditions):
        return None
    try:
        keys = {name: _column_keys(*columns[name]) for name, _ in conditions}
    except _Unordered:
        return None
    for column_keys in keys.values():
        if len({key[1] for key in column_keys if key[0] == 2}) > 1:  # e.g. numbers beside strings
            return None
    order = list(range(len(next(iter(columns.values()))[0]))) if columns else []
    for name, descending in reversed(conditions):  # stable sorts, last condition first
        order.sort(key=keys[name].__getitem__, reverse=descending)
    return order


def order_solutions(solutions: list[tuple[Any, ...]], columns: list[str],
                    conditions: list[tuple[str, bool]]) -> list[tuple[Any, ...]] | None:
    """The solutions sorted by the ORDER BY conditions, or None when the engine must sort."""
    terms = [[row[i] for row in solutions] for i in range(len(columns))]
    order = _order({name: (column, _lexical(column)) for name, column in zip(columns, terms, strict=True)},
                   conditions)
    return None if order is None else [solutions[i] for i in order]
