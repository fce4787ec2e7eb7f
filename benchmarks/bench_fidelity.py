"""Fidelity benchmark: kb's classification against the authors' conclusions, over every case of
the knowledge base whose authors name a subtype (the 30 corpus reports and the five source
documents).

    python benchmarks/bench_fidelity.py            # figures, targets, and each difference's reason
    python benchmarks/bench_fidelity.py --json     # the same as JSON

Targets (issue 13): inclusion >= 90%, and every difference explained by a sourced reason."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.quality.fidelity import fidelity
from calcinosis_kb.reasoning.infer import infer

INCLUSION_TARGET = 0.90


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=Path, default=None, help="knowledge-base folder (default: the shipped one)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args()
    kb = KnowledgeBase.locate(args.kb)
    report = fidelity(infer(kb, kb.case_files))
    if args.json:
        print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        n = len(report.cases)
        included = sum(c.inclusion for c in report.cases)
        exact = sum(c.exact for c in report.cases)
        print(f"cases whose authors name a subtype: {n}")
        print(f"inclusion (authors' subtype among the established): {included}/{n} = {report.inclusion:.1%}")
        print(f"exact (nothing established beyond the authors'):    {exact}/{n} = {report.exact:.1%}")
        for case in report.cases:
            if not case.differences:
                continue
            primary = f", primary {case.primary}" if case.primary else ""
            print(f"\n{case.case}: authors {', '.join(case.authors)}; kb {', '.join(case.established) or 'none'}"
                  f"{primary}")
            for difference in case.differences:
                print(f"  - {difference.subtype} {difference.kind}: {difference.reason}")
    met_inclusion = report.inclusion >= INCLUSION_TARGET
    met_explained = not report.unexplained
    print(f"\ntarget inclusion >= {INCLUSION_TARGET:.0%}: {'met' if met_inclusion else 'missed'} "
          f"({report.inclusion:.1%})", file=sys.stderr)
    print(f"target every difference explained by a sourced reason: {'met' if met_explained else 'missed'} "
          f"({len(report.unexplained)} unexplained)", file=sys.stderr)
    return 0 if met_inclusion and met_explained else 1


if __name__ == "__main__":
    sys.exit(main())
