"""Import a GA4GH Phenopacket v2 as a case of our format (docs/case-format.md, docs/phenopackets.md).

This module reads the JSON (a file, a parsed value, or a list of Phenopackets as kb export writes
several cases), validates it against the Phenopacket v2 schema (protobuf, imported only here and
only when needed) and returns an `ImportedCase`: from the case record when kb wrote the packet
(record.py), else from the elements, which reading_elements.py (`CaseBuilder`) turns into facts
over reading_graph.py (`CaseGraph`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from calcinosis_kb.interchange.phenopackets.mapping import Vocabulary
from calcinosis_kb.interchange.phenopackets.reading_elements import CaseBuilder
from calcinosis_kb.interchange.phenopackets.record import find_record, read_record
from calcinosis_kb.knowledgebase.errors import InputFileError, KnowledgeError
from calcinosis_kb.knowledgebase.loading import load_ontology, new_graph
from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.knowledgebase.namespaces import CCKB


@dataclass
class ImportedCase:
    case: URIRef
    graph: Graph
    unmapped: list[str] = field(default_factory=list)
    """Terms of the Phenopacket that no cckb term maps to, and elements left out because of them."""
    notes: list[str] = field(default_factory=list)
    source: str = ""

    @property
    def cases(self) -> list[URIRef]:
        """Every case imported: the one above, or each of a list of Phenopackets."""
        return sorted(c for c in self.graph.subjects(RDF.type, CCKB.CalcinosisCutis) if isinstance(c, URIRef))

    @property
    def turtle(self) -> str:
        # The packet's id is the packet author's text: on one line, it cannot end the comment early
        source = " ".join(self.source.split())
        header = (f"# Imported by kb import from the Phenopacket v2 {source} (docs/phenopackets.md).\n"
                  "# Check every cckb:quote against the source text before adding this file to cases/.\n\n")
        return header + self.graph.serialize(format="turtle")


def import_phenopacket(kb: KnowledgeBase, path: Path) -> ImportedCase:
    """`kb import`: read a Phenopacket JSON file and turn it into a case."""
    return read_phenopacket(path, load_ontology(kb))


def phenopacket_to_case(kb: KnowledgeBase, data: object, where: str) -> ImportedCase:
    """A parsed Phenopacket v2 JSON value as a case; `where` names it in messages."""
    return case_from_phenopacket(Vocabulary.from_ontology(load_ontology(kb)), data, where)


def read_phenopacket(path: Path, ontology: Graph) -> ImportedCase:
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise InputFileError(f"{path}:{error.lineno}: not valid JSON: {error.msg}; a Phenopacket v2 is a "
                             "JSON object") from None
    except UnicodeDecodeError as error:
        raise InputFileError(f"{path}: not UTF-8 text: {error.reason}") from None
    vocabulary = Vocabulary.from_ontology(ontology)
    if isinstance(data, list):  # as `kb export --format phenopacket` writes several cases
        return _several(vocabulary, data, str(path))
    return case_from_phenopacket(vocabulary, data, str(path))


def _several(vocabulary: Vocabulary, items: list[object], where: str) -> ImportedCase:
    """A JSON list of Phenopackets as one case file with a case each; an item with nothing usable
    is listed and left out, as an unmapped term is."""
    if not items:
        raise InputFileError(f"{where}: an empty list; give a Phenopacket v2 object or a list of them")
    imported: list[ImportedCase] = []
    skipped: list[str] = []
    for index, item in enumerate(items):
        try:
            one = case_from_phenopacket(vocabulary, item, f"{where}[{index}]")
        except KnowledgeError as error:
            skipped.append(error.message)
            continue
        if any(one.case == other.case for other in imported):
            raise InputFileError(f"{where}[{index}]: a second Phenopacket with id {one.source!r}; ids must differ")
        imported.append(one)
    if not imported:
        raise KnowledgeError(f"{where}: nothing to import: " + "; ".join(skipped))
    graph = new_graph()
    for one in imported:
        graph += one.graph
    return ImportedCase(imported[0].case, graph, [u for one in imported for u in one.unmapped] + skipped,
                        [n for one in imported for n in one.notes], ", ".join(one.source for one in imported))


def validate_phenopacket(data: object, where: str) -> None:
    """Check the JSON against the Phenopacket v2 schema (protobuf); one line naming the field."""
    from google.protobuf import json_format
    from phenopackets import Phenopacket

    if not isinstance(data, dict):
        raise InputFileError(f"{where}: not a Phenopacket: the JSON is a {type(data).__name__}, not an object")
    for key, kind, part in (("proband", "Family", "its proband"), ("members", "Cohort", "its members")):
        if key in data:
            raise InputFileError(f"{where}: a Phenopacket {kind}, not a Phenopacket; import {part} "
                                 "as separate Phenopacket files")
    try:
        json_format.ParseDict(data, Phenopacket())
    except json_format.ParseError as error:
        message = " ".join(str(error).split())
        raise InputFileError(f"{where}: not a valid Phenopacket v2: {message}") from None


def case_from_phenopacket(vocabulary: Vocabulary, data: object, where: str) -> ImportedCase:
    validate_phenopacket(data, where)
    assert isinstance(data, dict)
    record = find_record(data)
    if record is not None:  # written by kb export: the case record has every fact (record.py)
        graph = read_record(data, record, vocabulary, where)
        cases = sorted(c for c in graph.subjects(RDF.type, CCKB.CalcinosisCutis) if isinstance(c, URIRef))
        if len(cases) != 1:
            raise InputFileError(f"{where}: the case record (files[].fileAttributes) describes {len(cases)} "
                                 "cases, not one; remove it to import the elements only")
        return ImportedCase(cases[0], graph, source=str(data.get("id") or cases[0]))
    builder = CaseBuilder(vocabulary, data, where)
    builder.run()
    return ImportedCase(builder.case, builder.graph, builder.unmapped, builder.notes, builder.packet_id)


def read_case(path: Path, ontology: Graph) -> tuple[Graph, list[str]]:
    """A Phenopacket file as a case graph, with notes naming its terms that map to nothing and were
    left out: the `read_json` case reader the lower layers accept (knowledgebase.loading.CaseReader)."""
    imported = read_phenopacket(path, ontology)
    return imported.graph, [f"{path}: not imported: {line}" for line in imported.unmapped]
