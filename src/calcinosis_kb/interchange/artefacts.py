"""The triples `kb export` and `kb release` write: a part of the knowledge base with a versioned
ontology header, and their serialisation by pyoxigraph (so that rdflib can check them)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from calcinosis_kb import __version__
from calcinosis_kb.interchange.parts import What
from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.knowledgebase.namespaces import CCKB, ONTOLOGY_IRI, PREFIXES

CASES_IRI = "https://w3id.org/calcinosis-kb/cases"
"""The cases exported without the ontology form an ontology of their own (the ABox)."""

ARTEFACT = "calcinosis-kb"


def release_iri(version: str, file_name: str) -> str:
    """The versionIRI of one artefact, in the OBO convention: <ontology>/releases/<version>/<file>."""
    return f"{ONTOLOGY_IRI}/releases/{version}/{file_name}"


@dataclass
class Selection:
    """What to export: a part of a knowledge base, the cases' files, and the artefact's name and version."""

    kb: KnowledgeBase
    what: What
    inferred: bool
    case_paths: list[Path]
    file_name: str
    version: str = __version__
    classified: Graph | None = None
    """The reasoner's results for these cases when the caller already has them (kb site): not
    asked of the reasoner again."""

    @property
    def version_iri(self) -> str:
        return release_iri(self.version, self.file_name)

    @cached_property
    def ontology(self) -> Graph:
        from calcinosis_kb.knowledgebase.loading import load_ontology

        return load_ontology(self.kb)

    @cached_property
    def content(self) -> Graph:
        """The selected triples, without this export's version header."""
        from calcinosis_kb.interchange.phenopackets.reading import read_case
        from calcinosis_kb.knowledgebase.loading import merge, new_graph, parse_case

        graph = new_graph()
        cases = new_graph()
        if self.what is not What.cases:
            graph += self.ontology
        if self.what is not What.ontology:
            cases = merge(parse_case(path, self.ontology, read_case)[0] for path in self.case_paths)
            graph += cases
            if self.what is What.cases:
                graph += declarations(self.ontology, cases)
                graph += cases_header(self.ontology)
        if self.inferred:
            graph += self.classified if self.classified is not None else inferred_graph(self)
            if self.what is What.all:
                from calcinosis_kb.querying.store import materialise

                graph += without_declared_kinds(materialise(graph))  # what the named queries read
        # Last, so that materialise sees the triples kb's own store holds (no fact is a NamedIndividual there).
        graph += named_individuals(graph, cases, self.ontology)
        return graph

    @cached_property
    def graph(self) -> Graph:
        """The selected triples with an ontology header carrying this export's version."""
        return versioned(self.content, self.what, self.version, self.version_iri)


def full_artefact(kb: KnowledgeBase, version: str = __version__, classified: Graph | None = None) -> tuple[str, str]:
    """The release's full artefact as `kb release` writes it: its file name and its RDF/XML.
    `classified`: the reasoner's results for the KB's cases, when the caller has them already."""
    name = f"{ARTEFACT}.owl"
    selection = Selection(kb, What.all, True, kb.case_files, name, version, classified)
    return name, rdf_text(selection.graph, "rdfxml")


def versioned(content: Graph, what: What, version: str, version_iri: str) -> Graph:
    """A copy of `content` whose ontology header has this versionIRI and versionInfo (and only these)."""
    from calcinosis_kb.knowledgebase.loading import new_graph

    graph = new_graph()
    graph += content
    header = URIRef(ONTOLOGY_IRI if what is not What.cases else CASES_IRI)
    graph.remove((header, OWL.versionIRI, None))
    graph.remove((header, OWL.versionInfo, None))
    graph.add((header, RDF.type, OWL.Ontology))
    graph.add((header, OWL.versionIRI, URIRef(version_iri)))
    graph.add((header, OWL.versionInfo, Literal(version)))
    return graph


