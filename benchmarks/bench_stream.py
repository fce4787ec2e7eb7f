"""Benchmark one large case file through `kb infer`: memory bounded however many cases it holds.

    python benchmarks/bench_stream.py                        # 2,000, 5,000 and 20,000 cases
    python benchmarks/bench_stream.py --cases 2000,5000 --whole 2000

Each size is one synthetic file, classified and explained by a cold `kb infer FILE --format json`
(output to /dev/null; a file over 1 MB, about 1,100 cases, is streamed). Printed for each: the
time, the peak memory of the process (JVM included), and its memory over the run (sampled), so a
flat line shows the file is streamed. `--whole` sizes are also run the old way, the whole file
parsed into one graph, side by side in the same run.
Target: peak memory at the largest size at most 1.25 times the peak at the smallest.
The machines are shared and noisy: compare figures from one run."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from calcinosis_kb.knowledgebase.synthetic import write

BOUNDED = 1.25
"""Peak memory at the largest size over the peak at the smallest, at most."""

WHOLE_FILE = """
import sys
from calcinosis_kb.knowledgebase import streaming
streaming.LARGE_FILE_BYTES = 10**15  # every file parsed whole, as before streaming
from calcinosis_kb.cli.application import entrypoint
sys.argv = ["kb", *sys.argv[1:]]
entrypoint()
"""


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run(command: list[str]) -> tuple[float, float, list[float]]:
    """Seconds, peak memory (MB) and memory sampled every half second, of one cold run."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    samples: list[float] = []

    def sample() -> None:
        while process.poll() is None:
            rss = _rss_mb(process.pid)
            if rss is not None:
                samples.append(rss)
            time.sleep(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    sampler.join()
    if process.returncode != 0:
        assert process.stderr is not None
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}): {process.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss / 1024, samples


def _curve(samples: list[float]) -> str:
    if not samples:
        return "-"
    quarters = [samples[min(len(samples) - 1, len(samples) * q // 4)] for q in (1, 2, 3)] + [samples[-1]]
    return " / ".join(f"{value:.0f}" for value in quarters)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default="2000,5000,20000", help="sizes of the one file, comma-separated")
    parser.add_argument("--whole", default="2000,5000", help="sizes also run parsed whole (the old path)")
    parser.add_argument("--explain", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()
    sizes = [int(n) for n in args.cases.split(",")]
    whole = {int(n) for n in args.whole.split(",") if n}
    kb = str(Path(sys.executable).with_name("kb"))
    explain = [] if args.explain else ["--no-explain"]

    print(f"{'cases':>7} {'path':<9} {'MB file':>8} {'seconds':>8} {'ms/case':>8} {'peak MB':>8}  "
          "memory at 1/4, 1/2, 3/4, end of the run (MB)")
    peaks: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="kb-bench-stream-") as folder:
        for size in sizes:
            target = Path(folder) / str(size)
            write(target, size, per_file=size)
            path = next(target.glob("*.ttl"))
            megabytes = path.stat().st_size / 1e6
            for name, command in (("kb infer", [kb, "infer", str(path), "--format", "json", *explain]),
                                  ("whole", [sys.executable, "-c", WHOLE_FILE, "infer", str(path), "--format", "json",
                                             *explain])):
                if name == "whole" and size not in whole:
                    continue
                elapsed, peak, samples = run(command)
                if name == "kb infer":
                    peaks[size] = peak
                print(f"{size:>7} {name:<9} {megabytes:>8.1f} {elapsed:>8.1f} {elapsed / size * 1000:>8.1f} "
                      f"{peak:>8.0f}  {_curve(samples)}", flush=True)
            path.unlink()
    smallest, largest = min(peaks), max(peaks)
    ratio = peaks[largest] / peaks[smallest]
    verdict = "met" if ratio <= BOUNDED else "missed"
    print(f"bounded memory: peak at {largest:,} cases is {ratio:.2f}x the peak at {smallest:,} "
          f"(target <= {BOUNDED}x): {verdict}")


if __name__ == "__main__":
    main()
