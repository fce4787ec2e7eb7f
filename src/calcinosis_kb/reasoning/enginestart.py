"""Starting kb's reasoner process (engine/Engine.java; engineprocess.ProcessEngine talks to it) as
early as a small `kb infer` can: before Python imports rdflib and reads the case. The JVM then
starts, reads the ontology and sets HermiT up on one core while Python works on the other, where
the JVM in kb's own process (jvm.WarmHermit) could only start after Python's imports and hold
Python's lock while it did. Light to import, for that reason."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from calcinosis_kb.knowledgebase.errors import KBError
from calcinosis_kb.knowledgebase.location import KnowledgeBase, ontology_cache_path
from calcinosis_kb.reasoning.classcache import ClassCache, class_cache, train_after_this_run
from calcinosis_kb.reasoning.classfiles import hermit_jar
from calcinosis_kb.reasoning.hermit import check_java, crash_log_option, hermit_dir
from calcinosis_kb.reasoning.jobs import SMALL_JOB_BYTES, job_size, worker_count

ENGINE_FOLDER = Path(__file__).with_name("engine")
ENGINE_SOURCE = ENGINE_FOLDER / "Engine.java"
ENGINE_JAR = ENGINE_FOLDER / "engine.jar"
"""Built from ENGINE_SOURCE by tools/build_engine.py; the jar records its source's SHA-256."""
SOURCE_DIGEST_ENTRY = "calcinosiskb/Engine.java.sha256"
JAVAC_ENTRY = "calcinosiskb/javac.version"
MAIN_CLASS = "calcinosiskb.Engine"

ENGINE_OPTIONS = ("-Xmx4g", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")
"""As the JVM in kb's process is started for a small job (jvm.JVM_OPTIONS, jvm.QUICK_START). Not
-Xrs: the process is in a session of its own, so a Ctrl-C at the terminal reaches kb's Python
alone, which then ends, and the engine ends as its input does."""


@dataclass
class StartedEngine:
    """A reasoner process started on the ontology `kept` (as the OWL API renders it, in functional
    syntax: WarmHermit keeps it so)."""

    process: subprocess.Popen[bytes]
    kept: Path

    def stop(self, timeout: float = 0.5) -> int:
        """End the process, its exit code: its input closed, it ends when it next reads (10 ms here
        when idle; a training of its class cache writes the cache then); killed if it has not
        within `timeout` seconds (busy with a question a Ctrl-C left unanswered)."""
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def kill(self) -> None:
        self.process.kill()
        self.stop()


def engine_settings() -> tuple[str, list[str], list[str]]:
    """The java, the options and the class path (HermiT's jar, upgraded if it has been: classfiles;
    then the engine's) that a reasoner process runs with, which its class cache is made for."""
    classpath = [str(hermit_jar(hermit_dir() / "HermiT.jar")), str(ENGINE_JAR)]
    return check_java(), [*ENGINE_OPTIONS], classpath


def engine_cache() -> ClassCache | None:
    """The class cache (classcache) of the reasoner process, named by its settings."""
    return class_cache(*engine_settings())


def launch(kept: Path, cache_options: Iterable[str] = ()) -> subprocess.Popen[bytes]:
    """The reasoner process on the ontology `kept`; `cache_options` use or train its class cache."""
    java, options, classpath = engine_settings()
    options += [*cache_options, crash_log_option()]
    return subprocess.Popen([java, *options, "-cp", os.pathsep.join(classpath), MAIN_CLASS, str(kept)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            start_new_session=True, close_fds=True)


def start_engine(kb: KnowledgeBase, paths: list[Path], jobs: int = 0) -> StartedEngine | None:
    """The reasoner process for a small job (one process, a quick start: jobs), started now on the
    kept reading of the KB's ontology; None where the job is large, nothing is kept yet (the first
    run keeps it), or the process cannot be started: the JVM in kb's process then does the work.
    A run that finds no class cache for the process for the second time trains one when it ends
    (classcache: as for the JVM in kb's process)."""
    size = job_size(paths)
    if size >= SMALL_JOB_BYTES or worker_count(jobs, len(paths), size) > 1:
        return None
    kept = ontology_cache_path(kb, "core.ofn")
    try:
        if kept is None or not kept.is_file() or not ENGINE_JAR.is_file():
            return None
        cache = engine_cache()
        started = StartedEngine(launch(kept, cache.jvm_options() if cache is not None else ()), kept)
    except (KBError, OSError):  # the JVM in kb's process meets (and reports) it
        return None
    try:
        if cache is not None and cache.wants_training():
            train_after_this_run(cache, kept.read_text(encoding="utf-8"), "train_engine")
    except (OSError, UnicodeDecodeError):  # no training: only the speed-up is lost
        pass
    return started
