"""Large case files, read a batch of cases at a time in bounded memory.

A small case file is parsed whole into an rdflib graph. A file of thousands of cases would then
cost about a kilobyte of memory per triple (a 20,000-case file: more than 2 GB), so a large file is
parsed as a stream (pyoxigraph's Turtle parser) into a temporary SQLite table instead, one row a
triple in the file's order, and each batch of cases is taken out of it as a small graph: its cases
and the fact nodes they reach, exactly what `case_facts` takes from a graph of the whole file, and
in the same order. SQLite holds a few megabytes of it in memory whatever the file's size (an
on-disk RDF store's indexes grew with the file). The whole file is checked first (syntax,
numbers, terms, units), so a file with a problem gives no results at all, as a small file does."""

from __future__ import annotations

import codecs
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from calcinosis_kb.knowledgebase.cases import CaseFile, check_terms
from calcinosis_kb.knowledgebase.errors import InputFileError
from calcinosis_kb.knowledgebase.literals import check_literals
from calcinosis_kb.knowledgebase.loading import new_graph
from calcinosis_kb.knowledgebase.namespaces import CCKB
from calcinosis_kb.knowledgebase.normalise import normalise

LARGE_FILE_BYTES = 1_000_000
"""Turtle case files larger than this (about 1,100 synthetic cases, a hundred real ones) are read in
batches: parsed whole, such a file already takes about 300 MB; a smaller one would spend more on
the table than it saves."""

CHECK_CHUNK_TRIPLES = 10_000
"""Triples checked together (numbers, terms) in the first pass over a large file."""

IRI, BLANK, LITERAL = 0, 1, 2
"""The kinds of term in the table; a node is written `<iri>` or `_:id`, so either kind is a key."""


def is_large_case_file(path: Path) -> bool:
    try:
        return path.suffix.lower() != ".json" and path.is_file() and path.stat().st_size > LARGE_FILE_BYTES
    except OSError:
        return False


class LargeCaseFile:
    """A Turtle case file held in a temporary SQLite table, its cases handed out in batches."""

    def __init__(self, path: Path, table: sqlite3.Connection) -> None:
        self.path = path
        self._table = table
        self.cases = self._find_cases()
        self._case_keys = {f"<{case}>" for case in self.cases}

    def _find_cases(self) -> list[URIRef]:
        typed = self._table.execute("SELECT DISTINCT subject FROM triple WHERE predicate = ? AND object = ? "
                                    "AND kind = ?", (str(RDF.type), f"<{CCKB.CalcinosisCutis}>", IRI))
        cases = sorted(URIRef(subject[1:-1]) for (subject,) in typed if subject.startswith("<"))
        if not cases:
            raise InputFileError(
                f"{self.path}: not a case file: no individual is typed cckb:CalcinosisCutis (see docs/case-format.md)")
        return cases

    def batch(self, cases: list[URIRef], ontology: Graph) -> CaseFile:
        """These cases with the fact nodes they reach, checked as a whole small file is (numbers,
        terms) and with their lab values normalised. The triples go into the graph in the file's
        order, as the parser of a small file adds them, so every explanation lists its facts in the
        same order whichever way the file was read."""
        rows: list[tuple[int, str, str, str, int, str | None, str | None]] = []
        for case in cases:
            start = f"<{case}>"
            frontier, seen = [start], {start}
            while frontier:
                node = frontier.pop()
                for row in self._table.execute("SELECT rowid, * FROM triple WHERE subject = ?", (node,)):
                    rows.append(row)
                    value, kind = row[3], row[4]
                    if kind != LITERAL and value not in seen and value not in self._case_keys:
                        seen.add(value)
                        frontier.append(value)
        graph = new_graph()
        for row in sorted(rows):
            graph.add(_triple(row[1:]))
        check_literals(graph, self.path)
        case_file = CaseFile(self.path, graph, list(cases))
        check_terms(case_file, ontology)
        case_file.graph += normalise(ontology, case_file.graph)
        return case_file

    def batches(self, ontology: Graph, size: int) -> Iterator[CaseFile]:
        for start in range(0, len(self.cases), size):
            yield self.batch(self.cases[start:start + size], ontology)

    def check(self, ontology: Graph, size: int) -> None:
        """The whole file checked as a small file is, so that its first problem is raised before
        any result: every triple's numbers and terms, in the file's order a chunk at a time, then
        every batch's units."""
        chunk = new_graph()
        for row in self._table.execute("SELECT * FROM triple ORDER BY rowid"):
            chunk.add(_triple(row))
            if len(chunk) >= CHECK_CHUNK_TRIPLES:
                self._check_chunk(chunk, ontology)
                chunk = new_graph()
        self._check_chunk(chunk, ontology)
        for _ in self.batches(ontology, size):
            pass

    def _check_chunk(self, chunk: Graph, ontology: Graph) -> None:
        check_literals(chunk, self.path)
        check_terms(CaseFile(self.path, chunk, []), ontology)


