"""Named queries: documented, runnable, right against the case files, safe with any parameter."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from itertools import product
from pathlib import Path

import pytest
from rdflib import DCTERMS, RDF, RDFS, Graph, Literal, URIRef
from rdflib.term import Node
from typer.testing import CliRunner

from calcinosis_kb.cli import app
from calcinosis_kb.knowledgebase.errors import ExitCode, UsageError
from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.knowledgebase.namespaces import CCKB, DEFINITION, PATTERN_WORDS, SUBTYPE_WORDS, curie
from calcinosis_kb.knowledgebase.values import json_value, typed_text
from calcinosis_kb.querying.named import bind, expand, load_queries, with_values
from calcinosis_kb.querying.querydocs import render
from calcinosis_kb.querying.results import order_solutions, run_local, split_order
from calcinosis_kb.querying.store import open_store
from calcinosis_kb.reasoning.classify import Inference

from .conftest import ROOT

QUERIES = sorted((ROOT / "queries").glob("*.rq"))
CLINICAL = [q for q in QUERIES if not q.name.startswith("qc-")]


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALCINOSIS_KB_CACHE", str(tmp_path_factory.getbasetemp() / "kb-cache"))


def run_query(runner: CliRunner, *args: str) -> list[dict[str, str]]:
    result = runner.invoke(app, ["query", *args, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    rows: list[dict[str, str]] = json.loads(result.stdout)
    return rows


@pytest.mark.parametrize("path", QUERIES, ids=[p.stem for p in QUERIES])
def test_query_has_title_and_description(path: Path) -> None:
    query = load_queries([path])[path.stem]
    assert query.title, f"{path.name}: add '# title: ...' to its header"
    assert query.description, f"{path.name}: add '# description: ...' to its header"


@pytest.mark.parametrize("path", CLINICAL, ids=[p.stem for p in CLINICAL])
def test_clinical_query_runs_and_returns_rows(runner: CliRunner, path: Path) -> None:
    rows = run_query(runner, path.stem)
    if path.stem != "subtype-disagreements":  # no case disagrees today
        assert rows, f"{path.stem} returned no rows on the shipped knowledge base"


def test_docs_match_headers() -> None:
    expected = render(load_queries(KnowledgeBase.locate(ROOT).query_files))
    assert (ROOT / "docs" / "queries.md").read_text() == expected, \
        "regenerate: python -m calcinosis_kb.querying.querydocs > docs/queries.md"


def test_list_json(runner: CliRunner) -> None:
    rows = json.loads(runner.invoke(app, ["query", "--list", "--format", "json"]).stdout)
    assert {"name", "title", "description", "parameters", "check"} <= set(rows[0])
    by_name = {r["name"]: r for r in rows}
    assert by_name["qc-undefined-term"]["check"] is True and by_name["cases-by-subtype"]["check"] is False
    assert len([r for r in rows if not r["check"]]) >= 12


def test_cases_by_subtype_matches_reasoner(runner: CliRunner, shipped: Inference) -> None:
    for iri, word in (("cckb:DystrophicCalcinosisCutis", "dystrophic"),
                      ("cckb:IdiopathicCalcinosisCutis", "idiopathic")):
        rows = run_query(runner, "cases-by-subtype", "--param", f"subtype={iri}")
        assert {r["case"] for r in rows} == {c.case for c in shipped.results if word in c.inferred_subtypes}


def test_case_evidence_matches_case_file(runner: CliRunner) -> None:
    rows = run_query(runner, "case-evidence", "-p", "case=case:carrascosa2011")
    graph = Graph().parse(ROOT / "cases" / "carrascosa2011.ttl")
    quotes = {str(q) for q in graph.objects(None, CCKB.quote)}
    assert {r["quote"] for r in rows} <= quotes
    assert any("mixed connective tissue disease" in r["quote"] for r in rows)


def _cases_recording(kb: KnowledgeBase, condition: URIRef) -> set[str]:
    """The cases whose files record a condition of this class or a subclass, read from the files."""
    from calcinosis_kb.knowledgebase.loading import load_ontology

    kinds = set(load_ontology(kb).transitive_subjects(RDFS.subClassOf, condition))
    found: set[str] = set()
    for path in kb.case_files:
        graph = Graph().parse(path, format="turtle")
        found |= {f"case:{str(c).rsplit('/', 1)[-1]}" for c, node in graph.subject_objects(CCKB.hasCondition)
                  if set(graph.objects(node, RDF.type)) & kinds}
    return found


def test_treatments_in_dystrophic_systemic_sclerosis(runner: CliRunner, kb: KnowledgeBase, shipped: Inference) -> None:
    rows = run_query(runner, "treatments-by-subtype-and-condition", "-p", "condition=cckb:SystemicSclerosis")
    dystrophic = {c.case for c in shipped.results if "dystrophic" in c.inferred_subtypes}
    treated = {r["case"] for r in rows}
    assert "case:bender2024" in treated
    assert treated <= _cases_recording(kb, CCKB.SystemicSclerosis) & dystrophic
    bender = {r["treatment"] for r in rows if r["case"] == "case:bender2024" and r["outcome"] == "refractory"}
    assert {"methotrexate", "colchicine"} <= bender


def test_conditions_counted_as_in_case_files(runner: CliRunner, kb: KnowledgeBase) -> None:
    counts = {r["condition"]: int(r["cases"]) for r in run_query(runner, "conditions-with-counts")}
    assert counts["mixed connective tissue disease"] == len(_cases_recording(kb, CCKB.MixedConnectiveTissueDisease))
    assert counts["juvenile dermatomyositis"] == len(_cases_recording(kb, CCKB.JuvenileDermatomyositis)) >= 2


def test_string_parameter_cannot_inject(runner: CliRunner) -> None:
    assert run_query(runner, "find-cases", "-p", "text=thigh")
    attack = 'x")) } SELECT ?case WHERE { ?case ?p ?o } #'
    assert run_query(runner, "find-cases", "-p", f"text={attack}") == []
    # the value travels as an escaped literal in a VALUES block: quotes, newlines and backslashes too
    for attack in ('x" ) } } SELECT * WHERE { ?s ?p ?o } #', 'x\\" }\n} SELECT * WHERE { ?s ?p ?o }', "x'''y"):
        assert run_query(runner, "find-cases", "-p", f"text={attack}") == []


def test_iri_parameter_rejects_non_iri(runner: CliRunner) -> None:
    result = runner.invoke(app, ["query", "case-evidence", "-p", "case=case:x> } ; DROP ALL ; <a"])
    assert result.exit_code == ExitCode.USAGE
    assert "is not an IRI" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["query", "cases-by-subtyp"], "did you mean cases-by-subtype?"),
        (["query", "cases-by-subtype", "-p", "nosuch=1"], "has no parameter 'nosuch'"),
        (["query", "cases-by-subtype", "-p", "subtype"], "write it as NAME=VALUE"),
        (["sparql", "SELECT ?x WHERE {\n ?x ?y \n}}"], "SPARQL syntax error at 3:"),
        (["sparql"], "give a query as an argument or with --file"),
    ],
)
def test_query_errors(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == ExitCode.USAGE
    assert message in result.stderr and "Traceback" not in result.stderr


def test_sparql_select_ask_construct(runner: CliRunner, tmp_path: Path, shipped: Inference) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?c a <https://w3id.org/calcinosis-kb/ontology/CalcinosisCutis> }"
    select = runner.invoke(app, ["sparql", "--format", "json", count])
    assert int(json.loads(select.stdout)[0]["n"]) >= 12
    ask = runner.invoke(app, ["sparql", "ASK { ?c a <https://w3id.org/calcinosis-kb/ontology/Calciphylaxis> }"])
    calciphylaxis = any("calciphylaxis" in c.inferred_subtypes for c in shipped.results)
    assert ask.stdout.strip() == str(calciphylaxis).lower()
    query = tmp_path / "q.rq"
    query.write_text("CONSTRUCT { ?c a ?t } WHERE { ?c a ?t . FILTER(?t = "
                     "<https://w3id.org/calcinosis-kb/ontology/IdiopathicCalcinosisCutis>) }")
    construct = runner.invoke(app, ["sparql", "--file", str(query)])
    idiopathic = [c for c in shipped.results if "idiopathic" in c.inferred_subtypes]
    assert idiopathic and construct.stdout.count("IdiopathicCalcinosisCutis") == len(idiopathic)


def test_store_rebuilt_only_when_files_change(kb_copy: Path, tmp_path: Path) -> None:
    env = {**os.environ, "CALCINOSIS_KB_CACHE": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "calcinosis_kb.cli", "query", "subtype-counts", "--kb", str(kb_copy)]

    def notice() -> bool:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        return "building the query store" in done.stderr

    assert notice() is True
    assert notice() is False
    case = kb_copy / "cases" / "amonkar2022.ttl"
    case.write_text(case.read_text() + "\n# a curator's edit\n")
    assert notice() is True


def test_concurrent_builds_leave_one_complete_store(kb_copy: Path, tmp_path: Path) -> None:
    env = {**os.environ, "CALCINOSIS_KB_CACHE": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "calcinosis_kb.cli", "query", "subtype-counts", "--kb", str(kb_copy),
               "--format", "csv"]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outputs = [r.communicate(timeout=300) for r in runs]
    assert all(r.returncode == 0 for r in runs), outputs
    assert outputs[0][0] == outputs[1][0]
    stores = list((tmp_path / "cache").glob("*/store-*"))
    assert len(stores) == 1 and (stores[0] / "COMPLETE").is_file()
    assert not list((tmp_path / "cache").glob("*/.building-*"))


def test_missing_and_ill_typed_parameters(runner: CliRunner, kb_copy: Path) -> None:
    (kb_copy / "queries" / "by-age.rq").write_text(
        "# title: Cases older than an age\n# description: test query\n# param: age integer - Minimum age\n"
        "PREFIX cckb: <https://w3id.org/calcinosis-kb/ontology/>\n"
        "SELECT ?age ?case WHERE { ?case cckb:hasPatient/cckb:ageInYears ?a . FILTER(?a >= ?age) }\n")
    missing = runner.invoke(app, ["query", "by-age", "--kb", str(kb_copy)])
    assert missing.exit_code == ExitCode.USAGE
    assert "query by-age needs --param age=VALUE (integer: Minimum age)" in missing.stderr
    ill_typed = runner.invoke(app, ["query", "by-age", "-p", "age=old", "--kb", str(kb_copy)])
    assert ill_typed.exit_code == ExitCode.USAGE
    assert "--param age='old' is not a valid integer" in ill_typed.stderr
    older = run_query(runner, "by-age", "-p", "age=80", "--kb", str(kb_copy))
    assert {r["case"] for r in older} == {"case:carrascosa2011"}


# Every named query's rows, worked out again in plain Python over the case files, the ontology
# and the reasoner's conclusions (the `shipped` inference): never read from the query store.

RDFS_LABEL, RDF_TYPE, SUBCLASS = RDFS.label, RDF.type, RDFS.subClassOf
Row = tuple[str | None, ...]


class Expected:
    """The asserted triples of the shipped knowledge base plus what the reasoner concluded."""

    def __init__(self, kb: KnowledgeBase, inference: Inference) -> None:
        self.graph = Graph()
        for path in kb.ontology_files + kb.case_files:
            self.graph.parse(path, format="turtle")
        self.graph += inference.inferred
        self.results = {URIRef(expand(r.case) or r.case): r for r in inference.results}
        words = {**SUBTYPE_WORDS, **PATTERN_WORDS}
        for case, result in self.results.items():
            for local, word in words.items():
                if word in result.inferred_subtypes + result.inferred_patterns:
                    self.graph.add((case, RDF_TYPE, CCKB[local]))

    def supers(self, cls: Node) -> set[Node]:
        """cls and every class above it (through rdfs:subClassOf, named or not)."""
        found, todo = {cls}, [cls]
        while todo:
            for parent in self.graph.objects(todo.pop(), SUBCLASS):
                if parent not in found:
                    found.add(parent)
                    todo.append(parent)
        return found

    def types(self, node: Node) -> set[Node]:
        asserted = set(self.graph.objects(node, RDF_TYPE))
        return asserted | {s for t in asserted for s in self.supers(t) if isinstance(s, URIRef)}

    def most_specific(self, node: Node) -> set[Node]:
        types = self.types(node)
        return {c for c in types if not any((t, SUBCLASS, c) in self.graph for t in types)}

    def labels(self, node: Node) -> list[str | None]:
        """The node's labels; [None] when it has none (an unbound OPTIONAL)."""
        return [str(label) for label in self.graph.objects(node, RDFS_LABEL)] or [None]

    def values(self, node: Node, *path: URIRef) -> list[str | None]:
        nodes: list[Node] = [node]
        for step in path:
            nodes = [o for n in nodes for o in self.graph.objects(n, step)]
        return [text(n) for n in nodes] or [None]

    def cases(self) -> list[URIRef]:
        return sorted(c for c in self.results if CCKB.CalcinosisCutis in self.types(c))

    def subtypes(self, case: Node) -> list[Node]:
        return [c for c in self.types(case) if (c, SUBCLASS, CCKB.EtiologicSubtype) in self.graph]

    def direct_subclasses(self, parent: URIRef) -> list[Node]:
        return sorted(self.graph.subjects(SUBCLASS, parent))

    def facts(self, case: Node, prop: URIRef) -> list[Node]:
        return list(self.graph.objects(case, prop))

    def kinds(self, fact: Node) -> list[str]:
        return [str(label) for c in self.most_specific(fact) for label in self.graph.objects(c, RDFS_LABEL)]


