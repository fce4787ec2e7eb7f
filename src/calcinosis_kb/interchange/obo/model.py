"""The OBO view of the ontology's RDF graph (`collect`), which both OBO renderings are written from.

The model holds the classes and object properties with their names, definitions, comments,
synonyms, cross-references (oboInOwl:hasDbXref, the identifiers of shared/reference/identifiers.csv)
and SKOS mappings; is_a, relationship (R some C superclasses), intersection_of (genus and R some C
differentiae), union_of and equivalent_to. What OBO cannot say (other class expressions, data
properties, individuals, other annotations) is left out and counted in the model's notes. Our own
terms get ids CCKB:LocalName, declared by an idspace. Kept apart from obo_render.py, which turns the
model into text, so that what OBO can carry is decided in one place for both formats."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from calcinosis_kb.knowledgebase.namespaces import DEFINITION, OBOINOWL, ONTOLOGY_IRI, shorten

SYNONYMS = {OBOINOWL.hasExactSynonym: "EXACT", OBOINOWL.hasRelatedSynonym: "RELATED",
            OBOINOWL.hasBroadSynonym: "BROAD", OBOINOWL.hasNarrowSynonym: "NARROW"}
MAPPINGS = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)
CARRIED = {RDF.type, RDFS.label, RDFS.comment, DEFINITION, OBOINOWL.hasDbXref, RDFS.subClassOf, OWL.equivalentClass,
           OWL.disjointWith, OWL.deprecated, RDFS.subPropertyOf, RDFS.domain, RDFS.range, OWL.inverseOf,
           *SYNONYMS, *MAPPINGS}
CHARACTERISTICS = {OWL.TransitiveProperty: "is_transitive", OWL.SymmetricProperty: "is_symmetric",
                   OWL.FunctionalProperty: "is_functional", OWL.InverseFunctionalProperty: "is_inverse_functional",
                   OWL.ReflexiveProperty: "is_reflexive", OWL.AsymmetricProperty: "is_asymmetric"}


def obo_id(iri: Node) -> str | None:
    """CCKB:Local for our terms, PREFIX:ID for OBO PURLs, skos:x for SKOS; None for anything else
    (blank nodes, cases, and IRIs no OBO prefix covers, which OBO cannot name)."""
    if not isinstance(iri, URIRef):
        return None
    ident = shorten(str(iri), "obo")
    if ident is None or not ident.partition(":")[2] or "/" in ident.partition(":")[2]:
        return None
    return ident


@dataclass
class Entity:
    """A [Term] (a class) or a [Typedef] (an object property) and what OBO can say about it."""

    iri: str
    id: str
    name: str | None = None
    definition: str | None = None
    comment: str | None = None
    synonyms: list[tuple[str, str]] = field(default_factory=list)  # (scope, text)
    xrefs: list[str] = field(default_factory=list)
    mappings: list[tuple[str, str]] = field(default_factory=list)  # (skos:..., target id or IRI)
    is_a: list[str] = field(default_factory=list)
    relationships: list[tuple[str, str]] = field(default_factory=list)  # (property id, filler id)
    intersection: list[tuple[str | None, str]] = field(default_factory=list)  # (None, genus) or (property, filler)
    union: list[str] = field(default_factory=list)
    equivalent: list[str] = field(default_factory=list)
    disjoint: list[str] = field(default_factory=list)
    obsolete: bool = False
    domain: str | None = None
    range: str | None = None
    inverse_of: str | None = None
    characteristics: list[str] = field(default_factory=list)


@dataclass
class OboModel:
    version: str
    version_iri: str
    title: str | None
    terms: list[Entity]
    typedefs: list[Entity]
    notes: list[str]


def _text(graph: Graph, subject: Node, predicate: Node) -> list[str]:
    values = [v for v in graph.objects(subject, predicate) if isinstance(v, Literal)]
    values.sort(key=lambda v: (v.language not in (None, "en"), str(v)))
    return [str(v) for v in values]


class _Collector:

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.left_out: dict[str, list[str]] = {}
        self.annotations: Counter[str] = Counter()

    def leave_out(self, kind: str, entity: str) -> None:
        self.left_out.setdefault(kind, []).append(entity)

    def existential(self, node: Node) -> tuple[str, str] | None:
        """(property id, filler id) for [ owl:onProperty R ; owl:someValuesFrom C ] with named R and C."""
        g = self.graph
        prop, filler = g.value(node, OWL.onProperty), g.value(node, OWL.someValuesFrom)
        prop_id, filler_id = obo_id(prop) if prop else None, obo_id(filler) if filler else None
        if prop_id is None or filler_id is None or (prop, RDF.type, OWL.ObjectProperty) not in g:
            return None
        return prop_id, filler_id

    def members(self, node: Node, predicate: URIRef) -> list[Node] | None:
        head = self.graph.value(node, predicate)
        return list(Collection(self.graph, head)) if head is not None else None

    def equivalence(self, entity: Entity, node: Node) -> bool:
        """Record one equivalence if OBO can say it; False if it cannot."""
        if isinstance(node, URIRef) and obo_id(node):
            entity.equivalent.append(str(obo_id(node)))
            return True
        parts = self.members(node, OWL.intersectionOf)
        if parts is not None and not entity.intersection:
            intersection: list[tuple[str | None, str]] = []
            for part in parts:
                named, restriction = obo_id(part) if isinstance(part, URIRef) else None, self.existential(part)
                if named is None and restriction is None:
                    return False
                intersection.append((None, named) if named else restriction)  # type: ignore[arg-type]
            if sum(1 for relation, _ in intersection if relation is None) == 1:  # OBO wants one genus
                entity.intersection = intersection
                return True
            return False
        options = self.members(node, OWL.unionOf)
        if options is not None and not entity.union:
            ids = [obo_id(option) for option in options]
            if all(ids):
                entity.union = [str(i) for i in ids]
                return True
        return False

    def common(self, subject: URIRef, entity: Entity) -> None:
        g = self.graph
        names, definitions, comments = _text(g, subject, RDFS.label), _text(g, subject, DEFINITION), \
            _text(g, subject, RDFS.comment)
        entity.name = names[0] if names else None
        entity.definition = definitions[0] if definitions else None
        entity.comment = " ".join(comments) or None
        entity.synonyms = sorted((scope, text) for predicate, scope in SYNONYMS.items()
                                 for text in _text(g, subject, predicate))
        entity.xrefs = sorted(_text(g, subject, OBOINOWL.hasDbXref))
        entity.mappings = sorted((str(obo_id(p)), obo_id(o) or str(o)) for p in MAPPINGS
                                 for o in g.objects(subject, p) if isinstance(o, URIRef))
        entity.obsolete = any(v.toPython() is True for v in g.objects(subject, OWL.deprecated)
                              if isinstance(v, Literal))
        for predicate, _ in g.predicate_objects(subject):
            if predicate not in CARRIED:
                self.annotations[predicate.n3(g.namespace_manager)] += 1

    def term(self, cls: URIRef) -> Entity:
        g, entity = self.graph, Entity(str(cls), str(obo_id(cls)))
        self.common(cls, entity)
        for parent in g.objects(cls, RDFS.subClassOf):
            named, restriction = obo_id(parent) if isinstance(parent, URIRef) else None, self.existential(parent)
            if named:
                entity.is_a.append(named)
            elif restriction:
                entity.relationships.append(restriction)
            else:
                self.leave_out("subclass axioms with other class expressions", entity.id)
        for equivalent in g.objects(cls, OWL.equivalentClass):
            if not self.equivalence(entity, equivalent):
                self.leave_out("equivalence axioms", entity.id)
        entity.disjoint = sorted(str(obo_id(d)) for d in g.objects(cls, OWL.disjointWith) if obo_id(d))
        entity.is_a.sort()
        entity.relationships.sort()
        return entity

    def typedef(self, prop: URIRef) -> Entity:
        g, entity = self.graph, Entity(str(prop), str(obo_id(prop)))
        self.common(prop, entity)
        entity.is_a = sorted(str(obo_id(p)) for p in g.objects(prop, RDFS.subPropertyOf) if obo_id(p))
        for attribute, predicate in (("domain", RDFS.domain), ("range", RDFS.range), ("inverse_of", OWL.inverseOf)):
            value = g.value(prop, predicate)
            if value is not None:
                if obo_id(value):
                    setattr(entity, attribute, obo_id(value))
                else:
                    self.leave_out(f"{attribute.replace('_', ' ')}s that are class expressions", entity.id)
        entity.characteristics = sorted(tag for kind, tag in CHARACTERISTICS.items() if (prop, RDF.type, kind) in g)
        return entity


def collect(graph: Graph, version: str, version_iri: str) -> OboModel:
    """The OBO view of an ontology graph, with notes on what it leaves out."""
    collector = _Collector(graph)
    classes = sorted({c for c in graph.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)})
    terms = [collector.term(c) for c in classes if obo_id(c)]
    properties = sorted({p for p in graph.subjects(RDF.type, OWL.ObjectProperty) if isinstance(p, URIRef)})
    typedefs = [collector.typedef(p) for p in properties if obo_id(p)]
    notes = [f"{len(ids)} {kind} not expressible in OBO were left out: {', '.join(sorted(set(ids)))}"
             for kind, ids in sorted(collector.left_out.items())]
    if collector.annotations:
        notes.append("annotation values with no OBO tag were left out: "
                     + ", ".join(f"{count} {name}" for name, count in sorted(collector.annotations.items())))
    not_ids = [str(c) for c in classes + properties if not obo_id(c)]
    if not_ids:
        notes.append(f"{len(not_ids)} classes or properties without an OBO id were left out: {', '.join(not_ids)}")
    for kind, label in ((OWL.DatatypeProperty, "data properties"), (OWL.NamedIndividual, "individuals")):
        count = len(set(graph.subjects(RDF.type, kind)))
        if count:
            notes.append(f"{count} {label} were left out (OBO here holds classes and object properties)")
    kinds = {"Class": "general class inclusion", "Restriction": "general class inclusion"}
    top_level = Counter(kinds.get(kind, kind) for kind in (
        str(graph.value(node, RDF.type)).rsplit("#", 1)[-1] for node in set(graph.subjects(RDF.type))
        if isinstance(node, BNode) and (None, None, node) not in graph))
    notes += [f"{count} {axiom} axioms were left out" for axiom, count in sorted(top_level.items())]
    title = graph.value(URIRef(ONTOLOGY_IRI), URIRef("http://purl.org/dc/terms/title"))
    return OboModel(version, version_iri, str(title) if title else None, terms, typedefs, notes)
