"""`kb cases` and `kb evidence`."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from calcinosis_kb.cli import app
from calcinosis_kb.knowledgebase.errors import ExitCode
from calcinosis_kb.knowledgebase.location import KnowledgeBase

from .conftest import ROOT


def test_cases_json_lists_every_case(runner: CliRunner) -> None:
    result = runner.invoke(app, ["cases", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {"case", "source", "age", "sex", "authors_subtypes"} <= set(rows[0])
    by_case = {r["case"]: r for r in rows}
    assert by_case["case:carrascosa2011"]["age"] == 87  # a JSON number
    assert by_case["case:carrascosa2011"]["sex"] == "female"
    assert by_case["case:carrascosa2011"]["authors_subtypes"] == ["dystrophic"]
    files = {r["file"] for r in rows}
    assert files == {p.name for p in (ROOT / "cases").glob("*.ttl")}


def test_cases_csv(runner: CliRunner) -> None:
    lines = runner.invoke(app, ["cases", "--format", "csv"]).stdout.splitlines()
    assert lines[0].split(",")[:5] == ["case", "source", "age", "sex", "authors_subtypes"]


def test_evidence_json(runner: CliRunner) -> None:
    result = runner.invoke(app, ["evidence", "carrascosa2011", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {"case", "fact", "quote", "source"} <= set(rows[0])
    assert any("mixed connective tissue disease" in r["quote"] for r in rows)
    assert all(r["case"] == "case:carrascosa2011" for r in rows)
    assert all("10.1136/bcr.01.2011.3732" in r["source"] for r in rows)


def test_evidence_unknown_case_suggests(runner: CliRunner) -> None:
    result = runner.invoke(app, ["evidence", "carrascosa"])
    assert result.exit_code == ExitCode.USAGE
    assert "did you mean carrascosa2011?" in result.stderr


def test_every_fact_of_every_case_has_a_quote(kb: KnowledgeBase) -> None:
    """kb evidence shows a quote for every fact of every case (test_quotes finds each in its source)."""
    from calcinosis_kb.knowledgebase.evidence import evidence, list_cases

    cases = list_cases(kb)
    assert len(cases) >= 42
    unquoted = [(row["case"], fact["fact"]) for row in cases for fact in evidence(kb, str(row["case"]))
                if not fact["quote"]]
    assert unquoted == []
