"""Benchmark `kb site`: the site of the shipped knowledge base and of synthetic ones.

    python benchmarks/bench_site.py                       # shipped KB, then 1,000 and 10,000 synthetic cases
    python benchmarks/bench_site.py --sizes 500,2000 --validate-synthetic

Prints, for each knowledge base, the build time (reasoning, evidence, queries, QC and rendering),
the time per case, the folder's size and its largest parts (the case finder's index, the home
page, the largest page). Growth is linear when the time per case at the largest size is within
LINEAR_SLACK of that at the smallest; the home page must not grow with the cases (the finder
reads its index). Validation (`kb validate`: HermiT and SHACL) runs on the shipped KB; on the
synthetic ones only with --validate-synthetic. The machines are shared and noisy: compare figures
from one run."""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.knowledgebase.synthetic import write
from calcinosis_kb.presentation.site.build import build_site

ROOT = Path(__file__).resolve().parents[1]
LINEAR_SLACK = 1.5
"""The time per case may grow by this factor from the smallest size to the largest."""
HOME_PAGE_LIMIT = 100_000
"""Bytes: the home page holds figures, charts and the finder's form, never the cases themselves."""
INDEX_BYTES_PER_CASE = 1_000
"""The finder's index: one compact record a case."""


def synthetic_kb(folder: Path, cases: int) -> KnowledgeBase:
    for part in ("ontology", "queries", "shapes", "sources"):
        shutil.copytree(ROOT / part, folder / part)
    write(folder / "cases", cases, seed=1)
    return KnowledgeBase.locate(folder)


def measure(kb: KnowledgeBase, output: Path, validate: bool) -> dict[str, float]:
    start = time.perf_counter()
    built = build_site(kb, output, validate=validate)
    seconds = time.perf_counter() - start
    files = [p for p in output.rglob("*") if p.is_file()]
    largest = max(files, key=lambda p: p.stat().st_size)
    figures = {
        "cases": built.cases, "seconds": seconds, "files": len(files), "bytes": sum(p.stat().st_size for p in files),
        "index": (output / "finder-index.js").stat().st_size, "home": (output / "index.html").stat().st_size,
        "largest": largest.stat().st_size,
    }
    print(f"  {built.cases} cases{' with validation' if validate else ''}: built in {seconds:.1f} s "
          f"({seconds / built.cases * 1000:.1f} ms per case); {len(files)} files, {figures['bytes'] / 1e6:.1f} MB; "
          f"finder index {figures['index'] / 1e3:.0f} kB ({figures['index'] / built.cases:.0f} B per case), "
          f"home page {figures['home'] / 1e3:.0f} kB, largest page {largest.relative_to(output)} "
          f"{figures['largest'] / 1e3:.0f} kB", flush=True)
    return figures


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000", help="synthetic knowledge-base sizes, comma-separated")
    parser.add_argument("--no-shipped", action="store_true", help="skip the shipped knowledge base")
    parser.add_argument("--validate-synthetic", action="store_true", help="run kb validate on the synthetic KBs too")
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(",") if size)

    with tempfile.TemporaryDirectory(prefix="kb-bench-site-") as folder:
        os.environ["CALCINOSIS_KB_CACHE"] = str(Path(folder) / "cache")
        if not args.no_shipped:
            print("shipped knowledge base:")
            measure(KnowledgeBase.locate(ROOT), Path(folder) / "shipped", validate=True)
        results = []
        for size in sizes:
            print(f"synthetic knowledge base of {size} cases:")
            kb = synthetic_kb(Path(folder) / f"kb-{size}", size)
            results.append(measure(kb, Path(folder) / f"site-{size}", validate=args.validate_synthetic))
            shutil.rmtree(Path(folder) / f"site-{size}")
    if len(results) >= 2:
        small, large = results[0], results[-1]
        per_small, per_large = small["seconds"] / small["cases"], large["seconds"] / large["cases"]
        growth = per_large / per_small
        print(f"time per case {per_small * 1000:.1f} ms at {small['cases']:.0f} cases, {per_large * 1000:.1f} ms at "
              f"{large['cases']:.0f}: x{growth:.2f} (linear within x{LINEAR_SLACK}: {verdict(growth <= LINEAR_SLACK)})")
    for figures in results:
        print(f"{figures['cases']:.0f} cases: home page {figures['home'] / 1e3:.0f} kB "
              f"(under {HOME_PAGE_LIMIT / 1e3:.0f} kB: {verdict(figures['home'] < HOME_PAGE_LIMIT)}); finder index "
              f"{figures['index'] / figures['cases']:.0f} B per case (under {INDEX_BYTES_PER_CASE}: "
              f"{verdict(figures['index'] / figures['cases'] < INDEX_BYTES_PER_CASE)})")


if __name__ == "__main__":
    main()