def text(term: Node | None) -> object:
    """A term as `--format json` gives it: an IRI as a CURIE, a numeric or boolean literal as a
    JSON number or boolean, any other literal as its text."""
    if term is None:
        return None
    if isinstance(term, URIRef):
        return curie(str(term)).strip("<>")
    if isinstance(term, Literal) and term.datatype is not None:
        return json_value(typed_text(str(term), str(term.datatype)))
    return str(term)


def count_rows(groups: dict[Row, set[Node]]) -> list[Row]:
    return [(*key, len(cases)) for key, cases in groups.items()]  # counts are JSON numbers


@pytest.fixture(scope="module")
def expected(kb: KnowledgeBase, shipped: Inference) -> Expected:
    return Expected(kb, shipped)


def rows_of(runner: CliRunner, name: str, *params: str) -> list[Row]:
    args = [arg for param in params for arg in ("-p", param)]
    rows = run_query(runner, name, *args)
    return sorted((tuple(row.values()) for row in rows), key=repr)


def same(actual: list[Row], wanted: list[Row] | set[Row]) -> None:
    assert actual == sorted(wanted, key=repr)


SUBTYPES = sorted(f"cckb:{local}" for local in SUBTYPE_WORDS)
PATTERNS = sorted(f"cckb:{local}" for local in PATTERN_WORDS)


