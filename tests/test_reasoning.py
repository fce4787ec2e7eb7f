"""The reasoner classifies each fixture as its header says, through the ontology's axioms."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import RDF

from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.knowledgebase.namespaces import CCKB, curie
from calcinosis_kb.reasoning.classify import Inference
from calcinosis_kb.reasoning.infer import infer

from .conftest import DATA, by_case

FIXTURES = sorted((DATA / "cases").glob("*.ttl"))


def expectations(path: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for key, value in re.findall(r"^# (expect-[a-z-]+):(.*)$", path.read_text(), flags=re.M):
        found[key] = set(value.split())
    return found


def case_of(path: Path) -> str:
    graph = Graph().parse(path)
    return curie(str(next(graph.subjects(RDF.type, CCKB.CalcinosisCutis))))


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_fixture_classified_as_expected(path: Path, fixtures_inference: Inference) -> None:
    expected = expectations(path)
    result = by_case(fixtures_inference)[case_of(path)]
    inferred = set(result["inferred_subtypes"])  # type: ignore[arg-type]
    assert expected.get("expect-subtypes", set()) <= inferred, result["why_not"]
    assert not (expected.get("expect-not-subtypes", set()) & inferred), result["why"]
    if "expect-patterns" in expected:
        assert expected["expect-patterns"] <= set(result["inferred_patterns"])  # type: ignore[arg-type]


def test_every_fixture_states_its_expectation() -> None:
    for path in FIXTURES:
        assert "expect-subtypes" in expectations(path), f"{path.name} has no '# expect-subtypes:' line"


def test_definition_change_changes_result(kb_copy: Path) -> None:
    """No subtype decision lives in Python: adding kidney disease to the metastatic definition
    in the ontology makes the renal-failure trap metastatic."""
    fixture = DATA / "cases" / "trap-renal-failure-normal-calcium.ttl"
    before = by_case(infer(KnowledgeBase.locate(kb_copy), [fixture]))["case:fx-trap-renal"]
    assert "metastatic" not in before["inferred_subtypes"]  # type: ignore[operator]
    ontology = kb_copy / "ontology" / "calcinosis-kb.ttl"
    text = ontology.read_text()
    marker = ("[ a owl:Restriction ; owl:onProperty cckb:hasCondition ; "
              "owl:someValuesFrom cckb:MineralMetabolismDisorder ]")
    assert marker in text
    ontology.write_text(text.replace(marker, marker + "\n [ a owl:Restriction ; owl:onProperty cckb:hasCondition ;"
                                     " owl:someValuesFrom cckb:KidneyDisease ]", 1))
    after = by_case(infer(KnowledgeBase.locate(kb_copy), [fixture]))["case:fx-trap-renal"]
    assert "metastatic" in after["inferred_subtypes"]  # type: ignore[operator]
    assert any("kidney disease" in str(e["requirement"]) for e in after["why"]["metastatic"])  # type: ignore[index]


def test_explanations_cite_recorded_facts(fixtures_inference: Inference) -> None:
    result = by_case(fixtures_inference)["case:fx-idiopathic"]
    facts = {e["fact"] for e in result["why"]["idiopathic"]}  # type: ignore[index]
    assert facts == {"case:fx-idiopathic-noinjury", "case:fx-idiopathic-ca", "case:fx-idiopathic-p"}
    ruled_out = result["why_not"]["dystrophic"]  # type: ignore[index]
    assert ruled_out[0]["status"] == "ruled out" and "no underlying tissue injury" in ruled_out[0]["detail"]


def test_calcium_phosphate_product_is_computed(fixtures_inference: Inference) -> None:
    result = by_case(fixtures_inference)["case:fx-product"]
    assert result["inferred_subtypes"] == ["metastatic"]
    assert "77" in str(result["why"]["metastatic"])  # type: ignore[index]
    assert (None, CCKB.calciumPhosphateProduct, None) in fixtures_inference.inferred


def test_every_inferred_subtype_of_a_fixture_has_evidence(fixtures_inference: Inference) -> None:
    for result in fixtures_inference.results:
        for name in result.inferred_subtypes + result.inferred_patterns:
            assert result.why.get(name), f"{result.case}: {name} inferred but no fact found to show it"
