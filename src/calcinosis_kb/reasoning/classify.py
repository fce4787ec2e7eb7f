"""Classifying cases with HermiT, one file at a time, and explaining each result: the
`Classifier` and the results it gives (`Inference`, `CaseResult`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from calcinosis_kb.knowledgebase.cases import CaseFile, case_info, check_terms, find_cases, subclasses_of, word
from calcinosis_kb.knowledgebase.errors import ExitCode, InconsistentError, KBError
from calcinosis_kb.knowledgebase.expressions import Expression, label
from calcinosis_kb.knowledgebase.loading import CaseReader, load_ontology, new_graph, parse_case
from calcinosis_kb.knowledgebase.location import KnowledgeBase, ontology_cache_path
from calcinosis_kb.knowledgebase.namespaces import CCKB, curie
from calcinosis_kb.knowledgebase.normalise import normalise
from calcinosis_kb.knowledgebase.streaming import is_large_case_file, open_large_case_file
from calcinosis_kb.reasoning.clash import clashing_facts
from calcinosis_kb.reasoning.differential import differential
from calcinosis_kb.reasoning.engineprocess import FallbackEngine, ProcessEngine
from calcinosis_kb.reasoning.engines import Engine, asserted_superclasses
from calcinosis_kb.reasoning.enginestart import StartedEngine
from calcinosis_kb.reasoning.explain import Explainer
from calcinosis_kb.reasoning.hermit import Reasoned
from calcinosis_kb.reasoning.jvm import WarmHermit

BATCH = 50
"""Cases classified together by one reasoner: set-up is paid once per batch (measured here:
9.7 ms per case at 50, 208 ms at 1, with identical results)."""

EXPLAINED_BATCH = 10
"""The batch when explaining: proving a case outside a definition (the differential) costs HermiT
a model of the whole batch, so it grows with the batch while the set-up shrinks (500 synthetic
cases explained, same run: 53 ms per case at 50, 26 at 20, 20 at 10, 22 at 5; identical results)."""

LARGE_FILE_BATCH = 200
"""Cases of a large file taken out of its table at a time (several reasoner batches)."""

@dataclass
class CaseResult:
    case: str
    label: str
    file: str
    source: str
    source_label: str = ""
    inferred_subtypes: list[str] = field(default_factory=list)
    inferred_patterns: list[str] = field(default_factory=list)
    authors_subtypes: list[str] = field(default_factory=list)
    authors_patterns: list[str] = field(default_factory=list)
    authors_diagnosis: str | None = None
    agrees: bool | None = None
    why: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    why_not: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    missing: list[dict[str, object]] = field(default_factory=list)
    differential: dict[str, object] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """agrees, disagrees or undetermined against the authors' subtype; a case whose authors
        name none is counted apart, whatever the reasoner inferred."""
        if self.agrees is None:
            return "no authors' subtype"
        if not self.inferred_subtypes:
            return "undetermined"
        return "agrees" if self.agrees else "disagrees"

    def as_dict(self) -> dict[str, object]:
        return {
            "case": self.case, "label": self.label, "file": self.file, "source": self.source,
            "source_label": self.source_label,
            "inferred_subtypes": self.inferred_subtypes, "inferred_patterns": self.inferred_patterns,
            "authors_subtypes": self.authors_subtypes, "authors_patterns": self.authors_patterns,
            "authors_diagnosis": self.authors_diagnosis, "agrees": self.agrees, "status": self.status,
            "why": self.why, "why_not": self.why_not, "missing": self.missing,
            "differential": self.differential,
        }


@dataclass
class FileError:
    file: str
    message: str
    exit_code: int


@dataclass
class Inference:
    results: list[CaseResult]
    errors: list[FileError]
    inferred: Graph  # the inferred types and normalised values, for --format ttl
    notes: list[str] = field(default_factory=list)  # what converted input (a Phenopacket) left out

    def require_every_case(self, needed_for: str) -> None:
        """Raise the first file's problem, with its own exit code, for a use that needs every case
        classified (a query store, an inferred export, the site): one line, saying what needed it."""
        if not self.errors:
            return
        first, others = self.errors[0], len(self.errors) - 1
        more = f" (and {others} more: kb validate lists them)" if others else ""
        error = KBError(f"{first.message}{more}; {needed_for}")
        error.exit_code = ExitCode(first.exit_code)
        raise error

    def extend(self, other: Inference) -> None:
        self.results.extend(other.results)
        self.errors.extend(other.errors)
        self.inferred += other.inferred
        self.notes.extend(other.notes)


@dataclass
class Definitions:
    """The subtypes and patterns the ontology defines."""

    subtypes: list[URIRef]
    patterns: list[URIRef]

    @classmethod
    def from_ontology(cls, ontology: Graph) -> Definitions:
        return cls(subclasses_of(ontology, CCKB.EtiologicSubtype), subclasses_of(ontology, CCKB.MorphologicPattern))


def logical_core(ontology: Graph) -> Graph:
    """What the reasoner needs of the ontology to classify cases: its axioms without
    annotations, and without the individuals no class expression names (sites, outcomes,
    sources, literature claims) or the inequalities between them. None of these can change a
    classification, and every individual kept is carried into every tableau HermiT builds."""
    annotation_properties = _annotation_properties(ontology)
    named = {o for o in ontology.objects(None, OWL.hasValue) if isinstance(o, URIRef)}
    for head in ontology.objects(None, OWL.oneOf):
        named |= {i for i in Collection(ontology, head) if isinstance(i, URIRef)}
    schema = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDFS.Datatype, OWL.Ontology}
    declared = {s for s, _, t in ontology.triples((None, RDF.type, None)) if t in schema}
    dropped: set[Node] = {
        s for s, _, t in ontology.triples((None, RDF.type, None))
        if isinstance(s, URIRef) and s not in declared and s not in named and (t, RDF.type, OWL.Class) in ontology
    }
    for group in ontology.subjects(RDF.type, OWL.AllDifferent):
        first = ontology.value(group, OWL.distinctMembers) or ontology.value(group, OWL.members)
        if first is None:
            continue
        if not set(Collection(ontology, first)) <= named:
            dropped |= {group, *_list_cells(ontology, first)}
    core = Graph()
    for triple in ontology:
        subject, predicate, _ = triple
        if predicate not in annotation_properties and subject not in dropped:
            core.add(triple)
    return core


def without_annotations(ontology: Graph) -> Graph:
    """The ontology's axioms and individuals without its annotations, which no reasoner reads: the
    OWL API takes it in a third of the time (2,800 annotation assertions, its labels and quotes)."""
    annotation_properties = _annotation_properties(ontology)
    stripped = Graph()
    for triple in ontology:
        if triple[1] not in annotation_properties:
            stripped.add(triple)
    return stripped


def _annotation_properties(ontology: Graph) -> set[Node]:
    return set(ontology.subjects(RDF.type, OWL.AnnotationProperty)) | {RDFS.label, RDFS.comment}


def _list_cells(graph: Graph, head: Node | None) -> list[Node]:
    cells: list[Node] = []
    while head is not None and head != RDF.nil:
        cells.append(head)
        head = graph.value(head, RDF.rest)
    return cells


def case_facts(graph: Graph, case: URIRef, subjects: set[Node] | None = None) -> Graph:
    """The triples of one case: its own and those of the fact nodes it reaches in its file.
    `subjects` (the file's subjects) can be passed when many cases of one file are extracted."""
    known = subjects if subjects is not None else set(graph.subjects())
    facts = Graph()
    frontier: list[URIRef | BNode] = [case]
    seen: set[URIRef | BNode] = {case}
    while frontier:
        node = frontier.pop()
        for triple in graph.triples((node, None, None)):
            facts.add(triple)
            value = triple[2]
            if isinstance(value, URIRef | BNode) and value not in seen and value in known \
                    and (value, RDF.type, CCKB.CalcinosisCutis) not in graph:
                seen.add(value)
                frontier.append(value)
    return facts


class Classifier:
    """The ontology and a warm reasoner (started on first use), classifying one file at a time."""

    def __init__(self, kb: KnowledgeBase, ontology: Graph | None = None, quick_start: bool = False,
                 read_json: CaseReader | None = None, started: StartedEngine | None = None) -> None:
        """`started`: a reasoner process started early on the kept reading of this KB's ontology
        (enginestart.start_engine), to answer while it can."""
        self.read_json = read_json
        self._started = started
        self.ontology = ontology if ontology is not None else load_ontology(kb)
        # The reasoner's reading of the ontology is kept only for the KB's own files: an ontology
        # passed in may differ from them.
        self._kept_core = ontology_cache_path(kb, "core.ofn") if ontology is None else None
        self.definitions = Definitions.from_ontology(self.ontology)
        self.candidates = self.definitions.subtypes + self.definitions.patterns
        self.quick_start = quick_start
        self.expressions: dict[URIRef, Expression | None] = {}  # definitions read, shared by its explanations
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            superclasses = asserted_superclasses(self.ontology)  # the core's asserted hierarchy is the whole's

            def in_process() -> WarmHermit:
                return WarmHermit.kept(self._kept_core, superclasses, self.quick_start) \
                    or WarmHermit(logical_core(self.ontology), self.quick_start, keep=self._kept_core)

            started, self._started = self._started, None
            if started is not None and started.kept == self._kept_core:
                self._engine = FallbackEngine(ProcessEngine(started, superclasses), in_process)
            else:
                if started is not None:
                    started.kill()
                self._engine = in_process()
        return self._engine

    def close(self) -> None:
        """Let a reasoner process go (the JVM in kb's process stays for the process's life)."""
        if self._started is not None:
            self._started.kill()
            self._started = None
        if self._engine is not None:
            self._engine.close()

    def classify_file(self, path: Path, explain: bool = True) -> Inference:
        """The cases of one file, classified and (optionally) explained; its problems as errors."""
        inference = Inference([], [], Graph())
        for part in self.classify_file_in_parts(path, explain):
            inference.extend(part)
        return inference

    def classify_file_in_parts(self, path: Path, explain: bool = True) -> Iterator[Inference]:
        """The cases of one file a batch at a time, so that a caller can pass each on and let it go:
        a large file is read a batch at a time too (knowledgebase.streaming), in bounded memory. A
        problem with the file is found before the first batch, and is then the only part."""
        try:
            if is_large_case_file(path):
                with open_large_case_file(path) as large:
                    large.check(self.ontology, LARGE_FILE_BATCH)
                    for case_file in large.batches(self.ontology, LARGE_FILE_BATCH):
                        yield from self._classify_case_file(case_file, explain)
                return
            case_file, notes = read_case_file(path, self.ontology, self.read_json)
        except KBError as error:
            yield Inference([], [FileError(str(path), error.message, int(error.exit_code))], new_graph())
            return
        for number, part in enumerate(self._classify_case_file(case_file, explain)):
            if number == 0:
                part.notes = notes
            yield part

    def _classify_case_file(self, case_file: CaseFile, explain: bool) -> Iterator[Inference]:
        """A file's cases (or a large file's batch of them), one reasoner's batch at a time."""
        size, subjects = EXPLAINED_BATCH if explain else BATCH, set(case_file.graph.subjects())
        for start in range(0, len(case_file.cases), size):
            yield self._classify_cases(case_file, case_file.cases[start:start + size], explain, subjects)

    def _classify_cases(self, case_file: CaseFile, cases: list[URIRef], explain: bool,
                        subjects: set[Node]) -> Inference:
        """One reasoner's batch of a file's cases (`subjects`: the file's), classified and explained."""
        ontology, path = self.ontology, case_file.path
        inference = Inference([], [], new_graph())
        batch = [(case, case_facts(case_file.graph, case, subjects)) for case in cases]
        # The complements (the differential's "excluded") are asked only when explaining.
        excludable = self.definitions.subtypes if explain else []
        outcomes = _classify(self.engine, batch, self.candidates, excludable)
        for (case, facts), outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, InconsistentError):
                inference.errors.append(FileError(
                    str(path), clashing_facts(self.engine, ontology, path, case, facts),
                    int(InconsistentError.exit_code)))
                continue
            explainer = Explainer(ontology, facts, outcome, self.expressions)
            inference.results.append(_result(case, path, explainer, self.definitions, inference.inferred, explain))
            for prop in (CCKB.canonicalValue, CCKB.calciumPhosphateProduct):
                for triple in facts.triples((None, prop, None)):
                    inference.inferred.add(triple)
        return inference