def test_every_clinical_query_has_a_row_check() -> None:
    checked = {name.removeprefix("test_rows_").replace("_", "-") for name in globals() if name.startswith("test_rows_")}
    assert {p.stem for p in CLINICAL} <= checked


def test_rows_association_frequencies(runner: CliRunner, expected: Expected) -> None:
    g, wanted = expected.graph, set()
    for kind in (CCKB.AssociationFrequencyClaim, CCKB.SubtypeFrequencyClaim):
        for claim in {c for c in g.subjects(RDF_TYPE, None) if kind in expected.types(c)}:
            for statement, quote, source in product(g.objects(claim, CCKB.statement), g.objects(claim, CCKB.quote),
                                                    expected.values(claim, DCTERMS.source, RDFS_LABEL)):
                for low, high in product(expected.values(claim, CCKB.percentLow),
                                         expected.values(claim, CCKB.percentHigh)):
                    wanted.add((text(claim), str(statement), low, high, source, str(quote)))
    assert wanted
    same(rows_of(runner, "association-frequencies"), wanted)


def test_rows_case_evidence(runner: CliRunner, expected: Expected) -> None:
    g = expected.graph
    for node in expected.cases():
        case, wanted = text(node) or "", []
        for prop, fact in g.predicate_objects(node):
            if isinstance(fact, URIRef) and not str(fact).startswith(str(CCKB)):
                for prop_label, quote, kind in product(g.objects(prop, RDFS_LABEL), g.objects(fact, CCKB.quote),
                                                       expected.kinds(fact) or [None]):
                    wanted.append((case, str(prop_label), text(fact), kind, str(quote)))
        assert wanted, case
        same(rows_of(runner, "case-evidence", f"case={case}"), wanted)


