"""Where the knowledge base lives: the one shipped with the package, or a curator's copy."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import InputFileError

KB_ENV = "CALCINOSIS_KB_DIR"
SOURCES_ENV = "CALCINOSIS_KB_SOURCES"


def embedded_root() -> Path:
    """The knowledge base that travels with the package: copied into the wheel as
    calcinosis_kb/kb, or the repository itself in a source checkout."""
    packaged = Path(__file__).resolve().parent / "kb"
    if (packaged / "ontology").is_dir():
        return packaged
    return Path(__file__).resolve().parents[2]


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
        return sorted((self.root / "ontology").glob("*.ttl"))

    @property
    def case_files(self) -> list[Path]:
        return sorted((self.root / "cases").glob("*.ttl"))

    @property
    def query_files(self) -> list[Path]:
        return sorted((self.root / "queries").glob("*.rq"))

    @property
    def sources_dir(self) -> Path | None:
        """The folder of source texts that quotes are checked against, if it can be found."""
        if os.environ.get(SOURCES_ENV):
            return Path(os.environ[SOURCES_ENV])
        for candidate in (self.root.parent / "shared" / "sources", Path.cwd().parent / "shared" / "sources"):
            if candidate.is_dir():
                return candidate
        return None
