"""How a classification job is run, by its size: a quick start for a few cases, worker processes
for many. Light to import: a cold `kb infer` decides before it imports rdflib."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

SMALL_JOB_BYTES = 512_000
"""Case files smaller than this in all start the JVM for a quick start rather than throughput."""

PARALLEL_JOB_BYTES = 4_000_000
"""Case files larger than this in all (about 2,000 cases) are shared among worker processes,
one per core, each with its own JVM; smaller jobs would spend more starting them than they save."""


def job_size(paths: Iterable[Path]) -> int:
    """The bytes of the case files of a job (a path that is no file counts nothing)."""
    return sum(p.stat().st_size for p in paths if p.is_file())


def worker_count(jobs: int, files: int, size: int) -> int:
    """How many processes to classify with: several only for jobs big enough to repay a JVM
    start per worker (about a second), and never more than there are files to share."""
    wanted = jobs if jobs > 0 else (os.cpu_count() or 1)
    if jobs == 0 and size < PARALLEL_JOB_BYTES:
        return 1
    return max(1, min(wanted, files))