@pytest.mark.parametrize("pattern", [*PATTERNS, "cckb:MorphologicPattern"])  # a parent: every pattern
def test_rows_cases_by_pattern(runner: CliRunner, expected: Expected, pattern: str) -> None:
    node = URIRef(expand(pattern) or pattern)
    wanted = {(text(case), label, subtype)
              for case in expected.cases() if node in expected.types(case)
              for label in expected.labels(case)
              for subtype in [s for c in expected.subtypes(case) for s in expected.labels(c)] or [None]}
    same(rows_of(runner, "cases-by-pattern", f"pattern={pattern}"), wanted)


@pytest.mark.parametrize("subtype", [*SUBTYPES, "cckb:EtiologicSubtype"])  # a parent: every subtype
def test_rows_cases_by_subtype(runner: CliRunner, expected: Expected, subtype: str) -> None:
    node = URIRef(expand(subtype) or subtype)
    wanted = {(subtype, text(case), label, source, authors)
              for case in expected.cases() if node in expected.types(case)
              for label in expected.labels(case)
              for source in expected.values(case, CCKB.hasSource, RDFS_LABEL)
              for authors in expected.values(case, CCKB.hasAuthorsDiagnosis, CCKB.statedSubtype, RDFS_LABEL)}
    same(rows_of(runner, "cases-by-subtype", f"subtype={subtype}"), wanted)


