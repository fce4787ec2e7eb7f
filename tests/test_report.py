"""`kb report`: each check of robot report, written as a query of queries/report/, fires on a fixture
of tests/data/report/ built to break it and on nothing in the clean one; the release's full artefact
has no ERROR; the exit code follows --fail-on; bad input is one line."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from calcinosis_kb.cli import app
from calcinosis_kb.knowledgebase.errors import ExitCode
from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.quality.report import COLUMNS, LEVELS, REPORT_QUERIES
from calcinosis_kb.querying.named import load_queries, read_query

from .conftest import DATA, ROOT

FIXTURES = DATA / "report"
CHECKS = sorted((ROOT / REPORT_QUERIES).glob("*.rq"))
RULES = [path.stem for path in CHECKS]
ROBOT_LEVELS = {
    "annotation_whitespace": "WARN", "deprecated_class_reference": "ERROR", "duplicate_definition": "ERROR",
    "duplicate_exact_synonym": "WARN", "duplicate_label": "ERROR", "invalid_xref": "WARN",
    "label_formatting": "ERROR", "label_whitespace": "ERROR", "lowercase_definition": "INFO",
    "missing_definition": "WARN", "missing_label": "ERROR", "missing_ontology_description": "ERROR",
    "missing_ontology_license": "ERROR", "missing_ontology_title": "ERROR", "missing_superclass": "INFO",
    "misused_obsolete_label": "ERROR", "multiple_definitions": "ERROR", "multiple_labels": "ERROR",
}
"""The levels of robot report's default profile (robot-core/src/main/resources/report_profile.txt,
ontodev/robot at a67eed4823af7f5b7bb33ddd12f662adc4303cad) for the checks we follow."""
OURS = {"missing_declaration"}
"""Checks of our own, with no robot report counterpart."""


def fixture_header(rule: str) -> dict[str, str]:
    """The `# subject:` and `# also:` lines of a fixture: whom the check must report, and any other
    check the defect necessarily sets off too."""
    header = {}
    for line in (FIXTURES / f"{rule}.ttl").read_text(encoding="utf-8").splitlines():
        key, sep, value = line.lstrip("# ").partition(":")
        if line.startswith("#") and sep and key in ("subject", "also"):
            header[key] = value.strip()
    return header


def broken(rule: str, folder: Path) -> Path:
    """The clean fixture with the one defect of this rule's fixture added."""
    path = folder / f"{rule}.ttl"
    path.write_text((FIXTURES / "clean.ttl").read_text(encoding="utf-8")
                    + (FIXTURES / f"{rule}.ttl").read_text(encoding="utf-8"), encoding="utf-8")
    return path


def report_rows(runner: CliRunner, *args: str, code: int = 0) -> list[dict[str, str]]:
    result = runner.invoke(app, ["report", *args, "--format", "json"])
    assert result.exit_code == code, result.stderr
    rows: list[dict[str, str]] = json.loads(result.stdout)
    return rows


def test_the_checks_follow_robot_report() -> None:
    assert set(RULES) == set(ROBOT_LEVELS) | OURS
    assert {path.stem for path in FIXTURES.glob("*.ttl")} == {*RULES, "clean"}


@pytest.mark.parametrize("path", CHECKS, ids=RULES)
def test_check_header_names_its_level_description_and_robot_check(path: Path) -> None:
    query = read_query(path)
    assert query.title and query.description
    assert query.header["level"] in LEVELS
    if path.stem in OURS:
        assert query.header["robot"].startswith("-"), "a check of our own says so: '# robot: - (ours: why)'"
    else:
        assert query.header["robot"] == path.stem
        assert query.header["level"] == ROBOT_LEVELS[path.stem]


@pytest.mark.parametrize("rule", RULES)
def test_check_fires_on_its_fixture(rule: str, runner: CliRunner, tmp_path: Path) -> None:
    header = fixture_header(rule)
    rows = report_rows(runner, str(broken(rule, tmp_path)), "--fail-on", "none")
    level = read_query(ROOT / REPORT_QUERIES / f"{rule}.rq").header["level"]
    assert {(r["level"], r["subject"]) for r in rows if r["rule"] == rule} >= {(level, header["subject"])}
    also = set(header.get("also", "").split()[:1])
    assert {r["rule"] for r in rows} <= {rule} | also


def test_clean_fixture_passes_every_check(runner: CliRunner) -> None:
    assert report_rows(runner, str(FIXTURES / "clean.ttl"), "--fail-on", "INFO") == []


