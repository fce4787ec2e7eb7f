"""The ontology's mappings (ontology/mappings.ttl) as an SSSOM mapping set: a TSV with its metadata
in a commented YAML block (curie_map, mapping_set_id, mapping_set_version, license), and the prefix
map of the release (`prefix_map`), so that sssom-py and OAK need no `--prefix`.

Every mapping is one row, classes and individuals (anatomical sites) alike. oboInOwl:hasDbXref
becomes skos:exactMatch: mappings.ttl states that a cross-reference "denotes the same concept as the
cckb term"; skos:broadMatch, narrowMatch, closeMatch, exactMatch and relatedMatch are kept as they
are. All were curated by hand from shared/reference/identifiers.csv, hence
semapv:ManualMappingCuration (a mapping_justification value of the SSSOM schema's enumeration).
Object ids are written with the Bioregistry's OBO-context prefixes (namespaces.MAPPING_PREFIXES):
ICD10:L94.2 becomes ICD10WHO:L94.2, LOINC:2777-1 loinc:2777-1."""

from __future__ import annotations

import json
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from calcinosis_kb.knowledgebase.errors import InputFileError
from calcinosis_kb.knowledgebase.namespaces import (
    CCKB,
    MAPPING_PREFIXES,
    OBO_IDSPACE,
    OBOINOWL,
    ONTOLOGY_IRI,
    converter,
    mapping_curie,
    mapping_iri,
    shorten,
)

JUSTIFICATION = "semapv:ManualMappingCuration"
PREDICATES = {OBOINOWL.hasDbXref: "skos:exactMatch", SKOS.exactMatch: "skos:exactMatch",
              SKOS.closeMatch: "skos:closeMatch", SKOS.broadMatch: "skos:broadMatch",
              SKOS.narrowMatch: "skos:narrowMatch", SKOS.relatedMatch: "skos:relatedMatch"}
BUILT_IN = {"skos": str(SKOS), "semapv": "https://w3id.org/semapv/vocab/"}
"""Prefixes the SSSOM specification defines itself; a curie_map need not (and should not) repeat them."""
COLUMNS = ("subject_id", "subject_label", "subject_type", "predicate_id", "object_id", "mapping_justification")
SUBJECT_TYPES = {OWL.Class: "owl class", OWL.NamedIndividual: "owl named individual"}


@dataclass(frozen=True, order=True)
class Mapping:
    subject_id: str
    subject_label: str
    subject_type: str
    predicate_id: str
    object_id: str
    mapping_justification: str = JUSTIFICATION


def _standard_curie(value: Node, subject: str, predicate: str) -> tuple[str, str]:
    """(prefix, CURIE) of a mapping target written with the published prefixes."""
    text = mapping_curie((shorten(str(value), "obo") if isinstance(value, URIRef) else str(value)) or "")
    prefix, _, local = text.partition(":")
    if mapping_iri(text) or (prefix and local and converter("obo").expand(text)):
        return prefix, text
    raise InputFileError(f"ontology: {subject} {predicate} {value}: not an identifier with a prefix the SSSOM "
                         "mapping set knows; write it as PREFIX:ID (mappings.ttl) with an OBO Foundry prefix or "
                         "one of " + ", ".join(sorted(MAPPING_PREFIXES)))


def mappings(graph: Graph) -> tuple[list[Mapping], dict[str, str]]:
    """The mapping rows, sorted, and the curie_map of the prefixes they use."""
    rows: set[Mapping] = set()
    used = {OBO_IDSPACE: str(CCKB)}
    for predicate, sssom_predicate in PREDICATES.items():
        for subject, value in graph.subject_objects(predicate):
            if not isinstance(subject, URIRef) or not str(subject).startswith(str(CCKB)):
                continue
            subject_id = str(shorten(str(subject), "obo"))
            prefix, object_id = _standard_curie(value, subject_id, str(shorten(str(predicate))))
            used[prefix] = MAPPING_PREFIXES[prefix][0] if prefix in MAPPING_PREFIXES else \
                str(converter("obo").expand(f"{prefix}:"))
            kind = next((name for cls, name in SUBJECT_TYPES.items() if (subject, RDF.type, cls) in graph), "")
            label = graph.value(subject, RDFS.label)
            rows.add(Mapping(subject_id, str(label) if isinstance(label, Literal) else "", kind, sssom_predicate,
                             object_id))
    return sorted(rows), dict(sorted(used.items()))


def sssom_tsv(graph: Graph, version: str, mapping_set_id: str) -> str:
    """The SSSOM/TSV file: the metadata block, then one row per mapping."""
    rows, curie_map = mappings(graph)
    header = URIRef(ONTOLOGY_IRI)
    licence = graph.value(header, DCTERMS.license)
    title = graph.value(header, DCTERMS.title)
    metadata = ["curie_map:", *(f"  {prefix}: {json.dumps(uri)}" for prefix, uri in curie_map.items()),
                f"mapping_set_id: {mapping_set_id}", f"mapping_set_version: {json.dumps(version)}"]
    if title is not None:
        metadata.append(f"mapping_set_title: {json.dumps(f'Mappings of {title}', ensure_ascii=False)}")
    if licence is not None:
        metadata.append(f"license: {licence}")
    lines = [f"#{line}" for line in metadata]
    lines.append("\t".join(COLUMNS))
    lines += ["\t".join(getattr(row, column) for column in COLUMNS) for row in rows]
    return "\n".join(lines) + "\n"


def prefix_map(graph: Graph) -> str:
    """The release's prefix map as JSON (prefix -> URI prefix), for `curies.load_prefix_map`,
    sssom-py (also for the OBO Graphs JSON) and OAK: the mapping set's curie_map and the SSSOM
    built-ins it uses."""
    _, curie_map = mappings(graph)
    # oboInOwl: the OBO formats' cross-reference property, which sssom-py reads from OBO Graphs JSON.
    return json.dumps({**curie_map, **BUILT_IN, "oboInOwl": str(OBOINOWL)}, indent=2) + "\n"
