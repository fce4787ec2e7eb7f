"""Named queries: documented, runnable, right against the case files, safe with any parameter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph
from typer.testing import CliRunner

from calcinosis_kb.cli import app
from calcinosis_kb.errors import ExitCode
from calcinosis_kb.infer import Inference
from calcinosis_kb.kbdir import KnowledgeBase
from calcinosis_kb.namespaces import CCKB
from calcinosis_kb.queries import load_queries
from calcinosis_kb.querydocs import render

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
        "regenerate: python -m calcinosis_kb.querydocs > docs/queries.md"


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


def test_treatments_in_dystrophic_systemic_sclerosis(runner: CliRunner) -> None:
    rows = run_query(runner, "treatments-by-subtype-and-condition", "-p", "condition=cckb:SystemicSclerosis")
    assert {"case:bender2024"} == {r["case"] for r in rows}
    assert {"methotrexate", "colchicine"} <= {r["treatment"] for r in rows if r["outcome"] == "refractory"}


def test_conditions_counted_as_in_case_files(runner: CliRunner) -> None:
    counts = {r["condition"]: int(r["cases"]) for r in run_query(runner, "conditions-with-counts")}
    assert counts["mixed connective tissue disease"] == 1
    assert counts["juvenile dermatomyositis"] == 2


def test_string_parameter_cannot_inject(runner: CliRunner) -> None:
    assert run_query(runner, "find-cases", "-p", "text=thigh")
    attack = 'x")) } SELECT ?case WHERE { ?case ?p ?o } #'
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


def test_sparql_select_ask_construct(runner: CliRunner, tmp_path: Path) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?c a <https://w3id.org/calcinosis-kb/ontology/CalcinosisCutis> }"
    select = runner.invoke(app, ["sparql", "--format", "json", count])
    assert int(json.loads(select.stdout)[0]["n"]) >= 12
    ask = runner.invoke(app, ["sparql", "ASK { ?c a <https://w3id.org/calcinosis-kb/ontology/Calciphylaxis> }"])
    assert ask.stdout.strip() == "false"
    query = tmp_path / "q.rq"
    query.write_text("CONSTRUCT { ?c a ?t } WHERE { ?c a ?t . FILTER(?t = "
                     "<https://w3id.org/calcinosis-kb/ontology/IdiopathicCalcinosisCutis>) }")
    construct = runner.invoke(app, ["sparql", "--file", str(query)])
    assert construct.stdout.count("IdiopathicCalcinosisCutis") == 3


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
