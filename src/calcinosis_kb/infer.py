"""`kb infer`: classify cases with HermiT and explain the result."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from .cases import CaseFile, case_info, check_terms, find_cases, subclasses_of, word
from .errors import InconsistentError, KBError
from .explain import Explainer
from .expressions import label
from .kbdir import KnowledgeBase
from .loading import load_ontology, merge, parse_turtle
from .namespaces import CCKB, curie
from .normalise import normalise
from .reasoning import Reasoned, reason


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

    @property
    def status(self) -> str:
        if not self.inferred_subtypes:
            return "undetermined"
        if self.agrees is None:
            return "no authors' subtype"
        return "agrees" if self.agrees else "disagrees"

    def as_dict(self) -> dict[str, object]:
        return {
            "case": self.case, "label": self.label, "file": self.file, "source": self.source,
            "source_label": self.source_label,
            "inferred_subtypes": self.inferred_subtypes, "inferred_patterns": self.inferred_patterns,
            "authors_subtypes": self.authors_subtypes, "authors_patterns": self.authors_patterns,
            "authors_diagnosis": self.authors_diagnosis, "agrees": self.agrees, "status": self.status,
            "why": self.why, "why_not": self.why_not, "missing": self.missing,
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


@dataclass
class Definitions:
    """The subtypes and patterns the ontology defines."""

    subtypes: list[URIRef]
    patterns: list[URIRef]

    @classmethod
    def from_ontology(cls, ontology: Graph) -> Definitions:
        return cls(subclasses_of(ontology, CCKB.EtiologicSubtype), subclasses_of(ontology, CCKB.MorphologicPattern))


def logical_core(ontology: Graph) -> Graph:
    """What the reasoner needs of the ontology: its axioms without annotations, and without the
    individuals no axiom mentions (literature claims, sources). Annotations and claims do not
    change any classification, and leaving them out makes HermiT faster."""
    annotation_properties = set(ontology.subjects(RDF.type, OWL.AnnotationProperty)) | {RDFS.label, RDFS.comment}
    mentioned = {o for s, _, o in ontology if isinstance(s, BNode) and isinstance(o, URIRef)}
    schema = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDFS.Datatype, OWL.Ontology}
    declared = {s for s, _, t in ontology.triples((None, RDF.type, None)) if t in schema}
    unmentioned = {
        s for s, _, t in ontology.triples((None, RDF.type, None))
        if isinstance(s, URIRef) and s not in declared and s not in mentioned and (t, RDF.type, OWL.Class) in ontology
    }
    core = Graph()
    for triple in ontology:
        subject, predicate, _ = triple
        if predicate not in annotation_properties and subject not in unmentioned:
            core.add(triple)
    return core


def infer(kb: KnowledgeBase, paths: Iterable[Path]) -> Inference:
    """Classify every case in the given files (all of the knowledge base's when none)."""
    ontology = load_ontology(kb)
    definitions = Definitions.from_ontology(ontology)
    core = logical_core(ontology)
    files: list[CaseFile] = []
    errors: list[FileError] = []
    derived_by_file: dict[Path, Graph] = {}
    for path in paths:
        try:
            case_file = find_cases(path, parse_turtle(path))
            check_terms(case_file, ontology)
            derived_by_file[path] = normalise(ontology, case_file.graph)
            files.append(case_file)
        except KBError as error:
            errors.append(FileError(str(path), error.message, int(error.exit_code)))
    facts = merge([f.graph for f in files] + list(derived_by_file.values()))
    try:
        reasoned = reason(merge([core, facts]))
        groups = [(files, facts, reasoned)]
    except InconsistentError:
        groups = []
        for case_file in files:  # isolate the contradictory file(s); the others are still classified
            file_facts = merge([case_file.graph, derived_by_file[case_file.path]])
            try:
                groups.append(([case_file], file_facts, reason(merge([core, file_facts]))))
            except InconsistentError:
                clash = clashing_facts(ontology, case_file, file_facts)
                errors.append(FileError(str(case_file.path), clash, int(InconsistentError.exit_code)))
    results: list[CaseResult] = []
    inferred = Graph()
    for group_files, group_facts, group_reasoned in groups:
        explainer = Explainer(ontology, group_facts, group_reasoned)
        for case_file in group_files:
            for case in case_file.cases:
                results.append(_result(case, case_file.path, explainer, definitions, inferred))
        for derived in (derived_by_file[f.path] for f in group_files):
            for triple in derived:
                inferred.add(triple)
    return Inference(results, errors, inferred)


def _result(case: URIRef, path: Path, explainer: Explainer, definitions: Definitions, inferred: Graph) -> CaseResult:
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
    for cls in subtypes + patterns:
        result.why[word(ontology, cls)] = [e.as_dict() for e in explainer.why(case, cls)]
    for cls in definitions.subtypes:
        if cls not in subtypes:
            result.why_not[word(ontology, cls)] = [s.as_dict() for s in explainer.why_not(case, cls)]
    result.missing = _missing(case, explainer, definitions, subtypes)
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
            for requirement in explainer.requirements_unmet(case, cls):
                missing.append({
                    "fact": requirement,
                    "needed_for": [word(ontology, cls)],
                    "message": f"not reported: {requirement} (would make it {word(ontology, cls)})",
                })
    return missing


def clashing_facts(ontology: Graph, case_file: CaseFile, facts: Graph) -> str:
    """Name the facts of an inconsistent case file that clash: each fact whose removal makes
    the file consistent, with its quote."""
    links = [(case, p, node) for case in case_file.cases for p, node in facts.predicate_objects(case)
             if isinstance(node, URIRef) and (node, None, None) in facts]
    culprits: list[str] = []
    for case, prop, node in links:
        trimmed = Graph()
        for triple in facts:
            if triple != (case, prop, node) and triple[0] != node:
                trimmed.add(triple)
        try:
            reason(merge([logical_core(ontology), trimmed]))
        except InconsistentError:
            continue
        quotes = [str(q) for q in facts.objects(node, CCKB.quote)]
        kind = facts.value(node, RDF.type)
        culprits.append(f"{curie(str(node))} ({label(ontology, kind) if kind is not None else 'fact'}"
                        + (f", \"{quotes[0]}\")" if quotes else ")"))
    where = ", ".join(curie(str(c)) for c in case_file.cases)
    if culprits:
        return f"{case_file.path}: {where} contradicts the ontology; these facts clash: {'; '.join(culprits)}"
    return f"{case_file.path}: {where} contradicts the ontology (HermiT); no single fact could be named"
