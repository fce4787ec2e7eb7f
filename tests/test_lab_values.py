"""Lab values as reports print them: any UCUM unit that converts (meq/L, pg/dL, µmol/L), value
ranges, the report's own reference range judged before the ontology's, values given only in words,
and ages in months, days or approximately."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from typer.testing import CliRunner

from calcinosis_kb.cli import app
from calcinosis_kb.knowledgebase.errors import ExitCode
from calcinosis_kb.knowledgebase.loading import load_ontology
from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.knowledgebase.namespaces import CASE, CCKB
from calcinosis_kb.knowledgebase.normalise import convert, normalise

CASE_FILE = """@prefix cckb: <https://w3id.org/calcinosis-kb/ontology/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix src:  <https://w3id.org/calcinosis-kb/source/> .
@prefix case: <https://w3id.org/calcinosis-kb/case/> .

case:lab-x a cckb:CalcinosisCutis ;
    rdfs:label "lab value fixture" ;
    cckb:hasSource src:carrascosa2011 ;
    cckb:hasPatient case:lab-x-patient ;
    cckb:hasLabResult case:lab-x-result .

case:lab-x-patient a cckb:Patient ;
    {patient}
    cckb:quote "An 87-year-old woman" .

case:lab-x-result a cckb:{test} ;
    {facts} ;
    cckb:quote "Her serum level of calcium" .
