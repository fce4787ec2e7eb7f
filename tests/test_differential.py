"""The differential (established / possible / excluded, the next test, the primary subtype), the
explanation defects of issue 13, and fidelity to the authors' subtypes on the corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from calcinosis_kb.cli import app
from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.quality.fidelity import fidelity
from calcinosis_kb.reasoning.classify import CaseResult, Inference
from calcinosis_kb.reasoning.infer import infer

from .conftest import DATA

HEADER = """@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix cckb: <https://w3id.org/calcinosis-kb/ontology/> .
@prefix src:  <https://w3id.org/calcinosis-kb/source/> .
@prefix case: <https://w3id.org/calcinosis-kb/case/> .
"""


def one(kb: KnowledgeBase, tmp_path: Path, body: str) -> CaseResult:
    path = tmp_path / "case.ttl"
    path.write_text(HEADER + body)
    inference = infer(kb, [path])
    assert not inference.errors, inference.errors
    [result] = inference.results
    return result


def by_name(inference: Inference) -> dict[str, CaseResult]:
    return {r.case.removeprefix("case:"): r for r in inference.results}


def test_every_case_has_a_differential_placing_every_subtype(shipped: Inference) -> None:
    for result in shipped.results:
        differential = result.differential
        groups = [differential["established"], differential["possible"], differential["excluded"]]
        placed = [s for group in groups for s in group]  # type: ignore[union-attr]
        assert sorted(placed) == sorted(["calciphylaxis", "dystrophic", "iatrogenic", "idiopathic", "metastatic"])
        assert differential["established"] == result.inferred_subtypes or \
            set(differential["established"]) == set(result.inferred_subtypes)  # type: ignore[arg-type]


def test_the_differential_is_in_the_text_and_json_output(runner: CliRunner) -> None:
    path = DATA / "cases" / "trap-open-world.ttl"
    text = runner.invoke(app, ["infer", str(path)])
    assert text.exit_code == 0 and "differential:" in text.stdout and "next test:" in text.stdout
    data = json.loads(runner.invoke(app, ["infer", str(path), "--format", "json"]).stdout)
    assert {"established", "possible", "excluded", "primary", "next_test", "subtypes"} <= set(data[0]["differential"])


def test_an_explicit_absence_excludes_through_the_reasoner(kb: KnowledgeBase, tmp_path: Path) -> None:
    result = one(kb, tmp_path, """
case:x a cckb:CalcinosisCutis ; rdfs:label "x" ; cckb:hasFinding case:x-none .
case:x-none a cckb:NoKnownTissueInjury ; cckb:quote "no history of trauma or systemic disease" .
""")
    assert "dystrophic" in result.differential["excluded"]  # type: ignore[operator]
    [placement] = [p for p in result.differential["subtypes"] if p["subtype"] == "dystrophic"]  # type: ignore[union-attr,index]
    assert "no history of trauma or systemic disease" in placement["excluded_by"][0]["quotes"]


def test_the_next_test_separates_the_possible_subtypes(kb: KnowledgeBase, tmp_path: Path) -> None:
    result = one(kb, tmp_path, """
case:x a cckb:CalcinosisCutis ; rdfs:label "x" ; cckb:hasFinding case:x-none .
case:x-none a cckb:NoKnownTissueInjury ; cckb:quote "no history of trauma or systemic disease" .
""")
    next_test = result.differential["next_test"]
    assert isinstance(next_test, dict)
    assert set(next_test["separates"]) >= {"idiopathic", "metastatic"}
    assert next_test["message"].endswith("would separate idiopathic from metastatic")


def test_a_local_cause_is_primary_over_a_distant_disease(fixtures_inference: Inference) -> None:
    result = by_name(fixtures_inference)["fx-extravasation"]
    assert set(result.inferred_subtypes) == {"iatrogenic", "dystrophic"}
    assert result.differential["primary"] == "iatrogenic"


def test_the_reading_applied_is_named(shipped: Inference) -> None:
    chung = by_name(shipped)["chung2016"]
    [iatrogenic] = [p for p in chung.differential["subtypes"] if p["subtype"] == "iatrogenic"]  # type: ignore[union-attr,index]
    assert "broad reading" in iatrogenic["reading"] and "Amonkar 2022" in iatrogenic["reading"]


# --- the explanation defects ------------------------------------------------------------------------


def test_one_denied_branch_of_an_either_or_definition_is_not_ruled_out(kb: KnowledgeBase, tmp_path: Path) -> None:
    result = one(kb, tmp_path, """
