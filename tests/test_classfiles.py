"""HermiT's class files upgraded for the JVM's class cache (reasoning.classfiles): only the class
file version changes and stack maps are added; the bytecode of every method stays byte for byte.
A run uses the upgrade only when it is there and whole, and a failed upgrade waits a day."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from calcinosis_kb.reasoning import classfiles, jvm
from calcinosis_kb.reasoning.classfiles import UPGRADE_SINCE, UPGRADED_PACKAGES, class_file_version
from calcinosis_kb.reasoning.hermit import hermit_dir, java_major

pytestmark = pytest.mark.skipif(java_major() < UPGRADE_SINCE, reason="the upgrade is made for Java 25's class cache")

ORIGINAL = hermit_dir() / "HermiT.jar"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CALCINOSIS_KB_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def jpype() -> Any:
    jvm._java(quick_start=True)  # any JVM of Java 24+ has the ClassFile API
    return jvm._import_jpype()


@pytest.fixture(scope="module")
def upgraded(jpype: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("upgrade")
    previous = os.environ.get("CALCINOSIS_KB_CACHE")
    os.environ["CALCINOSIS_KB_CACHE"] = str(folder)
    try:
        made = classfiles.upgrade(ORIGINAL, jpype)
    finally:
        os.environ.pop("CALCINOSIS_KB_CACHE")
        if previous is not None:
            os.environ["CALCINOSIS_KB_CACHE"] = previous
    assert made is not None and made.parent == folder / "jvm"
    assert sorted(p.name for p in made.parent.iterdir()) == [made.name], "no staging file is left"
    yield made


def methods(jpype: Any, data: bytes) -> list[tuple[str, str, bytes, list[str], bool]]:
    """Each method's name, descriptor, bytecode, exception table and whether it has stack maps."""
    model = jpype.JClass("java.lang.classfile.ClassFile").of().parse(jpype.JArray(jpype.JByte)(data))
    stack_maps = jpype.JClass("java.lang.classfile.Attributes").stackMapTable()
    listed = []
    for method in model.methods():
        code = method.code()
        if code.isPresent():
            listed.append((str(method.methodName()), str(method.methodType()), bytes(code.get().codeArray()),
                           [str(handler) for handler in code.get().exceptionHandlers()],
                           code.get().findAttribute(stack_maps).isPresent()))
    return listed


def test_only_the_version_changes_and_stack_maps_are_added(jpype: Any, upgraded: Path) -> None:
    with zipfile.ZipFile(ORIGINAL) as original, zipfile.ZipFile(upgraded) as made:
        assert made.namelist() == original.namelist()
        rewritten, kept, with_stack_maps = 0, [], 0
        for name in original.namelist():
            before, after = original.read(name), made.read(name)
            old_class = name.endswith(".class") and name.startswith(UPGRADED_PACKAGES) and \
                class_file_version(before) < classfiles.UPGRADED_VERSION
            if not old_class:
                assert after == before, f"{name} is not HermiT's, or not old: left as it was"
                continue
            if after == before:
                kept.append(name)
                continue
            rewritten += 1
            assert class_file_version(after) == classfiles.UPGRADED_VERSION
            old, new = methods(jpype, before), methods(jpype, after)
            assert [m[:4] for m in new] == [m[:4] for m in old], f"{name}: the same bytecode, byte for byte"
            assert not any(m[4] for m in old)
            with_stack_maps += sum(m[4] for m in new)
    assert rewritten > 500 and len(kept) <= 5, kept
    assert with_stack_maps > 1000


