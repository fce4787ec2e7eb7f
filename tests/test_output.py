"""Output files are refused when they exist (unless forced) and never left half-written."""

from __future__ import annotations

from pathlib import Path

import pytest

from calcinosis_kb.errors import UsageError
from calcinosis_kb.output import write_file, write_folder


def test_write_file_refuses_existing_then_forces(tmp_path: Path) -> None:
    target = tmp_path / "out.ttl"
    write_file(target, "first")
    with pytest.raises(UsageError, match="already exists; pass --force"):
        write_file(target, "second")
    assert target.read_text() == "first"
    write_file(target, "second", force=True)
    assert target.read_text() == "second"
    assert [p.name for p in tmp_path.iterdir()] == ["out.ttl"]


def test_write_file_leaves_nothing_when_interrupted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Interrupted(Exception):
        pass

    def interrupted(*_: object) -> None:
        raise Interrupted

    monkeypatch.setattr("calcinosis_kb.output.os.replace", interrupted)
    with pytest.raises(Interrupted):
        write_file(tmp_path / "out.json", "{}")
    assert list(tmp_path.iterdir()) == []


def test_write_folder_replaces_whole_folder_when_forced(tmp_path: Path) -> None:
    folder = tmp_path / "release"
    write_folder(folder, {"a.ttl": "A", "sub/b.obo": "B"})
    assert (folder / "sub" / "b.obo").read_text() == "B"
    with pytest.raises(UsageError, match="already exists"):
        write_folder(folder, {"c.ttl": "C"})
    write_folder(folder, {"c.ttl": "C"}, force=True)
    assert sorted(p.name for p in folder.iterdir()) == ["c.ttl"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["release"]
