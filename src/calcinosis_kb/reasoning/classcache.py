"""The JVM's class cache (a Java 25 AOT cache): made once per Java, jars and options by a training
run in a detached process of low priority, then used by every JVM kb starts, which then reads
the ontology and reasons sooner. A cache that is missing, damaged or refused only loses the
speed-up: no run waits for one or fails for one."""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from calcinosis_kb.knowledgebase.location import cache_root
from calcinosis_kb.reasoning.hermit import check_java, java_major

AOT_CACHE_SINCE = 25
"""Java 25 writes an AOT cache (JEP 483, 514) in one training run: the classes the JVM loaded,
parsed and linked, and their profiles. With it a cold `kb infer` of one case starts its JVM, reads
the ontology and reasons about a quarter of a second sooner."""

QUIET_CACHE = ("-Xlog:aot*=off", "-Xlog:cds*=off")
"""A cache the JVM refuses (damaged, or for another build) only costs the speed-up: the JVM goes
on without it, and these keep its warnings out of kb's output."""

CONFLICTING_OPTIONS = ("Xshare", "SharedArchiveFile", "SharedClassListFile", "DumpLoadedClassList", "AOT",
                       "ArchiveClassesAtExit")
"""Options the JVM refuses to start with beside an AOT cache (it then ends the process): none
may come from the environment, and JPype's own -Xshare:off for a non-ASCII class path is avoided."""

STALE_SECONDS = 15 * 60  # a training not finished in this time has died
RETRY_SECONDS = 86400  # after a failed training, the next is tried this much later
UNUSED_SECONDS = 7 * 86400  # a cache (for another Java or jar) not used this long is removed


def class_cache(library: str, options: list[str], classpath: list[str]) -> ClassCache | None:
    """The class cache for a JVM of this library, options and class path (JPype's jar included), or
    None where one cannot be used: a Java before 25, or settings a cache would make the JVM refuse.
    It is named by what the JVM checks a cache against, so one made for another Java, jar or set of
    options is never offered (and would be refused quietly if it were)."""
    if java_major() < AOT_CACHE_SINCE:
        return None
    inherited = " ".join(os.environ.get(name, "") for name in ("JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS"))
    if any(option in inherited for option in CONFLICTING_OPTIONS):
        return None
    digest = hashlib.sha256(f"{Path(check_java()).resolve()}\0{java_major()}\0{options}\n".encode())
    try:
        for part in (library, *classpath):
            status = Path(part).stat()
            digest.update(f"{Path(part).resolve()}\0{status.st_size}\0{status.st_mtime_ns}\n".encode())
    except OSError:
        return None
    cache = ClassCache(cache_root() / "jvm" / f"{digest.hexdigest()[:24]}.aot", [*options], [*classpath])
    if not all(text.isascii() for text in (str(cache.path), *options, *classpath)):
        return None
    return cache


