"""`kb infer`: classify cases with HermiT and explain the result, in this process or, for a
large job, in worker processes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from rdflib import Graph

from calcinosis_kb.knowledgebase.loading import CaseReader
from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.reasoning.classify import Classifier, Inference
from calcinosis_kb.reasoning.enginestart import StartedEngine
from calcinosis_kb.reasoning.jobs import SMALL_JOB_BYTES, job_size, worker_count


def infer(
    kb: KnowledgeBase,
    paths: Iterable[Path],
    *,
    explain: bool = True,
    progress: Callable[[int], None] | None = None,
    ontology: Graph | None = None,
    jobs: int = 0,
    read_json: CaseReader | None = None,
) -> Inference:
    """Classify every case in the given files, one case at a time against the ontology in a
    warm JVM. A file that cannot be read, or a case that contradicts the ontology, is reported
    and the others are still classified. `progress` is called with the number of cases done
    after each file. `ontology` can be passed when the caller has already loaded it. `jobs`
    worker processes (0: one per core) share a large job; results keep the order of `paths`.
    `read_json` reads a case file given as .json (the interchange layer passes its Phenopacket
    reader); without it such a file is refused."""
    inference = Inference([], [], Graph())
    for part in infer_in_parts(kb, paths, explain=explain, progress=progress, ontology=ontology, jobs=jobs,
                               read_json=read_json):
        inference.extend(part)
    return inference


def infer_in_parts(
    kb: KnowledgeBase,
    paths: Iterable[Path],
    *,
    explain: bool = True,
    progress: Callable[[int], None] | None = None,
    ontology: Graph | None = None,
    jobs: int = 0,
    read_json: CaseReader | None = None,
    started: StartedEngine | None = None,
) -> Iterator[Inference]:
    """`infer`, handed out as it goes (a batch of cases, or a file from a worker) so that a caller
    can print each part and let it go: memory stays bounded however many cases there are.
    `started`: the reasoner process start_engine started for this job (a small one), if any."""
    paths = list(paths)
    size = job_size(paths)
    workers = worker_count(jobs, len(paths), size)
    if workers > 1:
        from calcinosis_kb.reasoning.parallel import infer_in_workers

        if started is not None:  # for a small job only
            started.kill()

        yield from infer_in_workers(kb, paths, explain=explain, progress=progress, workers=workers,
                                    read_json=read_json)
        return
    classifier = Classifier(kb, ontology, quick_start=size < SMALL_JOB_BYTES, read_json=read_json, started=started)
    done = 0
    try:
        for path in paths:
            for part in classifier.classify_file_in_parts(path, explain):
                done += len(part.results)
                yield part
            if progress is not None:
                progress(done)
    finally:
        classifier.close()
