"""`kb cases` and `kb evidence`: what the knowledge base holds, fact by fact, with its quotes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS

from calcinosis_kb.knowledgebase.cases import case_info, find_cases, refuse_cases_in_several_files
from calcinosis_kb.knowledgebase.errors import UsageError
from calcinosis_kb.knowledgebase.expressions import label
from calcinosis_kb.knowledgebase.loading import load_ontology, merge, parse_case
from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.knowledgebase.namespaces import CASE, CCKB, curie


@dataclass
class KnowledgeBaseCases:
    ontology: Graph
    facts: Graph
    cases: list[tuple[URIRef, Path]]


def load_cases(kb: KnowledgeBase) -> KnowledgeBaseCases:
    ontology = load_ontology(kb)
    graphs: list[Graph] = []
    cases: list[tuple[URIRef, Path]] = []
    for path in kb.case_files:
        case_file = find_cases(path, parse_case(path, ontology)[0])
        graphs.append(case_file.graph)
        cases += [(case, path) for case in case_file.cases]
    refuse_cases_in_several_files(cases)
    return KnowledgeBaseCases(ontology, merge(graphs), cases)


def list_cases(kb: KnowledgeBase) -> list[dict[str, object]]:
    loaded = load_cases(kb)
    rows: list[dict[str, object]] = []
    for case, path in loaded.cases:
        info = case_info(case, loaded.facts, loaded.ontology)
        rows.append({
            "case": curie(str(case)), "label": info.label, "source": info.source_label, "citation": info.source,
            "age": info.age, "age_as_reported": info.age_as_reported, "sex": info.sex,
            "authors_subtypes": info.authors_subtypes,
            "authors_patterns": info.authors_patterns, "authors_diagnosis": info.authors_diagnosis,
            "file": str(path.name),
        })
    return rows


def evidence(kb: KnowledgeBase, case_id: str) -> list[dict[str, object]]:
    """Every fact of one case, with the property that links it, its quotes and its source."""
    loaded = load_cases(kb)
    return case_evidence(loaded, _resolve(case_id, [c for c, _ in loaded.cases]))


def case_evidence(loaded: KnowledgeBaseCases, wanted: URIRef) -> list[dict[str, object]]:
    """As evidence(), for a case of cases already loaded: a caller that shows every case (kb site)
    loads them once rather than once per case."""
    facts, ontology = loaded.facts, loaded.ontology
    info = case_info(wanted, facts, ontology)
    rows: list[dict[str, object]] = []
    own_quotes = [str(q) for q in facts.objects(wanted, CCKB.quote)]
    for quote in own_quotes:
        rows.append({"case": curie(str(wanted)), "property": "case", "fact": curie(str(wanted)),
                     "statement": info.label, "quote": quote, "source": info.source})
    for prop, node in sorted(facts.predicate_objects(wanted), key=lambda po: (str(po[0]), str(po[1]))):
        if prop in (RDF.type, RDFS.label, CCKB.hasSource, CCKB.quote) or not isinstance(node, URIRef):
            continue
        statement = _statement(ontology, facts, node)
        quotes = [str(q) for q in facts.objects(node, CCKB.quote)] or [""]
        for quote in quotes:
            rows.append({"case": curie(str(wanted)), "property": label(ontology, prop), "fact": curie(str(node)),
                         "statement": statement, "quote": quote, "source": info.source})
    return rows


def _resolve(case_id: str, cases: list[URIRef]) -> URIRef:
    candidates = {curie(str(c)): c for c in cases} | {str(c): c for c in cases}
    for key in (case_id, f"case:{case_id}", str(CASE) + case_id):
        if key in candidates:
            return candidates[key]
    import difflib

    names = [curie(str(c)).removeprefix("case:") for c in cases]
    close = difflib.get_close_matches(case_id.removeprefix("case:"), names, n=1)
    hint = f"; did you mean {close[0]}?" if close else "; `kb cases` lists them"
    raise UsageError(f"no case {case_id!r} in the knowledge base{hint}")


def _statement(ontology: Graph, facts: Graph, node: URIRef) -> str:
    """A fact in words: its class and the values recorded on it."""
    parts = [label(ontology, t) for t in facts.objects(node, RDF.type) if isinstance(t, URIRef)]
    for prop, value in sorted(facts.predicate_objects(node), key=lambda po: str(po[0])):
        if prop in (RDF.type, CCKB.quote, CCKB.note, RDFS.label):
            continue
        shown = label(ontology, value) if isinstance(value, URIRef) else str(value)
        parts.append(f"{label(ontology, prop)}: {shown}")
    return "; ".join(parts)
