"""Reading Turtle: the ontology's parts and case files, with errors that name file and line."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

from rdflib import Graph
from rdflib.plugins.parsers.notation3 import BadSyntax

from calcinosis_kb.knowledgebase.errors import InputFileError
from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.knowledgebase.namespaces import PREFIXES


def new_graph() -> Graph:
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


def parse_turtle(path: Path) -> Graph:
    """Parse one Turtle file; any problem becomes an InputFileError naming the file and line."""
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    data = path.read_bytes()
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
    except (UnicodeDecodeError, ValueError, Warning) as error:
        raise InputFileError(f"{path}: not readable as Turtle: {error}") from None
    return graph


CaseReader = Callable[[Path, Graph], tuple[Graph, list[str]]]
"""Reads a case file of another format (a GA4GH Phenopacket) into a case graph, with notes on
what it left out. The interchange layer provides one; this layer knows only Turtle."""


def parse_case(path: Path, ontology: Graph, read_json: CaseReader | None = None) -> tuple[Graph, list[str]]:
    """A case file: Turtle, or (.json) a file of another format that `read_json` converts into a
    case, with notes naming what it left out."""
    if path.suffix.lower() != ".json":
        return parse_turtle(path), []
    if read_json is None:
        raise InputFileError(f"{path}: a .json case file (a Phenopacket) cannot be read here; "
                             "give kb infer the file, or convert it first with kb import")
    return read_json(path, ontology)


def merge(graphs: Iterable[Graph]) -> Graph:
    merged = new_graph()
    for graph in graphs:
        for triple in graph:
            merged.add(triple)
    return merged


def load_ontology(kb: KnowledgeBase) -> Graph:
    """The ontology: the edit source and its parts (mappings, knowledge) merged."""
    files = kb.ontology_files
    if not files:
        raise InputFileError(f"{kb.root / 'ontology'}: no .ttl files")
    return merge(parse_turtle(path) for path in files)


def case_files_from(arguments: Iterable[Path], kb: KnowledgeBase) -> list[Path]:
    """Expand command-line paths: a folder means every .ttl in it; nothing means the KB's cases."""
    paths = list(arguments)
    if not paths:
        return kb.case_files
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.glob("*.ttl")))
        elif path.exists():
            files.append(path)
        else:
            raise InputFileError(f"{path}: no such file or folder")
    return files
