"""Large `kb infer` jobs shared among worker processes, one per core.

One process keeps about 1.2 cores busy (HermiT in its JVM, case handling in Python, which the
GIL serialises), so threads cannot use a second core; processes can. Each worker loads the
ontology and starts its own JVM once, then classifies whole files as they are handed out.
Workers are spawned, not forked: a fork of a process whose JVM is running is not safe."""

from __future__ import annotations

import multiprocessing
import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path

from rdflib import Graph

from calcinosis_kb.knowledgebase.errors import EnvironmentProblem
from calcinosis_kb.knowledgebase.loading import CaseReader, load_ontology, new_graph
from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.reasoning.classify import Classifier, Inference
from calcinosis_kb.reasoning.hermit import check_java

_classifier: Classifier | None = None
MANAGER_SECONDS = 10
"""How long an interrupted run waits for the pool's manager thread, which ends as soon as it finds
its workers killed."""
Triples = list[tuple[object, object, object]]


def _start_worker(root: Path, read_json: CaseReader | None) -> None:
    global _classifier
    _classifier = Classifier(KnowledgeBase(root), read_json=read_json)


def _classify_file(path: Path, explain: bool) -> tuple[Inference, Triples]:
    assert _classifier is not None, "worker not initialised"
    inference = _classifier.classify_file(path, explain)
    # Plain triples travel between processes more cheaply and safely than an rdflib Graph.
    triples: Triples = list(inference.inferred)
    inference.inferred = Graph()
    return inference, triples


def infer_in_workers(
    kb: KnowledgeBase,
    paths: list[Path],
    *,
    explain: bool,
    progress: Callable[[int], None] | None,
    workers: int,
    read_json: CaseReader | None = None,
) -> Iterator[Inference]:
    """Classify the files in `workers` processes; each file's results come back as it is done,
    in the order of `paths`."""
    # What would stop every worker as it starts is found here first, and said in one line.
    check_java()
    load_ontology(kb)
    done = 0
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                               initargs=(kb.root, read_json))
    try:
        with _workers_ignore_ctrl_c():  # the first submission starts the workers
            # Not pool.map: leaving its results early cancels the pending ones, which the pool's
            # manager thread then fails on (a traceback) when it finds its workers killed.
            pending = [pool.submit(_classify_file, path, explain) for path in paths]
        for future in pending:
            inference, triples = future.result()
            inference.inferred = new_graph()
            for triple in triples:
                inference.inferred.add(triple)  # type: ignore[arg-type]
            done += len(inference.results)
            yield inference
            if progress is not None:
                progress(done)
    except (KeyboardInterrupt, GeneratorExit):
        # Killed, not terminated: a worker has nothing to save, and the cache files it writes are
        # moved into place whole. (Before its JVM left signals to Python (-Xrs), it answered SIGTERM
        # with exit hooks that could wait forever on the worker's Python: 1 Ctrl-C in 8 hung so.)
        for process in list(getattr(pool, "_processes", {}).values()):  # no public way to stop them now
            process.kill()
        manager = getattr(pool, "_executor_manager_thread", None)
        pool.shutdown(wait=False)  # nothing cancelled: the manager thread fails the pending tasks
        if manager is not None:
            # Waited for: as Python exits, concurrent.futures wakes the manager thread through a pipe
            # that thread may be closing, unguarded in Python 3.11, and printed a traceback (2 of 150
            # Ctrl-Cs at 0-0.08 s). Once it has ended, the pipe is marked closed and left alone.
            manager.join(timeout=MANAGER_SECONDS)
        raise
    except BrokenProcessPool:
        pool.shutdown(wait=False, cancel_futures=True)
        raise EnvironmentProblem("a worker process stopped unexpectedly (out of memory?); "
                                 "run with --jobs 1 to classify in this process") from None
    else:
        pool.shutdown(wait=True)


@contextmanager
def _workers_ignore_ctrl_c() -> Iterator[None]:
    """Ctrl-C reaches the whole process group. Workers are started with SIGINT blocked, which they
    keep (a signal mask survives exec), so only this process answers Ctrl-C, in one line, and stops
    them: no worker prints a traceback. Blocked rather than ignored here, a Ctrl-C during the start
    is held, then delivered, instead of lost."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
