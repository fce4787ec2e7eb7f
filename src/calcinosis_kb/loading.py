"""Reading Turtle: the ontology's parts and case files, with errors that name file and line."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from pathlib import Path

from rdflib import Graph
from rdflib.plugins.parsers.notation3 import BadSyntax

from .errors import InputFileError
from .kbdir import KnowledgeBase
from .namespaces import PREFIXES


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


def parse_case(path: Path, ontology: Graph) -> tuple[Graph, list[str]]:
    """A case file: Turtle, or a GA4GH Phenopacket v2 JSON file (.json), converted into a case
    (docs/phenopackets.md); with notes naming its terms that map to nothing and were left out."""
    if path.suffix.lower() != ".json":
        return parse_turtle(path), []
    from .phenopacket_in import read_phenopacket

    imported = read_phenopacket(path, ontology)
    return imported.graph, [f"{path}: not imported: {line}" for line in imported.unmapped]


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
