"""Export cases as GA4GH Phenopacket v2 JSON (protobuf JSON, camelCase). See docs/phenopackets.md.

This module holds the entry point (`phenopacket_export`: which cases, the reasoner's inferred
interpretations, the creation time) and the assembly of one packet (`PacketBuilder.build`: the
elements in order, the case record, metaData with its resources and the source's PMID or DOI).
The element-by-element builders are in writing_elements.py, the case record in record.py, the
term mapping in mapping.py."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rdflib import Graph, URIRef

from calcinosis_kb import __version__
from calcinosis_kb.interchange.phenopackets.mapping import DISEASE_IDS, RESOURCES, Vocabulary
from calcinosis_kb.interchange.phenopackets.reading import read_case
from calcinosis_kb.interchange.phenopackets.record import record_file
from calcinosis_kb.interchange.phenopackets.writing_elements import COMPLICATION_ONSET, ElementBuilder, local_name
from calcinosis_kb.knowledgebase.cases import check_terms, find_cases, word
from calcinosis_kb.knowledgebase.errors import UsageError
from calcinosis_kb.knowledgebase.loading import load_ontology, parse_case
from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.knowledgebase.namespaces import CASE, CCKB
from calcinosis_kb.reasoning.classify import case_facts

SCHEMA_VERSION = "2.0"


@dataclass
class PhenopacketExport:
    packets: list[tuple[str, dict[str, object]]]
    notes: list[str]


def created_timestamp(created: datetime | None = None) -> str:
    """RFC 3339 time of the export: `created`, else $SOURCE_DATE_EPOCH when set (the reproducible-
    builds convention: two exports with the same value are identical), else now."""
    if created is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        if epoch is not None and not epoch.strip().isdigit():
            raise UsageError(f"SOURCE_DATE_EPOCH={epoch!r} is not a whole number of seconds since 1970-01-01 "
                             "UTC; set it to one (date +%s) or unset it to stamp the time of export")
        created = datetime.fromtimestamp(int(epoch), tz=UTC) if epoch is not None else datetime.now(UTC)
    return created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def phenopacket_export(
    kb: KnowledgeBase, case_paths: list[Path], inferred: bool, created: datetime | None = None
) -> PhenopacketExport:
    """Every case of the files as a Phenopacket, and notes on what has no standard identifier."""
    ontology = load_ontology(kb)
    vocabulary = Vocabulary.from_ontology(ontology)
    interpretations: dict[URIRef, list[URIRef]] = {}
    notes: list[str] = []
    if inferred:
        interpretations, notes = _inferred(kb, case_paths, ontology)
    stamp = created_timestamp(created)
    packets: list[tuple[str, dict[str, object]]] = []
    for path in case_paths:
        case_file = find_cases(path, parse_case(path, ontology, read_case)[0])
        check_terms(case_file, ontology)
        subjects = set(case_file.graph.subjects())
        for case in case_file.cases:
            facts = case_facts(case_file.graph, case, subjects)
            builder = PacketBuilder(vocabulary, facts, case)
            packet = builder.build(stamp, interpretations.get(case) if inferred else None)
            packets.append((local_name(case), packet))
    if vocabulary.unmapped:
        terms = [f"{vocabulary.cckb_curie(t)} ({vocabulary.label(t)})" for t in sorted(vocabulary.unmapped)]
        notes.append(f"{len(terms)} terms have no verified identifier in ontology/mappings.ttl and keep their own "
                     f"IRI with the cckb prefix: {', '.join(terms)}")
    return PhenopacketExport(packets, notes)


def _inferred(kb: KnowledgeBase, paths: list[Path], ontology: Graph) -> tuple[dict[URIRef, list[URIRef]], list[str]]:
    """The reasoner's subtypes and patterns of each case, as classes."""
    from calcinosis_kb.reasoning.classify import Definitions
    from calcinosis_kb.reasoning.infer import infer

    definitions = Definitions.from_ontology(ontology)
    by_word = {word(ontology, c): c for c in definitions.subtypes + definitions.patterns}
    inference = infer(kb, paths, explain=False, ontology=ontology)
    found: dict[URIRef, list[URIRef]] = {}
    for result in inference.results:
        case = CASE[result.case.removeprefix("case:")]
        found[case] = [by_word[w] for w in result.inferred_subtypes + result.inferred_patterns if w in by_word]
    notes = [f"{e.message}: exported without inferred interpretations" for e in inference.errors]
    return found, notes



class PacketBuilder(ElementBuilder):
    """One case as a Phenopacket: its elements (built by ElementBuilder) in order, metaData, and the
    case record (record.py) for what the elements cannot hold (docs/phenopackets.md)."""

    def build(self, created: str, inferred: list[URIRef] | None) -> dict[str, object]:
        self._feature(self.case, CCKB.CalcinosisCutis, excluded=False)
        self._disease(None, {"term": self.v.ontology_class(CCKB.CalcinosisCutis, DISEASE_IDS)})
        for node in self._linked(CCKB.hasFinding) + self._linked(CCKB.hasHistology):
            self._finding(node)
        for node in self._linked(CCKB.hasLesion):
            self._lesion(node)
        for prop in (CCKB.hasCondition, CCKB.hasComplication):
            for node in self._linked(prop):
                disease: dict[str, object] = {"term": self.v.ontology_class(self._type(node), DISEASE_IDS)}
                if prop == CCKB.hasComplication:
                    disease["onset"] = {"ontologyClass": COMPLICATION_ONSET}
                self._disease(node, disease)
        for node in self._linked(CCKB.hasLabResult):
            self._measurement(node)
        for prop in (CCKB.hasExposure, CCKB.hasImaging, CCKB.hasProcedure, CCKB.hasTreatment):
            for node in self._linked(prop):
                self._action(node)
        for node in self._linked(CCKB.hasAuthorsDiagnosis):
            self._authors(node)
        for cls in inferred or []:
            self._inferred(cls)
        packet: dict[str, object] = {"id": local_name(self.case)}
        if isinstance(self.facts.value(self.case, CCKB.hasPatient), URIRef):
            packet["subject"] = self._subject()
        for key, items in (("phenotypicFeatures", self.features), ("measurements", self.measurements),
                           ("interpretations", self.interpretations), ("diseases", self.diseases),
                           ("medicalActions", self.actions)):
            if items:
                packet[key] = items
        packet["files"] = [record_file(packet, self.facts, self.case, self.places, self.v)]
        packet["metaData"] = self._metadata(created, packet)
        return packet

    def _metadata(self, created: str, packet: dict[str, object]) -> dict[str, object]:
        resources = [RESOURCES[p].as_json() for p in self.v.used_prefixes(packet)]
        for resource in resources:
            if resource["namespacePrefix"] == "cckb":
                resource["version"] = self.v.version
        return {
            "created": created,
            "createdBy": f"calcinosis-kb {__version__}",
            "resources": resources,
            "phenopacketSchemaVersion": SCHEMA_VERSION,
            "externalReferences": self.references,
        }