def test_every_rewritten_class_passes_the_verifier_without_falling_back(upgraded: Path, tmp_path: Path) -> None:
    """Loaded (and so verified) from the upgraded jar, in a JVM that logs its verification: stack
    maps it refused would make it fall back to the old verifier, which it logs (as it does for a
    jar whose version alone was raised)."""
    with zipfile.ZipFile(ORIGINAL) as original, zipfile.ZipFile(upgraded) as made:
        names = [name[:-len(".class")].replace("/", ".") for name in original.namelist()
                 if name.endswith(".class") and name.startswith(UPGRADED_PACKAGES)
                 and original.read(name) != made.read(name)]
    log = tmp_path / "verification.log"
    script = (
        "import sys, jpype\n"
        "from calcinosis_kb.reasoning import jvm\n"
        "library, options, _ = jvm._jvm_setup(jvm._import_jpype())\n"
        "jpype.startJVM(library, *options, f'-Xlog:verification=info:file={sys.argv[2]}', classpath=[sys.argv[1]])\n"
        "loader = jpype.JClass('java.lang.ClassLoader').getSystemClassLoader()\n"
        "for name in sys.stdin.read().split():\n"
        "    try:\n"
        "        jpype.JClass('java.lang.Class').forName(name, True, loader)\n"
        "    except jpype.JClass('java.lang.LinkageError'):\n"
        "        print(name)  # a class naming one the jar lacks (Protege's), or refused\n")
    done = subprocess.run([sys.executable, "-c", script, str(upgraded), str(log)], input="\n".join(names),
                          text=True, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr
    unloaded = done.stdout.split()
    assert len(unloaded) <= 5, unloaded
    logged = log.read_text()
    assert "Fail over" not in logged and "with old format" not in logged
    for name in set(names) - set(unloaded):
        assert f"Verifying class {name} with new format" in logged


def test_a_run_uses_the_upgrade_only_when_it_is_there_and_whole(cache: Path, upgraded: Path) -> None:
    assert classfiles.hermit_jar(ORIGINAL) == ORIGINAL
    target = classfiles.upgraded_path(ORIGINAL)
    assert target is not None and target.parent == cache / "jvm"
    target.parent.mkdir(parents=True)
    assert classfiles.wants_upgrade(ORIGINAL)
    target.write_bytes(upgraded.read_bytes()[:-100])  # cut short: not a whole zip file
    assert classfiles.hermit_jar(ORIGINAL) == ORIGINAL
    assert classfiles.wants_upgrade(ORIGINAL), "made again"
    target.write_bytes(upgraded.read_bytes())
    os.utime(target, (1_000_000, 2_000_000))
    assert classfiles.hermit_jar(ORIGINAL) == target and not classfiles.wants_upgrade(ORIGINAL)
    assert not classfiles.wants_upgrade(target), "an upgrade is not upgraded again"
    status = target.stat()
    assert status.st_mtime == 2_000_000, "the class cache checks the jar's modification time"
    assert status.st_atime > time.time() - 60, "its access time says it is in use"


def test_the_upgrade_is_named_by_the_jar_and_the_java(cache: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    named = classfiles.upgraded_path(ORIGINAL)
    copy = tmp_path / "HermiT.jar"
    copy.write_bytes(ORIGINAL.read_bytes())
    assert classfiles.upgraded_path(copy) not in (None, named)
    monkeypatch.setattr(classfiles, "java_major", lambda: 24)
    assert classfiles.upgraded_path(ORIGINAL) != named
    assert classfiles.hermit_jar(ORIGINAL) == ORIGINAL and not classfiles.wants_upgrade(ORIGINAL), "Java 24: none"
    assert classfiles.upgraded_path(tmp_path / "missing.jar") is None


def test_a_failed_upgrade_is_tried_again_a_day_later(cache: Path, jpype: Any, tmp_path: Path) -> None:
    broken = tmp_path / "HermiT.jar"
    broken.write_text("not a jar\n")
    assert classfiles.wants_upgrade(broken)
    assert classfiles.upgrade(broken, jpype) is None
    target = classfiles.upgraded_path(broken)
    assert target is not None
    assert sorted(p.suffix for p in target.parent.iterdir()) == [".failed"], "no staging file is left"
    assert not classfiles.wants_upgrade(broken)
    day_ago = time.time() - classfiles.RETRY_SECONDS - 1
    os.utime(target.with_suffix(".failed"), (day_ago, day_ago))
    assert classfiles.wants_upgrade(broken)
