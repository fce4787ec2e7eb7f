"""What an inconsistent case contradicts, in words: the facts that clash (each one without which
the case is consistent, with its quote) and the ontology's axiom they break.

An axiom's words are its `rdfs:comment`, given on the axiom itself in the ontology (an
`owl:AllDisjointClasses` node, or an `owl:Axiom` annotating a general class axiom); an axiom
without one is described from its kind and the labels of what it names."""

from __future__ import annotations

from pathlib import Path

from rdflib import BNode, Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.term import Node

from calcinosis_kb.knowledgebase.errors import InconsistentError
from calcinosis_kb.knowledgebase.expressions import label
from calcinosis_kb.knowledgebase.namespaces import CCKB, curie
from calcinosis_kb.reasoning.engines import BrokenAxiom, Engine

BUILT_IN = (str(OWL), str(RDF), str(RDFS), str(XSD))


def clashing_facts(engine: Engine, ontology: Graph, path: Path, case: URIRef, facts: Graph) -> str:
    """Name the facts of an inconsistent case that clash, with their quotes, and the axiom of the
    ontology they break, in words."""
    links = [(p, node) for p, node in facts.predicate_objects(case) if isinstance(node, URIRef)
             and (node, None, None) in facts]
    culprits: list[str] = []
    for prop, node in links:
        trimmed = Graph()
        for triple in facts:
            if triple != (case, prop, node) and triple[0] != node:
                trimmed.add(triple)
        try:
            engine.classify(trimmed, case, [])
        except InconsistentError:
            continue
        kind = facts.value(node, RDF.type)
        quotes = [str(q) for q in facts.objects(node, CCKB.quote)]
        culprits.append(f"{curie(str(node))} ({label(ontology, kind) if kind is not None else 'fact'}"
                        + (f", \"{quotes[0]}\")" if quotes else ")"))
    rules = [axiom_in_words(ontology, axiom) for axiom in engine.broken_axioms(facts)]
    broken = f"; they break the rule: {' / '.join(dict.fromkeys(rules))}" if rules else ""
    if culprits:
        return (f"{path}: {curie(str(case))} contradicts the ontology; these facts clash: {'; '.join(culprits)}"
                f"{broken}")
    return f"{path}: {curie(str(case))} contradicts the ontology (HermiT); no single fact could be named{broken}"


def axiom_in_words(ontology: Graph, axiom: BrokenAxiom) -> str:
    comment = _commented_axioms(ontology).get(_own(axiom.signature))
    if comment is not None:
        return comment
    names = sorted(label(ontology, URIRef(iri)) for iri in _own(axiom.signature))
    if axiom.kind.startswith("Functional") and names:
        return f"a {names[0]} has at most one value"
    if axiom.kind == "DisjointClasses":
        return f"nothing is both {' and '.join(names)}"
    return f"an axiom ({axiom.kind}) on {', '.join(names)}"


def _own(iris: frozenset[str]) -> frozenset[str]:
    return frozenset(i for i in iris if not i.startswith(BUILT_IN))


def _commented_axioms(ontology: Graph) -> dict[frozenset[str], str]:
    """The ontology's commented constraint axioms, by the terms they name."""
    found: dict[frozenset[str], str] = {}
    for node in ontology.subjects(RDF.type, OWL.AllDisjointClasses):
        comment = ontology.value(node, RDFS.comment)
        if comment is not None:
            found[_own(frozenset(str(t) for t in _terms(ontology, node)))] = str(comment)
    for node in ontology.subjects(RDF.type, OWL.Axiom):
        comment = ontology.value(node, RDFS.comment)
        source, target = ontology.value(node, OWL.annotatedSource), ontology.value(node, OWL.annotatedTarget)
        if comment is not None and source is not None and target is not None:
            terms = _terms(ontology, source) | _terms(ontology, target)
            found[_own(frozenset(str(t) for t in terms))] = str(comment)
    return found


def _terms(ontology: Graph, node: Node) -> set[URIRef]:
    """The named terms a class expression or axiom node mentions, through its blank nodes."""
    if isinstance(node, URIRef):
        return {node}
    terms: set[URIRef] = set()
    seen: set[Node] = set()
    pending: list[Node] = [node]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        for predicate, value in ontology.predicate_objects(current):
            if predicate in (RDFS.comment, RDF.type):
                continue
            if isinstance(value, BNode):
                pending.append(value)
            elif isinstance(value, URIRef):
                terms.add(value)
    return terms
