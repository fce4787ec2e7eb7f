"""Reading Turtle: the ontology's parts and case files, with errors that name file and line."""

from __future__ import annotations

import pickle
import re
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.plugins.parsers.notation3 import BadSyntax

from calcinosis_kb.knowledgebase.errors import InputFileError
from calcinosis_kb.knowledgebase.location import KnowledgeBase, keep_in_cache, ontology_cache_path
from calcinosis_kb.knowledgebase.namespaces import PREFIXES, is_iri


def new_graph() -> Graph:
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


def parse_turtle(path: Path) -> Graph:
    """Parse one Turtle file; any problem becomes an InputFileError naming the file and line."""
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputFileError(f"{path}: cannot be read: {error.strerror or error}") from None
    if not data.strip():
        raise InputFileError(f"{path}: the file is empty; a case file holds Turtle (see docs/case-format.md)")
    graph = new_graph()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            graph.parse(data=data, format="turtle", publicID=path.resolve().as_uri())
    except BadSyntax as error:
        line = error._str[: error._i].count(b"\n") + 1
        raise InputFileError(
            f"{path}:{line}: Turtle syntax error: {error._why}; fix the Turtle at that line"
        ) from None
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InputFileError(f"{path}:{line}: not UTF-8 text ({error.reason}); save the file as UTF-8") from None
    except (ValueError, Warning) as error:
        raise InputFileError(_located(path, data, f"not readable as Turtle: {error}")) from None
    except RecursionError:
        raise InputFileError(f"{path}: nests brackets or lists too deeply (thousands of levels) to be read; "
                             "write the nested nodes as named nodes instead") from None
    except (AssertionError, IndexError, KeyError, TypeError, AttributeError) as error:
        # rdflib's Turtle parser fails this way on some truncated files (a literal or number cut short)
        raise InputFileError(_located(path, data, f"Turtle syntax error ({type(error).__name__})")) from None
    _refuse_unwritable_terms(graph, path, data)
    return graph


def _refuse_unwritable_terms(graph: Graph, path: Path, data: bytes) -> None:
    """rdflib lets through IRIs that are not IRIs (a space, a brace) and strings holding lone UTF-16
    surrogates (from a \\uD800 escape); no RDF store or file format can take them."""
    for triple in graph:
        for term in triple:
            if isinstance(term, URIRef) and not is_iri(str(term)):
                raise InputFileError(_at_text(path, data, str(term), f"<{term}> is not a valid IRI (spaces and "
                                              "the characters <>\"{}|^` and backslash are not allowed); "
                                              "fix it or percent-encode them"))
            if isinstance(term, Literal) and _has_lone_surrogate(str(term)):
                escape = re.search(rb"\\[uU]0*[dD][89a-fA-F][0-9a-fA-F]{2}", data)
                line = f":{_line_at(data, escape.start())}" if escape else ""
                raise InputFileError(f"{path}{line}: a string holds a \\uD800-\\uDFFF escape, which is half of "
                                     "a UTF-16 pair and no character; write the character itself")


def _has_lone_surrogate(text: str) -> bool:
    return any("\ud800" <= character <= "\udfff" for character in text)


def _line_at(data: bytes, position: int) -> int:
    return data[:position].count(b"\n") + 1


def _at_text(path: Path, data: bytes, text: str, message: str) -> str:
    position = data.find(text.encode("utf-8", "replace"))
    line = _line_at(data, position) if position >= 0 else None
    return f"{path}:{line}: {message}" if line else f"{path}: {message}"


def _located(path: Path, data: bytes, fallback: str) -> str:
    """The message for a file rdflib could not parse without saying where: pyoxigraph's strict parser
    names the line (and a clearer reason); if it parses the file, rdflib's own words are given."""
    import pyoxigraph

    try:
        for _ in pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.TURTLE, base_iri=path.resolve().as_uri()):
            pass
    except SyntaxError as error:
        line = error.lineno or 1
        reason = str(error.msg).split(": ", 1)[-1]
        return f"{path}:{line}: Turtle syntax error: {reason}; fix the Turtle at that line"
    except (ValueError, RecursionError) as error:
        return f"{path}: not readable as Turtle: {error}"
    return f"{path}: {fallback}"


CaseReader = Callable[[Path, Graph], tuple[Graph, list[str]]]
"""Reads a case file of another format (a GA4GH Phenopacket) into a case graph, with notes on
what it left out. The interchange layer provides one; this layer knows only Turtle."""


def parse_case(path: Path, ontology: Graph, read_json: CaseReader | None = None) -> tuple[Graph, list[str]]:
    """A case file: Turtle, or (.json) a file of another format that `read_json` converts into a
    case, with notes naming what it left out."""
    from calcinosis_kb.knowledgebase.literals import check_literals

    if path.suffix.lower() != ".json":
        graph, notes = parse_turtle(path), list[str]()
    elif read_json is None:
        raise InputFileError(f"{path}: a .json case file (a Phenopacket) cannot be read here; "
                             "give kb infer the file, or convert it first with kb import")
    else:
        graph, notes = read_json(path, ontology)
    check_literals(graph, path)
    return graph, notes


def merge(graphs: Iterable[Graph]) -> Graph:
    merged = new_graph()
    for graph in graphs:
        for triple in graph:
            merged.add(triple)
    return merged


def load_ontology(kb: KnowledgeBase) -> Graph:
    """The ontology: the edit source and its parts (mappings, knowledge) merged. Parsed once per
    change of its files: the parsed graph is kept in the cache (a tenth of the parse time to read)."""
    files = kb.ontology_files
    if not files:
        raise InputFileError(f"{kb.root / 'ontology'}: no .ttl files")
    cached = ontology_cache_path(kb, "pickle")
    if cached is not None:
        try:
            with cached.open("rb") as stream:
                graph = pickle.load(stream)
            if isinstance(graph, Graph):
                return graph
        except Exception:  # a missing, unreadable, damaged or foreign cache file: only a missed shortcut
            pass
    graph = merge(parse_turtle(path) for path in files)
    if cached is not None:
        keep_in_cache(cached, pickle.dumps(graph, protocol=pickle.HIGHEST_PROTOCOL))
    return graph