def test_rows_conditions_with_counts(runner: CliRunner, expected: Expected) -> None:
    groups: dict[Row, set[Node]] = {}
    for case in expected.cases():
        for fact in expected.facts(case, CCKB.hasCondition):
            for kind in expected.kinds(fact) if CCKB.Condition in expected.types(fact) else []:
                groups.setdefault((kind,), set()).add(case)
    same(rows_of(runner, "conditions-with-counts"), count_rows(groups))


def test_rows_conflicting_claims(runner: CliRunner, expected: Expected) -> None:
    g, wanted = expected.graph, set()
    for claim, other in g.subject_objects(CCKB.conflictsWith):
        if str(claim) < str(other):
            wanted |= set(product([text(claim)], expected.values(claim, CCKB.statement),
                                  expected.values(claim, DCTERMS.source, RDFS_LABEL), [text(other)],
                                  expected.values(other, CCKB.statement),
                                  expected.values(other, DCTERMS.source, RDFS_LABEL)))
    assert wanted
    same(rows_of(runner, "conflicting-claims"), wanted)


@pytest.mark.parametrize("words", ["thigh", "Calcinosis", "SYSTEMIC SCLEROSIS", "no such words"])
def test_rows_find_cases(runner: CliRunner, expected: Expected, words: str) -> None:
    wanted = [(words, text(case), label) for case in expected.cases() for label in expected.labels(case)
              if label is not None and words.lower() in label.lower()]
    same(rows_of(runner, "find-cases", f"text={words}"), wanted)


def test_rows_imaging_findings(runner: CliRunner, expected: Expected) -> None:
    wanted = [(text(case), kind, finding)
              for case in expected.cases() for fact in expected.facts(case, CCKB.hasImaging)
              if CCKB.ImagingStudy in expected.types(fact)
              for kind in expected.kinds(fact) for finding in expected.values(fact, CCKB.findingText)]
    assert wanted
    same(rows_of(runner, "imaging-findings"), wanted)


