"""The differential: every subtype placed as established, possible or excluded, with what
supports it, what is missing and what excludes it, and the next test that would best separate
the possible ones.

Established and excluded are both the reasoner's: a subtype is established when HermiT proves
the case an instance of its definition, excluded when it proves the case an instance of the
definition's complement (an explicit absence, a normal result, a clash of the facts with every
alternative). Everything else is possible under the open world. This module only reads the
definitions to say why; it never decides a placement itself."""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

from calcinosis_kb.knowledgebase.cases import word
from calcinosis_kb.knowledgebase.expressions import (
    DataRange,
    Expression,
    Named,
    Or,
    conjuncts,
    describe,
    label,
)
from calcinosis_kb.knowledgebase.namespaces import CCKB, curie, expand
from calcinosis_kb.reasoning.explain import Explainer

ESTABLISHED, POSSIBLE, EXCLUDED = "established", "possible", "excluded"


@dataclass
class Placement:
    subtype: str
    group: str
    primary: bool = False
    supported_by: list[dict[str, object]] = field(default_factory=list)
    """Recorded facts that meet part of the definition, with their quotes."""
    missing: list[str] = field(default_factory=list)
    """For a possible subtype: what the nearest alternative of its definition still needs, in words."""
    excluded_by: list[dict[str, object]] = field(default_factory=list)
    """For an excluded subtype: the recorded facts bearing on each alternative of its definition."""
    reading: str | None = None
    """Which reading of the literature the definition applies, where the sources disagree."""

    def as_dict(self) -> dict[str, object]:
        return {"subtype": self.subtype, "group": self.group, "primary": self.primary,
                "supported_by": self.supported_by, "missing": self.missing, "excluded_by": self.excluded_by,
                "reading": self.reading}


@dataclass
class NextTest:
    test: str
    separates: list[str]
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"test": self.test, "separates": self.separates, "message": self.message}


@dataclass
class Differential:
    placements: list[Placement]
    primary: str | None = None
    next_test: NextTest | None = None

    def group(self, name: str) -> list[str]:
        return [p.subtype for p in self.placements if p.group == name]

    def as_dict(self) -> dict[str, object]:
        return {
            ESTABLISHED: self.group(ESTABLISHED), POSSIBLE: self.group(POSSIBLE), EXCLUDED: self.group(EXCLUDED),
            "primary": self.primary,
            "next_test": self.next_test.as_dict() if self.next_test else None,
            "subtypes": [p.as_dict() for p in self.placements],
        }


def differential(case: URIRef, explainer: Explainer, subtypes: list[URIRef], established: list[URIRef]) -> Differential:
    """Place every subtype the ontology defines; `established` are the ones the reasoner inferred."""
    ontology = explainer.ontology
    excluded = explainer.reasoned.excluded_of(str(case))
    placements: list[Placement] = []
    local: list[str] = []
    for cls in subtypes:
        name = word(ontology, cls)
        reading = ontology.value(cls, CCKB.readingApplied)
        placement = Placement(name, POSSIBLE, reading=str(reading) if reading is not None else None)
        if cls in established:
            placement.group = ESTABLISHED
            placement.supported_by = [e.as_dict() for e in explainer.why(case, cls)]
            if any(_is_local_cause(explainer, str(item["fact"])) for item in placement.supported_by):
                local.append(name)
        elif str(cls) in excluded:
            placement.group = EXCLUDED
            placement.excluded_by = _bearing(case, explainer, cls)
        else:
            placement.supported_by, placement.missing = _nearest(case, explainer, cls)
        placements.append(placement)
    result = Differential(placements)
    if len(result.group(ESTABLISHED)) == 1:
        result.primary = result.group(ESTABLISHED)[0]
    elif len(local) == 1:
        # A cause at the lesion itself (an injection, an extravasation, an injury) weighs more
        # than a disease elsewhere in the body (ontology: cckb:localCause).
        result.primary = local[0]
    for placement in placements:
        placement.primary = placement.subtype == result.primary
    result.next_test = _next_test(case, explainer, [c for c in subtypes if word(ontology, c) in result.group(POSSIBLE)])
    return result


