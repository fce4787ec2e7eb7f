"""The ontology artefact itself: loads cleanly in owlready2 and rdflib; lab normalisation
(units by molar mass, reference ranges, Ca x P) feeds the reasoner; the case template only
uses defined terms."""

from __future__ import annotations

import warnings
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import Graph

from calcinosis_kb.knowledgebase.loading import load_ontology
from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.knowledgebase.namespaces import CCKB
from calcinosis_kb.knowledgebase.normalise import convert
from calcinosis_kb.reasoning.infer import infer

from .conftest import ROOT

CASE = """@prefix cckb: <https://w3id.org/calcinosis-kb/ontology/> .
@prefix case: <https://w3id.org/calcinosis-kb/case/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
case:labs a cckb:CalcinosisCutis ; rdfs:label "labs" ;
    cckb:hasLabResult case:labs-ca , case:labs-p .
case:labs-ca a cckb:SerumCalciumResult ; cckb:numericValue {ca} ; cckb:unit "{unit}" ; cckb:quote "calcium" .
case:labs-p a cckb:SerumPhosphateResult ; cckb:numericValue {p} ; cckb:unit "{unit}" ; cckb:quote "phosphate" .
"""


def test_rdflib_parses_every_part_without_warnings() -> None:
    for path in (ROOT / "ontology").glob("*.ttl"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            Graph().parse(path)


def test_owlready2_loads_without_warnings(tmp_path: Path) -> None:
    import owlready2

    merged = tmp_path / "merged.nt"
    load_ontology(KnowledgeBase.locate(ROOT)).serialize(str(merged), format="nt", encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        world = owlready2.World()
        ontology = world.get_ontology(merged.as_uri()).load()
    assert not caught, [str(w.message) for w in caught]
    assert ontology.search_one(iri=str(CCKB.DystrophicCalcinosisCutis)) is not None


def test_unit_conversion_by_molar_mass() -> None:
    assert convert(Decimal("2.5"), "mmol/L", "mg/dL", "Ca").quantize(Decimal("0.01")) == Decimal("10.02")
    assert convert(Decimal("10.02"), "mg/dL", "mmol/L", "Ca").quantize(Decimal("0.01")) == Decimal("2.50")
    assert convert(Decimal("3.1"), "mg/dl", "mg/dL", "P") == Decimal("3.1")
    with pytest.raises(ValueError):
        convert(Decimal("1"), "furlongs", "mg/dL", "Ca")


@pytest.mark.parametrize(
    ("ca", "p", "unit", "metastatic"),
    [
        ("2.75", "2.2", "mmol/L", True),  # 11.02 mg/dL x 6.81 mg/dL = 75.1 > 70
        ("2.75", "2.0", "mmol/L", False),  # 11.02 x 6.19 = 68.2
        ("11.0", "7.0", "mg/dL", True),
    ],
)
def test_product_from_converted_values(tmp_path: Path, ca: str, p: str, unit: str, metastatic: bool) -> None:
    case = tmp_path / "labs.ttl"
    case.write_text(CASE.format(ca=ca, p=p, unit=unit))
    [result] = infer(KnowledgeBase.locate(ROOT), [case]).results
    assert ("metastatic" in result.inferred_subtypes) is metastatic


def test_reference_range_interprets_a_bare_value(kb_copy: Path, tmp_path: Path) -> None:
    """No source gives a reference range, so the shipped ontology states none; where one is
    stated (here in a test copy), a bare number is interpreted against it before reasoning."""
    (kb_copy / "ontology" / "ranges.ttl").write_text(
        "@prefix cckb: <https://w3id.org/calcinosis-kb/ontology/> .\n"
        "cckb:SerumCalciumResult cckb:referenceRangeLow 8.5 ; cckb:referenceRangeHigh 10.5 .\n")
    high, normal = tmp_path / "high.ttl", tmp_path / "normal.ttl"
    high.write_text(CASE.format(ca="12.0", p="2.0", unit="mg/dL"))
    normal.write_text(CASE.format(ca="9.0", p="2.0", unit="mg/dL").replace("case:labs", "case:labs2"))
    results = {r.case: r for r in infer(KnowledgeBase.locate(kb_copy), [high, normal]).results}
    assert results["case:labs"].inferred_subtypes == ["metastatic"]
    assert results["case:labs2"].inferred_subtypes == []
    assert any("high" in str(e["label"]) and "12.0 mg/dL" in str(e["label"])
               for e in results["case:labs"].why["metastatic"])


def test_case_template_uses_only_defined_terms() -> None:
    template = Graph().parse(ROOT / "docs" / "case-template.ttl")
    defined = {s for s in load_ontology(KnowledgeBase.locate(ROOT)).subjects() if str(s).startswith(str(CCKB))}
    used = {t for triple in template for t in triple if str(t).startswith(str(CCKB))}
    assert not used - defined, sorted(used - defined)


def test_no_two_terms_share_a_definition(kb: KnowledgeBase) -> None:
    """ROBOT report's duplicate_definition check: each definition says what sets its term apart."""
    from collections import defaultdict

    from calcinosis_kb.knowledgebase.namespaces import DEFINITION

    terms: dict[str, list[str]] = defaultdict(list)
    for term, text in load_ontology(kb).subject_objects(DEFINITION):
        terms[str(text).strip().lower()].append(str(term))
    assert [sorted(t) for t in terms.values() if len(t) > 1] == []
