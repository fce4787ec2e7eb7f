"""What the site shows, gathered from the library functions the commands use: the inference with
its explanations and differential (`kb infer`), each case's evidence (`kb evidence`), the named
queries' answers (`kb query`), the agreement with the authors (quality/fidelity.py), validation
(`kb validate`) and the artefact report (`kb report`). This module decides nothing about a case:
it only reads those results and the ontology's own annotations, and indexes them for the pages."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from calcinosis_kb.knowledgebase.evidence import KnowledgeBaseCases, case_evidence, load_cases
from calcinosis_kb.knowledgebase.expressions import definition, describe, label
from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.knowledgebase.namespaces import CCKB, DEFINITION, OBOINOWL, curie, expand, mapping_curie, mapping_iri
from calcinosis_kb.quality.fidelity import Fidelity, fidelity
from calcinosis_kb.reasoning.classify import CaseResult, Definitions, Inference

FACETS = ("condition", "site", "lab", "treatment", "outcome")
"""The kinds of fact the case finder filters by and the subtype pages chart."""

CLAIM_SUBJECTS = (CCKB.aboutSubtype, CCKB.aboutPattern, CCKB.aboutCondition, CCKB.aboutTreatment, CCKB.aboutSite,
                  CCKB.aboutModality)
"""What a claim of knowledge.ttl can be about: it is shown on that term's page."""

MATCH_PROPERTIES = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)


@dataclass
class Term:
    iri: URIRef
    name: str  # the IRI's local name: the page's file name
    label: str
    definition: str | None
    synonyms: list[str]
    parents: list[URIRef]
    children: list[URIRef] = field(default_factory=list)
    mappings: list[tuple[str, str, str | None]] = field(default_factory=list)
    """(relation, CURIE as written, IRI of its page or None when kb knows no page for its prefix)."""
    logical: str | None = None
    """The OWL definition in words, for a defined class."""
    sources: list[str] = field(default_factory=list)
    """The labels of the sources the term cites (dcterms:source)."""
    quotes: list[str] = field(default_factory=list)
    """The quotes it carries. The ontology does not say which cited source each comes from, so
    they are shown beside the sources rather than guessed onto one of them."""
    cases: list[str] = field(default_factory=list)
    """Local names of the cases whose facts use the term."""


@dataclass
class CaseView:
    name: str
    result: CaseResult
    evidence: list[dict[str, object]]
    facets: dict[str, list[str]]
    source: URIRef | None
    citation: str | None
    identifiers: list[tuple[str, str | None]]
    addresses: list[str]
    source_file: Path | None
    terms: set[URIRef]


@dataclass
class QueryView:
    name: str
    title: str
    description: str
    text: str
    check: bool
    parameters: list[tuple[str, str]]
    columns: list[str]
    rows: list[dict[str, str | None]]
    boolean: bool | None = None


@dataclass
class Quality:
    validation: Any | None
    """quality.validation.Report, or None when the build skipped validation (--no-validate)."""
    report: Any
    """quality.report's Report on the release's full artefact."""
    fidelity: Fidelity
    facts: int = 0
    quoted: int = 0
    checked: int = 0
    not_found: list[str] = field(default_factory=list)
    unused_terms: list[URIRef] = field(default_factory=list)
    cases_per_source: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class Content:
    kb: KnowledgeBase
    ontology: Graph
    cases: list[CaseView]
    terms: dict[URIRef, Term]
    subtypes: list[URIRef]
    patterns: list[URIRef]
    queries: list[QueryView]
    quality: Quality
    documents: int
    groups: dict[str, Counter[str]]
    """For each differential group (established, possible, excluded): cases per subtype word."""
    notes: list[str]

    def term_name(self, iri: URIRef) -> str | None:
        term = self.terms.get(iri)
        return term.name if term else None


