"""Benchmark `kb infer`: classify N synthetic cases and print the figures.

    python benchmarks/bench_infer.py --cases 100000
    python benchmarks/bench_infer.py --cases 2000 --explain --reference 300 --cold 5
    python benchmarks/bench_infer.py --cases 20000 --jobs 1,2   # one process vs two, side by side

Prints cases per second, peak memory (of this process, JVM included), agreement with the
subtype each synthetic case was built to have, identity with HermiT classifying the whole
ABox at once (the reference, on a sample) and the cold end-to-end time of one case, with the
JVM's class cache (trained first if missing) and without it, with HermiT's class files upgraded
for the cache and with owlready2's jar, and against an older commit: each pair run alternately,
as a user's Python runs kb (its bytecode kept).
The machines are shared and noisy: compare figures from one run, not across runs."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from unittest.mock import patch

from rdflib.namespace import RDF

from calcinosis_kb.knowledgebase.cases import find_cases
from calcinosis_kb.knowledgebase.loading import load_ontology, merge, parse_turtle
from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.knowledgebase.namespaces import CCKB, SUBTYPE_WORDS, curie
from calcinosis_kb.knowledgebase.normalise import normalise
from calcinosis_kb.knowledgebase.synthetic import write
from calcinosis_kb.reasoning.classify import Definitions, logical_core
from calcinosis_kb.reasoning.hermit import reason
from calcinosis_kb.reasoning.infer import infer
from calcinosis_kb.reasoning.jobs import worker_count

ROOT = Path(__file__).resolve().parents[1]


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def whole_abox_reference(kb: KnowledgeBase, files: list[Path], sample: int) -> dict[str, set[str]]:
    """Subtypes HermiT infers (through owlready2) for the first `sample` cases, all in one ABox."""
    ontology = load_ontology(kb)
    graphs, cases = [], []
    for path in files:
        case_file = find_cases(path, parse_turtle(path))
        case_file.graph += normalise(ontology, case_file.graph)
        graphs.append(case_file.graph)
        cases += case_file.cases
        if len(cases) >= sample:
            break
    wanted = set(cases[:sample])
    facts = merge(graphs)
    reasoned = reason(merge([logical_core(ontology), facts]))
    subtypes = Definitions.from_ontology(ontology).subtypes
    found: dict[str, set[str]] = {}
    for case in wanted:
        if (case, RDF.type, CCKB.CalcinosisCutis) in facts:
            types = reasoned.types_of(str(case))
            found[curie(str(case))] = {SUBTYPE_WORDS[str(s).rsplit("/", 1)[-1]] for s in subtypes if str(s) in types}
    return found


def kb_command() -> list[str]:
    return [str(Path(sys.executable).with_name("kb"))]


def trained_class_cache(timeout: float = 300, folder: Path | None = None) -> Path | None:
    """The class caches (AOT caches) in the user's cache folder (or `folder`), each trained first
    if it is missing: the reasoner process's (enginestart), which a small `kb infer` uses, and the
    JVM's in kb's process (`kb validate`; a large `kb infer`). kb trains each in the background
    after the second run that finds none. (The first training also upgrades HermiT's class files,
    and so trains the cache of another class path: asked again.) The reasoner process's, returned."""
    from calcinosis_kb.reasoning.classcache import class_cache
    from calcinosis_kb.reasoning.enginestart import engine_cache
    from calcinosis_kb.reasoning.jvm import _import_jpype, _jvm_setup

    environment = {**os.environ, **({"CALCINOSIS_KB_CACHE": str(folder)} if folder is not None else {})}
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        with patch.dict(os.environ, environment):  # where class_cache looks
            caches = {"infer": engine_cache(), "validate": class_cache(*_jvm_setup(_import_jpype()))}
        missing = [(command, cache) for command, cache in caches.items()
                   if cache is not None and not cache.path.is_file()]
        if not missing:
            return caches["infer"].path if caches["infer"] is not None else None
        command, cache = missing[0]
        if not list(cache.path.parent.glob("*.lock")):
            subprocess.run([*kb_command(), command, str(ROOT / "cases" / "carrascosa2011.ttl")], check=True,
                           capture_output=True, env=environment)
        time.sleep(1)
    return None


