"""The package's layers and the absence of import circles, as import-linter checks them in CI:
the real tree passes, and a copy with an upward import or a circle fails."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGE = ROOT / "src" / "calcinosis_kb"
LAYERS = ["cli", "presentation", "interchange", "quality", "querying", "reasoning", "knowledgebase"]


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
                          cwd=root, env={"PYTHONPATH": str(root / "src"), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    shutil.copytree(PACKAGE, tmp_path / "src" / "calcinosis_kb", ignore=shutil.ignore_patterns("__pycache__", "kb"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_tree_shows_the_layers() -> None:
    packages = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    assert packages == sorted(LAYERS)
    assert not [p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"], "every module belongs to a layer"


def test_no_module_is_over_400_lines() -> None:
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert not long


def test_the_import_contracts_are_kept() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_an_upward_import_breaks_the_layers(package_copy: Path) -> None:
    errors = package_copy / "src" / "calcinosis_kb" / "knowledgebase" / "errors.py"
    errors.write_text(errors.read_text() + "\nfrom calcinosis_kb.querying import store  # noqa\n")
    result = lint_imports(package_copy)
    assert result.returncode != 0
    assert "Layers: the CLI on top, the knowledge base itself at the bottom BROKEN" in result.stdout
    assert "calcinosis_kb.knowledgebase.errors -> calcinosis_kb.querying.store" in result.stdout


def test_a_circle_between_modules_breaks_the_contract(package_copy: Path) -> None:
    namespaces = package_copy / "src" / "calcinosis_kb" / "knowledgebase" / "namespaces.py"
    namespaces.write_text(namespaces.read_text() + "\nfrom calcinosis_kb.knowledgebase import cases  # noqa\n")
    result = lint_imports(package_copy)
    assert result.returncode != 0
    assert "No import circles between the modules of a package BROKEN" in result.stdout