def read_case_file(path: Path, ontology: Graph, read_json: CaseReader | None = None) -> tuple[CaseFile, list[str]]:
    """One case file, its terms checked against the ontology and its lab values normalised; with
    notes on what a converted file (a Phenopacket) left out."""
    graph, notes = parse_case(path, ontology, read_json)
    case_file = find_cases(path, graph)
    check_terms(case_file, ontology)
    case_file.graph += normalise(ontology, case_file.graph)
    return case_file, notes


def _classify(
    engine: Engine, batch: list[tuple[URIRef, Graph]], candidates: list[URIRef], excludable: list[URIRef]
) -> list[Reasoned | InconsistentError]:
    """The batch with one reasoner; if it is contradictory, each case alone to find which."""
    try:
        return list(engine.classify_many(batch, candidates, excludable))
    except InconsistentError:
        outcomes: list[Reasoned | InconsistentError] = []
        for case, facts in batch:
            try:
                outcomes.append(engine.classify(facts, case, candidates, excludable))
            except InconsistentError as error:
                outcomes.append(error)
        return outcomes


def _result(
    case: URIRef, path: Path, explainer: Explainer, definitions: Definitions, inferred: Graph, explain: bool = True
) -> CaseResult:
    ontology, reasoned = explainer.ontology, explainer.reasoned
    info = case_info(case, explainer.facts, ontology)
    types = reasoned.types_of(str(case))
    subtypes = _most_specific_first([s for s in definitions.subtypes if str(s) in types], reasoned)
    patterns = _most_specific_first([p for p in definitions.patterns if str(p) in types], reasoned)
    for cls in subtypes + patterns:
        inferred.add((case, RDF.type, cls))
    result = CaseResult(
        case=curie(str(case)), label=info.label, file=str(path), source=info.source,
        source_label=info.source_label,
        inferred_subtypes=[word(ontology, s) for s in subtypes],
        inferred_patterns=[word(ontology, p) for p in patterns],
        authors_subtypes=info.authors_subtypes, authors_patterns=info.authors_patterns,
        authors_diagnosis=info.authors_diagnosis,
    )
    if info.authors_subtypes:
        result.agrees = set(info.authors_subtypes) <= set(result.inferred_subtypes)
    if not explain:
        return result
    for cls in subtypes + patterns:
        result.why[word(ontology, cls)] = [e.as_dict() for e in explainer.why(case, cls)]
    for cls in definitions.subtypes:
        if cls not in subtypes:
            result.why_not[word(ontology, cls)] = [s.as_dict() for s in explainer.why_not(case, cls)]
    result.missing = _missing(case, explainer, definitions, subtypes)
    result.differential = differential(case, explainer, definitions.subtypes, subtypes).as_dict()
    return result


