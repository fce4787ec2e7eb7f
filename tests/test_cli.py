"""The `kb` command through Typer's runner: exit codes, messages, output formats."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from calcinosis_kb import __version__
from calcinosis_kb.cli import app
from calcinosis_kb.knowledgebase.errors import ExitCode
from calcinosis_kb.reasoning import hermit as reasoning

from .conftest import DATA, ROOT

JSON_KEYS = {"case", "source", "inferred_subtypes", "inferred_patterns", "authors_subtypes", "agrees", "why",
             "why_not", "missing"}
SUBTYPE_WORDS = {"dystrophic", "metastatic", "idiopathic", "iatrogenic", "calciphylaxis"}


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and __version__ in result.stdout


def test_help_does_not_load_heavy_libraries() -> None:
    code = ("import sys; from calcinosis_kb.cli import app; "
            "print(sorted(m for m in ('owlready2', 'pyshacl', 'rdflib') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_infer_json(runner: CliRunner) -> None:
    result = runner.invoke(app, ["infer", "--format", "json", str(DATA / "cases" / "dystrophic.ttl")])
    assert result.exit_code == 0, result.stderr
    cases = json.loads(result.stdout)
    assert len(cases) == 1 and set(cases[0]) >= JSON_KEYS
    assert cases[0]["inferred_subtypes"] == ["dystrophic"]
    assert set(cases[0]["why_not"]) == SUBTYPE_WORDS - {"dystrophic"}


def test_infer_text_names_quotes(runner: CliRunner) -> None:
    result = runner.invoke(app, ["infer", str(ROOT / "cases" / "carrascosa2011.ttl")])
    assert result.exit_code == 0
    assert "inferred subtype: dystrophic" in result.stdout
    assert "mixed connective tissue disease" in result.stdout
    assert "agrees" in result.stdout


def test_infer_ttl(runner: CliRunner) -> None:
    result = runner.invoke(app, ["infer", "--format", "ttl", str(DATA / "cases" / "metastatic-product.ttl")])
    assert result.exit_code == 0
    assert "MetastaticCalcinosisCutis" in result.stdout and "calciumPhosphateProduct" in result.stdout


def test_infer_folder(runner: CliRunner) -> None:
    result = runner.invoke(app, ["infer", "--format", "json", str(DATA / "cases")])
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)) == len(list((DATA / "cases").glob("*.ttl")))


def test_batch_with_one_bad_file_still_classifies_the_others(runner: CliRunner) -> None:
    result = runner.invoke(app, ["infer", "--format", "json", str(DATA / "bad" / "contradiction.ttl"),
                                 str(DATA / "bad" / "syntax-error.ttl"), str(DATA / "cases" / "dystrophic.ttl")])
    assert result.exit_code == ExitCode.PROBLEMS_FOUND
    assert [c["case"] for c in json.loads(result.stdout)] == ["case:fx-dystrophic"]
    assert "contradiction.ttl: case:bad-x contradicts the ontology; these facts clash" in result.stderr
    assert "syntax-error.ttl:12: Turtle syntax error" in result.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["infer", "no-such-file.ttl"], ExitCode.INPUT, "no-such-file.ttl: no such file or folder"),
        (["infer", str(DATA / "bad" / "empty.ttl")], ExitCode.INPUT, "the file is empty"),
        (["infer", str(DATA / "bad" / "not-a-case.ttl")], ExitCode.INPUT, "not a case file"),
        (["infer", str(DATA / "bad" / "unknown-term.ttl")], ExitCode.KNOWLEDGE, "did you mean"),
        (["infer", str(DATA / "bad" / "unconvertible-unit.ttl")], ExitCode.KNOWLEDGE, "cannot be converted"),
        (["infer", "--format", "csv"], ExitCode.USAGE, "--format csv is not available here"),
        (["infer", "--kb", "/nonexistent"], ExitCode.INPUT, "not a knowledge-base folder"),
    ],
)
def test_bad_input_one_line_and_exit_code(runner: CliRunner, args: list[str], code: int, message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr + result.stdout


def infer_with_path(runner: CliRunner, monkeypatch: pytest.MonkeyPatch, path: Path) -> Result:
    """Run `kb infer` with PATH set to one folder, the Java check forgotten before and after."""
    reasoning.check_java.cache_clear()
    monkeypatch.setenv("PATH", str(path))
    try:
        return runner.invoke(app, ["infer", str(DATA / "cases" / "dystrophic.ttl")])
    finally:
        reasoning.check_java.cache_clear()


def test_java_missing(runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    result = infer_with_path(runner, monkeypatch, tmp_path)
    assert result.exit_code == ExitCode.ENVIRONMENT
    assert "Java was not found on PATH" in result.stderr and "install Java 11" in result.stderr


def test_java_too_old(runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "java"
    fake.write_text('#!/bin/sh\necho \'openjdk version "1.8.0_392"\' >&2\n')
    fake.chmod(0o755)
    result = infer_with_path(runner, monkeypatch, tmp_path)
    assert result.exit_code == ExitCode.ENVIRONMENT
    assert "Java 8 found" in result.stderr


def test_audit_summary_and_formats(runner: CliRunner) -> None:
    table = runner.invoke(app, ["audit"])
    assert table.exit_code == 0
    assert "agree" in table.stdout and "undetermined" in table.stdout
    as_json = json.loads(runner.invoke(app, ["audit", "--format", "json"]).stdout)
    assert as_json["summary"]["agrees"] >= 5 and as_json["summary"]["disagrees"] == 0
    as_csv = runner.invoke(app, ["audit", "--format", "csv"]).stdout.splitlines()
    assert as_csv[0].startswith("case,") and len(as_csv) == len(as_json["cases"]) + 1
