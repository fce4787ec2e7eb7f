"""Writing files the user asked for: never over an existing file unless forced, never half-done.

Every file is written to a temporary sibling and renamed into place, so an interrupted run
leaves either the old file or the new one. A set of files (a folder of Phenopackets, a release)
is staged as a temporary sibling folder and renamed as a whole."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from .errors import InputFileError, UsageError


def refuse_existing(path: Path, force: bool) -> None:
    """Raise a UsageError when `path` exists and the user did not pass --force."""
    if path.exists() and not force:
        raise UsageError(f"{path}: already exists; pass --force to overwrite it")


def write_file(path: Path, content: str | bytes, force: bool = False) -> None:
    """Write one file atomically: a temporary sibling renamed over `path`."""
    refuse_existing(path, force)
    if path.is_dir():
        raise UsageError(f"{path}: is a folder; give a file name")
    data = content.encode("utf-8") if isinstance(content, str) else content
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputFileError(f"{folder}: no such folder for the output file")
    handle, staging = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise


def write_folder(folder: Path, files: Mapping[str, str | bytes], force: bool = False) -> None:
    """Write a set of files as one folder: staged beside it, then renamed into place.

    With `force`, an existing folder is replaced whole (its old files do not linger)."""
    refuse_existing(folder, force)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder}: is a file; give a folder name")
    parent = folder.parent if str(folder.parent) else Path(".")
    if not parent.is_dir():
        raise InputFileError(f"{parent}: no such folder for the output")
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".part", dir=parent))
    try:
        for name, content in files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        if folder.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".old", dir=parent))
            retired.rmdir()
            folder.rename(retired)
            staging.rename(folder)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