def test_rows_lab_profile_by_subtype(runner: CliRunner, expected: Expected) -> None:
    g, groups = expected.graph, {}
    for case in expected.cases():
        for subtype, fact in product(expected.subtypes(case), expected.facts(case, CCKB.hasLabResult)):
            tests = [c for c in expected.types(fact) if (c, SUBCLASS, CCKB.LabResult) in g]
            for key in product(expected.labels(subtype), [t for c in tests for t in expected.labels(c)],
                               expected.values(fact, CCKB.hasInterpretation, RDFS_LABEL)):
                groups.setdefault(key, set()).add(case)
    assert groups
    same(rows_of(runner, "lab-profile-by-subtype"), count_rows(groups))


def test_rows_lesion_sites_by_subtype(runner: CliRunner, expected: Expected) -> None:
    groups: dict[Row, set[Node]] = {}
    for case in expected.cases():
        sites = [s for s in expected.values(case, CCKB.hasLesion, CCKB.hasSite) if s is not None]
        for subtype, site in product(expected.subtypes(case), sites):
            for key in product(expected.labels(subtype), expected.labels(URIRef(expand(site) or site))):
                groups.setdefault(key, set()).add(case)
    assert groups
    same(rows_of(runner, "lesion-sites-by-subtype"), count_rows(groups))


def test_rows_subtype_counts(runner: CliRunner, expected: Expected) -> None:
    groups: dict[Row, set[Node]] = {}
    for subtype in expected.direct_subclasses(CCKB.EtiologicSubtype):
        for label in expected.labels(subtype):
            groups[(label,)] = {c for c in expected.cases() if subtype in expected.types(c)}
    same(rows_of(runner, "subtype-counts"), count_rows(groups))
    assert sum(int(r[1] or 0) for r in rows_of(runner, "subtype-counts")) == \
        sum(len(r.inferred_subtypes) for r in expected.results.values())


def test_rows_subtype_definitions(runner: CliRunner, expected: Expected) -> None:
    g, wanted = expected.graph, set()
    for parent in (CCKB.EtiologicSubtype, CCKB.MorphologicPattern):
        for cls in expected.direct_subclasses(parent):
            wanted |= {row for row in product(expected.labels(parent), [text(cls)],
                                              [str(x) for x in g.objects(cls, RDFS_LABEL)],
                                              [str(x) for x in g.objects(cls, DEFINITION)],
                                              expected.values(cls, DCTERMS.source, RDFS_LABEL))}
    assert len({row[1] for row in wanted}) == len(SUBTYPES) + len(PATTERNS)
    same(rows_of(runner, "subtype-definitions"), wanted)


def test_rows_subtype_disagreements(runner: CliRunner, expected: Expected) -> None:
    g, wanted = expected.graph, []
    for case in expected.cases():
        for stated in expected.facts(case, CCKB.hasAuthorsDiagnosis):
            for subtype in g.objects(stated, CCKB.statedSubtype):
                if subtype not in expected.types(case):
                    wanted += [(text(case), str(label)) for label in g.objects(subtype, RDFS_LABEL)]
    disagreeing = {r.case for r in expected.results.values() if r.agrees is False}
    assert {row[0] for row in wanted} == disagreeing  # the reasoner's own verdict, read another way
    same(rows_of(runner, "subtype-disagreements"), wanted)


def test_rows_surgical_excision_outcomes(runner: CliRunner, expected: Expected) -> None:
    wanted = set()
    for case in expected.cases():
        for fact, procedure in product(expected.facts(case, CCKB.hasTreatment),
                                       (CCKB.SurgicalExcision, CCKB.Debridement)):
            if procedure in expected.types(fact):
                wanted |= set(product(
                    [text(case)], expected.labels(procedure), expected.values(case, CCKB.hasLesion, CCKB.sizeText),
                    expected.values(fact, CCKB.hasOutcome, RDFS_LABEL),
                    [s for c in expected.subtypes(case) for s in expected.labels(c)] or [None]))
    assert wanted
    same(rows_of(runner, "surgical-excision-outcomes"), wanted)