def cases_header(ontology: Graph) -> Graph:
    """The header of the cases exported alone: a title and description of their own, and the
    licence the ontology's header gives (the cases are published under it)."""
    header = URIRef(CASES_IRI)
    graph = Graph()
    graph.add((header, RDF.type, OWL.Ontology))
    graph.add((header, DCTERMS.title, Literal("calcinosis-kb: published cases of calcinosis cutis", lang="en")))
    graph.add((header, DCTERMS.description, Literal(
        "The published case reports of calcinosis-kb as OWL individuals, each fact with the verbatim words of its "
        "source. The classes and properties they use are those of the calcinosis-kb ontology.", lang="en")))
    for licence in ontology.objects(URIRef(ONTOLOGY_IRI), DCTERMS.license):
        graph.add((header, DCTERMS.license, licence))
    for annotation in (DCTERMS.title, DCTERMS.description, DCTERMS.license):
        graph.add((annotation, RDF.type, OWL.AnnotationProperty))
    return graph


DECLARED = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.NamedIndividual)


def declarations(ontology: Graph, cases: Graph) -> Graph:
    """The ontology's declarations of the terms the cases use, so that OWL tools reading the cases
    alone know a property from an annotation and a class from an individual."""
    used = {node for triple in cases for node in triple if isinstance(node, URIRef)}
    found = Graph()
    for term in used:
        for kind in DECLARED:
            if (term, RDF.type, kind) in ontology:
                found.add((term, RDF.type, kind))
    return found


BUILTIN_NAMESPACES = (str(OWL), str(RDFS), str(RDF))
"""A node typed only with these (owl:Class, rdf:Property...) is a term, not an individual."""


def is_builtin(term: object) -> bool:
    return str(term).startswith(BUILTIN_NAMESPACES)


def individuals(graph: Graph) -> set[URIRef]:
    """The named individuals: IRIs typed with a class that is not an OWL, RDFS or RDF builtin
    (blank nodes are anonymous individuals and need no declaration)."""
    return {node for node, kind in graph.subject_objects(RDF.type)
            if isinstance(node, URIRef) and not is_builtin(kind)}


def without_declared_kinds(shortcuts: Graph) -> Graph:
    """The shortcuts, less cckb:mostSpecificType links to OWL, RDFS and RDF builtins: those come of
    reading a declaration (dcterms:title a owl:AnnotationProperty) as membership of a class; no
    named query reads them, and they would make every declared term an annotated entity in want
    of a label and a definition."""
    for node, kind in list(shortcuts.subject_objects(CCKB.mostSpecificType)):
        if is_builtin(kind):
            shortcuts.remove((node, CCKB.mostSpecificType, kind))
    return shortcuts


def named_individuals(content: Graph, cases: Graph, ontology: Graph) -> Graph:
    """What strict OWL parsers and `robot report` ask of every individual: an owl:NamedIndividual
    declaration, and an rdfs:label. A fact of a case file has no label of its own; it is given one made
    of the labels of its asserted classes and its case's name ("rheumatoid arthritis in agarwal2022"),
    with the fact's own name added where two facts of a case would otherwise share one."""
    found = Graph()
    unlabelled: dict[URIRef, str] = {}
    for node in individuals(content):
        found.add((node, RDF.type, OWL.NamedIndividual))
        if (node, RDFS.label, None) not in content:
            unlabelled[node] = _described(node, cases if (node, RDF.type, None) in cases else content, ontology)
    owners = {node: sorted(str(owner) for owner in cases.subjects(None, node)
                           if (owner, RDF.type, CCKB.CalcinosisCutis) in cases) for node in unlabelled}
    labels = {node: f"{kind} in {_local_name(owners[node][0])}" if owners[node] else kind
              for node, kind in unlabelled.items()}
    shared = {label for label, count in Counter(labels.values()).items() if count > 1}
    for node, label in labels.items():
        if label in shared or not owners[node]:
            label = f"{label} ({_local_name(node)})"
        found.add((node, RDFS.label, Literal(label, lang="en")))
    return found