case:x a cckb:CalcinosisCutis ; rdfs:label "x" ; cckb:hasFinding case:x-none .
case:x-none a cckb:NoMineralMetabolismDisorder ; cckb:quote "no disorder of mineral metabolism" .
""")
    statuses = {s["status"] for s in result.why_not["metastatic"]}
    assert statuses == {"unmet"}
    assert "metastatic" in result.differential["possible"]  # type: ignore[operator]
    assert any("metastatic" in m["needed_for"] for m in result.missing)  # consistent: still decidable


def test_an_undetermined_case_is_not_said_to_disagree(runner: CliRunner, kb: KnowledgeBase) -> None:
    jatana = next(p for p in kb.case_files if p.stem == "jatana2012")
    text = runner.invoke(app, ["infer", str(jatana), "--no-explain"]).stdout
    line = next(line for line in text.splitlines() if line.startswith("authors' subtype"))
    assert "undetermined" in line and "disagrees" not in line


def test_the_audit_counts_cases_without_an_authors_subtype_apart(runner: CliRunner) -> None:
    audit = json.loads(runner.invoke(app, ["audit", "--format", "json"]).stdout)
    rows = {r["case"]: r for r in audit["cases"]}
    amonkar = rows["case:amonkar2022"]  # no subtype stated, none inferred
    assert amonkar["authors_subtypes"] == [] and amonkar["status"] == "no authors' subtype"
    assert audit["summary"]["undetermined"] == sum(1 for r in audit["cases"] if r["authors_subtypes"]
                                                   and not r["inferred_subtypes"])


def test_a_generic_fact_is_named_by_its_words(kb: KnowledgeBase, tmp_path: Path) -> None:
    result = one(kb, tmp_path, """
case:x a cckb:CalcinosisCutis ; rdfs:label "x" ; cckb:hasCondition case:x-c .
case:x-c a cckb:Condition ; cckb:quote "a long-standing illness of the liver" .
""")
    details = " ".join(s["detail"] for s in result.why_not["dystrophic"])
    assert 'condition "a long-standing illness of the liver"' in details


def test_the_product_cites_only_calcium_and_phosphate(kb: KnowledgeBase, tmp_path: Path) -> None:
    result = one(kb, tmp_path, """
case:x a cckb:CalcinosisCutis ; rdfs:label "x" ; cckb:hasLabResult case:x-ca , case:x-p , case:x-crp .
case:x-ca a cckb:SerumCalciumResult ; cckb:numericValue 10 ; cckb:unit "mg/dL" ; cckb:quote "calcium 10 mg/dL" .
case:x-p a cckb:SerumPhosphateResult ; cckb:numericValue 8 ; cckb:unit "mg/dL" ; cckb:quote "phosphate 8 mg/dL" .
case:x-crp a cckb:CReactiveProteinResult ; cckb:numericValue 5 ; cckb:unit "mg/dL" ; cckb:quote "CRP 5 mg/dL" .
""")
    [product] = [e for e in result.why["metastatic"] if "calcium-phosphate product" in str(e["requirement"])]
    assert product["quotes"] == ["calcium 10 mg/dL", "phosphate 8 mg/dL"]


# --- fidelity -----------------------------------------------------------------------------------------


def test_fidelity_to_the_authors_meets_its_targets(shipped: Inference) -> None:
    report = fidelity(shipped)
    assert len(report.cases) >= 24
    assert report.inclusion >= 0.90, [c.as_dict() for c in report.cases if not c.inclusion]
    assert report.unexplained == []


@pytest.mark.parametrize(("case", "subtype"), [
    ("miura2017", "calciphylaxis"),  # diagnosed clinically on dialysis
    ("bishop2010", "calciphylaxis"),  # nonuremic, on histology
    ("maroulis2006", "calciphylaxis"),  # biopsy reported as confirming it
    ("chung2016", "iatrogenic"),  # extravasated anticancer drugs
    ("sinha2021", "metastatic"),  # tumour lysis, in the authors' words
    ("rumancik-nd", "metastatic"),  # a high Ca x P product in words
])
def test_revised_definitions_reach_the_authors_subtype(shipped: Inference, case: str, subtype: str) -> None:
    assert subtype in by_name(shipped)[case].inferred_subtypes


def test_renal_failure_with_gangrene_alone_stays_outside_calciphylaxis(shipped: Inference) -> None:
    assert "calciphylaxis" not in by_name(shipped)["mcgillen-nd"].inferred_subtypes
