"""The SHACL check of `kb validate`: the shapes run over the case files' own triples plus what
RDFS entails about their nodes from the ontology, with pySHACL's own inference off.

pySHACL given the ontology (`ont_graph`, inference "rdfs") copies the ontology's schema and
named individuals into every file's data graph and closes the lot under RDFS: 3.6 s for a
one-case file, most of it spent on ontology triples no shape reads. The shapes only read a
focus node's own statements and the classes of their values, so the data graph here holds the
case triples, the statements pySHACL would have copied about the terms they mention, and the
RDFS conclusions about every node in it: statements copied to super-properties (rdfs7), classes
from rdfs:domain and rdfs:range (rdfs2, rdfs3) closed under rdfs:subClassOf (rdfs9), and
rdfs:Resource for a node of no other class (rdfs4, which is why a fact node is never reported
for lacking a class). These come from an index of the ontology made once (`RdfsIndex`);
tests/test_validate.py checks the result against pySHACL's.

The files are checked in one run over the union of their graphs, each violation attributed to
the file that mentions its focus node. A file that shares a node of its own (anything but a
term the ontology describes, or an ontology term it makes statements about) with another file
is checked alone, and a focus several files mention (an ontology term) is judged in each of
them alone, so that no file's problems depend on another's triples, as when each file was
checked by itself. (What is left, a value's classes entailed by another file's use of it, never
decides these shapes: each sh:class they require is the range of the property they check.)"""

from __future__ import annotations

import pickle
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from calcinosis_kb.knowledgebase.location import keep_in_cache

SH = "http://www.w3.org/ns/shacl#"
SCHEMA = (RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range)
CLONE_DEPTH = 10
RUN_TRIPLES = 100_000
"""Files are gathered into one pySHACL run until their data graph holds this many triples (some
3,000 synthetic cases): a run a file costs more over many small files, and one run over
everything would hold a second copy of every case in memory (806 MB at 10,000 cases)."""


def _reflexive_closure(graph: Graph, relation: URIRef) -> dict[Node, frozenset[Node]]:
    """For each node with a `relation` edge: itself and everything it reaches along them."""
    direct: dict[Node, set[Node]] = defaultdict(set)
    for lower, upper in graph.subject_objects(relation):
        direct[lower].add(upper)
    closed: dict[Node, frozenset[Node]] = {}
    for start in direct:
        seen: set[Node] = {start}
        pending = [start]
        while pending:
            for upper in direct.get(pending.pop(), ()):
                if upper not in seen:
                    seen.add(upper)
                    pending.append(upper)
        closed[start] = frozenset(seen)
    return closed


def _inoculated(ontology: Graph) -> Graph:
    """What pySHACL's `inoculate` copies of an ontology into a data graph: the triples typing
    something an RDFS or OWL class, those of RDFS and OWL properties, and everything said about
    the named individuals, followed from them (not, say, the annotations of a class no individual
    leads to); then RDFS closes them with the case triples."""
    from pyshacl.rdfutil.consts import OWL_classes, OWL_properties, RDFS_classes, RDFS_properties

    kept = Graph()
    meta = set(RDFS_classes) | set(OWL_classes)
    for triple in ontology.triples((None, RDF.type, None)):
        if triple[2] in meta:
            kept.add(triple)
    for prop in (*RDFS_properties, *OWL_properties):
        for triple in ontology.triples((None, prop, None)):
            kept.add(triple)
    individuals = [i for i in ontology.subjects(RDF.type, OWL.NamedIndividual) if isinstance(i, URIRef)]
    # pySHACL's deep clone, ten levels deep: an IRI's statements and its objects', a blank node's
    # statements and its blank objects'.
    depth: dict[Node, int] = {}
    pending: list[tuple[Node, int]] = [(i, 0) for i in individuals]
    while pending:
        node, level = pending.pop()
        if level >= CLONE_DEPTH or depth.get(node, CLONE_DEPTH) <= level:
            continue
        depth[node] = level
        for predicate, obj in ontology.predicate_objects(node):
            kept.add((node, predicate, obj))
            if isinstance(obj, BNode) or (isinstance(obj, URIRef) and isinstance(node, URIRef)):
                pending.append((obj, level + 1))
    for individual in individuals:
        for subject, predicate in ontology.subject_predicates(individual):
            kept.add((subject, predicate, individual))
    return kept


