"""`kb validate`: the shipped knowledge base passes; each kind of bad input is reported
precisely, all problems of a file in one run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from calcinosis_kb.cli import app

from .conftest import DATA, ROOT

BAD = DATA / "bad"


def validate(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["validate", *args])
    return result.exit_code, result.stdout, result.stderr


def test_shipped_knowledge_base_is_valid(runner: CliRunner) -> None:
    code, out, err = validate(runner, "--kb", str(ROOT))
    assert code == 0, out + err
    assert "ok" in err


def test_json_output(runner: CliRunner) -> None:
    code, out, _ = validate(runner, "--format", "json", str(BAD / "unknown-term.ttl"))
    assert code == 1
    report = json.loads(out)
    assert report["ok"] is False
    assert {"file", "line", "check", "entity", "message"} <= set(report["problems"][0])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("syntax-error.ttl", "syntax-error.ttl:12: [syntax] Turtle syntax error"),
        ("unknown-term.ttl", "[term] cckb:MixedConectiveTissueDisease: not defined in the ontology; "
                             "did you mean cckb:MixedConnectiveTissueDisease?"),
        ("lab-without-unit.ttl", "a lab value needs its unit"),
        ("unconvertible-unit.ttl", "unit '[fur_us]' cannot be converted to mg/dL: '[fur_us]' does not measure"),
        ("quote-not-in-source.ttl",
         "quote not found in the source text: \"longstanding mixed connective tissue disease\""),
        ("contradiction.ttl", "these facts clash: case:bad-x-ca-normal"),
        ("contradiction.ttl", "they break the rule: One case cannot record serum calcium both as high and as normal"),
        ("absent-and-present.ttl", "case:bad-x-no-ctd (no connective tissue disease, \"mixed connective tissue "
                                   "disease\"); case:bad-x-mctd (mixed connective tissue disease"),
        ("absent-and-present.ttl", "they break the rule: A case that records no connective tissue disease cannot "
                                   "also record one."),
        ("typed-with-subtype.ttl", "a case must not be typed with a subtype or pattern"),
        ("not-a-case.ttl", "not a case file"),
        ("empty.ttl", "the file is empty"),
    ],
)
def test_bad_case_file_is_reported(runner: CliRunner, name: str, expected: str) -> None:
    code, out, _ = validate(runner, str(BAD / name))
    assert code == 1
    assert expected in out
    assert "Traceback" not in out
    for line in out.splitlines():
        assert line.startswith(str(BAD / name)), f"each problem names its file: {line}"


def test_all_problems_of_a_file_in_one_run(runner: CliRunner) -> None:
    code, out, _ = validate(runner, str(BAD / "several-problems.ttl"))
    assert code == 1
    for expected in ("[term] cckb:MixedConectiveTissueDisease", "case:bad-x-ra cckb:quote", "cckb:unit",
                     "\"calcium levels were raised\""):
        assert expected in out


def test_broken_ontology_syntax(runner: CliRunner, kb_copy: Path) -> None:
    ontology = kb_copy / "ontology" / "calcinosis-kb.ttl"
    lines = ontology.read_text().splitlines()
    lines[40] = lines[40] + " ;;; oops"
    ontology.write_text("\n".join(lines))
    code, out, _ = validate(runner, "--kb", str(kb_copy))
    assert code == 1
    assert f"{ontology}:41: [syntax]" in out


def test_unlabelled_term_found_by_qc_query(runner: CliRunner, kb_copy: Path) -> None:
    extra = kb_copy / "ontology" / "extra.ttl"
    extra.write_text("@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
                     "<https://w3id.org/calcinosis-kb/ontology/Orphan> a owl:Class .\n")
    code, out, _ = validate(runner, "--kb", str(kb_copy))
    assert code == 1
    assert f"{extra}:2: [qc qc-term-without-label] cckb:Orphan: has no rdfs:label" in out
    assert f"{extra}:2: [qc qc-term-without-definition] cckb:Orphan" in out


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("cckb:IatrogenicCalcinosisCutis rdfs:subClassOf owl:Nothing .",
         "[satisfiable] cckb:IatrogenicCalcinosisCutis: defined subtype or pattern is unsatisfiable"),
        ('cckb:Thigh oboInOwl:hasDbXref "UBERON 0000376" .', "cross-reference 'UBERON 0000376' is not a CURIE"),
    ],
)
def test_broken_ontology_part_reported(runner: CliRunner, kb_copy: Path, extra: str, expected: str) -> None:
    (kb_copy / "ontology" / "extra.ttl").write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix oboInOwl: <http://www.geneontology.org/formats/oboInOwl#> .\n"
        "@prefix cckb: <https://w3id.org/calcinosis-kb/ontology/> .\n" + extra + "\n")
    code, out, _ = validate(runner, "--kb", str(kb_copy))
    assert code == 1
    assert expected in out


def test_undefined_term_in_ontology_named_with_file_and_line(runner: CliRunner, kb_copy: Path) -> None:
    ontology = kb_copy / "ontology" / "calcinosis-kb.ttl"
    text = ontology.read_text()
    ontology.write_text(text.replace("owl:someValuesFrom cckb:DystrophicPredisposingCondition ]\n        )",
                                     "owl:someValuesFrom cckb:DystrophicPredisposingCondtion ]\n        )", 1))
    code, out, _ = validate(runner, "--kb", str(kb_copy))
    assert code == 1
    line = next(n for n, t in enumerate(ontology.read_text().splitlines(), 1) if "PredisposingCondtion" in t)
    assert f"{ontology}:{line}: [qc qc-undefined-term] cckb:DystrophicPredisposingCondtion: is used but not defined" \
        in out
