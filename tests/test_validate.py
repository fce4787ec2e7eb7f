"""`kb validate`: the shipped knowledge base passes; each kind of bad input is reported
precisely, all problems of a file in one run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph
from typer.testing import CliRunner

from calcinosis_kb.cli import app
from calcinosis_kb.knowledgebase.location import KnowledgeBase

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


def _problems(paths: list[Path]) -> list[dict[str, object]]:
    from calcinosis_kb.quality.validation import validate as run_validate

    return [p.as_dict() for p in run_validate(KnowledgeBase.locate(ROOT), paths).problems]


@pytest.mark.parametrize("own_iris", [True, False], ids=["shapes-in-one-run", "files-sharing-iris"])
def test_many_files_in_one_run_report_as_each_file_alone(tmp_path: Path, own_iris: bool) -> None:
    """The shapes of all files are checked in one run and consistency in batches, yet each problem
    is named with its own file and line, as when each file is validated alone: a file among good
    ones whose case is inconsistent too. Files that share IRIs are checked apart."""
    names = ["lab-without-unit.ttl", "typed-with-subtype.ttl", "several-problems.ttl", "contradiction.ttl",
             "syntax-error.ttl", "absent-and-present.ttl"]
    paths = [ROOT / "cases" / "carrascosa2011.ttl"]
    for number, name in enumerate(names):
        text = (BAD / name).read_text()
        path = tmp_path / name
        path.write_text(text.replace("bad-x", f"bad-{number}") if own_iris else text)
        paths += [path, ROOT / "cases" / ("chiang2014.ttl" if number % 2 else "leung2014.ttl")]
    together = _problems(paths)
    twins = [p for p in together if "is declared as a case in" in str(p["message"])]
    together = [p for p in together if p not in twins]
    # Only files read together can declare one case twice: a problem of its own, named once
    assert [p["entity"] for p in twins] == ([] if own_iris else ["case:bad-x"])
    alone = [problem for path in paths for problem in _problems([path])]
    # Consistency is checked last, as it always was: after every file's other problems.
    assert together == sorted(alone, key=lambda p: p["check"] == "consistency")
    checks = {(Path(str(p["file"])).name, p["check"]) for p in together}
    assert {("lab-without-unit.ttl", "shacl"), ("typed-with-subtype.ttl", "shacl"), ("several-problems.ttl", "shacl"),
            ("contradiction.ttl", "consistency"), ("absent-and-present.ttl", "consistency")} <= checks
    assert all(Path(str(p["file"])).parent == tmp_path for p in together), "the good files have no problems"


ODD_SHAPES = """@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix cckb: <https://w3id.org/calcinosis-kb/ontology/> .
@prefix src:  <https://w3id.org/calcinosis-kb/source/> .
@prefix case: <https://w3id.org/calcinosis-kb/case/> .

case:odd a cckb:CalcinosisCutis , cckb:Calciphylaxis ;
    rdfs:label "odd" , "two labels" ;
    cckb:hasSource src:carrascosa2011 ;
    cckb:hasPatient case:odd-patient ;
    cckb:hasLesion case:odd-untyped ;
    cckb:hasCondition cckb:Hypertension , case:odd-x ;
    cckb:hasLabResult case:odd-ca .
case:odd-patient a cckb:Lesion ; cckb:ageInYears "about forty" ; cckb:hasSex cckb:Thigh ; cckb:quote "a woman" .
case:odd-untyped cckb:quote "a nodule" ; cckb:hasSite cckb:Died ; cckb:hasExtent cckb:Left .
case:odd-x a cckb:Hypertension .
case:odd-ca a cckb:SerumCalciumResult ; cckb:valueLow 9 ; cckb:quote "calcium" .
"""


@pytest.mark.parametrize("name", ["several-problems.ttl", "typed-with-subtype.ttl", "lab-without-unit.ttl", "odd"])
def test_shapes_find_what_pyshacl_with_the_ontology_and_rdfs_finds(kb: KnowledgeBase, name: str) -> None:
    """The shapes run over a case file plus what RDFS entails about its nodes from the ontology
    (quality/shapes.py) give the violations pySHACL gives with the whole ontology mixed in and
    its RDFS inference on (the check as it was, 3.6 s a file)."""
    import pyshacl
    from rdflib import URIRef
    from rdflib.namespace import RDF

    from calcinosis_kb.knowledgebase.loading import load_ontology, parse_turtle
    from calcinosis_kb.quality.shapes import SH, RdfsIndex, check_shapes

    ontology = load_ontology(kb)
    shapes = parse_turtle(ROOT / "shapes" / "case-shapes.ttl")
    graph = Graph().parse(data=ODD_SHAPES, format="turtle") if name == "odd" else parse_turtle(BAD / name)
    _, results, _ = pyshacl.validate(graph, shacl_graph=shapes, ont_graph=ontology, inference="rdfs",
                                     allow_warnings=True)
    expected = {(results.value(r, URIRef(SH + "focusNode")), results.value(r, URIRef(SH + "resultPath")),
                 str(results.value(r, URIRef(SH + "resultMessage"))), results.value(r, URIRef(SH + "value")))
                for r in results.subjects(RDF.type, URIRef(SH + "ValidationResult"))}
    [found] = check_shapes([graph], shapes, RdfsIndex(ontology))
    assert expected
    assert {(v.focus, v.path, v.message, v.value) for v in found} == expected
