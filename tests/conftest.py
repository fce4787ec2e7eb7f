"""Shared fixtures. Reasoning is the slow part (a JVM per run), so results over the shipped
cases and over the fixtures are computed once per session and shared."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.reasoning.classify import Inference
from calcinosis_kb.reasoning.infer import infer

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return KnowledgeBase.locate(ROOT)


@pytest.fixture(scope="session")
def shipped(kb: KnowledgeBase) -> Inference:
    return infer(kb, kb.case_files)


@pytest.fixture(scope="session")
def fixtures_inference(kb: KnowledgeBase) -> Inference:
    return infer(kb, sorted((DATA / "cases").glob("*.ttl")))


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    """A curator's working copy of the knowledge base, safe to break."""
    copy = tmp_path / "kb"
    for folder in ("ontology", "cases", "queries", "shapes", "sources"):
        shutil.copytree(ROOT / folder, copy / folder)
    os.environ.setdefault("CALCINOSIS_KB_SOURCES", str(SHARED / "sources"))
    return copy


def by_case(inference: Inference) -> dict[str, dict[str, object]]:
    return {r.case: r.as_dict() for r in inference.results}
