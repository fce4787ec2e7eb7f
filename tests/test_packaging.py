"""`pip install .` gives a kb that works from any folder: the knowledge base travels with it."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from calcinosis_kb import __version__

from .conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                    str(ROOT)], check=True, capture_output=True)
    return next(out.glob("calcinosis_kb-*.whl"))


def test_wheel_carries_the_knowledge_base(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("ontology", "cases", "queries", "shapes", "sources"):
        shipped = {p.relative_to(ROOT).as_posix() for p in (ROOT / folder).iterdir() if p.is_file()}
        for name in shipped:
            assert f"calcinosis_kb/kb/{name}" in names, name
    assert __version__ in wheel.name


def test_installed_kb_works_from_any_folder(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    # The dependencies come from this environment; the package itself only from the wheel.
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    (Path(site) / "parent-environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(wheel)],
                   check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run([str(venv / "bin" / "kb"), "cases", "--format", "csv"], cwd=elsewhere,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "case:carrascosa2011" in result.stdout
    where = "from calcinosis_kb.knowledgebase.location import embedded_root; print(embedded_root())"
    located = subprocess.run([str(python), "-c", where], cwd=elsewhere, capture_output=True, text=True,
                             check=True).stdout
    assert "site-packages/calcinosis_kb/kb" in located
