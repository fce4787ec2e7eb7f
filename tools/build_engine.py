"""Build kb's reasoner-process jar (src/calcinosis_kb/reasoning/engine/engine.jar) from Engine.java
beside it: compiled for Java 8 against owlready2's HermiT jar, packed with fixed timestamps and
the SHA-256 of its source, so that the same source and javac give the same jar and a test can
tell a jar that no longer matches its source (tests/test_engineprocess.py).

    .venv/bin/python tools/build_engine.py     # needs a JDK's javac on PATH
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from calcinosis_kb.reasoning.enginestart import ENGINE_JAR, ENGINE_SOURCE, JAVAC_ENTRY, SOURCE_DIGEST_ENTRY
from calcinosis_kb.reasoning.hermit import hermit_dir

FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def compiled_classes(source: Path) -> dict[str, bytes]:
    """The class files javac makes of the source, by their path in a jar."""
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["javac", "--release", "8", "-Xlint:all", "-Werror", "-d", folder,
                        "-cp", str(hermit_dir() / "HermiT.jar"), str(source)], check=True)
        return {path.relative_to(folder).as_posix(): path.read_bytes()
                for path in sorted(Path(folder).rglob("*.class"))}


def javac_version() -> str:
    done = subprocess.run(["javac", "-version"], capture_output=True, text=True, check=True)
    return (done.stdout + done.stderr).strip()


def jar(classes: dict[str, bytes], source: bytes) -> bytes:
    """A jar of these class files, the source's SHA-256 and the javac that compiled it: the same
    bytes for the same input."""
    entries = {"META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\r\nCreated-By: tools/build_engine.py\r\n\r\n",
               **classes, SOURCE_DIGEST_ENTRY: hashlib.sha256(source).hexdigest().encode(),
               JAVAC_ENTRY: javac_version().encode()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(zipfile.ZipInfo(name, FIXED_TIME), data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def main() -> int:
    built = jar(compiled_classes(ENGINE_SOURCE), ENGINE_SOURCE.read_bytes())
    staged = ENGINE_JAR.with_suffix(".part")
    staged.write_bytes(built)
    staged.replace(ENGINE_JAR)
    print(f"wrote {ENGINE_JAR}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
