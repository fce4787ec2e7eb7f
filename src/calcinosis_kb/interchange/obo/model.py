"""The OBO view of the ontology's RDF graph (`collect`), which both OBO renderings are written from.

The model holds the classes and object properties with their names, definitions, comments,
synonyms, cross-references (oboInOwl:hasDbXref, the identifiers of shared/reference/identifiers.csv)
and SKOS mappings; is_a, relationship (R some C superclasses), intersection_of (genus and R some C
differentiae), union_of and equivalent_to; the sources of each term (dcterms:source) as its
definition's dbxrefs; the ontology's title, description and licence; and the ontology's own named
individuals (anatomical sites, value-set members) as instances, so that their mappings (UBERON for
sites) reach OBO too. What OBO cannot say (other class expressions, data properties, other
annotations) is left out and counted in the model's notes. Our own terms get ids CCKB:LocalName,
declared by an idspace. Kept apart from render.py, which turns the
model into text, so that what OBO can carry is decided in one place for both formats."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from calcinosis_kb.knowledgebase.namespaces import CCKB, DEFINITION, OBOINOWL, ONTOLOGY_IRI, mapping_curie, shorten

SYNONYMS = {OBOINOWL.hasExactSynonym: "EXACT", OBOINOWL.hasRelatedSynonym: "RELATED",
            OBOINOWL.hasBroadSynonym: "BROAD", OBOINOWL.hasNarrowSynonym: "NARROW"}
MAPPINGS = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)
CARRIED = {RDF.type, RDFS.label, RDFS.comment, DEFINITION, OBOINOWL.hasDbXref, RDFS.subClassOf, OWL.equivalentClass,
           OWL.disjointWith, OWL.deprecated, RDFS.subPropertyOf, RDFS.domain, RDFS.range, OWL.inverseOf,
           DCTERMS.source, *SYNONYMS, *MAPPINGS}
CITABLE = (("doi", "DOI"), ("pmid", "PMID"))
"""The schemes of a source's dcterms:identifier values ("doi:10...", as sources/*.ttl write them) that
a definition cites, best first, with the OBO dbxref prefix each is written with."""
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
    definition_xrefs: list[str] = field(default_factory=list)  # the sources: DOI:, PMID:, a URL or src:
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
    instance_of: list[str] = field(default_factory=list)  # an [Instance]'s named classes


@dataclass
class OboModel:
    version: str
    version_iri: str
    title: str | None
    terms: list[Entity]
    typedefs: list[Entity]
    notes: list[str]
    description: str | None = None
    license: str | None = None
    instances: list[Entity] = field(default_factory=list)


def source_xref(graph: Graph, source: Node) -> str:
    """How a definition cites one source document: its DOI, else its PMID, else the address of the
    document as sources/*.ttl declares it (one a dbxref list can hold), else the KB's own IRI of the
    source as a CURIE (src:...)."""
    identifiers = {scheme.lower(): local for scheme, _, local in
                   (str(value).partition(":") for value in graph.objects(source, DCTERMS.identifier))}
    for scheme, prefix in CITABLE:
        if identifiers.get(scheme):
            return f"{prefix}:{identifiers[scheme]}"
    # A URL with a comma cannot stand in a dbxref list: OBO parsers (fastobo) end the URL at the comma.
    addresses = sorted(str(address) for address in graph.objects(source, CCKB.sourceAddress)
                       if not any(c in str(address) for c in ", []"))
    if addresses:
        return addresses[0]
    return shorten(str(source)) or str(source)


def _text(graph: Graph, subject: Node, predicate: Node) -> list[str]:
    values = [v for v in graph.objects(subject, predicate) if isinstance(v, Literal)]
    values.sort(key=lambda v: (v.language not in (None, "en"), str(v)))
    return [str(v) for v in values]


class _Collector:

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.left_out: dict[str, list[str]] = {}
        self.annotations: Counter[str] = Counter()
        self.citations: dict[Node, str] = {}

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
        sources = list(g.objects(subject, DCTERMS.source))
        entity.definition_xrefs = sorted({self.citations.setdefault(source, source_xref(g, source))
                                          for source in sources})
        if sources and not entity.definition:
            self.leave_out("sources of terms without a definition", entity.id)
        entity.synonyms = sorted((scope, text) for predicate, scope in SYNONYMS.items()
                                 for text in _text(g, subject, predicate))
        entity.xrefs = sorted(mapping_curie(x) for x in _text(g, subject, OBOINOWL.hasDbXref))
        entity.mappings = sorted((str(obo_id(p)), mapping_curie(obo_id(o) or str(o))) for p in MAPPINGS
                                 for o in g.objects(subject, p) if isinstance(o, URIRef))
        entity.obsolete = any(v.toPython() is True for v in g.objects(subject, OWL.deprecated)
                              if isinstance(v, Literal))
        for predicate, _ in g.predicate_objects(subject):
            # An individual's object property assertions are its relationships (see `instance`).
            if predicate not in CARRIED and (predicate, RDF.type, OWL.ObjectProperty) not in g:
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

    def instance(self, individual: URIRef) -> Entity:
        g, entity = self.graph, Entity(str(individual), str(obo_id(individual)))
        self.common(individual, entity)
        entity.instance_of = sorted(str(obo_id(c)) for c in g.objects(individual, RDF.type)
                                    if c != OWL.NamedIndividual and obo_id(c))
        for prop, target in g.predicate_objects(individual):
            if (prop, RDF.type, OWL.ObjectProperty) in g:
                if obo_id(prop) and obo_id(target):
                    entity.relationships.append((str(obo_id(prop)), str(obo_id(target))))
                else:
                    self.leave_out("relationships of individuals to things without an OBO id", entity.id)
        entity.relationships.sort()
        return entity


def collect(graph: Graph, version: str, version_iri: str) -> OboModel:
    """The OBO view of an ontology graph, with notes on what it leaves out."""
    collector = _Collector(graph)
    classes = sorted({c for c in graph.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)})
    terms = [collector.term(c) for c in classes if obo_id(c)]
    properties = sorted({p for p in graph.subjects(RDF.type, OWL.ObjectProperty) if isinstance(p, URIRef)})
    typedefs = [collector.typedef(p) for p in properties if obo_id(p)]
    individuals = sorted({i for i in graph.subjects(RDF.type, OWL.NamedIndividual) if isinstance(i, URIRef)})
    # A claim (knowledge.ttl) is a quote and its source, which OBO has no tags for: left out whole.
    claim_classes = set(graph.transitive_subjects(RDFS.subClassOf, CCKB.Claim))
    claims = {i for i in individuals if claim_classes & set(graph.objects(i, RDF.type))}
    instances = [collector.instance(i) for i in individuals if obo_id(i) and i not in claims]
    notes = [f"{len(ids)} {kind} not expressible in OBO were left out: {', '.join(sorted(set(ids)))}"
             for kind, ids in sorted(collector.left_out.items())]
    if collector.annotations:
        notes.append("annotation values with no OBO tag were left out: "
                     + ", ".join(f"{count} {name}" for name, count in sorted(collector.annotations.items())))
    not_ids = [str(c) for c in classes + properties if not obo_id(c)]
    if not_ids:
        notes.append(f"{len(not_ids)} classes or properties without an OBO id were left out: {', '.join(not_ids)}")
    data_properties = len(set(graph.subjects(RDF.type, OWL.DatatypeProperty)))
    if data_properties:
        notes.append(f"{data_properties} data properties were left out (OBO here holds classes, object properties "
                     "and the ontology's own individuals)")
    if claims:
        notes.append(f"{len(claims)} claim individuals (a quote and its source) were left out")
    unnamed = len(individuals) - len(instances) - len(claims)
    if unnamed:
        notes.append(f"{unnamed} individuals without an OBO id (sources, cases) were left out")
    kinds = {"Class": "general class inclusion", "Restriction": "general class inclusion"}
    top_level = Counter(kinds.get(kind, kind) for kind in (
        str(graph.value(node, RDF.type)).rsplit("#", 1)[-1] for node in set(graph.subjects(RDF.type))
        if isinstance(node, BNode) and (None, None, node) not in graph))
    notes += [f"{count} {axiom} axioms were left out" for axiom, count in sorted(top_level.items())]
    header = URIRef(ONTOLOGY_IRI)
    title, description = _text(graph, header, DCTERMS.title), _text(graph, header, DCTERMS.description)
    licence = graph.value(header, DCTERMS.license)
    return OboModel(version, version_iri, title[0] if title else None, terms, typedefs, notes,
                    description[0] if description else None, str(licence) if licence is not None else None,
                    instances)
