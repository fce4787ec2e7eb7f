"""Fidelity to the literature: the reasoner's subtypes compared with the authors' own, case by
case, with the tool's reason for every difference (benchmarks/bench_fidelity.py prints it).

- inclusion: every subtype the authors name is among the established ones;
- exact: and nothing is established beyond what the authors name.

Only cases whose authors name a subtype count. A difference is explained from the case's
differential: for a subtype the authors name but kb does not establish, what supports it,
what is missing or what excludes it, with the source's words; for a subtype kb establishes
beyond the authors', the facts and quotes that establish it."""

from __future__ import annotations

from dataclasses import dataclass, field

from calcinosis_kb.reasoning.classify import CaseResult, Inference


@dataclass
class Difference:
    subtype: str
    kind: str  # "not established" (the authors name it) or "also established" (the authors do not)
    reason: str
    sourced: bool  # the reason rests on recorded facts with their quotes, or names what is missing

    def as_dict(self) -> dict[str, object]:
        return {"subtype": self.subtype, "kind": self.kind, "reason": self.reason, "sourced": self.sourced}


@dataclass
class CaseFidelity:
    case: str
    authors: list[str]
    established: list[str]
    primary: str | None
    inclusion: bool
    exact: bool
    differences: list[Difference] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"case": self.case, "authors": self.authors, "established": self.established,
                "primary": self.primary, "inclusion": self.inclusion, "exact": self.exact,
                "differences": [d.as_dict() for d in self.differences]}


@dataclass
class Fidelity:
    cases: list[CaseFidelity]

    @property
    def inclusion(self) -> float:
        return sum(c.inclusion for c in self.cases) / len(self.cases) if self.cases else 0.0

    @property
    def exact(self) -> float:
        return sum(c.exact for c in self.cases) / len(self.cases) if self.cases else 0.0

    @property
    def unexplained(self) -> list[tuple[str, Difference]]:
        return [(c.case, d) for c in self.cases for d in c.differences if not d.sourced]

    def as_dict(self) -> dict[str, object]:
        return {"cases_with_authors_subtype": len(self.cases), "inclusion": self.inclusion, "exact": self.exact,
                "unexplained": len(self.unexplained), "per_case": [c.as_dict() for c in self.cases]}


def fidelity(inference: Inference) -> Fidelity:
    return Fidelity([_case(r) for r in inference.results if r.authors_subtypes])


def _case(result: CaseResult) -> CaseFidelity:
    authors, established = set(result.authors_subtypes), set(result.inferred_subtypes)
    placements = {str(p["subtype"]): p for p in _placements(result)}
    primary = result.differential.get("primary")
    differences = [_missed(s, placements.get(s)) for s in sorted(authors - established)]
    differences += [_extra(s, placements.get(s), primary) for s in sorted(established - authors)]
    return CaseFidelity(result.case, sorted(authors), sorted(established), str(primary) if primary else None,
                        authors <= established, authors == established, differences)


def _placements(result: CaseResult) -> list[dict[str, object]]:
    placements = result.differential.get("subtypes", [])
    return [p for p in placements if isinstance(p, dict)] if isinstance(placements, list) else []


def _facts(items: object) -> list[str]:
    """Facts in words with the first quote of each."""
    shown: list[str] = []
    for item in items if isinstance(items, list) else []:
        quotes = item.get("quotes") or []
        shown.append(f"{item['label']}" + (f" (\"{quotes[0]}\")" if quotes else ""))
    return list(dict.fromkeys(shown))


def _missed(subtype: str, placement: dict[str, object] | None) -> Difference:
    if placement is None:
        return Difference(subtype, "not established", "kb's ontology defines no such subtype", False)
    if placement["group"] == "excluded":
        facts = _facts(placement["excluded_by"])
        return Difference(subtype, "not established", f"excluded by {'; '.join(facts)}", bool(facts))
    supported = _facts(placement["supported_by"])
    missing = [str(m) for m in placement["missing"]] if isinstance(placement["missing"], list) else []
    reason = (f"possible, not established: the recorded facts support it with {'; '.join(supported)}"
              if supported else "possible, not established: the report as stored records nothing it requires")
    reason += f"; still missing: {' and '.join(missing)}" if missing else ""
    return Difference(subtype, "not established", reason, bool(missing))


def _extra(subtype: str, placement: dict[str, object] | None, primary: object) -> Difference:
    facts = _facts(placement["supported_by"]) if placement else []
    ranked = f"; kb names {primary} primary" if primary and primary != subtype else ""
    return Difference(subtype, "also established", f"established by {'; '.join(facts)}{ranked}", bool(facts))
