"""Whether case facts contradict the ontology, for `kb validate`: the ontology alone, then the
cases in batches, checked by one HermiT in the warm JVM `kb infer` uses (no second JVM through
owlready2); only a batch found inconsistent is looked into case by case, to name each clashing
case's facts with the words `kb infer` uses.

The names are those of checking all cases in one ABox and then each case alone, as before: a
batch that is consistent makes each of its cases consistent (adding facts never removes a
contradiction), and a case is named only when its own facts contradict the ontology. What
batches cannot see, a contradiction spread over several cases, was never named either."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF

from calcinosis_kb.knowledgebase.errors import InconsistentError
from calcinosis_kb.reasoning.clash import clashing_facts
from calcinosis_kb.reasoning.classify import case_facts, logical_core, without_annotations
from calcinosis_kb.reasoning.engines import asserted_superclasses
from calcinosis_kb.reasoning.jvm import WarmHermit

BATCH_CASES = 1000
"""Cases checked by one reasoner. Measured on synthetic cases (files of 1,000), same run: 1,000
cases in 4.6 s in batches of 50, 2.2 s of 200, 1.25 s of 1,000; 10,000 cases in 15.3 s in
batches of 1,000, 12.9 s of 2,000, 17.5 s of 5,000. Splitting a file into batches costs too."""


@dataclass
class CaseFacts:
    path: Path
    graph: Graph
    cases: list[URIRef]


class ConsistencyCheck:
    """The ontology in a warm HermiT, checked alone when made (and, asked, for unsatisfiable
    classes): work that can go on while the case files are read."""

    def __init__(self, ontology: Graph, *, unsatisfiable: bool = False, quick_start: bool = False,
                 kept: Path | None = None) -> None:
        """`kept`: where the reasoner's reading of this ontology is kept between runs (WarmHermit.kept)."""
        self.ontology = ontology
        self.quick_start = quick_start
        self.engine = WarmHermit.kept(kept, asserted_superclasses(ontology), quick_start) \
            or WarmHermit(without_annotations(ontology), quick_start, keep=kept)
        self.ontology_consistent = self.engine.is_consistent()
        self.unsatisfiable: list[str] = []
        """The ontology's named classes no individual can belong to (when asked for)."""
        if unsatisfiable and self.ontology_consistent:
            declared = {str(c) for c in ontology.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)}
            self.unsatisfiable = sorted(set(self.engine.unsatisfiable_classes()) & declared)

    def clashes(self, files: list[CaseFacts]) -> list[tuple[Path, URIRef, str]]:
        """Each case whose facts contradict the (consistent) ontology, with its file and the
        message naming its clashing facts, in the order of the files and their cases."""
        found: list[tuple[Path, URIRef, str]] = []
        core: WarmHermit | None = None
        for batch in _batches(files):
            if self.engine.is_consistent(part.graph for part in batch):
                continue
            if core is None:  # the engine `kb infer` names clashes with, for the same words
                core = WarmHermit(logical_core(self.ontology), quick_start=self.quick_start)
            for part in batch:
                subjects = set(part.graph.subjects())
                for case in part.cases:
                    facts = case_facts(part.graph, case, subjects)
                    try:
                        core.classify(facts, case, [])
                    except InconsistentError:
                        found.append((part.path, case, clashing_facts(core, self.ontology, part.path, case, facts)))
        return found


def _batches(files: list[CaseFacts]) -> Iterator[list[CaseFacts]]:
    """Files, whole or split into their cases' facts, grouped about BATCH_CASES cases at a time."""
    batch: list[CaseFacts] = []
    size = 0
    for part in _pieces(files):
        if batch and size + len(part.cases) > BATCH_CASES:
            yield batch
            batch, size = [], 0
        batch.append(part)
        size += len(part.cases)
    if batch:
        yield batch


def _pieces(files: list[CaseFacts]) -> Iterator[CaseFacts]:
    for part in files:
        if len(part.cases) <= BATCH_CASES:
            yield part
            continue
        subjects = set(part.graph.subjects())
        for start in range(0, len(part.cases), BATCH_CASES):
            chunk = part.cases[start:start + BATCH_CASES]
            facts = Graph()
            for case in chunk:
                facts += case_facts(part.graph, case, subjects)
            yield CaseFacts(part.path, facts, chunk)
