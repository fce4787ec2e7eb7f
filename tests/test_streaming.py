"""A large case file is read a batch at a time from a temporary table (knowledgebase.streaming) and
`kb infer` prints each batch as it is classified, so memory stays bounded however many cases a
file holds (figures: benchmarks/bench_stream.py). Read either way, a file gives the same output,
byte for byte; a problem anywhere in it stops it before any result, as for a small file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, XSD
from typer.testing import CliRunner

from calcinosis_kb.cli import app
from calcinosis_kb.knowledgebase import streaming
from calcinosis_kb.knowledgebase.cases import CaseFile
from calcinosis_kb.knowledgebase.errors import ExitCode
from calcinosis_kb.knowledgebase.loading import new_graph
from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.knowledgebase.namespaces import CASE, CCKB
from calcinosis_kb.knowledgebase.synthetic import write
from calcinosis_kb.presentation.inference import render_inference_parts
from calcinosis_kb.presentation.render import Format
from calcinosis_kb.reasoning import classify
from calcinosis_kb.reasoning.classify import Classifier, Inference

from .conftest import DATA, ROOT
from .test_robustness import DOCUMENTED, HOSTILE, fuzz_crashes, one_line_failure

CASE_FILES = sorted((ROOT / "cases").glob("*.ttl"))


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier(KnowledgeBase.locate(ROOT))


@pytest.fixture
def every_file_streamed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every case file read through the table, a few cases at a time."""
    monkeypatch.setattr(streaming, "LARGE_FILE_BYTES", 0)
    monkeypatch.setattr(classify, "LARGE_FILE_BATCH", 3)