def _alternatives(explainer: Explainer, cls: URIRef) -> list[list[Expression]]:
    """The definition as alternatives, each a list of requirements (the base class left out)."""
    expression = explainer.definition(cls)
    if expression is None:
        return []
    fixed: list[Expression] = [p for p in conjuncts(expression) if not isinstance(p, Named | Or)]
    unions = [p for p in conjuncts(expression) if isinstance(p, Or)]
    if not unions:
        return [fixed]
    return [fixed + list(conjuncts(branch)) for branch in unions[0].parts]


def _nearest(case: URIRef, explainer: Explainer, cls: URIRef) -> tuple[list[dict[str, object]], list[str]]:
    """The facts that meet part of the alternative nearest to being met, and what it still needs."""
    best: tuple[int, list[dict[str, object]], list[str]] | None = None
    for requirements in _alternatives(explainer, cls):
        met: list[dict[str, object]] = []
        unmet: list[str] = []
        for part in requirements:
            if isinstance(part, Named):
                continue
            ok, witnesses = explainer.satisfied(part, case)
            if ok:
                met += [{"requirement": describe(explainer.ontology, part), "fact": curie(str(w)),
                         "label": explainer.fact_label(w), "quotes": explainer.quotes(w)}
                        for w in dict.fromkeys(witnesses) if w != case]
            else:
                unmet.append(describe(explainer.ontology, part))
        if unmet and (best is None or len(met) > best[0]):  # ties: the definition's first alternative
            best = (len(met), met, unmet)
    return (best[1], best[2]) if best else ([], [])


def _bearing(case: URIRef, explainer: Explainer, cls: URIRef) -> list[dict[str, object]]:
    """The recorded facts of the kinds an excluded definition asks for: the normal results, the
    explicit absences and the other facts the reasoner weighed against each alternative."""
    found: dict[Node, dict[str, object]] = {}
    expression = explainer.definition(cls)
    for some in explainer.somes(expression) if expression is not None else []:
        if isinstance(some.filler, DataRange):
            continue
        kinds = explainer.kinds(some.filler.iri) if isinstance(some.filler, Named) else []
        for value in explainer.facts.objects(case, some.prop):
            if any(str(k) in explainer.types(value) for k in kinds):
                found[value] = _fact(explainer, value, describe(explainer.ontology, some))
        for node in explainer.denials(case, some):
            found[node] = _fact(explainer, node, describe(explainer.ontology, some))
    return list(found.values())


def _fact(explainer: Explainer, node: Node, requirement: str) -> dict[str, object]:
    return {"requirement": requirement, "fact": curie(str(node)), "label": explainer.fact_label(node),
            "quotes": explainer.quotes(node)}


def _is_local_cause(explainer: Explainer, fact: str) -> bool:
    """Whether a fact is of a kind the ontology marks as a cause at the lesion itself."""
    iri = expand(fact)
    if iri is None:
        return False
    for cls in explainer.facts.objects(URIRef(iri), RDF.type):
        if any((URIRef(c), CCKB.localCause, None) in explainer.ontology
               for c in explainer.reasoned.superclasses.get(str(cls), frozenset({str(cls)}))):
            return True
    return False


def _next_test(case: URIRef, explainer: Explainer, possible: list[URIRef]) -> NextTest | None:
    """The unreported measurement that bears on the most possible subtypes; else the first
    missing requirement of the possible subtype nearest to being established."""
    ontology = explainer.ontology
    bears: dict[URIRef, list[str]] = {}
    for cls in possible:
        for kind in explainer.gaps(case, cls):
            bears.setdefault(kind, []).append(word(ontology, cls))
    if bears:
        kind, names = max(sorted(bears.items(), key=lambda item: label(ontology, item[0])),
                          key=lambda item: len(set(item[1])))
        names = sorted(set(names))
        test = label(ontology, kind)
        if len(names) > 1:
            message = f"{test} would separate {', '.join(names[:-1])} from {names[-1]}"
        else:
            message = f"{test} would decide {names[0]}"
        return NextTest(test, names, message)
    nearest = [(len(met), cls, unmet) for cls in possible for met, unmet in [_nearest(case, explainer, cls)] if unmet]
    if not nearest:
        return None
    _, cls, unmet = max(nearest, key=lambda item: (item[0], -len(item[2]), str(item[1])))
    return NextTest(unmet[0], [word(ontology, cls)], f"{unmet[0]} would establish {word(ontology, cls)}")
