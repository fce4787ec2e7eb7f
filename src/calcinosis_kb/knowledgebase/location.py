"""Where the knowledge base lives: the one shipped with the package, or a curator's copy."""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from calcinosis_kb.knowledgebase.errors import InputFileError

KB_ENV = "CALCINOSIS_KB_DIR"
SOURCES_ENV = "CALCINOSIS_KB_SOURCES"
CACHE_ENV = "CALCINOSIS_KB_CACHE"


def listed(folder: Path, pattern: str) -> list[Path]:
    """The files of a folder that match a pattern, sorted; none when there is no such folder. A
    folder kb may not list is an error: a glob over it would quietly find nothing."""
    try:
        with os.scandir(folder):
            pass
    except (FileNotFoundError, NotADirectoryError):
        return []
    except PermissionError as error:
        raise InputFileError(f"{folder}: cannot be read: {error.strerror}; check its permissions") from None
    return sorted(folder.glob(pattern))


def cache_root() -> Path:
    """Where kb keeps what it can rebuild (the query store, the parsed ontology, the JVM's class
    archive): CALCINOSIS_KB_CACHE, else the user's cache folder."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "calcinosis-kb"


CACHE_KEPT_SECONDS = 7 * 86400
"""How long a cache file of an older ontology or version is kept beside the current one."""


def keep_in_cache(path: Path, data: bytes) -> None:
    """Write a cache file atomically, and drop week-old files of its kind (its suffix) beside it:
    one per KB folder and version is enough. A cache that cannot be written is simply not kept."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in path.parent.glob(f"*{path.suffix}"):
            if old != path and old.stat().st_mtime < time.time() - CACHE_KEPT_SECONDS:
                old.unlink(missing_ok=True)
        handle, staging = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(staging, path)
    except OSError:
        pass


def embedded_root() -> Path:
    """The knowledge base that travels with the package: copied into the wheel as
    calcinosis_kb/kb, or the repository itself in a source checkout."""
    package = Path(__file__).resolve().parents[1]
    packaged = package / "kb"
    if (packaged / "ontology").is_dir():
        return packaged
    return package.parents[1]


@dataclass(frozen=True)
class KnowledgeBase:
    root: Path

    @classmethod
    def locate(cls, kb_dir: Path | None = None) -> KnowledgeBase:
        chosen = kb_dir or (Path(os.environ[KB_ENV]) if os.environ.get(KB_ENV) else None)
        root = chosen if chosen is not None else embedded_root()
        if not (root / "ontology").is_dir():
            raise InputFileError(
                f"{root}: not a knowledge-base folder (no ontology/ inside); "
                f"point --kb or {KB_ENV} at a folder with ontology/, cases/ and queries/"
            )
        return cls(root.resolve())

    @property
    def ontology_files(self) -> list[Path]:
        """The ontology's parts, then the declared source documents (sources/*.ttl): both are
        merged into the one ontology graph that cases are checked and reasoned against."""
        return listed(self.root / "ontology", "*.ttl") + self.source_declarations

    @property
    def source_declarations(self) -> list[Path]:
        """Source documents a curator declares in the KB folder, one Turtle file each."""
        return listed(self.root / "sources", "*.ttl")

    @property
    def case_files(self) -> list[Path]:
        return listed(self.root / "cases", "*.ttl")

    @property
    def query_files(self) -> list[Path]:
        return listed(self.root / "queries", "*.rq")

    @property
    def text_folders(self) -> list[Path]:
        """Where source texts are looked for, in order: the folders named by CALCINOSIS_KB_SOURCES
        (separated like PATH), the KB's own texts/, then the shipped texts and the corpus texts
        in ../shared beside the KB or the current folder."""
        named = [Path(part) for part in os.environ.get(SOURCES_ENV, "").split(os.pathsep) if part]
        shared = [base / "shared" / sub for base in (self.root.parent, Path.cwd().parent)
                  for sub in ("sources", Path("corpus") / "texts")]
        found: list[Path] = []
        for folder in [*named, self.root / "texts", *shared]:
            if folder.is_dir() and folder.resolve() not in found:
                found.append(folder.resolve())
        return found

    def source_text(self, file_name: str) -> Path | None:
        """The first text of that name along the search path."""
        for folder in self.text_folders:
            if (folder / file_name).is_file():
                return folder / file_name
        return None


def ontology_cache_path(kb: KnowledgeBase, kind: str) -> Path | None:
    """Where something made from the KB's ontology (its parsed graph, `kind` "pickle"; the
    reasoner's reading of it) is kept: one file per state of the ontology's files and version."""
    from calcinosis_kb import __version__

    try:
        digest = hashlib.sha256(f"{__version__}\0{sys.version_info[:2]}\0{kb.root}".encode())
        for path in kb.ontology_files:
            status = path.stat()
            digest.update(f"{path.name}\0{status.st_size}\0{status.st_mtime_ns}\n".encode())
    except OSError:
        return None
    return cache_root() / "ontology" / f"{digest.hexdigest()[:24]}.{kind}"


def case_files_from(arguments: Iterable[Path], kb: KnowledgeBase) -> list[Path]:
    """Expand command-line paths: a folder means every .ttl in it; nothing means the KB's cases."""
    paths = list(arguments)
    if not paths:
        return kb.case_files
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(listed(path, "*.ttl"))
        elif path.exists():
            files.append(path)
        else:
            raise InputFileError(f"{path}: no such file or folder")
    return files