@pytest.fixture(scope="module")
def synthetic_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synthetic")
    write(folder, 24, per_file=24)
    return next(folder.glob("*.ttl"))


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_a_file_read_in_batches_gives_what_it_gives_read_whole(path: Path, classifier: Classifier,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    whole = classifier.classify_file(path)
    monkeypatch.setattr(streaming, "LARGE_FILE_BYTES", 0)
    monkeypatch.setattr(classify, "LARGE_FILE_BATCH", 1)
    streamed = classifier.classify_file(path)
    # as_dict holds every explanation in the order it is printed: the facts' order must be the file's
    assert [r.as_dict() for r in streamed.results] == [r.as_dict() for r in whole.results]
    assert [e.message for e in streamed.errors] == [e.message for e in whole.errors]
    assert isomorphic(streamed.inferred, whole.inferred)


def test_numbers_keep_the_form_the_file_writes(classifier: Classifier, every_file_streamed: None) -> None:
    """An RDF store would keep 10.0 as 10; the explanation must say what the report says."""
    path = DATA / "cases" / "metastatic-product.ttl"
    assert "cckb:numericValue 11.0" in path.read_text(encoding="utf-8")
    printed = json.dumps([r.as_dict() for r in classifier.classify_file(path).results])
    assert "11.0 mg/dL" in printed


def test_a_large_file_is_handed_out_batch_by_batch(classifier: Classifier, synthetic_file: Path,
                                                    every_file_streamed: None,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(classify, "LARGE_FILE_BATCH", 10)
    taken: list[int] = []
    original = streaming.LargeCaseFile.batch

    def counted(self: streaming.LargeCaseFile, cases: list[URIRef], ontology: Graph) -> CaseFile:
        taken.append(len(cases))
        return original(self, cases, ontology)

    monkeypatch.setattr(streaming.LargeCaseFile, "batch", counted)
    parts = classifier.classify_file_in_parts(synthetic_file, explain=False)
    first = next(parts)
    assert first.results, "the first part holds the first cases"
    # the whole file checked first (24 cases: batches of 10, 10 and 4), then only the first batch taken again
    assert taken == [10, 10, 4, 10]
    rest = list(parts)
    assert taken == [10, 10, 4, 10, 10, 4]
    assert sum(len(part.results) for part in [first, *rest]) == 24


@pytest.mark.parametrize("fmt", ["text", "json", "ttl"])
def test_kb_infer_prints_a_streamed_file_as_it_prints_it_whole(fmt: str, runner: CliRunner, synthetic_file: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    whole = runner.invoke(app, ["infer", "--format", fmt, str(synthetic_file)])
    monkeypatch.setattr(streaming, "LARGE_FILE_BYTES", 0)
    monkeypatch.setattr(classify, "LARGE_FILE_BATCH", 7)
    streamed = runner.invoke(app, ["infer", "--format", fmt, str(synthetic_file)])
    assert whole.exit_code == streamed.exit_code == 0, streamed.stderr
    if fmt == "ttl":  # a prefix is declared before its first use, which depends on where batches end
        assert isomorphic(Graph().parse(data=streamed.stdout, format="turtle"),
                          Graph().parse(data=whole.stdout, format="turtle"))
    else:
        assert streamed.stdout == whole.stdout
    if fmt == "json":
        assert len(json.loads(streamed.stdout)) == 24


def result(case: str) -> classify.CaseResult:
    return classify.CaseResult(case=case, label=f"label of {case}", file="f.ttl", source="s")


@pytest.mark.parametrize("sizes", [[], [0], [1], [2, 0, 3]])
def test_json_in_parts_is_the_json_of_the_whole(sizes: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    parts = [Inference([result(f"case:{n}-{i}") for i in range(size)], [], Graph()) for n, size in enumerate(sizes)]
    rendered = render_inference_parts(parts, Format.json)
    everything = [r.as_dict() for part in parts for r in part.results]
    assert capsys.readouterr().out == json.dumps(everything, indent=2, ensure_ascii=False) + "\n"
    assert rendered.cases == len(everything)


def test_turtle_in_parts_declares_each_prefix_once(capsys: pytest.CaptureFixture[str]) -> None:
    parts = []
    for number in range(3):
        graph = new_graph()
        graph.add((CASE[f"c{number}"], RDF.type, CCKB.DystrophicCalcinosisCutis))
        if number:
            graph.add((CASE[f"c{number}-ca"], CCKB.canonicalValue, Literal("2.5", datatype=XSD.decimal)))
        parts.append(Inference([], [], graph))
    render_inference_parts(parts, Format.ttl)
    out = capsys.readouterr().out
    prefixes = [line for line in out.splitlines() if line.startswith("@prefix")]
    assert len(prefixes) == len(set(prefixes)) == 3  # case:, cckb:, xsd:
    everything = Graph()
    for part in parts:
        everything += part.inferred
    assert isomorphic(Graph().parse(data=out, format="turtle"), everything)


@pytest.mark.parametrize("path", sorted((DATA / "bad").glob("*.ttl")), ids=lambda p: p.stem)
def test_a_bad_file_fails_the_same_read_either_way(path: Path, runner: CliRunner,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    whole = runner.invoke(app, ["infer", str(path)])
    monkeypatch.setattr(streaming, "LARGE_FILE_BYTES", 0)
    monkeypatch.setattr(classify, "LARGE_FILE_BATCH", 1)
    streamed = runner.invoke(app, ["infer", str(path)])
    assert streamed.exit_code == whole.exit_code
    assert streamed.stdout == whole.stdout
    if "syntax error" in whole.stderr:  # pyoxigraph's parser words the reason its own way
        assert streamed.stderr.split("Turtle syntax error")[0] == whole.stderr.split("Turtle syntax error")[0]
    elif path.stem != "empty":  # an empty file is never large
        assert streamed.stderr == whole.stderr


def test_a_problem_in_the_last_batch_stops_the_file_before_any_result(runner: CliRunner, synthetic_file: Path,
                                                                       tmp_path: Path,
                                                                       every_file_streamed: None) -> None:
    text = synthetic_file.read_text(encoding="utf-8")
    last = text.rindex("a cckb:Patient")
    path = tmp_path / "unknown-term-at-the-end.ttl"
    path.write_text(text[:last] + "a cckb:Patient, cckb:Pateint" + text[last + len("a cckb:Patient"):],
                    encoding="utf-8")
    result = runner.invoke(app, ["infer", "--format", "json", str(path)])
    one_line_failure(result, ExitCode.KNOWLEDGE, f"{path}:", "unknown term cckb:Pateint")
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_large_file_is_one_line_with_a_documented_code(name: str, runner: CliRunner, tmp_path: Path,
                                                               every_file_streamed: None) -> None:
    make, _, _ = HOSTILE[name]
    path = tmp_path / "hostile.ttl"
    path.write_bytes(make())
    result = runner.invoke(app, ["infer", str(path)])
    if result.exit_code:
        one_line_failure(result, result.exit_code, str(path))
        assert result.exit_code in DOCUMENTED
    else:  # pyoxigraph's parser reads what rdflib could not (5,000 nested brackets): then it classifies
        assert name == "deep nesting"


def test_a_large_file_not_in_utf8_is_refused_at_its_line(runner: CliRunner, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "latin-1.ttl"
    path.write_bytes(HOSTILE["not UTF-8"][0]())
    whole = runner.invoke(app, ["infer", str(path)])
    monkeypatch.setattr(streaming, "LARGE_FILE_BYTES", 0)
    streamed = runner.invoke(app, ["infer", str(path)])
    assert streamed.exit_code == whole.exit_code == ExitCode.INPUT
    assert streamed.stderr == whole.stderr
    assert f"{path}:1:" not in streamed.stderr


def test_fuzzed_large_files_never_crash(runner: CliRunner, tmp_path: Path, every_file_streamed: None) -> None:
    crashes = fuzz_crashes(runner, tmp_path, ["infer", "--no-explain"], 30, seed=20261201)
    assert not crashes, "\n".join(crashes)