def with_owlready2s_jar(folder: Path) -> dict[str, str] | None:
    """An environment whose cache folder has the parsed ontology and a class cache trained for
    owlready2's own HermiT jar, which kb may not upgrade there (a failed upgrade is marked, as kb
    marks one): the cold start before HermiT's class files were upgraded. None without a cache."""
    from calcinosis_kb.knowledgebase.location import cache_root
    from calcinosis_kb.reasoning.classfiles import upgraded_path
    from calcinosis_kb.reasoning.hermit import hermit_dir

    upgrade = upgraded_path(hermit_dir() / "HermiT.jar")
    if upgrade is None:
        return None
    shutil.copytree(cache_root() / "ontology", folder / "ontology")
    (folder / "jvm").mkdir()
    (folder / "jvm" / upgrade.with_suffix(".failed").name).touch()
    if trained_class_cache(folder=folder) is None:
        return None
    return {**os.environ, "CALCINOSIS_KB_CACHE": str(folder)}


def without_class_cache(folder: Path) -> dict[str, str]:
    """An environment whose cache folder has the parsed ontology but can hold no class cache (its
    jvm/ is a file): the cold start as it was before the cache (the reasoner process without one)."""
    from calcinosis_kb.knowledgebase.location import cache_root

    shutil.copytree(cache_root() / "ontology", folder / "ontology")
    (folder / "jvm").write_text("no class cache here\n")
    return {**os.environ, "CALCINOSIS_KB_CACHE": str(folder)}


def as_a_user_runs(environment: dict[str, str]) -> dict[str, str]:
    """A user's Python keeps the bytecode it compiles (beside the sources of an editable install),
    so every run after the first reads it; PYTHONDONTWRITEBYTECODE, set on some build machines,
    would make each cold run compile kb's modules again (0.06 s here)."""
    return {key: value for key, value in environment.items() if key != "PYTHONDONTWRITEBYTECODE"}


def timed_alternately(commands: list[tuple[list[str], dict[str, str]]], runs: int,
                      cwd: str | None = None) -> list[float]:
    """Median seconds of each command, run alternately `runs` times after one untimed run each
    (which writes bytecode and brings the files into the page cache, as earlier runs would)."""
    times: list[list[float]] = [[] for _ in commands]
    for round_number in range(runs + 1):
        for number, (command, environment) in enumerate(commands):
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, env=as_a_user_runs(environment), cwd=cwd)
            if round_number:
                times[number].append(time.perf_counter() - start)
    return [statistics.median(each) for each in times]


def cold_runs(command: list[str], runs: int) -> tuple[float, float]:
    """Median seconds of a cold `kb ...` with the class cache and without it, run alternately."""
    trained_class_cache()
    with tempfile.TemporaryDirectory(prefix="kb-bench-cold-") as folder:
        environments = [dict(os.environ), without_class_cache(Path(folder))]
        cached, uncached = timed_alternately([([*kb_command(), *command], each) for each in environments], runs)
    return cached, uncached


def cold_single_case(runs: int) -> tuple[float, float]:
    return cold_runs(["infer", str(ROOT / "cases" / "carrascosa2011.ttl")], runs)


def cold_with_and_without_upgrade(runs: int) -> tuple[float, float] | None:
    """Median seconds of a cold one-case `kb infer` with HermiT's class files upgraded (and so in
    the class cache) and with owlready2's jar (and a class cache of its own), alternately."""
    trained_class_cache()
    command = [*kb_command(), "infer", str(ROOT / "cases" / "carrascosa2011.ttl")]
    with tempfile.TemporaryDirectory(prefix="kb-bench-jar-") as folder:
        original = with_owlready2s_jar(Path(folder))
        if original is None:
            return None
        upgraded, before = timed_alternately([(command, dict(os.environ)), (command, original)], runs)
    return upgraded, before


COLD_TARGET = 0.8
"""Seconds for a cold one-case `kb infer` (issue 15)."""

OLD_REV = "674ac01"
"""The package before the cold-start work (no class cache, curies and numpy loaded on every run)."""