def test_rows_treatment_doses(runner: CliRunner, expected: Expected) -> None:
    g, wanted = expected.graph, []
    for claim in {c for c in g.subjects(RDF_TYPE, None) if CCKB.TreatmentClaim in expected.types(c)}:
        wanted += list(product(expected.values(claim, CCKB.aboutTreatment, RDFS_LABEL),
                               expected.values(claim, CCKB.doseText), expected.values(claim, CCKB.statement),
                               expected.values(claim, DCTERMS.source, RDFS_LABEL)))
    assert wanted
    same(rows_of(runner, "treatment-doses"), wanted)


def treatment_rows(expected: Expected, case: URIRef) -> list[tuple[str, str | None, str | None]]:
    return [(kind, dose, outcome)
            for fact in expected.facts(case, CCKB.hasTreatment) if CCKB.Treatment in expected.types(fact)
            for kind in expected.kinds(fact)
            for dose in expected.values(fact, CCKB.doseText)
            for outcome in expected.values(fact, CCKB.hasOutcome, RDFS_LABEL)]


@pytest.mark.parametrize("condition", ["cckb:SystemicSclerosis", "cckb:ConnectiveTissueDisease", "cckb:Condition"])
@pytest.mark.parametrize("subtype", ["cckb:DystrophicCalcinosisCutis", "cckb:MetastaticCalcinosisCutis"])
def test_rows_treatments_by_subtype_and_condition(runner: CliRunner, expected: Expected, subtype: str,
                                                  condition: str) -> None:
    subtype_node, condition_node = URIRef(expand(subtype) or subtype), URIRef(expand(condition) or condition)
    wanted = {(subtype, condition, text(case), *row)
              for case in expected.cases() if subtype_node in expected.types(case)
              if any(condition_node in expected.types(c) for c in expected.facts(case, CCKB.hasCondition))
              for row in treatment_rows(expected, case)}
    same(rows_of(runner, "treatments-by-subtype-and-condition", f"subtype={subtype}", f"condition={condition}"),
         wanted)


@pytest.mark.parametrize("subtype", SUBTYPES)
def test_rows_treatments_by_subtype(runner: CliRunner, expected: Expected, subtype: str) -> None:
    node = URIRef(expand(subtype) or subtype)
    wanted = {(subtype, text(case), *row)
              for case in expected.cases() if node in expected.types(case) for row in treatment_rows(expected, case)}
    same(rows_of(runner, "treatments-by-subtype", f"subtype={subtype}"), wanted)


def test_rows_undetermined_cases(runner: CliRunner, expected: Expected) -> None:
    wanted = [(text(case), label) for case in expected.cases() if not expected.subtypes(case)
              for label in expected.labels(case)]
    assert {row[0] for row in wanted} == {r.case for r in expected.results.values() if not r.inferred_subtypes}
    same(rows_of(runner, "undetermined-cases"), wanted)


@pytest.mark.parametrize("path", QUERIES, ids=[p.stem for p in QUERIES])
def test_order_applied_in_python_is_pyoxigraphs(kb: KnowledgeBase, path: Path) -> None:
    query = load_queries([path])[path.stem]
    store = open_store(kb)
    assert split_order(query.text) is not None, f"{path.name}: end with ORDER BY on plain variables"
    mine = run_local(store, query.text, bind(query, {}))
    engine = run_local(store, query.text, bind(query, {}), sort_here=False)
    assert mine == engine