def local_name(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def gather(kb: KnowledgeBase, validate: bool = True, progress: Callable[[str], None] | None = None) -> Content:
    from calcinosis_kb.knowledgebase.loading import load_ontology
    from calcinosis_kb.reasoning.infer import infer

    say = progress or (lambda _message: None)
    ontology = load_ontology(kb)
    say("classifying the cases")
    inference = infer(kb, kb.case_files, ontology=ontology)
    inference.require_every_case("the site needs every case classified")
    say("reading the evidence")
    loaded = load_cases(kb)
    cases = [_case_view(kb, loaded, result) for result in inference.results]
    definitions = Definitions.from_ontology(ontology)
    terms = _terms(ontology, cases, set(definitions.subtypes) | set(definitions.patterns))
    say("answering the named queries")
    queries = _queries(kb)
    say("checking quality")
    quality = _quality(kb, inference, cases, terms, validate)
    groups: dict[str, Counter[str]] = {g: Counter() for g in ("established", "possible", "excluded")}
    for view in cases:
        for group in groups:
            names = view.result.differential.get(group, [])
            groups[group].update(names if isinstance(names, list) else [])
    documents = len(set(ontology.subjects(RDF.type, CCKB.SourceDocument)))
    return Content(kb, ontology, cases, terms, definitions.subtypes, definitions.patterns, queries, quality,
                   documents, groups, list(inference.notes))


def _labels(ontology: Graph, facts: Graph, node: object) -> list[str]:
    return [label(ontology, t) for t in facts.objects(node, RDF.type)  # type: ignore[arg-type]
            if isinstance(t, URIRef) and t != OWL.NamedIndividual]


def _facets(loaded: KnowledgeBaseCases, case: URIRef) -> dict[str, list[str]]:
    """The labels of a case's conditions, lesion sites, lab tests, treatments and outcomes."""
    facts, ontology = loaded.facts, loaded.ontology
    found: dict[str, list[str]] = {facet: [] for facet in FACETS}
    for node in facts.objects(case, CCKB.hasCondition):
        found["condition"] += _labels(ontology, facts, node)
    for lesion in facts.objects(case, CCKB.hasLesion):
        found["site"] += [label(ontology, site) for site in facts.objects(lesion, CCKB.hasSite)]
    for node in facts.objects(case, CCKB.hasLabResult):
        found["lab"] += _labels(ontology, facts, node)
    for node in facts.objects(case, CCKB.hasTreatment):
        found["treatment"] += _labels(ontology, facts, node)
        found["outcome"] += [label(ontology, o) for o in facts.objects(node, CCKB.hasOutcome)]
    for node in facts.objects(case, CCKB.hasOutcomeReport):
        found["outcome"] += [label(ontology, o) for o in facts.objects(node, CCKB.hasOutcome)]
    return {facet: sorted(set(values)) for facet, values in found.items()}


def _terms_of(facts: Graph, case: URIRef) -> set[URIRef]:
    """Every cckb: class or individual a case's facts name (types and values, one step down)."""
    used: set[URIRef] = set()
    frontier = [case]
    seen = {case}
    while frontier:
        node = frontier.pop()
        for prop, value in facts.predicate_objects(node):
            if not isinstance(value, URIRef):
                continue
            if str(value).startswith(str(CCKB)):
                used.add(value)
            elif prop != CCKB.hasSource and value not in seen and (value, RDF.type, None) in facts:
                seen.add(value)
                frontier.append(value)
    return used


def _identifier_link(identifier: str) -> str | None:
    scheme, _, value = identifier.partition(":")
    links = {"doi": "https://doi.org/", "pmid": "https://pubmed.ncbi.nlm.nih.gov/",
             "pmcid": "https://www.ncbi.nlm.nih.gov/pmc/articles/"}
    return links[scheme.lower()] + value if scheme.lower() in links and value else None


def _case_view(kb: KnowledgeBase, loaded: KnowledgeBaseCases, result: CaseResult) -> CaseView:
    iri = URIRef(expand(result.case) or result.case)
    source = loaded.facts.value(iri, CCKB.hasSource)
    ontology = loaded.ontology
    citation = identifiers = addresses = source_file = None
    if isinstance(source, URIRef):
        citation = ontology.value(source, DCTERMS.bibliographicCitation)
        identifiers = sorted(str(i) for i in ontology.objects(source, DCTERMS.identifier))
        addresses = sorted(str(a) for a in ontology.objects(source, CCKB.sourceAddress))
        name = ontology.value(source, CCKB.sourceFile)
        source_file = kb.source_text(str(name)) if name is not None else None
    return CaseView(
        name=local_name(str(iri)), result=result, evidence=case_evidence(loaded, iri),
        facets=_facets(loaded, iri), source=source if isinstance(source, URIRef) else None,
        citation=str(citation) if citation is not None else None,
        identifiers=[(i, _identifier_link(i)) for i in identifiers or []], addresses=addresses or [],
        source_file=source_file, terms=_terms_of(loaded.facts, iri))


def _mappings(ontology: Graph, cls: URIRef) -> list[tuple[str, str, str | None]]:
    found: list[tuple[str, str, str | None]] = []
    for xref in sorted(str(x) for x in ontology.objects(cls, OBOINOWL.hasDbXref)):
        standard = mapping_curie(xref)
        found.append(("cross-reference", xref, mapping_iri(standard) or expand(standard, "obo")))
    for prop in MATCH_PROPERTIES:
        for target in sorted(str(t) for t in ontology.objects(cls, prop)):
            found.append((label(ontology, prop) if (prop, RDFS.label, None) in ontology else curie(str(prop)),
                          curie(target), target if target.startswith(("http://", "https://")) else None))
    return found


def _sources(ontology: Graph, cls: URIRef) -> list[str]:
    return sorted(label(ontology, s) for s in set(ontology.objects(cls, DCTERMS.source)) if isinstance(s, URIRef))


def _terms(ontology: Graph, cases: list[CaseView], defined: set[URIRef]) -> dict[URIRef, Term]:
    terms: dict[URIRef, Term] = {}
    for cls in sorted({c for c in ontology.subjects(RDF.type, OWL.Class)
                       if isinstance(c, URIRef) and str(c).startswith(str(CCKB))}, key=str):
        text = ontology.value(cls, DEFINITION)
        logical = definition(ontology, cls)
        terms[cls] = Term(
            iri=cls, name=local_name(str(cls)), label=label(ontology, cls),
            definition=str(text) if text is not None else None,
            synonyms=sorted(str(s) for s in ontology.objects(cls, OBOINOWL.hasExactSynonym)),
            parents=sorted((p for p in ontology.objects(cls, RDFS.subClassOf) if isinstance(p, URIRef)), key=str),
            mappings=_mappings(ontology, cls), sources=_sources(ontology, cls),
            quotes=sorted(str(q) for q in ontology.objects(cls, CCKB.quote)),
            logical=describe(ontology, logical) if logical is not None and cls in defined else None)
    for term in terms.values():
        for parent in term.parents:
            if parent in terms:
                terms[parent].children.append(term.iri)
    for view in cases:
        for used in view.terms:
            if used in terms:
                terms[used].cases.append(view.name)
    return terms


def _queries(kb: KnowledgeBase) -> list[QueryView]:
    from calcinosis_kb.querying.answer import answer_query
    from calcinosis_kb.querying.named import bind, load_queries

    views: list[QueryView] = []
    for named in load_queries(kb.query_files).values():
        answer = answer_query(kb.root, named.text, bind(named, {}), where=str(named.path))
        views.append(QueryView(
            named.name, named.title, named.description, named.text, named.check,
            [(p.name, p.default or "") for p in named.parameters], answer.columns, answer.rows, answer.boolean))
    return views


def _quality(kb: KnowledgeBase, inference: Inference, cases: list[CaseView], terms: dict[URIRef, Term],
             validate: bool) -> Quality:
    from calcinosis_kb.interchange.artefacts import full_artefact
    from calcinosis_kb.quality.report import report as run_report

    # the artefact's inferred part is the classification the pages show: not reasoned out again
    report = run_report(kb, None, lambda kb: full_artefact(kb, classified=inference.inferred))
    validation = None
    if validate:
        from calcinosis_kb.quality.validation import validate as run_validation

        validation = run_validation(kb)
    quality = Quality(validation, report, fidelity(inference))
    not_found = {p.entity for p in validation.problems if p.check == "quote"} if validation else set()
    for view in cases:
        facts = {str(row["fact"]): bool(row["quote"]) for row in view.evidence}
        for fact, quoted in facts.items():
            quality.facts += 1
            quality.quoted += quoted
            if quoted and view.source_file is not None and validation is not None:
                quality.checked += 1
                if fact in not_found:
                    quality.not_found.append(fact)
    quality.unused_terms = [t.iri for t in terms.values() if not t.cases]
    per_source = Counter(view.result.source_label or "(no source)" for view in cases)
    quality.cases_per_source = sorted(per_source.items(), key=lambda item: (-item[1], item[0]))
    return quality


def subtype_classes(content: Content) -> dict[str, URIRef]:
    """Subtype and pattern words, as the inference names them, to their classes."""
    from calcinosis_kb.knowledgebase.cases import word

    return {word(content.ontology, c): c for c in [*content.subtypes, *content.patterns]}


def claims_about(content: Content, cls: URIRef) -> list[URIRef]:
    """The literature's claims (knowledge.ttl) about a subtype, pattern, condition, treatment,
    site or imaging modality."""
    ontology = content.ontology
    return sorted({c for prop in CLAIM_SUBJECTS for c in ontology.subjects(prop, cls) if isinstance(c, URIRef)},
                  key=str)

