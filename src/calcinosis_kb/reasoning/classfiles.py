"""HermiT's class files, upgraded so that the JVM's class cache can keep them.

HermiT and its automaton library were compiled for Java 5: class files of version 49, without
the stack maps that the verifier of version 50 and later checks. The AOT cache (classcache) keeps
only classes it could verify and link as it was trained, so it left out the 280 HermiT classes a
run loads, and every run loaded, verified and linked them from the jar again. The trainer of the
class cache rewrites them once, with the JDK's own ClassFile API (java.lang.classfile, Java 24+):
version 50, every instruction and debugging attribute as it was, stack maps computed from the
jar's class hierarchy. The cache then keeps them. In a cold one-case `kb infer` the first reasoner
is set up in 0.04-0.07 s rather than 0.09-0.13 s, and the whole run took 1.04 s against 1.14 s
(medians of 31, alternately, on the shared two-core machine).

Nothing can change what HermiT computes: the instructions are the same, and a class whose stack
maps the JVM refused would be verified as before (for version 50 the JVM falls back to the old
verifier). A class the API cannot rewrite is kept as it was. The upgraded jar lives in the cache
folder, named by the jar and Java it was made from and for; a run uses it only when it is there."""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import zipfile
from pathlib import Path
from types import ModuleType

from calcinosis_kb.knowledgebase.location import cache_root
from calcinosis_kb.reasoning.hermit import check_java, java_major

UPGRADE_SINCE = 25
"""The ClassFile API is final in Java 24; the class cache the upgrade is for needs Java 25."""

UPGRADED_PACKAGES = ("org/semanticweb/HermiT/", "dk/brics/", "rationals/")
"""HermiT and the libraries it runs (the OWL API in the same jar is compiled for Java 6 already)."""

UPGRADED_VERSION = 50
UPGRADE_FORMAT = 1  # changed whenever the rewriting changes, so that older upgrades are not used
RETRY_SECONDS = 86400


def class_file_version(data: bytes) -> int:
    """The major version of a class file (the two bytes after the magic number and minor version)."""
    return int.from_bytes(data[6:8], "big")


def upgraded_path(original: Path) -> Path | None:
    """Where the upgrade of this jar, for the Java kb runs on, is kept; None when it cannot be named."""
    try:
        status = original.stat()
        key = f"{original.resolve()}\0{status.st_size}\0{status.st_mtime_ns}\0{Path(check_java()).resolve()}" \
              f"\0{java_major()}\0{UPGRADE_FORMAT}"
    except OSError:
        return None
    return cache_root() / "jvm" / f"{original.stem}-{hashlib.sha256(key.encode()).hexdigest()[:24]}.jar"


def hermit_jar(original: Path) -> Path:
    """The jar a JVM of this run puts on its class path: the upgrade of `original` when it has been
    made (and is a whole zip file), else `original`. Its access time says it is in use (classcache
    removes files unused for a week); not its modification time, which the class cache checks."""
    upgraded = upgraded_path(original) if java_major() >= UPGRADE_SINCE else None
    if upgraded is None or not zipfile.is_zipfile(upgraded):
        return original
    try:
        os.utime(upgraded, ns=(time.time_ns(), upgraded.stat().st_mtime_ns))
    except OSError:
        return original
    return upgraded


def wants_upgrade(original: Path) -> bool:
    """No upgrade of this jar yet (or a damaged one), none failed in the last day, and the jar is
    not itself an upgrade."""
    upgraded = upgraded_path(original)
    if upgraded is None or java_major() < UPGRADE_SINCE or zipfile.is_zipfile(upgraded) \
            or original.parent == upgraded.parent:
        return False
    try:
        return time.time() - upgraded.with_suffix(".failed").stat().st_mtime >= RETRY_SECONDS
    except OSError:
        return True


def upgrade(original: Path, jpype: ModuleType) -> Path | None:
    """Write the upgrade of `original` (in a started JVM, through `jpype`) beside the class cache;
    its path, or None if it could not be made (then marked, and tried again a day later)."""
    upgraded = upgraded_path(original)
    if upgraded is None:
        return None
    staging = upgraded.with_name(f".{upgraded.name}.{os.getpid()}.part")
    try:
        upgraded.parent.mkdir(parents=True, exist_ok=True)
        _rewrite(original, staging, jpype)
        os.replace(staging, upgraded)
    except Exception:  # JPype raises Java's exceptions, which share no Python base
        staging.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            upgraded.with_suffix(".failed").touch()
        return None
    return upgraded if upgraded.is_file() else None


def _rewrite(original: Path, destination: Path, jpype: ModuleType) -> None:
    """Copy the jar entry by entry, each class file of an upgraded package that is older than
    version 50 rewritten (see the module's docstring)."""
    java_class = jpype.JClass
    class_file = java_class("java.lang.classfile.ClassFile")
    resolvers = java_class("java.lang.classfile.ClassHierarchyResolver")
    jar_url = java_class("java.io.File")(str(original.resolve())).toURI().toURL()
    # The class hierarchy the stack maps need: the jar's own classes, then the JDK's.
    loader = java_class("java.net.URLClassLoader")(jpype.JArray(java_class("java.net.URL"))([jar_url]), None)
    resolver = resolvers.ofResourceParsing(loader).orElse(resolvers.defaultResolver()).cached()
    reader = class_file.of()
    writer = class_file.of(class_file.StackMapsOption.GENERATE_STACK_MAPS,
                           class_file.ClassHierarchyResolverOption.of(resolver))
    transforms = java_class("java.lang.classfile.ClassTransform")
    rewrite = transforms.transformingMethodBodies(java_class("java.lang.classfile.CodeTransform").ACCEPT_ALL) \
        .andThen(transforms.endHandler(lambda builder: builder.withVersion(UPGRADED_VERSION, 0)))
    with zipfile.ZipFile(original) as source, zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename.endswith(".class") and entry.filename.startswith(UPGRADED_PACKAGES) \
                    and class_file_version(data) < UPGRADED_VERSION:
                try:
                    model = reader.parse(jpype.JArray(jpype.JByte)(data))
                    data = bytes(writer.transformClass(model, rewrite))
                except jpype.JException:  # e.g. a class naming one the jar lacks: kept as it was
                    pass
            target.writestr(entry, data)
