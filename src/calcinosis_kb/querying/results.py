"""A query's answer, and running a query on the embedded pyoxigraph store: rows turned into
Python column by column, CURIEs for IRIs, and the final ORDER BY done here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from calcinosis_kb.knowledgebase.errors import UsageError
from calcinosis_kb.knowledgebase.namespaces import curie
from calcinosis_kb.knowledgebase.values import typed_text
from calcinosis_kb.querying.named import with_values


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
    a CURIE, a literal as its lexical form (typed for JSON when numeric or boolean), unbound as
    None. A listing repeats the same few classes thousands of times, so each IRI is shortened once
    per call."""
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
            texts.append(typed_text(value, term.datatype.value))  # type: ignore[arg-type,union-attr]
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
    sorting, so the rows come out as pyoxigraph orders them either way. The query runs in a helper
    thread, so that Ctrl-C stops even a cross product at once."""
    from calcinosis_kb.knowledgebase.interrupt import run_interruptibly

    return run_interruptibly(lambda: _run_local(store, text, substitutions, where=where, sort_here=sort_here))


def _run_local(store: Any, text: str, substitutions: dict[Any, Any] | None, *, where: str,
               sort_here: bool) -> Answer:
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
                return _run_local(store, text, None, where=where, sort_here=False)
            terms = [[column[i] for i in order] for column in terms]
            values = [[column[i] for i in order] for column in values]
        texts = [column_texts(column, lexical) for column, lexical in zip(terms, values, strict=True)]
        rows = [dict(zip(columns, row, strict=True)) for row in zip(*texts, strict=True)]
        return Answer(columns=columns, rows=rows)
    triples = "".join(f"{t.subject} {t.predicate} {t.object} .\n" for t in result)
    return Answer(triples=triples)


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