@contextmanager
def open_large_case_file(path: Path) -> Iterator[LargeCaseFile]:
    """Parse the file as a stream into a temporary table (removed afterwards); a syntax error
    anywhere is an InputFileError with its line, as for a small file."""
    folder = Path(tempfile.mkdtemp(prefix="kb-large-case-file-"))
    table = sqlite3.connect(folder / "triples.sqlite")
    try:
        table.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
                            "CREATE TABLE triple (subject TEXT, predicate TEXT, object TEXT, kind INTEGER, "
                            "datatype TEXT, language TEXT);")
        try:
            with table:
                table.executemany("INSERT INTO triple VALUES (?, ?, ?, ?, ?, ?)", map(_row, _parse(path)))
        except SyntaxError as error:
            reason = str(error.msg).split(": ", 1)[-1]
            raise InputFileError(f"{path}:{error.lineno or 1}: Turtle syntax error: {reason}; "
                                 "fix the Turtle at that line") from None
        except UnicodeDecodeError as error:
            raise InputFileError(f"{path}:{_first_line_not_utf8(path)}: not UTF-8 text ({error.reason}); "
                                 "save the file as UTF-8") from None
        except OSError as error:
            raise InputFileError(f"{path}: cannot be read: {error.strerror or error}") from None
        table.execute("CREATE INDEX by_subject ON triple (subject)")
        yield LargeCaseFile(path, table)
    finally:
        table.close()
        shutil.rmtree(folder, ignore_errors=True)


def _parse(path: Path) -> Iterator[Any]:
    """The file's triples in its order. It is decoded here, strictly: pyoxigraph's parser would
    read bytes that are not UTF-8 without a word."""
    import pyoxigraph

    with path.open(encoding="utf-8", errors="strict", newline="") as text:
        yield from pyoxigraph.parse(text, format=pyoxigraph.RdfFormat.TURTLE, base_iri=path.resolve().as_uri())


def _first_line_not_utf8(path: Path) -> int:
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 16):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                return line + chunk[:error.start].count(b"\n")
            line += chunk.count(b"\n")
    return line


def _row(quad: Any) -> tuple[str, str, str, int, str | None, str | None]:
    """A parsed triple as a row: subject and object nodes as keys, a literal as its text as written
    (a store of RDF terms would keep 10.0 as 10), its datatype and language."""
    import pyoxigraph

    obj = quad.object
    if isinstance(obj, pyoxigraph.Literal):
        return _node_key(quad.subject), quad.predicate.value, obj.value, LITERAL, obj.datatype.value, obj.language
    kind = BLANK if isinstance(obj, pyoxigraph.BlankNode) else IRI
    return _node_key(quad.subject), quad.predicate.value, _node_key(obj), kind, None, None


def _node_key(term: Any) -> str:
    import pyoxigraph

    return f"_:{term.value}" if isinstance(term, pyoxigraph.BlankNode) else f"<{term.value}>"


def _node(key: str) -> Node:
    return BNode(key[2:]) if key.startswith("_:") else URIRef(key[1:-1])


def _triple(row: tuple[Any, ...]) -> tuple[Node, Node, Node]:
    """A row as the triple rdflib's Turtle parser would have made (a plain string literal has no
    datatype there)."""
    subject, predicate, obj, kind, datatype, language = row
    if kind != LITERAL:
        return _node(subject), URIRef(predicate), _node(obj)
    if language:
        return _node(subject), URIRef(predicate), Literal(obj, lang=language)
    return _node(subject), URIRef(predicate), Literal(obj, datatype=None if datatype == str(XSD.string)
                                                      else URIRef(datatype))