class RdfsIndex:
    """What RDFS entails from the ontology's schema (as pySHACL takes it in), indexed for looking
    up node by node."""

    def __init__(self, ontology: Graph) -> None:
        self.source = ontology
        self.ontology = ontology = _inoculated(ontology)
        self.superclasses = _reflexive_closure(ontology, RDFS.subClassOf)
        self.superproperties = _reflexive_closure(ontology, RDFS.subPropertyOf)
        self._domains: dict[Node, frozenset[Node]] = {}
        self._ranges: dict[Node, frozenset[Node]] = {}
        # Each ontology node's classes entailed by the ontology alone; a case adds its own.
        self.ontology_classes: dict[Node, set[Node]] = defaultdict(set)
        for subject, predicate, obj in ontology:
            if predicate == RDF.type:
                self.ontology_classes[subject].add(obj)
            self.ontology_classes[subject] |= self.domains(predicate)
            if not isinstance(obj, Literal):
                self.ontology_classes[obj] |= self.ranges(predicate)

    def __getstate__(self) -> dict[str, Any]:
        # Kept without its source, the ontology itself, which the caller of `kept` has at hand.
        return {name: value for name, value in self.__dict__.items() if name != "source"}

    @classmethod
    def kept(cls, ontology: Graph, path: Path | None) -> RdfsIndex:
        """The index of `ontology`, read from `path` when an earlier run kept it there (it is made
        from the ontology alone, and took a quarter of a second of a one-file `kb validate`), else
        made and kept there. `path` must be one for this state of the ontology
        (knowledgebase.location.ontology_cache_path)."""
        if path is not None:
            try:
                with path.open("rb") as stream:
                    index = pickle.load(stream)
                if isinstance(index, RdfsIndex):
                    index.source = ontology
                    return index
            except Exception:  # a missing, unreadable, damaged or foreign cache file: only a missed shortcut
                pass
        index = cls(ontology)
        if path is not None:
            keep_in_cache(path, pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL))
        return index

    def properties_above(self, prop: Node) -> frozenset[Node]:
        return self.superproperties.get(prop, frozenset({prop}))

    def domains(self, prop: Node) -> frozenset[Node]:
        return self._declared(prop, RDFS.domain, self._domains)

    def ranges(self, prop: Node) -> frozenset[Node]:
        return self._declared(prop, RDFS.range, self._ranges)

    def _declared(self, prop: Node, axiom: Node, known: dict[Node, frozenset[Node]]) -> frozenset[Node]:
        """The classes `prop` and the properties above it declare as their domain or range."""
        found = known.get(prop)
        if found is None:
            found = known[prop] = frozenset(
                c for p in self.properties_above(prop) for c in self.ontology.objects(p, axiom))
        return found

    def closed(self, classes: Iterable[Node]) -> set[Node]:
        out: set[Node] = set()
        for cls in classes:
            out |= self.superclasses.get(cls, frozenset({cls}))
        return out


def with_schema_of(index: RdfsIndex, graphs: list[Graph]) -> RdfsIndex:
    """The index itself, or, when a case file states schema triples of its own (rdfs:subClassOf
    and the like, which RDFS would also apply), an index of the ontology with them."""
    extra = [t for g in graphs for prop in SCHEMA for t in g.triples((None, prop, None))]
    if not extra:
        return index
    ontology = Graph()
    for triple in (*index.source, *extra):
        ontology.add(triple)
    return RdfsIndex(ontology)