def test_release_artefact_has_no_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["report", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert not [r for r in rows if r["level"] == "ERROR"]
    assert re.search(r"kb: report on calcinosis-kb\.owl \(\d+ checks\): 0 ERROR", result.stderr)


@pytest.mark.parametrize("rule", ["missing_label", "missing_definition", "lowercase_definition"])
@pytest.mark.parametrize("fail_on", [*LEVELS, "none", "warn"])
def test_exit_code_follows_fail_on(rule: str, fail_on: str, runner: CliRunner, tmp_path: Path) -> None:
    path = broken(rule, tmp_path)
    found = {r["level"] for r in report_rows(runner, str(path), "--fail-on", "none")}
    threshold = LEVELS.index(fail_on.upper()) if fail_on != "none" else -1
    fails = any(LEVELS.index(level) <= threshold for level in found)
    result = runner.invoke(app, ["report", str(path), "--fail-on", fail_on, "--format", "json"])
    assert result.exit_code == (ExitCode.PROBLEMS_FOUND if fails else ExitCode.OK), result.stderr
    assert {r["level"] for r in json.loads(result.stdout)} == found  # the rows are printed either way


def test_default_fails_on_error_only(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(app, ["report", str(broken("missing_label", tmp_path))]).exit_code == ExitCode.PROBLEMS_FOUND
    assert runner.invoke(app, ["report", str(broken("missing_definition", tmp_path))]).exit_code == ExitCode.OK


@pytest.mark.parametrize("fmt", ["csv", "tsv", "table"])
def test_row_formats(fmt: str, runner: CliRunner, tmp_path: Path) -> None:
    path = broken("duplicate_label", tmp_path)
    expected = report_rows(runner, str(path), code=ExitCode.PROBLEMS_FOUND)
    result = runner.invoke(app, ["report", str(path), "--format", fmt])
    assert result.exit_code == ExitCode.PROBLEMS_FOUND, result.stderr
    if fmt == "table":
        assert all(column in result.stdout for column in COLUMNS) and "duplicate_label" in result.stdout
        return
    rows = list(csv.DictReader(io.StringIO(result.stdout), delimiter="," if fmt == "csv" else "\t"))
    assert tuple(rows[0]) == COLUMNS
    assert rows == expected


@pytest.mark.parametrize(("content", "name", "args", "code", "message"), [
    (None, "absent.ttl", [], ExitCode.INPUT, "absent.ttl: no such file"),
    ("", "empty.ttl", [], ExitCode.INPUT, "empty.ttl: holds no triples"),
    ("<http://x/a> <http://x/b> .\n", "bad.ttl", [], ExitCode.INPUT, "bad.ttl: not readable as TURTLE: "),
    ("Ontology()\n", "model.ofn", [], ExitCode.INPUT, "model.ofn: kb report reads RDF"),
    ("<http://x/a> <http://x/b> <http://x/c> .\n", "ok.nt", ["--fail-on", "severe"], ExitCode.USAGE,
     "--fail-on severe: choose one of: ERROR, WARN, INFO, none"),
    ("<http://x/a> <http://x/b> <http://x/c> .\n", "ok.nt", ["--format", "text"], ExitCode.USAGE,
     "--format text is not available here"),
])
def test_bad_input_is_one_line(content: str | None, name: str, args: list[str], code: int, message: str,
                               runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["report", str(path), *args])
    assert result.exit_code == code
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""


def test_bad_turtle_is_located(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "bad.ttl"
    path.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b .\n", encoding="utf-8")
    result = runner.invoke(app, ["report", str(path)])
    assert result.exit_code == ExitCode.INPUT and "line 3" in result.stderr


def test_a_check_without_a_level_is_refused(runner: CliRunner, kb_copy: Path) -> None:
    check = kb_copy / REPORT_QUERIES / "missing_label.rq"
    check.write_text(check.read_text(encoding="utf-8").replace("# level: ERROR\n", ""), encoding="utf-8")
    result = runner.invoke(app, ["report", "--kb", str(kb_copy), str(FIXTURES / "clean.ttl")])
    assert result.exit_code == ExitCode.INPUT
    assert "missing_label.rq:1: the header gives no level" in result.stderr


def test_report_checks_are_not_named_queries(kb: KnowledgeBase) -> None:
    """They run on an artefact, not on kb's store: kb query, kb validate and docs/queries.md leave them out."""
    named = load_queries(kb.query_files)
    assert not set(RULES) & set(named)
    assert not any(rule in (ROOT / "docs" / "queries.md").read_text(encoding="utf-8") for rule in RULES)