def _described(node: URIRef, graph: Graph, ontology: Graph) -> str:
    """The labels of the node's most specific classes in `graph` (the asserted ones, for a case's fact)."""
    kinds = {kind for kind in graph.objects(node, RDF.type) if not is_builtin(kind)}
    broader = {parent for kind in kinds for parent in ontology.transitive_objects(kind, RDFS.subClassOf)
               if parent != kind}
    return " and ".join(sorted(min((str(label) for label in ontology.objects(kind, RDFS.label)),
                                   default=_local_name(kind)) for kind in kinds - broader))


def _local_name(iri: object) -> str:
    return re.split(r"[/#]", str(iri).rstrip("/#"))[-1]


def inferred_graph(selection: Selection) -> Graph:
    """The reasoner's results for the selected cases: inferred types and normalised values."""
    from calcinosis_kb.reasoning.infer import infer

    inference = infer(selection.kb, selection.case_paths, explain=False, ontology=selection.ontology)
    inference.require_every_case("--inferred needs every case classified")
    return inference.inferred


def rdf_text(graph: Graph, syntax: str) -> str:
    """Serialise with pyoxigraph (not rdflib): named subjects first, each with its type and label first,
    blank nodes renamed b1, b2... in order of appearance, prefixes from namespaces.PREFIXES."""
    import pyoxigraph as ox

    def term(node: object) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        if isinstance(node, URIRef):
            return ox.NamedNode(str(node))
        if isinstance(node, BNode):
            return ox.BlankNode(blanks.setdefault(node, f"b{len(blanks) + 1}"))
        assert isinstance(node, Literal)
        if node.language:
            return ox.Literal(str(node), language=node.language)
        if node.datatype is not None:
            return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype)))
        return ox.Literal(str(node))

    first = {str(RDF.type): "0", "http://www.w3.org/2000/01/rdf-schema#label": "1"}

    headers = set(graph.subjects(RDF.type, OWL.Ontology))

    def order(triple: tuple[object, object, object]) -> tuple[int, str, str, str]:
        subject, predicate, obj = triple
        rank = 0 if subject in headers else 2 if isinstance(subject, BNode) else 1
        return rank, str(subject), first.get(str(predicate), str(predicate)), str(obj)

    blanks: dict[object, str] = {}
    ordered = sorted(graph, key=order)
    for subject, _, _ in ordered:  # number blank nodes as they appear as subjects
        if isinstance(subject, BNode):
            term(subject)
    triples = [ox.Triple(term(s), term(p), term(o)) for s, p, o in ordered]  # type: ignore[arg-type]
    formats = {"turtle": ox.RdfFormat.TURTLE, "rdfxml": ox.RdfFormat.RDF_XML, "ntriples": ox.RdfFormat.N_TRIPLES,
               "jsonld": ox.RdfFormat.JSON_LD}
    prefixes = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}
    data = ox.serialize(triples, format=formats[syntax],
                               prefixes=None if syntax == "ntriples" else prefixes)
    assert data is not None
    text = data.decode("utf-8")
    return _tidy_turtle(text, prefixes) if syntax == "turtle" else text


_ESCAPED_NAME = re.compile(r"(?<![\w\"])([A-Za-z][\w-]*):(\S*\\/\S*)(?=\s)")


def _tidy_turtle(text: str, prefixes: dict[str, str]) -> str:
    """Prefixes in the order of namespaces.PREFIXES, a blank line after them, and names with
    escaped slashes (cckb:releases\\/0.1\\/x) written as full IRIs instead."""
    lines = text.splitlines(keepends=True)
    declared = {line.split()[1][:-1]: line for line in lines if line.startswith("@prefix ")}
    body = "".join(line for line in lines if not line.startswith("@prefix "))
    body = _ESCAPED_NAME.sub(lambda m: f"<{prefixes[m[1]]}{m[2].replace(chr(92), '')}>"
                             if m[1] in prefixes else m[0], body)
    return "".join(declared[p] for p in prefixes if p in declared) + "\n" + body
