"""Benchmark `kb validate`, the curator's inner loop, against the path it replaced, side by side.

    python benchmarks/bench_validate.py                      # every figure (the old path at 10k is skipped)
    python benchmarks/bench_validate.py --sizes 1000 --runs 1
    python benchmarks/bench_validate.py --old-max-cases 10000  # also time the old path at 10k (about 20 min)

Each figure is a separate cold process (`kb validate ...`, run under /usr/bin/time -v for its peak
memory), the new path and the old one alternately in the same run: the machines are shared and
noisy, so compare figures from one run, not across runs. The old path is `validate` as it was at
--old-rev (its source read with `git show`, run against this checkout's other modules): pySHACL
with the whole ontology mixed into each file's data graph and RDFS inference over it, and a
second JVM (owlready2's HermiT) for consistency. Both paths' problem lists are compared too.

Figures and targets (issue 15 part 5):
- one case file, cold:                   <= 1.5 s
- the bad fixtures among good cases in one call (each problem still named with its own file)
- the whole knowledge base (the corpus): <= 10 s
- 1k and 10k synthetic cases:            growth linear in cases (10k / 1k <= 10x the time)"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import types
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OLD_REV = "9c1b3bd"
"""The last commit whose `kb validate` ran pySHACL over the ontology and owlready2 for consistency."""
ONE_FILE = ROOT / "cases" / "carrascosa2011.ttl"
ONE_FILE_TARGET, WHOLE_TARGET, GROWTH_TARGET = 1.5, 10.0, 10.0
SHARED_SOURCES = ROOT.parent / "shared" / "sources"


def old_validate_module(rev: str) -> types.ModuleType:
    """`calcinosis_kb.quality.validation` as it was at `rev`, importing this checkout's other modules."""
    source = subprocess.run(["git", "show", f"{rev}:src/calcinosis_kb/quality/validation.py"], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout
    module = types.ModuleType("old_validation")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"{rev}:validation.py", "exec"), module.__dict__)
    return module


def run_old(rev: str, kb_dir: Path | None, files: list[Path]) -> int:
    """What `kb validate --format json` printed at `rev`: the report as JSON on stdout."""
    from calcinosis_kb.knowledgebase.location import KnowledgeBase

    report = old_validate_module(rev).validate(KnowledgeBase.locate(kb_dir), files or None)
    print(json.dumps({"ok": report.ok, "files": report.files_checked, "cases": report.cases_checked,
                      "notes": report.notes, "problems": [p.as_dict() for p in report.problems]}))
    return 0 if report.ok else 1


@dataclass
class Timed:
    seconds: float
    peak_mb: float | None
    report: dict[str, object]


def timed(command: list[str], timeout: float) -> Timed:
    """Run a cold process; its wall time, peak memory (from /usr/bin/time -v) and JSON report."""
    wrapper = ["/usr/bin/time", "-v"] if Path("/usr/bin/time").is_file() else []
    start = time.perf_counter()
    done = subprocess.run([*wrapper, *command], capture_output=True, text=True, timeout=timeout,
                          env={**_environ(), "CALCINOSIS_KB_SOURCES": str(SHARED_SOURCES)})
    seconds = time.perf_counter() - start
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}") from None
    return Timed(seconds, int(peak.group(1)) / 1024 if peak else None, report)


def _environ() -> dict[str, str]:
    import os

    return dict(os.environ)


def new_command(kb_dir: Path | None, files: list[Path]) -> list[str]:
    kb = Path(sys.executable).with_name("kb")
    return [str(kb), "validate", "--format", "json", *(["--kb", str(kb_dir)] if kb_dir else []), *map(str, files)]


def old_command(rev: str, kb_dir: Path | None, files: list[Path]) -> list[str]:
    return [sys.executable, __file__, "--run-old", rev, *(["--kb", str(kb_dir)] if kb_dir else []),
            *map(str, files)]


def same(new: Timed, old: Timed) -> str:
    keys = ("ok", "files", "cases", "notes", "problems")
    return "yes" if all(new.report.get(k) == old.report.get(k) for k in keys) else "NO"


def synthetic_kb(folder: Path, cases: int) -> tuple[Path, list[Path]]:
    """A copy of the knowledge base and `cases` synthetic cases that pass every check: each cites a
    synthetic source whose text holds their quotes."""
    from calcinosis_kb.knowledgebase.synthetic import write

    kb = folder / "kb"
    for part in ("ontology", "shapes", "queries", "sources"):
        shutil.copytree(ROOT / part, kb / part)
    (kb / "texts").mkdir()
    (kb / "texts" / "synthetic.txt").write_text("synthetic\n", encoding="utf-8")
    (kb / "sources" / "synthetic.ttl").write_text(
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix cckb: <https://w3id.org/calcinosis-kb/ontology/> .\n"
        "@prefix src: <https://w3id.org/calcinosis-kb/source/> .\n"
        'src:synthetic a cckb:SourceDocument ; rdfs:label "synthetic cases (benchmark)" ; '
        'cckb:sourceFile "synthetic.txt" .\n', encoding="utf-8")
    cases_dir = kb / "cases"
    write(cases_dir, cases)
    for path in sorted(cases_dir.glob("*.ttl")):
        text = path.read_text(encoding="utf-8").replace(
            "a cckb:CalcinosisCutis ;", "a cckb:CalcinosisCutis ;\n    cckb:hasSource src:synthetic ;")
        path.write_text("@prefix src: <https://w3id.org/calcinosis-kb/source/> .\n" + text, encoding="utf-8")
    return kb, sorted(cases_dir.glob("*.ttl"))


