"""`kb validate`: prove the ontology and the case files right, reporting every problem found
(not just the first), one line each, naming the file, the entity and the fix."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from calcinosis_kb.knowledgebase.cases import (
    cases_in_several_files,
    deprecated_terms,
    find_cases,
    line_of,
    line_of_statement,
    line_of_text,
    subclasses_of,
    undefined_terms,
)
from calcinosis_kb.knowledgebase.errors import KBError
from calcinosis_kb.knowledgebase.literals import check_literals
from calcinosis_kb.knowledgebase.loading import load_ontology, merge, parse_turtle
from calcinosis_kb.knowledgebase.location import KnowledgeBase, ontology_cache_path
from calcinosis_kb.knowledgebase.namespaces import CCKB, SRC, curie
from calcinosis_kb.knowledgebase.normalise import UnitError, normalise
from calcinosis_kb.quality.shapes import RdfsIndex, Violation, check_shapes
from calcinosis_kb.querying.named import NamedQuery, load_queries
from calcinosis_kb.reasoning.consistency import CaseFacts, ConsistencyCheck
from calcinosis_kb.reasoning.jobs import SMALL_JOB_BYTES

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
    whole = case_paths is None
    paths = kb.case_files if case_paths is None else case_paths
    ontology, problems = _ontology(kb)
    # What is made from the ontology alone is kept between runs, when all its files could be read.
    kept_index, kept_reading = (None, None) if problems else (ontology_cache_path(kb, "rdfs.pickle"),
                                                               ontology_cache_path(kb, "logical.ofn"))
    reading = _Reading(kb, ontology, paths, whole, kept_index)
    # Reading the files in a thread while the JVM starts saved nothing (measured: 2.10 s either
    # way for one file): JPype holds Python's lock for much of the JVM's start.
    reading.run()
    size = sum(path.stat().st_size for path in paths if path.is_file())
    consistency = ConsistencyCheck(ontology, unsatisfiable=whole, quick_start=size < SMALL_JOB_BYTES,
                                   kept=kept_reading)
    problems += reading.problems
    for entry in reading.files:
        problems += entry.before + entry.shacl + entry.after
    problems += reading.ontology_problems
    for twin in cases_in_several_files((case, entry.path) for entry in reading.files for case in entry.cases):
        path, line = twin.places[-1]
        problems.append(Problem(str(path), line, "case", curie(str(twin.case)), twin.message))
    case_graphs = [(entry.path, entry.graph, entry.cases) for entry in reading.files if entry.graph is not None]
    problems += _consistency(consistency, case_graphs, check_ontology=whole)
    notes = reading.notes + [f"quotes of {source} not checked: {reason}; add the text to one of those folders or "
                             f"name its folder in CALCINOSIS_KB_SOURCES"
                             for source, reason in sorted(reading.unchecked.items())]
    return Report(problems, len(paths), sum(len(c) for _, _, c in case_graphs), notes, whole)


class _Reading:
    """Everything `kb validate` checks in Python: each file's syntax, terms, shapes, quotes and
    units, each file's problems in the order of its checks; with the whole knowledge base, the
    QC queries and the ontology's quotes."""

    def __init__(self, kb: KnowledgeBase, ontology: Graph, paths: list[Path], whole: bool,
                 kept_index: Path | None = None) -> None:
        self.kb, self.ontology, self.paths, self.whole = kb, ontology, paths, whole
        self.kept_index = kept_index
        self.problems: list[Problem] = []
        self.files: list[_FileCheck] = []
        self.ontology_problems: list[Problem] = []
        self.notes: list[str] = []
        self.unchecked: dict[str, str] = {}

    def run(self) -> None:
        kb, ontology = self.kb, self.ontology
        texts_at_hand = bool(kb.text_folders)
        if not texts_at_hand:
            self.notes.append("quotes not checked: source texts not found (set CALCINOSIS_KB_SOURCES to their folder)")
        shapes_path = kb.root / SHAPES_FILE
        if not shapes_path.is_file():
            self.problems.append(Problem(str(shapes_path), None, "shacl", "", "shapes file missing; restore shapes/"))
        shapes = parse_turtle(shapes_path) if shapes_path.is_file() else None
        for path in self.paths:
            self.files.append(entry := _FileCheck(path))
            self._read(entry, texts_at_hand)
        # The shapes of all the files are checked in one run, once every file is read.
        read = [entry for entry in self.files if entry.graph is not None]
        for entry, found in zip(read, _shacl(read, ontology, shapes, self.kept_index), strict=True):
            entry.shacl = found
            assert entry.graph is not None
            entry.graph += entry.derived  # the normalised values, which the reasoner needs
        if self.whole:
            graphs = [ontology] + [entry.graph for entry in read if entry.graph is not None]
            self.ontology_problems += _ontology_checks(kb, graphs)
            if texts_at_hand:
                self.ontology_problems += _ontology_quotes(ontology, kb)

    def _read(self, entry: _FileCheck, texts_at_hand: bool) -> None:
        path, ontology = entry.path, self.ontology
        try:
            graph = parse_turtle(path)
        except KBError as error:
            entry.before.append(Problem(str(path), _line(error.message), "syntax", "", _tail(error.message, path)))
            return
        try:
            case_file = find_cases(path, graph)
        except KBError as error:
            entry.before.append(Problem(str(path), None, "case", "", _tail(error.message, path)))
            return
        entry.cases = case_file.cases
        try:
            check_literals(graph, path)
        except KBError as error:  # kept from the shapes, units and reasoner, which cannot take it
            entry.before.append(Problem(str(path), _line(error.message), "values", "", _tail(error.message, path)))
            return
        entry.graph = graph
        for term, hint in undefined_terms(case_file, ontology):
            entry.before.append(Problem(str(path), line_of(path, term), "term", curie(str(term)),
                                        f"not defined in the ontology; {hint}"))
        for term, replacement in deprecated_terms(case_file, ontology):
            instead = f"use {curie(str(replacement))} instead" if replacement else "the ontology names no replacement"
            self.notes.append(f"{path}:{line_of(path, term)}: {curie(str(term))} is deprecated; {instead} "
                              "(the file still works)")
        if texts_at_hand:
            entry.after += _quotes(path, graph, ontology, self.kb, self.unchecked)
        try:
            entry.derived = normalise(ontology, graph)
        except UnitError as error:
            entry.after.append(Problem(str(path), line_of_statement(path, error.node, error.prop), "units",
                                       curie(str(error.node)), error.detail))


