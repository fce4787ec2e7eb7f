"""Output files are refused when they exist (unless forced) and never left half-written."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from calcinosis_kb.knowledgebase.errors import InputFileError, UsageError
from calcinosis_kb.knowledgebase.output import write_file, write_folder


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

    monkeypatch.setattr("calcinosis_kb.knowledgebase.output.os.replace", interrupted)
    with pytest.raises(Interrupted):
        write_file(tmp_path / "out.json", "{}")
    assert list(tmp_path.iterdir()) == []


def test_write_folder_replaces_whole_folder_when_forced(tmp_path: Path) -> None:
    folder = tmp_path / "release"
    write_folder(folder, {"a.ttl": "A", "sub/b.obo": "B"})
    assert (folder / "sub" / "b.obo").read_text() == "B"
    with pytest.raises(UsageError, match="already exists"):
        write_folder(folder, {"c.ttl": "C"})
    write_folder(folder, {"c.ttl": "C", "d.obo": "D"}, force=True)
    assert sorted(p.name for p in folder.iterdir()) == ["c.ttl", "d.obo"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["release"]


def test_force_never_replaces_what_kb_did_not_write(tmp_path: Path) -> None:
    notes = tmp_path / "mine"
    notes.mkdir()
    (notes / "notes.txt").write_text("precious")
    with pytest.raises(UsageError, match=r"holds notes.txt, which kb did not write"):
        write_folder(notes, {"a.json": "{}"}, force=True)
    assert (notes / "notes.txt").read_text() == "precious"
    link = tmp_path / "link.ttl"
    link.symlink_to(tmp_path / "elsewhere.ttl")
    with pytest.raises(UsageError, match="not a regular file"):
        write_file(link, "x", force=True)
    with pytest.raises(UsageError, match="not a regular file"):
        write_file(Path("/dev/null"), "x", force=True)
    assert not (tmp_path / "elsewhere.ttl").exists()


def test_written_files_follow_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        write_file(tmp_path / "a.ttl", "x")
        write_folder(tmp_path / "release" / "1.0", {"b.obo": "y"})
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "a.ttl").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "release" / "1.0").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "release" / "1.0" / "b.obo").stat().st_mode) == 0o644


def test_os_errors_become_one_line(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such folder for the output file"):
        write_file(tmp_path / "missing" / "a.ttl", "x")
    with pytest.raises(InputFileError, match="cannot write"):
        write_file(Path("/proc/kb-test.ttl"), "x")


def test_failed_swap_puts_the_old_folder_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "out"
    write_folder(folder, {"a.json": "old"})
    real_rename = Path.rename

    def rename(self: Path, target: Path) -> Path:
        if self.name.endswith(".part"):
            raise OSError(28, "No space left on device")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(InputFileError, match="cannot write: No space left on device"):
        write_folder(folder, {"a.json": "new"}, force=True)
    assert (folder / "a.json").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
