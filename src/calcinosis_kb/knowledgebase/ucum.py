"""UCUM unit codes through ucumvert: whether a code is one (its grammar), and its quantities
(its pint registry). Importing ucumvert loads pint, a quarter of a second before its parser is
even built, which a cold `kb infer` of one case would spend on checking two or three codes; the
grammar's verdicts are therefore kept in the cache, keyed on the grammar file itself."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from calcinosis_kb.knowledgebase.location import cache_root, keep_in_cache

NOT_UCUM = ("{code!r} is not a UCUM unit code; write the unit as UCUM spells it (mg/dL, mmol/L, meq/L, pg/mL, "
            "ng/dL, U/L, mL/min/{{1.73_m2}}; see https://ucum.org)")

GRAMMAR = "ucum_grammar.lark"
"""ucumvert's grammar file, beside its modules; what its parser accepts is decided by it alone."""


@lru_cache(maxsize=1)
def _parser() -> Any:
    from ucumvert import get_ucum_parser

    return get_ucum_parser()


@lru_cache(maxsize=1)
def registry() -> Any:
    """ucumvert's pint registry, with every UCUM unit defined (built once per process)."""
    from ucumvert import PintUcumRegistry

    return PintUcumRegistry()


def _parses(code: str) -> bool:
    try:
        _parser().parse(code)
    except Exception:  # ucumvert raises lark's errors, which have no common public base
        return False
    return True


@lru_cache(maxsize=1)
def _verdicts_path() -> Path | None:
    """Where the grammar's verdicts are kept: one file per grammar, found without importing
    ucumvert (find_spec does not run a package's __init__)."""
    spec = importlib.util.find_spec("ucumvert")
    if spec is None or not spec.submodule_search_locations:
        return None
    try:
        grammar = (Path(next(iter(spec.submodule_search_locations))) / GRAMMAR).read_bytes()
    except OSError:
        return None
    return cache_root() / "units" / f"{hashlib.sha256(grammar).hexdigest()[:24]}.json"


@lru_cache(maxsize=1)
def _kept_verdicts() -> dict[str, bool]:
    path = _verdicts_path()
    if path is None:
        return {}
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # none yet, unreadable or damaged: only a missed shortcut
        return {}
    if not isinstance(kept, dict):
        return {}
    return {code: verdict for code, verdict in kept.items() if isinstance(code, str) and isinstance(verdict, bool)}


def is_ucum(code: str) -> bool:
    """Whether ucumvert's grammar accepts `code`: asked of the parser once per grammar, then kept."""
    verdicts = _kept_verdicts()
    verdict = verdicts.get(code)
    if verdict is None:
        verdict = verdicts[code] = _parses(code)
        path = _verdicts_path()
        if path is not None:
            keep_in_cache(path, json.dumps(verdicts, sort_keys=True).encode())
    return verdict


@lru_cache(maxsize=256)
def ucum_problem(code: str) -> str | None:
    """Why `code` is not a UCUM unit code (ucumvert's grammar), or None if it is one."""
    if not code.strip():
        return "no unit code"
    return None if is_ucum(code.strip()) else NOT_UCUM.format(code=code)