@dataclass
class _FileCheck:
    path: Path
    graph: Graph | None = None
    cases: list[URIRef] = field(default_factory=list)
    before: list[Problem] = field(default_factory=list)
    shacl: list[Problem] = field(default_factory=list)
    after: list[Problem] = field(default_factory=list)
    derived: Graph = field(default_factory=Graph)


def _ontology(kb: KnowledgeBase) -> tuple[Graph, list[Problem]]:
    """The ontology, and a syntax problem for each of its files that cannot be read. The parsed
    ontology is cached while its files are unchanged; only when that fails is each file read
    again to name every broken one."""
    try:
        return load_ontology(kb), []
    except KBError:
        pass
    parts: list[Graph] = []
    problems: list[Problem] = []
    for path in kb.ontology_files:
        try:
            parts.append(parse_turtle(path))
        except KBError as error:
            problems.append(Problem(str(path), _line(error.message), "syntax", "", _tail(error.message, path)))
    return merge(parts), problems


def _line(message: str) -> int | None:
    match = re.match(r"^[^:]+:(\d+):", message)
    return int(match.group(1)) if match else None


def _tail(message: str, path: Path) -> str:
    """The message without its leading `file:line:`."""
    return re.sub(rf"^{re.escape(str(path))}(:\d+)?: ", "", message)


def _ontology_checks(kb: KnowledgeBase, graphs: list[Graph]) -> list[Problem]:
    problems: list[Problem] = []
    for query, row in _run_checks(graphs, load_queries(kb.query_files)):
        entity = row.get("entity", "")
        where, line = _locate(kb, entity)
        problems.append(Problem(where, line, f"qc {query.name}", curie(entity),
                                f"{row.get('problem', query.title)}; {row.get('fix', '')}".rstrip("; ")))
    return problems


def _run_checks(graphs: list[Graph], queries: dict[str, NamedQuery]) -> list[tuple[NamedQuery, dict[str, str]]]:
    """Every QC query over the graphs together; each row is a problem. Oxigraph answers them (as
    it answers `kb query`): rdflib's engine took 5 s over the knowledge base, most of it on
    qc-undefined-term, which reads every triple; this takes a tenth of a second."""
    import pyoxigraph

    store = pyoxigraph.Store()
    for graph in graphs:
        store.load(graph.serialize(format="nt", encoding="utf-8"), pyoxigraph.RdfFormat.N_TRIPLES)
    problems: list[tuple[NamedQuery, dict[str, str]]] = []
    for query in queries.values():
        if not query.check:
            continue
        solutions = store.query(query.text)
        if not isinstance(solutions, pyoxigraph.QuerySolutions):  # only a SELECT's rows are problems
            continue
        names = [variable.value for variable in solutions.variables]
        for solution in solutions:
            problems.append((query, {name: term.value for name in names if (term := solution[name]) is not None}))
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


def _consistency(check: ConsistencyCheck, case_graphs: list[tuple[Path, Graph, list[URIRef]]],
                 check_ontology: bool) -> list[Problem]:
    if not check.ontology_consistent:
        return [Problem("ontology/", None, "consistency", "", "the ontology alone is inconsistent under HermiT")]
    clashes = check.clashes([CaseFacts(path, graph, cases) for path, graph, cases in case_graphs])
    problems = [Problem(str(path), None, "consistency", curie(str(case)),
                        _tail(message, path).removeprefix(f"{curie(str(case))} "))
                for path, case, message in clashes]
    if check_ontology:
        ontology = check.ontology
        defined = subclasses_of(ontology, CCKB.EtiologicSubtype) + subclasses_of(ontology, CCKB.MorphologicPattern)
        for cls in check.unsatisfiable:
            kind = "defined subtype or pattern" if URIRef(cls) in defined else "class"
            problems.append(Problem("ontology/", None, "satisfiable", curie(cls),
                                    f"{kind} is unsatisfiable (no case could ever belong to it); fix its definition"))
    return problems


def _shacl(files: list[_FileCheck], ontology: Graph, shapes: Graph | None,
           kept_index: Path | None) -> list[list[Problem]]:
    """Each file's shape violations, sorted by line."""
    if shapes is None or not files:
        return [[] for _ in files]
    found = check_shapes([f.graph for f in files if f.graph is not None], shapes, RdfsIndex.kept(ontology, kept_index))
    return [sorted((_shape_problem(f.path, v) for v in violations), key=lambda p: (p.line or 0, p.entity))
            for f, violations in zip(files, found, strict=True)]


def _shape_problem(path: Path, violation: Violation) -> Problem:
    focus, prop, value = violation.focus, violation.path, violation.value
    entity = curie(str(focus)) + (f" {curie(str(prop))}" if isinstance(prop, URIRef) else "")
    got = f" (found {curie(str(value)) if isinstance(value, URIRef) else value})" if value is not None else ""
    return Problem(str(path), line_of(path, focus) if isinstance(focus, URIRef) else None,
                   "shacl", entity, f"{violation.message}{got}")


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