def _most_specific_first(classes: list[URIRef], reasoned: Reasoned) -> list[URIRef]:
    return sorted(classes, key=lambda c: (-len(reasoned.superclasses.get(str(c), ())), str(c)))


def _missing(
    case: URIRef,
    explainer: Explainer,
    definitions: Definitions,
    inferred: list[URIRef],
) -> list[dict[str, object]]:
    """Unreported measurements that a not-yet-inferred subtype needs; and, when no subtype is
    inferred at all, every requirement that would decide one."""
    ontology = explainer.ontology
    needs: dict[URIRef, list[str]] = {}
    for cls in definitions.subtypes:
        if cls in inferred:
            continue
        for gap in explainer.gaps(case, cls):
            needs.setdefault(gap, []).append(word(ontology, cls))
    missing: list[dict[str, object]] = []
    for what, subtypes in needs.items():
        subtypes = sorted(set(subtypes))
        missing.append({
            "fact": label(ontology, what),
            "needed_for": subtypes,
            "message": f"{label(ontology, what)} not reported: needed to decide {', '.join(subtypes)}",
        })
    if not inferred:
        for cls in definitions.subtypes:
            if explainer.ruled_out(case, cls):
                continue
            needed = explainer.requirements_unmet(case, cls)
            if needed:
                missing.append({
                    "fact": "; ".join(needed),
                    "needed_for": [word(ontology, cls)],
                    "message": f"{word(ontology, cls)} would need: {' and '.join(needed)}",
                })
    return missing
