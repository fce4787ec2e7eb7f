"""`kb infer`: classify cases with HermiT and explain the result."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from .cases import CaseFile, case_info, check_terms, find_cases, subclasses_of, word
from .errors import InconsistentError, KBError
from .explain import Explainer
from .expressions import Expression, label, read_expression
from .kbdir import KnowledgeBase
from .loading import load_ontology, merge, parse_turtle
from .namespaces import CCKB, curie
from .normalise import normalise
from .reasoning import Reasoned, reason

PROBE = "urn:calcinosis-kb:probe:"


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
    """The subtypes and patterns the ontology defines, with probe classes for each part of
    each definition (probe = the part's complement), so the reasoner says what is ruled out."""

    subtypes: list[URIRef]
    patterns: list[URIRef]
    probes: Graph
    probe_parts: dict[str, tuple[URIRef, Expression]]

    @classmethod
    def from_ontology(cls, ontology: Graph) -> Definitions:
        subtypes = subclasses_of(ontology, CCKB.EtiologicSubtype)
        patterns = subclasses_of(ontology, CCKB.MorphologicPattern)
        probes = Graph()
        parts: dict[str, tuple[URIRef, Expression]] = {}
        deniable = _deniable_classes(ontology)
        for defined in subtypes:
            for node in ontology.objects(defined, OWL.equivalentClass):
                if not isinstance(node, BNode) or (node, OWL.intersectionOf, None) not in ontology:
                    continue
                members = ontology.value(node, OWL.intersectionOf)
                for member in Collection(ontology, members) if members is not None else []:
                    if (isinstance(member, URIRef) or not _mentions(ontology, member, deniable)
                            or _mentions(ontology, member, set(), datatype_restriction=True)):
                        # the complement of a datatype facet made HermiT ~3x slower (reasoners.md)
                        continue
                    probe = URIRef(f"{PROBE}{len(parts)}")
                    complement = BNode()
                    probes.add((probe, RDF.type, OWL.Class))
                    probes.add((probe, OWL.equivalentClass, complement))
                    probes.add((complement, RDF.type, OWL.Class))
                    probes.add((complement, OWL.complementOf, member))
                    parts[str(probe)] = (defined, read_expression(ontology, member))
        return cls(subtypes, patterns, probes, parts)


def _deniable_classes(ontology: Graph) -> set[URIRef]:
    """Classes an explicit absence can deny, and their subclasses: only definition parts that
    mention one can be ruled out, so only those get a probe (probes cost reasoning time)."""
    denied = {o for o in ontology.objects(None, CCKB.negates) if isinstance(o, URIRef)}
    closed: set[URIRef] = set()
    for cls in denied:
        closed |= {c for c in ontology.transitive_subjects(RDFS.subClassOf, cls) if isinstance(c, URIRef)}
    return closed


def _mentions(ontology: Graph, node: Node, classes: set[URIRef], datatype_restriction: bool = False) -> bool:
    """Whether a class expression mentions one of the classes (or, when asked, a datatype facet)."""
    if isinstance(node, URIRef):
        return node in classes
    if datatype_restriction and (node, OWL.onDatatype, None) in ontology:
        return True
    return any(_mentions(ontology, o, classes, datatype_restriction) for _, o in ontology.predicate_objects(node)
               if not isinstance(o, Literal)) or any(
        _mentions(ontology, item, classes, datatype_restriction)
        for p in (OWL.intersectionOf, OWL.unionOf)
        for head in ontology.objects(node, p)
        for item in Collection(ontology, head))


def infer(kb: KnowledgeBase, paths: Iterable[Path]) -> Inference:
    """Classify every case in the given files (all of the knowledge base's when none)."""
    ontology = load_ontology(kb)
    definitions = Definitions.from_ontology(ontology)
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
        reasoned = reason(merge([ontology, definitions.probes, facts]))
        groups = [(files, facts, reasoned)]
    except InconsistentError:
        groups = []
        for case_file in files:  # isolate the contradictory file(s); the others are still classified
            file_facts = merge([case_file.graph, derived_by_file[case_file.path]])
            try:
                groups.append(([case_file], file_facts, reason(merge([ontology, definitions.probes, file_facts]))))
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
    ruled_out_parts = {
        probe: part for probe, part in definitions.probe_parts.items() if probe in types
    }
    for cls in definitions.subtypes:
        if cls in subtypes:
            continue
        ruled_out = {expr for defined, expr in ruled_out_parts.values() if defined == cls}
        result.why_not[word(ontology, cls)] = [s.as_dict() for s in explainer.why_not(case, cls, ruled_out)]
    result.missing = _missing(case, explainer, definitions, subtypes, ruled_out_parts)
    return result


def _most_specific_first(classes: list[URIRef], reasoned: Reasoned) -> list[URIRef]:
    return sorted(classes, key=lambda c: (-len(reasoned.superclasses.get(str(c), ())), str(c)))


def _missing(
    case: URIRef,
    explainer: Explainer,
    definitions: Definitions,
    inferred: list[URIRef],
    ruled_out_parts: dict[str, tuple[URIRef, Expression]],
) -> list[dict[str, object]]:
    """Unreported measurements that a not-yet-inferred subtype needs; and, when no subtype is
    inferred at all, every requirement that would decide one."""
    ontology = explainer.ontology
    ruled_out_subtypes = {defined for defined, _ in ruled_out_parts.values()}
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
            if cls in ruled_out_subtypes and not explainer.requirements_unmet(case, cls):
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
            reason(merge([ontology, trimmed]))
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
