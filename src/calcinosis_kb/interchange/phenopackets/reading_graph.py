"""The case graph a Phenopacket import builds, and what the element readers share.

`CaseGraph` holds the graph under construction, the IRIs of its fact nodes (the ones the
Phenopacket names, else new ones), typed facts and their quotes, the lists of unmapped terms and
notes, and the source the external references cite. (Packets written by kb before the case record,
record.py, carried the text of elements with no text field in metaData.externalReferences; that
text is still restored.) The element-by-element reading is in reading_elements.py; reading the file
is in reading.py."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, XSD

from calcinosis_kb.interchange.phenopackets.mapping import Vocabulary
from calcinosis_kb.knowledgebase.loading import new_graph
from calcinosis_kb.knowledgebase.namespaces import CASE, CCKB, SRC, curie, expand

DERIVED_DATA = {CCKB.canonicalValue, CCKB.calciumPhosphateProduct}
"""Data properties never restored from externalReferences: kb computes them."""
OUTCOME = "cckb:hasOutcome"
INTEGER = re.compile(r"^[+-]?\d+$")

Json = dict[str, object]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def json_list(value: object) -> list[Json]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def json_dict(value: object) -> Json:
    return value if isinstance(value, dict) else {}


def json_str(value: object) -> str:
    return value if isinstance(value, str) else ""


def term_text(term: Json) -> str:
    ident, name = json_str(term.get("id")), json_str(term.get("label"))
    return f"{ident} ({name})" if name else ident


class CaseGraph:
    """One case being imported from a Phenopacket (docs/phenopackets.md)."""

    def __init__(self, vocabulary: Vocabulary, data: Json, where: str) -> None:
        self.v = vocabulary
        self.data = data
        self.where = where
        self.graph = new_graph()
        ident = json_str(data.get("id")) or Path(where).stem
        self.case = CASE[slug(ident)]
        self.prefix = slug(ident)
        self.packet_id = ident
        self.unmapped: list[str] = []
        """Terms of the Phenopacket that no cckb term maps to, and elements left out because of them."""
        self.notes: list[str] = []
        self.groups = self._groups()
        self.used: set[URIRef] = {self.case}
        self.diagnoses: dict[str, URIRef] = {}

    # --- text carried in metaData.externalReferences ---------------------------------------------

    def _groups(self) -> dict[URIRef, list[tuple[str, str]]]:
        """metaData.externalReferences that carry the text of one of our fact nodes, by node."""
        groups: dict[URIRef, list[tuple[str, str]]] = {}
        for reference in json_list(json_dict(self.data.get("metaData")).get("externalReferences")):
            target = json_str(reference.get("reference"))
            if target.startswith(str(CASE)):
                groups.setdefault(URIRef(target), []).append(
                    (json_str(reference.get("id")), json_str(reference.get("description"))))
        return groups

    def _source(self) -> URIRef:
        """The source document the external references name: by its `src:` IRI or CURIE, or by a
        PMID or DOI that its `dcterms:identifier` prints."""
        references = json_list(json_dict(self.data.get("metaData")).get("externalReferences"))
        for reference in references:
            for named in (json_str(reference.get("reference")), expand(json_str(reference.get("id"))) or ""):
                if named.startswith(str(SRC)) and (URIRef(named), None, None) in self.v.ontology:
                    return URIRef(named)
        cited = {json_str(r.get("id")).lower() for r in references}
        for source, identifier in self.v.ontology.subject_objects(DCTERMS.identifier):
            if isinstance(source, URIRef) and str(identifier).lower() in cited:
                return source
        self.notes.append(f"the source is not in the ontology: recorded as src:{self.prefix}; ask the "
                          "ontology maintainer to add it (docs/case-format.md)")
        return SRC[self.prefix]

    def _slotless_nodes(self, elements: list[tuple[str, list[Json]]]) -> list[str]:
        """The fact IRI of each slotless element: the n-th externalReferences node that no other
        element names, when there are exactly as many (as in kb export's output)."""
        named = {self.case, CASE[slug(json_str(json_dict(self.data.get("subject")).get("id")) or "-")]}
        for feature in json_list(self.data.get("phenotypicFeatures")):
            evidence = json_list(feature.get("evidence"))
            named |= {URIRef(json_str(json_dict(e.get("reference")).get("reference"))) for e in evidence}
        named |= {CASE[slug(json_str(i.get("id")).split("#")[0])] for i in json_list(self.data.get("interpretations"))}
        free = [str(node) for node in self.groups if node not in named and not self._is_outcome_report(node)]
        return free if len(free) == len(elements) else [""] * len(elements)

    def _is_outcome_report(self, node: URIRef) -> bool:
        return node != self.case and any(ident == OUTCOME for ident, _ in self.groups.get(node, []))

    def _outcome_reports(self) -> None:
        """The case's outcome reports, which kb export carries whole in externalReferences."""
        for node in [n for n in self.groups if self._is_outcome_report(n) and n not in self.used]:
            self.used.add(node)
            self.graph.add((self.case, CCKB.hasOutcomeReport, node))
            self.graph.add((node, RDF.type, CCKB.OutcomeReport))
        if (self.case, CCKB.hasOutcomeReport, None) in self.graph:
            # vitalStatus repeats a reported death; the outcome report already holds it.
            reported = {o for r in self.graph.objects(self.case, CCKB.hasOutcomeReport)
                        for _, text in self.groups.get(URIRef(str(r)), []) if (o := self.v.term_of(text))}
            if CCKB.Died in reported:
                self.graph.remove((self.case, CCKB.hasOutcome, CCKB.Died))

    def _restore_text(self) -> None:
        """The quotes, notes and other text of our nodes that kb export put in externalReferences."""
        for node, entries in self.groups.items():
            if node not in self.used:
                continue
            for ident, text in entries:
                if ident == OUTCOME:
                    outcome = self.v.term_of(text)
                    if outcome is not None and (outcome, RDF.type, CCKB.Outcome) in self.v.ontology:
                        self.graph.add((node, CCKB.hasOutcome, outcome))
                    continue
                prop = self.v.property_of(ident)
                if prop is None:
                    continue
                if (prop, RDF.type, OWL.DatatypeProperty) in self.v.ontology:
                    if prop not in DERIVED_DATA:
                        self._restore_data(node, prop, ident, text)
                else:
                    self.graph.add((node, prop, Literal(text)))

    def _restore_data(self, node: URIRef, prop: URIRef, ident: str, text: str) -> None:
        """A data value as Turtle would read its text: true/false for a boolean property, an
        integer or a decimal for a numeric one."""
        if (prop, RDFS.range, XSD.boolean) in self.v.ontology:
            if text in ("true", "false"):
                self.graph.add((node, prop, Literal(text == "true")))
            else:
                self.notes.append(f"{ident} {text!r} of {curie(str(node))} is not true or false")
            return
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            self.notes.append(f"{ident} {text!r} of {curie(str(node))} is not a number")
        elif INTEGER.match(text.strip()):
            self.graph.add((node, prop, Literal(int(number))))
        else:
            self.graph.add((node, prop, Literal(text.strip(), datatype=XSD.decimal)))

    # --- fact nodes -----------------------------------------------------------------------------

    def _typed(self, term: URIRef, kind: Json, excluded: bool, node: str, quotes: list[str], element: str,
               link: URIRef | None = None) -> URIRef | None:
        """A fact of class `term` (or its absence), linked by the property its class calls for."""
        if excluded:
            absence = self.v.absence_of(term)
            if absence is None:
                self.unmapped.append(f"{term_text(kind)}: excluded {element}; the ontology has no explicit-"
                                     "absence class for it (cckb:negates)")
                return None
            term, link = absence, CCKB.hasFinding
        prop = link or self.v.fact_property(term)
        if prop is None:
            self.unmapped.append(f"{term_text(kind)}: {element}; {curie(str(term))} is not a condition, "
                                 "finding, lab, exposure, imaging, procedure or treatment class")
            return None
        fact = self._node(node, self.v.label(term))
        self._fact(prop, fact, term, quotes)
        return fact

    def _term(self, kind: Json, element: str) -> URIRef | None:
        term = self.v.term_of(json_str(kind.get("id")))
        if term is None:
            self.unmapped.append(f"{term_text(kind) or 'no id'}: {element}; no term of the ontology maps to it")
        return term

    def _fact(self, prop: URIRef, node: URIRef, cls: URIRef, quotes: list[str]) -> None:
        self.graph.add((self.case, prop, node))
        self.graph.add((node, RDF.type, cls))
        self._quote(node, quotes)

    def _quote(self, node: URIRef, quotes: list[str]) -> None:
        for quote in quotes:
            self.graph.add((node, CCKB.quote, Literal(quote)))

    def _node(self, iri: str, name: str) -> URIRef:
        """The fact IRI the Phenopacket names, or a new one of the case from `name`."""
        if iri.startswith(str(CASE)) and URIRef(iri) not in self.used:
            node = URIRef(iri)
        else:
            base = f"{self.prefix}-{slug(name)}"
            node, n = CASE[base], 1
            while node in self.used:
                n += 1
                node = CASE[f"{base}-{n}"]
        self.used.add(node)
        return node
