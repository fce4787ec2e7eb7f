"""`kb validate`: prove the ontology and the case files right, reporting every problem found
(not just the first), one line each, naming the file, the entity and the fix."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from calcinosis_kb.knowledgebase.cases import (
    deprecated_terms,
    find_cases,
    line_of,
    line_of_statement,
    line_of_text,
    subclasses_of,
    undefined_terms,
)
from calcinosis_kb.knowledgebase.errors import InconsistentError, KBError
from calcinosis_kb.knowledgebase.loading import merge, parse_turtle
from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.knowledgebase.namespaces import CCKB, SRC, curie
from calcinosis_kb.knowledgebase.normalise import UnitError, normalise
from calcinosis_kb.querying.named import load_queries, run_checks
from calcinosis_kb.reasoning.clash import clashing_facts
from calcinosis_kb.reasoning.classify import case_facts, logical_core
from calcinosis_kb.reasoning.hermit import reason
from calcinosis_kb.reasoning.jvm import WarmHermit

SHAPES_FILE = Path("shapes") / "case-shapes.ttl"


@dataclass
class Problem:
    file: str
    line: int | None
    check: str
    entity: str
    message: str

    def as_text(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        entity = f"{self.entity}: " if self.entity else ""
        return f"{where}: [{self.check}] {entity}{self.message}"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class Report:
    problems: list[Problem]
    files_checked: int
    cases_checked: int
    notes: list[str]
    ontology_checked: bool = True
    """False when only case files were given: the ontology's own checks (QC queries, its quotes,
    satisfiable subtypes) were not run, though the cases were checked against it."""

    @property
    def ok(self) -> bool:
        return not self.problems


def _collapse(text: str) -> str:
    return re.sub(r"\s+", "", text)


def validate(kb: KnowledgeBase, case_paths: list[Path] | None = None) -> Report:
    """Validate the ontology and the given case files (the whole knowledge base when None)."""
    problems: list[Problem] = []
    notes: list[str] = []
    whole = case_paths is None
    paths = kb.case_files if case_paths is None else case_paths

    ontology_parts: list[Graph] = []
    for path in kb.ontology_files:
        try:
            ontology_parts.append(parse_turtle(path))
        except KBError as error:
            problems.append(Problem(str(path), _line(error.message), "syntax", "", _tail(error.message, path)))
    ontology = merge(ontology_parts)
    unchecked: dict[str, str] = {}
    texts_at_hand = bool(kb.text_folders)
    if not texts_at_hand:
        notes.append("quotes not checked: source texts not found (set CALCINOSIS_KB_SOURCES to their folder)")

    shapes_path = kb.root / SHAPES_FILE
    if not shapes_path.is_file():
        problems.append(Problem(str(shapes_path), None, "shacl", "", "shapes file missing; restore shapes/"))
    shapes = parse_turtle(shapes_path) if shapes_path.is_file() else None
    case_graphs: list[tuple[Path, Graph, list[URIRef]]] = []
    for path in paths:
        try:
            graph = parse_turtle(path)
        except KBError as error:
            problems.append(Problem(str(path), _line(error.message), "syntax", "", _tail(error.message, path)))
            continue
        try:
            case_file = find_cases(path, graph)
        except KBError as error:
            problems.append(Problem(str(path), None, "case", "", _tail(error.message, path)))
            continue
        for term, hint in undefined_terms(case_file, ontology):
            problems.append(Problem(str(path), line_of(path, term), "term", curie(str(term)),
                                    f"not defined in the ontology; {hint}"))
        for term, replacement in deprecated_terms(case_file, ontology):
            instead = f"use {curie(str(replacement))} instead" if replacement else "the ontology names no replacement"
            notes.append(f"{path}:{line_of(path, term)}: {curie(str(term))} is deprecated; {instead} "
                         "(the file still works)")
        problems += _shacl(path, graph, ontology, shapes)
        if texts_at_hand:
            problems += _quotes(path, graph, ontology, kb, unchecked)
        try:
            graph += normalise(ontology, graph)
        except UnitError as error:
            problems.append(Problem(str(path), line_of_statement(path, error.node, error.prop), "units",
                                    curie(str(error.node)),
                                    error.detail))
        case_graphs.append((path, graph, case_file.cases))

    if whole:
        problems += _ontology_checks(kb, ontology, merge([ontology] + [g for _, g, _ in case_graphs]))
        if texts_at_hand:
            problems += _ontology_quotes(ontology, kb)
    problems += _consistency(ontology, case_graphs, check_ontology=whole)
    notes += [f"quotes of {source} not checked: {reason}; add the text to one of those folders or name its "
              f"folder in CALCINOSIS_KB_SOURCES" for source, reason in sorted(unchecked.items())]
    return Report(problems, len(paths), sum(len(c) for _, _, c in case_graphs), notes, whole)


def _line(message: str) -> int | None:
    match = re.match(r"^[^:]+:(\d+):", message)
    return int(match.group(1)) if match else None


def _tail(message: str, path: Path) -> str:
    """The message without its leading `file:line:`."""
    return re.sub(rf"^{re.escape(str(path))}(:\d+)?: ", "", message)


def _ontology_checks(kb: KnowledgeBase, ontology: Graph, everything: Graph) -> list[Problem]:
    problems: list[Problem] = []
    for query, row in run_checks(everything, load_queries(kb.query_files)):
        entity = row.get("entity", "")
        where, line = _locate(kb, entity)
        problems.append(Problem(where, line, f"qc {query.name}", curie(entity),
                                f"{row.get('problem', query.title)}; {row.get('fix', '')}".rstrip("; ")))
    return problems


def _locate(kb: KnowledgeBase, iri: str) -> tuple[str, int | None]:
    """The ontology or case file, and line, that first mentions a term."""
    local = iri.rsplit("/", 1)[-1]
    pattern = re.compile(rf"(:{re.escape(local)}\b|{re.escape(iri)})")
    for path in kb.ontology_files + kb.case_files:
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if pattern.search(text):
                return str(path), number
    return "ontology/", None


def _consistency(ontology: Graph, case_graphs: list[tuple[Path, Graph, list[URIRef]]],
                 check_ontology: bool) -> list[Problem]:
    problems: list[Problem] = []
    try:
        reasoned = reason(merge([ontology] + [g for _, g, _ in case_graphs]))
    except InconsistentError:
        try:
            reasoned = reason(ontology)
        except InconsistentError:
            return [Problem("ontology/", None, "consistency", "", "the ontology alone is inconsistent under HermiT")]
        engine = WarmHermit(logical_core(ontology))
        for path, graph, cases in case_graphs:
            for case in cases:
                facts = case_facts(graph, case)
                try:
                    engine.classify(facts, case, [])
                except InconsistentError:
                    message = clashing_facts(engine, ontology, path, case, facts)
                    problems.append(Problem(str(path), None, "consistency", curie(str(case)),
                                            _tail(message, path).removeprefix(f"{curie(str(case))} ")))
    if check_ontology:
        defined = subclasses_of(ontology, CCKB.EtiologicSubtype) + subclasses_of(ontology, CCKB.MorphologicPattern)
        for cls in sorted(reasoned.unsatisfiable):
            kind = "defined subtype or pattern" if URIRef(cls) in defined else "class"
            problems.append(Problem("ontology/", None, "satisfiable", curie(cls),
                                    f"{kind} is unsatisfiable (no case could ever belong to it); fix its definition"))
    return problems


def _shacl(path: Path, graph: Graph, ontology: Graph, shapes: Graph | None) -> list[Problem]:
    import pyshacl  # heavy: only when validating

    if shapes is None:
        return []
    conforms, results, _ = pyshacl.validate(graph, shacl_graph=shapes, ont_graph=ontology, inference="rdfs",
                                            abort_on_first=False, allow_warnings=True)
    if conforms:
        return []
    sh = "http://www.w3.org/ns/shacl#"
    problems: list[Problem] = []
    for result in results.subjects(RDF.type, URIRef(sh + "ValidationResult")):
        focus = results.value(result, URIRef(sh + "focusNode"))
        prop = results.value(result, URIRef(sh + "resultPath"))
        message = results.value(result, URIRef(sh + "resultMessage"))
        value = results.value(result, URIRef(sh + "value"))
        entity = curie(str(focus)) + (f" {curie(str(prop))}" if isinstance(prop, URIRef) else "")
        got = f" (found {curie(str(value)) if isinstance(value, URIRef) else value})" if value is not None else ""
        problems.append(Problem(str(path), line_of(path, focus) if isinstance(focus, URIRef) else None,
                                "shacl", entity, f"{message}{got}"))
    return sorted(problems, key=lambda p: (p.line or 0, p.entity))


def _source_text(source: URIRef | None, ontology: Graph, kb: KnowledgeBase) -> tuple[str | None, str | None]:
    if source is None:
        return None, None
    name = ontology.value(source, CCKB.sourceFile)
    if name is None:
        return None, f"source {curie(str(source))} names no cckb:sourceFile"
    path = kb.source_text(str(name))
    if path is None:
        return None, f"source text {name} not found in {', '.join(map(str, kb.text_folders))}"
    return _collapse(path.read_text(encoding="utf-8")), None


def _quotes(path: Path, graph: Graph, ontology: Graph, kb: KnowledgeBase,
            unchecked: dict[str, str]) -> list[Problem]:
    """Every quote of every fact occurs in its case's source text, ignoring whitespace. A source
    whose text cannot be found is noted once in `unchecked` (its quotes are not checked), not
    reported per quote."""
    problems: list[Problem] = []
    for case in graph.subjects(RDF.type, CCKB.CalcinosisCutis):
        source = graph.value(case, CCKB.hasSource)
        text, trouble = _source_text(source if isinstance(source, URIRef) else None, ontology, kb)
        if trouble and text is None and isinstance(source, URIRef) and ontology.value(source, CCKB.sourceFile):
            unchecked.setdefault(curie(str(source)), trouble)
            continue
        if trouble:
            problems.append(Problem(str(path), line_of(path, case) if isinstance(case, URIRef) else None,
                                    "quote", curie(str(case)), trouble))
        if text is None:
            continue
        facts = {o for _, o in graph.predicate_objects(case) if isinstance(o, URIRef)}
        if isinstance(case, URIRef):
            facts.add(case)
        for fact in facts:
            for quote in graph.objects(fact, CCKB.quote):
                if _collapse(str(quote)) not in text:
                    node_line = line_of(path, fact)
                    problems.append(Problem(
                        str(path), line_of_text(path, str(quote), node_line) or node_line, "quote", curie(str(fact)),
                        f"quote not found in the source text: \"{quote}\" (text "
                        f"{ontology.value(source, CCKB.sourceFile)}); copy the words exactly "
                        "(only whitespace may differ)"))
    return problems


def _ontology_quotes(ontology: Graph, kb: KnowledgeBase) -> list[Problem]:
    """Quotes on ontology terms occur in one of the term's cited sources."""
    problems: list[Problem] = []
    texts: dict[URIRef, str | None] = {}
    for term, quote in ontology.subject_objects(CCKB.quote):
        cited = [s for s in ontology.objects(term, URIRef("http://purl.org/dc/terms/source"))
                 if isinstance(s, URIRef) and str(s).startswith(str(SRC))]
        found = False
        for source in cited:
            if source not in texts:
                texts[source] = _source_text(source, ontology, kb)[0]
            if texts[source] is not None and _collapse(str(quote)) in (texts[source] or ""):
                found = True
                break
        if not found:
            problems.append(Problem("ontology/", None, "quote", curie(str(term)),
                                    f"quote not found in its cited sources: \"{quote}\""))
    return problems
