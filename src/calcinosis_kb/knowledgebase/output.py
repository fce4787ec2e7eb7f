"""Writing files the user asked for: never over an existing file unless forced, never half-done.

Every file is written to a temporary sibling and renamed into place, so an interrupted run
leaves either the old file or the new one. A set of files (a folder of Phenopackets, a release)
is staged as a temporary sibling folder and renamed as a whole. Only regular files, and folders
holding nothing but files of the kinds kb writes there, are ever replaced: `--force` never
turns a device, a symbolic link or somebody's folder of notes into kb's output. Staged siblings
carry the writer's process id; a run killed outright (SIGKILL) leaves them, and the next write of
the same output removes them, or puts back the old output if the kill came mid-swap."""

from __future__ import annotations

import glob
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from calcinosis_kb.knowledgebase.errors import InputFileError, UsageError


def refuse_existing(path: Path, force: bool) -> None:
    """Raise a UsageError when `path` exists and the user did not pass --force."""
    if (path.exists() or path.is_symlink()) and not force:
        raise UsageError(f"{path}: already exists; pass --force to overwrite it")


def write_file(path: Path, content: str | bytes, force: bool = False) -> None:
    """Write one file atomically: a temporary sibling renamed over `path`."""
    refuse_existing(path, force)
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise UsageError(f"{path}: not a regular file; kb writes only to a new or regular file (omit -o for stdout)")
    data = content.encode("utf-8") if isinstance(content, str) else content
    folder = path.parent
    if not folder.is_dir():
        raise InputFileError(f"{folder}: no such folder for the output file; create it first")
    remove_abandoned_siblings(path)
    try:
        handle, staging = tempfile.mkstemp(prefix=_sibling_prefix(path), suffix=".part", dir=folder)
    except OSError as error:
        raise InputFileError(f"{path}: cannot write: {error.strerror}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(staging, 0o666 & ~_umask())
        os.replace(staging, path)
    except OSError as error:
        Path(staging).unlink(missing_ok=True)
        raise InputFileError(f"{path}: cannot write: {error.strerror}") from None
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise


def write_folder(folder: Path, files: Mapping[str, str | bytes], force: bool = False) -> None:
    """Write a set of files as one folder: staged beside it, then renamed into place.

    With `force`, an existing folder is replaced whole (its old files do not linger), but only
    when it holds nothing except files whose names or extensions are those being written."""
    refuse_existing(folder, force)
    if folder.exists() or folder.is_symlink():
        _check_replaceable(folder, files)
    parent = folder.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        remove_abandoned_siblings(folder.absolute())
        staging = Path(tempfile.mkdtemp(prefix=_sibling_prefix(folder), suffix=".part", dir=parent))
    except OSError as error:
        raise InputFileError(f"{folder}: cannot write: {error.strerror}") from None
    try:
        os.chmod(staging, 0o777 & ~_umask())
        for name, content in files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
            os.chmod(target, 0o666 & ~_umask())
        if folder.exists():
            _swap(staging, folder)
        else:
            staging.rename(folder)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise InputFileError(f"{folder}: cannot write: {error.strerror}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _check_replaceable(folder: Path, files: Mapping[str, str | bytes]) -> None:
    if folder.is_symlink() or not folder.is_dir():
        raise UsageError(f"{folder}: not a folder kb can replace; give a new folder name")
    if folder.resolve() in (Path.cwd().resolve(), *Path.cwd().resolve().parents):
        raise UsageError(f"{folder}: is the current folder or one above it; give a new folder name")
    names = {Path(name).name for name in files}
    suffixes = {Path(name).suffix for name in files}
    for entry in folder.rglob("*"):
        if entry.is_dir() and not entry.is_symlink():
            continue
        if entry.is_symlink() or not entry.is_file() or (entry.name not in names and entry.suffix not in suffixes):
            raise UsageError(f"{folder}: holds {entry.relative_to(folder)}, which kb did not write; "
                             "give a new folder name rather than --force over it")


def _swap(staging: Path, folder: Path) -> None:
    """Put `staging` where `folder` is; if that fails, the old folder goes back."""
    retired = Path(tempfile.mkdtemp(prefix=_sibling_prefix(folder), suffix=".old", dir=staging.parent))
    retired.rmdir()
    folder.rename(retired)
    try:
        staging.rename(folder)
    except BaseException:
        retired.rename(folder)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def _sibling_prefix(path: Path) -> str:
    return f".{path.name}.{os.getpid()}."


def remove_abandoned_siblings(path: Path) -> None:
    """Remove the staged siblings of `path` left by writers that no longer run; if `path` itself is
    missing and such a writer had moved the old output aside (.old), put that back first."""
    pattern = re.compile(rf"\.{re.escape(path.name)}\.(\d+)\..*\.(part|old)")
    for sibling in sorted(path.parent.glob(f".{glob.escape(path.name)}.*")):
        match = pattern.fullmatch(sibling.name)
        if match is None or process_alive(int(match[1])):
            continue
        if match[2] == "old" and not (path.exists() or path.is_symlink()):
            sibling.rename(path)
        elif sibling.is_dir() and not sibling.is_symlink():
            shutil.rmtree(sibling, ignore_errors=True)
        else:
            sibling.unlink(missing_ok=True)


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs (on this machine): a staged write or build is its own."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # somebody else's live process
        return True
    except OverflowError:
        return False
    return True


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