def _entailed_part(graph: Graph, index: RdfsIndex, into: Graph) -> set[Node]:
    """Add to `into` the file's triples, the ontology's statements about the terms it mentions,
    statements copied to super-properties, and the classes RDFS entails for every node among
    them; return those nodes."""
    ontology = index.ontology
    mentioned = {t for s, _, o in graph for t in (s, o) if not isinstance(t, Literal)}
    about = (t for node in mentioned if isinstance(node, URIRef) for t in ontology.triples((node, None, None)))
    stated = [*graph, *about]
    classes: dict[Node, set[Node]] = defaultdict(set)
    for subject, predicate, obj in stated:
        for prop in index.properties_above(predicate):
            into.add((subject, prop, obj))
        if predicate == RDF.type:
            classes[subject].add(obj)
        classes[subject] |= index.domains(predicate)
        if not isinstance(obj, Literal):
            classes[obj] |= index.ranges(predicate)
    nodes = {t for s, _, o in stated for t in (s, o) if not isinstance(t, Literal)}
    for node in nodes:
        entailed = {c for c in index.closed(classes.get(node, set()) | index.ontology_classes.get(node, set()))
                    if isinstance(c, URIRef)}
        for cls in entailed or {RDFS.Resource}:
            into.add((node, RDF.type, cls))
    return nodes


@dataclass(frozen=True)
class Violation:
    focus: Node
    path: Node | None
    message: str
    value: Node | None


def _run(data: Graph, shapes: Graph) -> list[Violation]:
    import pyshacl  # heavy: only when validating

    conforms, results, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", abort_on_first=False,
                                            allow_warnings=True)
    if conforms:
        return []
    found: list[Violation] = []
    for result in results.subjects(RDF.type, URIRef(SH + "ValidationResult")):
        focus = results.value(result, URIRef(SH + "focusNode"))
        if focus is None:
            continue
        found.append(Violation(focus, results.value(result, URIRef(SH + "resultPath")),
                               str(results.value(result, URIRef(SH + "resultMessage"))),
                               results.value(result, URIRef(SH + "value"))))
    return found


def check_shapes(graphs: list[Graph], shapes: Graph, index: RdfsIndex) -> list[list[Violation]]:
    """The shape violations of each graph (a case file's), in the order given."""
    index = with_schema_of(index, graphs)
    described = set(index.source.subjects())
    terms = [{t for s, _, o in g for t in (s, o) if not isinstance(t, Literal)} for g in graphs]
    own = [{t for t in nodes if isinstance(t, BNode) or t not in described} | set(g.subjects())
           for g, nodes in zip(graphs, terms, strict=True)]
    mentions = Counter(t for nodes in terms for t in nodes)
    violations: list[list[Violation]] = [[] for _ in graphs]
    together: Graph = Graph()
    holders: dict[Node, list[int]] = defaultdict(list)
    for number, graph in enumerate(graphs):
        if any(mentions[t] > 1 for t in own[number]):
            _entailed_part(graph, index, part := Graph())
            violations[number] = _run(part, shapes)
            continue
        for node in _entailed_part(graph, index, together):
            holders[node].append(number)
        if len(together) >= RUN_TRIPLES:
            _attribute(together, holders, graphs, shapes, index, violations)
            together, holders = Graph(), defaultdict(list)
    _attribute(together, holders, graphs, shapes, index, violations)
    return violations


def _attribute(together: Graph, holders: dict[Node, list[int]], graphs: list[Graph], shapes: Graph,
               index: RdfsIndex, violations: list[list[Violation]]) -> None:
    """Check the files gathered in `together` in one run; each violation goes to the file that
    mentions its focus, and a focus several files mention is judged in each of them alone."""
    shared: dict[int, set[Node]] = defaultdict(set)
    for violation in _run(together, shapes) if len(together) else []:
        files = holders.get(violation.focus, [])
        if len(files) == 1:
            violations[files[0]].append(violation)
        else:
            for number in files:
                shared[number].add(violation.focus)
    for number, foci in shared.items():
        _entailed_part(graphs[number], index, part := Graph())
        violations[number] += [v for v in _run(part, shapes) if v.focus in foci]