@dataclass(frozen=True)
class ClassCache:
    """One AOT cache file in the cache folder, with its marker files: `.seen` once a run has
    found no cache (the next such run trains one: a cache folder used once, as a test's, is not
    worth the training's seconds of CPU), `.lock` while a trainer runs (one at a time) and
    `.failed` for a day after a training failed."""

    path: Path
    options: list[str] = field(default_factory=list)
    classpath: list[str] = field(default_factory=list)

    def _marker(self, kind: str) -> Path:
        return self.path.with_suffix(f".{kind}")

    def jvm_options(self, training_output: Path | None = None) -> list[str]:
        """The options that train the cache (into `training_output`), or use it when it exists."""
        if training_output is not None:
            return [f"-XX:AOTCacheOutput={training_output}", *QUIET_CACHE]
        try:
            os.utime(self.path)  # in use: not to be removed as unused
        except OSError:
            return []
        return [f"-XX:AOTCache={self.path}", *QUIET_CACHE]

    def wants_training(self) -> bool:
        """No cache yet, no trainer at work, and this is not the first run to find none."""
        try:
            if self.path.exists() or self._locked() or self._recent("failed", RETRY_SECONDS):
                return False
            seen = self._marker("seen")
            if seen.exists():
                return True
            seen.parent.mkdir(parents=True, exist_ok=True)
            seen.touch()
        except OSError:
            pass
        return False

    def wants_upgrade(self, jar: str, upgradable: Callable[[Path], bool]) -> bool:
        """This cache is made, no trainer is at work, and the jar it was made with could be upgraded
        (classfiles): the training upgrades it, then trains the cache of the upgraded class path."""
        try:
            return self.path.exists() and not self._locked() and upgradable(Path(jar))
        except OSError:  # a cache folder kb may not read: no shortcut
            return False

    def _locked(self) -> bool:
        return self._recent("lock", STALE_SECONDS)

    def _recent(self, kind: str, seconds: float) -> bool:
        try:
            return time.time() - self._marker(kind).stat().st_mtime < seconds
        except OSError:
            return False

    def stage_input(self, ontology: str, suffix: str = ".ttl") -> Path | None:
        """Take the trainer's lock and write the ontology it is to load; None if another has it."""
        lock = self._marker("lock")
        try:
            if lock.exists() and not self._locked():
                lock.unlink(missing_ok=True)
            os.close(os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        except OSError:
            return None
        try:
            handle, staged = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=suffix, dir=self.path.parent)
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(ontology)
            return Path(staged)
        except OSError:
            lock.unlink(missing_ok=True)
            return None

    def abandon(self, staged: Path, *, handed_over: bool = False) -> None:
        """Remove the staged ontology and the lock; `handed_over` to another cache (training.py),
        this one's marker of a run that found none too."""
        for path in (staged, self._marker("lock"), *((self._marker("seen"),) if handed_over else ())):
            path.unlink(missing_ok=True)

    def build(self, train: Callable[[Path], bool], staged: Path) -> None:
        """Run the training `train(output)` (True if it ended well); keep its cache if the JVM
        accepts it (checked with a JVM that refuses to start without it), moving it in place
        atomically."""
        output = self.path.with_name(f".{self.path.stem}.{os.getpid()}.aot")
        try:
            os.nice(10)
            trained = train(output)
            check = [check_java(), *self.options, f"-XX:AOTCache={output}", "-XX:AOTMode=on",
                     f"-Djava.class.path={os.pathsep.join(self.classpath)}", "-version"]
            if trained and output.is_file() and subprocess.run(
                    check, stdin=subprocess.DEVNULL, capture_output=True, timeout=60).returncode == 0:
                os.replace(output, self.path)
                self._marker("seen").unlink(missing_ok=True)
                self._remove_unused()
        except (OSError, subprocess.SubprocessError):
            pass
        finally:
            if not self.path.exists():
                with contextlib.suppress(OSError):
                    self._marker("failed").touch()
            for leftover in (output, output.with_name(f"{output.name}.config")):
                leftover.unlink(missing_ok=True)
            self.abandon(staged)

    def _remove_unused(self) -> None:
        """Caches and markers of other Javas or jars, and a dead trainer's files, left unused."""
        for path in self.path.parent.iterdir():
            try:
                status = path.stat()  # a file in use has a recent modification or access time
                if not path.name.startswith((self.path.stem, f".{self.path.stem}")) \
                        and max(status.st_mtime, status.st_atime) < time.time() - UNUSED_SECONDS:
                    path.unlink()
            except OSError:
                pass


def train_after_this_run(cache: ClassCache, ontology: str, function: str = "train") -> None:
    """When this process exits (its output written), start the training of the class cache in a
    detached process of low priority, on the ontology this run loaded; a failure only loses the
    speed-up. The ontology goes in a file of the cache folder, which the trainer removes. `function`:
    the trainer's, in training.py: `train` for the JVM in kb's process (the ontology in Turtle),
    `train_engine` for the reasoner process (in functional syntax)."""

    def start() -> None:
        staged = cache.stage_input(ontology, ".ttl" if function == "train" else ".ofn")
        if staged is None:
            return
        package = Path(__file__).resolve().parents[2]
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(package), os.environ.get("PYTHONPATH", "")])}
        try:
            subprocess.Popen(trainer(str(cache.path), str(staged), function=function), stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                             close_fds=True, env=environment)
        except OSError:
            cache.abandon(staged)

    atexit.register(start)


def trainer(*arguments: str, function: str = "train") -> list[str]:
    script = f"import sys; from calcinosis_kb.reasoning.training import {function}; {function}(sys.argv[1:])"
    return [sys.executable, "-c", script, *arguments]