"""
RESULT = CASE["lab-x-result"]


def case_file(tmp_path: Path, test: str, facts: str, patient: str = "cckb:ageInYears 87 ;") -> Path:
    path = tmp_path / "lab-x.ttl"
    path.write_text(CASE_FILE.replace("{test}", test).replace("{facts}", facts).replace("{patient}", patient))
    return path


@pytest.fixture(scope="module")
def ontology(kb: KnowledgeBase) -> Graph:
    return load_ontology(kb)


def derived(ontology: Graph, path: Path) -> Graph:
    return normalise(ontology, Graph().parse(path, format="turtle"))


@pytest.mark.parametrize(("test", "facts", "canonical"), [
    # Calcium in milliequivalents: a millimole of Ca2+ is 2 meq, and 1 mmol/L is 4.0078 mg/dL.
    ("SerumCalciumResult", 'cckb:numericValue 5.0 ; cckb:unit "meq/L"', Decimal("10.020")),
    ("SerumCalciumResult", 'cckb:numericValue 2500 ; cckb:unit "umol/L"', Decimal("10.020")),
    ("ParathyroidHormoneResult", 'cckb:numericValue 6500 ; cckb:unit "pg/dL"', Decimal("65.000")),
    ("ParathyroidHormoneResult", 'cckb:numericValue 65 ; cckb:unit "ng/L"', Decimal("65.000")),
])
def test_any_ucum_unit_that_converts_is_accepted(
    ontology: Graph, tmp_path: Path, test: str, facts: str, canonical: Decimal
) -> None:
    values = list(derived(ontology, case_file(tmp_path, test, facts)).objects(RESULT, CCKB.canonicalValue))
    assert [Decimal(str(v)) for v in values] == [canonical]


@pytest.mark.parametrize(("facts", "message"), [
    ('cckb:numericValue 9 ; cckb:unit "mg %"', "'mg %' is not a UCUM unit code"),
    ('cckb:numericValue 9 ; cckb:unit "g"', "does not measure the same kind of quantity"),
])
def test_a_unit_that_does_not_convert_is_named_at_its_line(
    runner: CliRunner, tmp_path: Path, facts: str, message: str
) -> None:
    path = case_file(tmp_path, "SerumCalciumResult", facts)
    result = runner.invoke(app, ["validate", str(path), "--format", "json"])
    assert result.exit_code == ExitCode.PROBLEMS_FOUND
    [problem] = [p for p in json.loads(result.stdout)["problems"] if p["check"] == "units"]
    assert problem["line"] == 17 and problem["entity"] == "case:lab-x-result"  # the line of its cckb:unit
    assert message in problem["message"] and "report it in" not in problem["message"]


def test_equivalents_of_an_ion_without_a_charge_are_refused_with_advice() -> None:
    with pytest.raises(ValueError, match=r"no ion charge.*cckb:valueText"):
        convert(Decimal(1), "meq/L", "mg/dL", "P", None)


@pytest.mark.parametrize(("test", "facts", "interpretation"), [
    # The report's own range decides: 10.4 is above this report's upper limit.
    ("SerumCalciumResult", 'cckb:numericValue 10.4 ; cckb:unit "mg/dL" ; cckb:reportedReferenceLow 8.5 ; '
     "cckb:reportedReferenceHigh 10.2", CCKB.High),
    ("SerumCalciumResult", 'cckb:numericValue 9.0 ; cckb:unit "mg/dL" ; cckb:reportedReferenceLow 8.5 ; '
     "cckb:reportedReferenceHigh 10.2", CCKB.Normal),
    ("SerumCalciumResult", 'cckb:numericValue 7.9 ; cckb:unit "mg/dL" ; cckb:reportedReferenceLow 8.5 ; '
     "cckb:reportedReferenceHigh 10.2", CCKB.Low),
    # A range of values wholly above the printed range is high; one that straddles it is not judged.
    ("SerumPhosphateResult", 'cckb:valueLow 7 ; cckb:valueHigh 8 ; cckb:unit "mg/dL" ; '
     "cckb:reportedReferenceLow 2.5 ; cckb:reportedReferenceHigh 4.5", CCKB.High),
    ("SerumPhosphateResult", 'cckb:valueLow 4 ; cckb:valueHigh 5 ; cckb:unit "mg/dL" ; '
     "cckb:reportedReferenceLow 2.5 ; cckb:reportedReferenceHigh 4.5", None),
    # Only an upper limit printed ("normal, < 4.7 pmol/L"); a value of at least 60 against "> 60".
    ("PTHRelatedProteinResult", 'cckb:numericValue 2 ; cckb:unit "pmol/L" ; cckb:reportedReferenceHigh 4.7',
     CCKB.Normal),
    ("GlomerularFiltrationRateResult", 'cckb:valueLow 60 ; cckb:unit "mL/min/{1.73_m2}" ; '
     "cckb:reportedReferenceLow 60", CCKB.Normal),
    # The case's own judgement is never overridden.
    ("SerumCalciumResult", 'cckb:numericValue 10.4 ; cckb:unit "mg/dL" ; cckb:reportedReferenceHigh 10.2 ; '
     "cckb:hasInterpretation cckb:Normal", None),
])
def test_a_value_is_judged_against_the_reports_own_range(
    ontology: Graph, tmp_path: Path, test: str, facts: str, interpretation: URIRef | None
) -> None:
    judged = list(derived(ontology, case_file(tmp_path, test, facts)).objects(RESULT, CCKB.hasInterpretation))
    assert judged == ([interpretation] if interpretation else [])


def test_a_calcium_in_meq_above_the_printed_range_makes_the_case_metastatic(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = case_file(tmp_path, "SerumCalciumResult",
                     'cckb:numericValue 6.1 ; cckb:unit "meq/L" ; cckb:reportedReferenceLow 4.3 ; '
                     "cckb:reportedReferenceHigh 5.3")
    result = runner.invoke(app, ["infer", str(path), "--format", "json", "--no-explain"])
    assert result.exit_code == 0, result.stderr
    [case] = json.loads(result.stdout)
    assert "metastatic" in case["inferred_subtypes"]


@pytest.mark.parametrize(("patient", "shown"), [
    ("cckb:ageInYears 87 ;", "87 years"),
    ("cckb:ageInMonths 15 ;", "15 months"),
    ("cckb:ageInDays 1 ;", "1 day"),
    ("cckb:ageInYears 40 ; cckb:ageIsApproximate true ; cckb:ageText \"about 40\" ;", "about 40 years"),
    ('cckb:ageText "young" ;', "young"),
])
def test_ages_are_listed_as_reported(runner: CliRunner, kb_copy: Path, tmp_path: Path, patient: str,
                                     shown: str) -> None:
    path = case_file(tmp_path, "SerumCalciumResult", 'cckb:numericValue 9 ; cckb:unit "mg/dL"', patient)
    (kb_copy / "cases" / "lab-x.ttl").write_text(path.read_text())
    result = runner.invoke(app, ["cases", "--kb", str(kb_copy), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    [row] = [r for r in json.loads(result.stdout) if r["case"] == "case:lab-x"]
    assert row["age_as_reported"] == shown
    assert row["age"] == (87 if "ageInYears 87" in patient else 40 if "ageInYears 40" in patient else None)