def line(what: str, new: Timed, old: Timed | None, target: str, met: bool | None) -> None:
    memory = f", peak {new.peak_mb:.0f} MB" if new.peak_mb else ""
    versus = (f" | old {old.seconds:6.1f} s" + (f", peak {old.peak_mb:.0f} MB" if old.peak_mb else "")
              + f" ({old.seconds / new.seconds:.0f}x); same problems: {same(new, old)}") if old else " | old: skipped"
    verdict = "" if met is None else f"  [{target}: {'met' if met else 'missed'}]"
    print(f"{what:<28} new {new.seconds:6.2f} s{memory}{versus}{verdict}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-old", metavar="REV", help=argparse.SUPPRESS)
    parser.add_argument("--kb", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("files", nargs="*", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--old-rev", default=OLD_REV, help=f"the commit of the old path (default {OLD_REV})")
    parser.add_argument("--runs", type=int, default=3, help="cold one-file runs of each path (median)")
    parser.add_argument("--sizes", default="1000,10000", help="synthetic case counts, comma-separated")
    parser.add_argument("--old-max-cases", type=int, default=1000,
                        help="time the old path only up to this many synthetic cases (it took 474 s for 4,000)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed for any one run")
    args = parser.parse_args()
    if args.run_old:
        return run_old(args.run_old, args.kb, args.files)

    print(f"old path: validate at {args.old_rev}; texts from {SHARED_SOURCES}")
    news = [timed(new_command(None, [ONE_FILE]), args.timeout) for _ in range(args.runs)]
    olds = [timed(old_command(args.old_rev, None, [ONE_FILE]), args.timeout) for _ in range(args.runs)]
    new = min(news, key=lambda t: abs(t.seconds - statistics.median(x.seconds for x in news)))
    old = min(olds, key=lambda t: abs(t.seconds - statistics.median(x.seconds for x in olds)))
    line(f"one file (median of {args.runs})", new, old, f"<= {ONE_FILE_TARGET} s", new.seconds <= ONE_FILE_TARGET)
    from bench_infer import cold_runs

    cached, uncached = cold_runs(["validate", str(ONE_FILE)], args.runs)
    print(f"{'one file, class cache':<28} with the JVM's class cache {cached:.2f} s, without {uncached:.2f} s "
          f"(median of {args.runs}, alternately)", flush=True)

    with tempfile.TemporaryDirectory(prefix="kb-bench-validate-") as folder:
        bad = sorted((ROOT / "tests" / "data" / "bad").glob("*.ttl"))
        mixed = [*bad, *sorted((ROOT / "cases").glob("*.ttl"))[:3]]
        new = timed(new_command(None, mixed), args.timeout)
        old = timed(old_command(args.old_rev, None, mixed), args.timeout)
        line(f"{len(mixed)} files, bad and good", new, old, "", None)

        new = timed(new_command(None, []), args.timeout)
        old = timed(old_command(args.old_rev, None, []), args.timeout)
        line("whole knowledge base", new, old, f"<= {WHOLE_TARGET} s", new.seconds <= WHOLE_TARGET)

        sized: dict[int, Timed] = {}
        for size in (int(s) for s in args.sizes.split(",") if s):
            kb, files = synthetic_kb(Path(folder) / str(size), size)
            sized[size] = new = timed(new_command(kb, files), args.timeout)
            old_sized = timed(old_command(args.old_rev, kb, files), args.timeout) if size <= args.old_max_cases \
                else None
            line(f"{size} synthetic cases", new, old_sized, "", None)
            if new.report.get("problems"):
                print(f"  (problems found in synthetic cases: {new.report['problems'][:3]})")
            shutil.rmtree(kb)
    if len(sized) >= 2:
        (small, a), (large, b) = min(sized.items()), max(sized.items())
        ratio = (b.seconds / a.seconds) / (large / small) * 10
        print(f"growth {small} -> {large} cases: {b.seconds / a.seconds:.1f}x the time for {large / small:.0f}x "
              f"the cases ({ratio:.1f}x per 10x)  [linear, <= {GROWTH_TARGET:.0f}x per 10x: "
              f"{'met' if ratio <= GROWTH_TARGET else 'missed'}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