def test_order_left_to_the_engine_when_sparql_does_not_fix_it() -> None:
    import pyoxigraph

    assert split_order("SELECT ?a WHERE { ?a ?b ?c } ORDER BY ?a LIMIT 3") is None
    assert split_order("SELECT ?a WHERE { ?a ?b ?c } ORDER BY STR(?a)") is None
    assert split_order("SELECT ?a WHERE { ?a ?b ?c } LIMIT 3 ORDER BY ?a") is None
    text, conditions = split_order("SELECT ?a ?n WHERE { ?a ?b ?n }\nORDER BY DESC(?n) ?a\n# done\n") or ("", [])
    assert conditions == [("n", True), ("a", False)] and "ORDER" not in text
    iri, number, word = (pyoxigraph.NamedNode("https://example.org/x"), pyoxigraph.Literal("2", datatype=pyoxigraph.
                         NamedNode("http://www.w3.org/2001/XMLSchema#integer")), pyoxigraph.Literal("b"))
    assert order_solutions([[number], [word]], ["v"], [("v", False)]) is None  # numbers beside strings
    assert order_solutions([[pyoxigraph.BlankNode()], [iri]], ["v"], [("v", False)]) is None
    assert order_solutions([[iri], [None]], ["v"], [("w", False)]) is None  # not projected
    assert order_solutions([[word], [None], [iri]], ["v"], [("v", True)]) == [[word], [iri], [None]]


def test_rows_are_converted_column_by_column() -> None:
    """A row with no columns is still a row; an IRI repeated down a column comes out the same each time."""
    import pyoxigraph

    store = pyoxigraph.Store()
    assert run_local(store, "SELECT * WHERE {}").rows == [{}]
    case = "https://w3id.org/calcinosis-kb/case/a"
    store.add(pyoxigraph.Quad(pyoxigraph.NamedNode(case), pyoxigraph.NamedNode(str(RDF.type)),
                              pyoxigraph.NamedNode(str(CCKB.CalcinosisCutis))))
    answer = run_local(store, "SELECT ?case ?class ?none WHERE { VALUES ?n { 1 2 } ?case a ?class } ORDER BY ?case")
    assert answer.rows == [{"case": curie(case), "class": "cckb:CalcinosisCutis", "none": None}] * 2


def test_syntax_error_in_a_parameterised_query_names_the_files_own_line(runner: CliRunner, kb_copy: Path) -> None:
    """Binding a parameter must not move the line a syntax error is reported at."""
    query = kb_copy / "queries" / "broken.rq"
    query.write_text(
        "# title: Cases older than an age\n# description: test query\n# param: age integer 1 Minimum age\n"
        "PREFIX cckb: <https://w3id.org/calcinosis-kb/ontology/>\n"
        "\n# cases and their patients\n"
        "SELECT ?case WHERE {\n"
        "  ?case cckb:hasPatient ?patient .\n"
        "  { SELECT ?patient ?years WHERE { ?patient cckb:ageInYears ?years } }\n"
        "  FILTER(?years >= ?age\n"
        "}\n")
    named = runner.invoke(app, ["query", "broken", "--kb", str(kb_copy)])
    plain = runner.invoke(app, ["sparql", "--file", str(query), "--kb", str(kb_copy)])
    assert named.exit_code == plain.exit_code == ExitCode.USAGE
    position = re.compile(r"at (\d+):")
    named_line, plain_line = (position.search(r.stderr) for r in (named, plain))
    assert named_line and plain_line, (named.stderr, plain.stderr)
    assert named_line.group(1) == plain_line.group(1) == "11"


def test_values_go_into_where_groups_only() -> None:
    """A `WHERE {` inside a string or a comment is text, not a group, and a `#` inside an IRI starts no
    comment; the lines stay where they were."""
    text = ('# WHERE { in a comment\n\nSELECT ?s FROM <https://example.org/g#1> WHERE {\n'
            '  ?s ?p "say WHERE { here" , """long WHERE {\n text""" , \'WHERE {\' .\n'
            '  { SELECT ?s where\n{ ?s ?p ?o } }\n}\n')
    bound = with_values(text, {"who": "<https://example.org/x>"})
    block = "VALUES (?who) { (<https://example.org/x>) }"
    assert bound.count(block) == 2
    assert bound.replace(f" {block} ", "") == text
    assert bound.splitlines()[2] == "SELECT ?s FROM <https://example.org/g#1> WHERE { " + block + " "
    with pytest.raises(UsageError, match="needs a WHERE clause"):
        with_values('ASK { ?s ?p "WHERE {" }', {"who": "<https://example.org/x>"})
