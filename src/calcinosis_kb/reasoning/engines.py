"""What kb asks of HermiT, whichever way it reaches it: the JVM in kb's own process (jvm.WarmHermit)
or a JVM of its own (engineprocess.ProcessEngine). The two answer the same questions with the same
OWL API calls; what a case's facts become, and what the answers mean, is decided here once."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.term import Node

from calcinosis_kb.knowledgebase.errors import InconsistentError
from calcinosis_kb.reasoning.hermit import Reasoned

CONSTRAINTS = frozenset({"SubClassOf", "DisjointClasses", "DisjointUnion", "FunctionalObjectProperty",
                         "FunctionalDataProperty", "InverseFunctionalObjectProperty", "DisjointObjectProperties",
                         "DisjointDataProperties", "AsymmetricObjectProperty", "IrreflexiveObjectProperty",
                         "DifferentIndividuals", "DataPropertyRange", "DataPropertyDomain"})
"""The kinds of axiom that can make facts inconsistent (a SubClassOf only when it excludes something)."""


@dataclass(frozen=True)
class BrokenAxiom:
    kind: str  # the OWL API's name of the axiom type, e.g. DisjointClasses
    signature: frozenset[str]  # the IRIs of the classes and properties it names
    text: str  # the OWL API's rendering, for the record


@dataclass
class Vocabulary:
    object_properties: set[str]
    data_properties: set[str]


@dataclass(frozen=True)
class ClassFact:
    cls: str
    individual: str


@dataclass(frozen=True)
class ObjectFact:
    prop: str
    individual: str
    target: str


@dataclass(frozen=True)
class DataFact:
    prop: str
    individual: str
    lexical: str
    datatype: str


Fact = ClassFact | ObjectFact | DataFact


def asserted_superclasses(graph: Graph) -> dict[str, frozenset[str]]:
    """Each named class's asserted superclasses (itself included), transitively."""
    superclasses: dict[str, frozenset[str]] = {}
    for cls in set(graph.subjects(RDFS.subClassOf, None)) | set(graph.subjects(RDF.type, OWL.Class)):
        if isinstance(cls, URIRef):
            superclasses[str(cls)] = frozenset(
                str(c) for c in graph.transitive_objects(cls, RDFS.subClassOf) if isinstance(c, URIRef)
            )
    return superclasses


@dataclass(frozen=True)
class Entailments:
    """For one case: the candidate classes HermiT proves it belongs to, and those (of the
    excludable) whose complement it proves."""

    entailed: frozenset[str]
    excluded: frozenset[str]


class Engine(ABC):
    """The ontology loaded once; questions about one case's facts (or a batch's) at a time."""

    vocabulary: Vocabulary
    superclasses: dict[str, frozenset[str]]

    def facts(self, triples: Iterable[tuple[Node, Node, Node]]) -> list[Fact]:
        """The OWL assertions of these triples that the ontology's vocabulary gives a meaning: class
        assertions, and object and data property assertions about named individuals."""
        facts: list[Fact] = []
        for subject, predicate, obj in triples:
            if isinstance(subject, BNode):
                continue
            prop = str(predicate)
            if predicate == RDF.type and isinstance(obj, URIRef):
                facts.append(ClassFact(str(obj), str(subject)))
            elif prop in self.vocabulary.object_properties and isinstance(obj, URIRef):
                facts.append(ObjectFact(prop, str(subject), str(obj)))
            elif prop in self.vocabulary.data_properties and isinstance(obj, Literal):
                facts.append(DataFact(prop, str(subject), str(obj), str(obj.datatype or XSD.string)))
        return facts

    @abstractmethod
    def entailments(self, facts: list[Fact], individuals: list[str], candidates: list[str],
                    excludable: list[str]) -> list[Entailments]:
        """For each individual, with these facts added to the ontology for the question. Raises
        InconsistentError when the facts contradict the ontology."""

    @abstractmethod
    def is_consistent(self, facts: Iterable[Graph] = ()) -> bool:
        """Whether the ontology, with these facts added for the question, is consistent."""

    @abstractmethod
    def unsatisfiable_classes(self) -> list[str]:
        """The named classes of a consistent ontology that HermiT proves empty (owl:Nothing aside)."""

    @abstractmethod
    def broken_axioms(self, facts: Graph) -> list[BrokenAxiom]:
        """The ontology's constraints (disjointness, functional properties, axioms that exclude
        something) that these inconsistent facts break: each one without which they are consistent."""

    @abstractmethod
    def close(self) -> None:
        """Let go of what answers the questions."""

    def classify(self, facts: Graph, case: URIRef, candidates: list[URIRef],
                 excludable: list[URIRef] | None = None) -> Reasoned:
        """Which candidate classes HermiT proves the case belongs to, given the ontology plus
        these facts. Raises InconsistentError when the facts contradict the ontology."""
        return self.classify_many([(case, facts)], candidates, excludable)[0]

    def classify_many(self, cases: list[tuple[URIRef, Graph]], candidates: list[URIRef],
                      excludable: list[URIRef] | None = None) -> list[Reasoned]:
        """Classify several cases with one reasoner: their facts are disjoint parts of one ABox,
        as in HermiT's whole-ABox classification, while the reasoner's set-up (clausifying the
        ontology) is paid once per batch. Only the candidate entailments (the defined subtypes
        and patterns) are asked, rather than realising every individual. Raises
        InconsistentError when the facts of the batch contradict the ontology."""
        facts = self.facts(triple for _, graph in cases for triple in graph)
        wanted = {str(c) for c in excludable or []}
        answers = self.entailments(facts, [str(case) for case, _ in cases], [str(c) for c in candidates],
                                   [str(c) for c in candidates if str(c) in wanted])
        results: list[Reasoned] = []
        for (case, graph), answer in zip(cases, answers, strict=True):
            closed = set(answer.entailed)
            for cls in {str(t) for t in graph.objects(case, RDF.type)} | answer.entailed:
                closed |= self.superclasses.get(cls, frozenset({cls}))
            results.append(Reasoned(types={str(case): frozenset(closed)}, superclasses=self.superclasses,
                                    unsatisfiable=frozenset(), excluded={str(case): answer.excluded}))
        return results


def inconsistent() -> InconsistentError:
    return InconsistentError("the reasoner (HermiT) found the facts inconsistent with the ontology")