def cold_old_and_new(rev: str, runs: int) -> tuple[float, float]:
    """Median seconds of a cold one-case `kb infer`: the package at `rev` (its src/ from git, run
    against the same installed dependencies and ontology cache) and this checkout, alternately."""
    case = str(ROOT / "cases" / "carrascosa2011.ttl")
    trained_class_cache()
    with tempfile.TemporaryDirectory(prefix="kb-bench-old-") as folder:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
        old_environment = {**os.environ, "PYTHONPATH": str(Path(folder) / "src")}
        # --kb: the old package's own folder (the extracted src/) holds no ontology
        commands = [([sys.executable, "-m", "calcinosis_kb.cli", "--kb", str(ROOT), "infer", case], old_environment),
                    ([*kb_command(), "--kb", str(ROOT), "infer", case], dict(os.environ))]
        before, now = timed_alternately(commands, runs, cwd=folder)
    return before, now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--explain", action="store_true", help="also compute why / why not / missing")
    parser.add_argument("--reference", type=int, default=300, help="sample size for the whole-ABox reference (0: skip)")
    parser.add_argument("--cold", type=int, default=5, help="runs of a cold one-case `kb infer` (0: skip)")
    parser.add_argument("--old-rev", default=OLD_REV, help=f"the old path of the cold run (default {OLD_REV})")
    parser.add_argument("--jobs", default="0", help="worker processes, comma-separated to compare (0: one per core)")
    args = parser.parse_args()

    kb = KnowledgeBase.locate(ROOT)
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as folder:
        start = time.perf_counter()
        expected = write(Path(folder), args.cases, seed=args.seed)
        generated = time.perf_counter() - start
        files = sorted(Path(folder).glob("*.ttl"))

        runs = []
        for jobs in (int(j) for j in args.jobs.split(",")):
            start, cpu_start = time.perf_counter(), _cpu_seconds()
            inference = infer(kb, files, explain=args.explain, jobs=jobs)
            workers = worker_count(jobs, len(files), sum(p.stat().st_size for p in files))
            elapsed, cpu = time.perf_counter() - start, _cpu_seconds() - cpu_start
            digest = hashlib.sha256(json.dumps([r.as_dict() for r in inference.results]).encode()).hexdigest()
            runs.append((workers, len(inference.results), len(inference.errors), digest, elapsed, cpu))
        memory, worker_memory = peak_rss_mb(), peak_rss_mb(resource.RUSAGE_CHILDREN)
        got = {r.case: set(r.inferred_subtypes) for r in inference.results}
        agree = sum(1 for case, kind in expected.items() if got.get(case) == ({kind} if kind != "none" else set()))
        same_across_jobs = len({run[3] for run in runs}) == 1

        identical = None
        if args.reference:
            start = time.perf_counter()
            reference = whole_abox_reference(kb, files, args.reference)
            reference_seconds = time.perf_counter() - start
            identical = sum(1 for case, subtypes in reference.items() if got.get(case) == subtypes)

    print(f"cases                     {args.cases} (seed {args.seed}, generated in {generated:.1f} s)")
    print(f"explanations              {'yes' if args.explain else 'no'}")
    for workers, done, errors, _, elapsed, cpu in runs:
        print(f"classified, {workers} process(es) {done} in {elapsed:.1f} s = {done / elapsed:.0f} cases/s "
              f"({elapsed / max(done, 1) * 1000:.2f} ms per case), {errors} errors, "
              f"{cpu / elapsed:.2f} cores busy in the main process")
    if len(runs) > 1:
        print(f"speed-up                  {runs[0][4] / runs[-1][4]:.2f}x ({runs[0][0]} vs {runs[-1][0]} processes, "
              f"same run); results identical: {'yes' if same_across_jobs else 'NO'}")
    print(f"peak memory               {memory:.0f} MB this process (JVM included); "
          f"{worker_memory:.0f} MB largest worker process")
    print(f"agree with generator      {agree}/{len(expected)}")
    if identical is not None:
        print(f"identical to whole ABox   {identical}/{len(reference)} (reference took {reference_seconds:.1f} s)")
    if args.cold:
        cached, uncached = cold_single_case(args.cold)
        print(f"cold one-case kb infer    {cached:.2f} s with the JVM's class cache, {uncached:.2f} s without "
              f"(median of {args.cold}, alternately)")
        jars = cold_with_and_without_upgrade(args.cold)
        if jars is not None:
            print(f"cold one-case, HermiT     {jars[0]:.2f} s with its class files upgraded, {jars[1]:.2f} s with "
                  f"owlready2's jar (median of {args.cold}, alternately)")
        before, now = cold_old_and_new(args.old_rev, args.cold)
        verdict = "met" if now <= COLD_TARGET else "missed"
        print(f"cold one-case, old path   {now:.2f} s now, {before:.2f} s at {args.old_rev} (median of {args.cold}, "
              f"alternately); target <= {COLD_TARGET} s: {verdict}")


if __name__ == "__main__":
    main()
