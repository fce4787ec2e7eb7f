"""Why, why not, and what is missing: the ontology's definitions checked against a case's
recorded facts and the reasoner's conclusions about them.

The reasoner decides membership; this module only finds, for each part of a definition,
which recorded facts satisfy it (with their quotes), which part is unmet or ruled out,
and which unreported measurement would decide it."""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS
from rdflib.term import Node

from calcinosis_kb.knowledgebase.expressions import (
    And,
    DataRange,
    Expression,
    HasValue,
    Named,
    Not,
    Or,
    Some,
    conjuncts,
    definition,
    describe,
    in_range,
    label,
)
from calcinosis_kb.knowledgebase.namespaces import CCKB, curie
from calcinosis_kb.knowledgebase.normalise import PRODUCT_ANALYTES, analyte_of
from calcinosis_kb.reasoning.hermit import Reasoned


@dataclass
class Evidence:
    """One recorded fact that satisfies part of a definition."""

    requirement: str
    fact: str
    label: str
    quotes: list[str]

    def as_dict(self) -> dict[str, object]:
        return {"requirement": self.requirement, "fact": self.fact, "label": self.label, "quotes": self.quotes}


@dataclass
class Shortfall:
    """A part of a definition the case does not meet."""

    requirement: str
    status: str  # "unmet" (not shown by the facts) or "ruled out" (the facts deny it)
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"requirement": self.requirement, "status": self.status, "detail": self.detail}


@dataclass
class Gap:
    """An unreported measurement or fact that a definition needs."""

    what: URIRef
    needed_for: list[str] = field(default_factory=list)


@dataclass
class Explainer:
    ontology: Graph
    facts: Graph  # the case files plus the normalised values
    reasoned: Reasoned
    definitions: dict[URIRef, Expression | None] = field(default_factory=dict)
    """Definitions read from the ontology so far; a classifier shares one among its cases, since
    reading them from RDF was half the cost of explaining (measured: 5.0 s of 10.4 s, 1,000 cases)."""
    _evaluating: set[tuple[Node, URIRef]] = field(default_factory=set)

    def definition(self, cls: URIRef) -> Expression | None:
        if cls not in self.definitions:
            self.definitions[cls] = definition(self.ontology, cls)
        return self.definitions[cls]

    def types(self, node: Node) -> frozenset[str]:
        asserted = {str(t) for t in self.facts.objects(node, RDF.type)}
        inferred = self.reasoned.types_of(str(node))
        closed: set[str] = set(inferred)
        for cls in asserted:
            closed |= self.reasoned.superclasses.get(cls, frozenset({cls}))
        return frozenset(closed)

    def quotes(self, node: Node) -> list[str]:
        return sorted(str(q) for q in self.facts.objects(node, CCKB.quote))

    def fact_label(self, node: Node) -> str:
        own = self.facts.value(node, RDFS.label)
        if own is not None:
            return str(own)
        if not isinstance(node, URIRef):
            return str(node)
        asserted = [t for t in self.facts.objects(node, RDF.type) if isinstance(t, URIRef)]
        words = [label(self.ontology, t) for t in asserted]
        quotes = self.quotes(node)
        if asserted and quotes and all(self._generic(t) for t in asserted):
            # "condition" alone does not say which: the source's words do.
            quote = quotes[0] if len(quotes[0]) <= 70 else quotes[0][:67].rstrip() + "..."
            words[-1] += f" \"{quote}\""
        interpretation = self.facts.value(node, CCKB.hasInterpretation)
        if interpretation is not None:
            words.append(label(self.ontology, interpretation))
        value, unit = self.facts.value(node, CCKB.numericValue), self.facts.value(node, CCKB.unit)
        if value is not None:
            words.append(f"{value} {unit or ''}".strip())
        return ", ".join(words) if words else label(self.ontology, node)

    # --- satisfaction, with the facts that satisfy -------------------------------------------

    def satisfied(self, expression: Expression, node: Node) -> tuple[bool, list[Node]]:
        """Whether the node meets the expression by its recorded and inferred facts, and the
        fact nodes (values) that show it."""
        if isinstance(expression, Named):
            if str(expression.iri) in self.types(node):
                return True, []
            # A fact node's membership in a defined class (NormalSerumCalcium: a calcium result
            # interpreted normal) is read from its definition; the case itself was classified
            # by the reasoner, and this only finds the facts that show it.
            inner = self.definition(expression.iri)
            key = (node, expression.iri)
            if inner is not None and key not in self._evaluating:
                self._evaluating.add(key)
                try:
                    return self.satisfied(inner, node)[0], []
                finally:
                    self._evaluating.discard(key)
            return False, []
        if isinstance(expression, And):
            witnesses: list[Node] = []
            for part in expression.parts:
                ok, found = self.satisfied(part, node)
                if not ok:
                    return False, []
                witnesses += found
            return True, witnesses
        if isinstance(expression, Or):
            witnesses = []
            any_ok = False
            for part in expression.parts:
                ok, found = self.satisfied(part, node)
                if ok:
                    any_ok = True
                    witnesses += found
            return any_ok, witnesses
        if isinstance(expression, Some):
            witnesses = []
            for value in self.facts.objects(node, expression.prop):
                if isinstance(expression.filler, DataRange):
                    ok, found = in_range(value, expression.filler), []
                else:
                    ok, found = self.satisfied(expression.filler, value)
                if ok:
                    witnesses += [value, *found] if not isinstance(expression.filler, DataRange) else [node]
            return bool(witnesses), witnesses
        if isinstance(expression, HasValue):
            ok = (node, expression.prop, expression.value) in self.facts
            return ok, []
        if isinstance(expression, Not):
            return False, []
        return False, []

    # --- the three questions ----------------------------------------------------------------

    def why(self, case: URIRef, cls: URIRef) -> list[Evidence]:
        expression = self.definition(cls)
        if expression is None:
            return []
        evidence: list[Evidence] = []
        for part in self._requirements(expression):
            ok, witnesses = self.satisfied(part, case)
            if not ok:
                continue
            requirement = describe(self.ontology, part)
            for node in dict.fromkeys(witnesses):
                if node == case and isinstance(part, Some):  # a data value of the case itself, e.g. Ca x P
                    value = self.facts.value(case, part.prop)
                    shown = f"{label(self.ontology, part.prop)} = {value}"
                    evidence.append(Evidence(requirement, curie(str(case)), shown, self._derived_quotes(case)))
                else:
                    evidence.append(Evidence(requirement, curie(str(node)), self.fact_label(node), self.quotes(node)))
        return evidence

    def why_not(self, case: URIRef, cls: URIRef) -> list[Shortfall]:
        expression = self.definition(cls)
        if expression is None:
            return []
        shortfalls: list[Shortfall] = []
        for part in conjuncts(expression):
            if isinstance(part, Named) and str(part.iri) in self.types(case):
                continue
            ok, _ = self.satisfied(part, case)
            if ok:
                continue
            status = "ruled out" if self._denied(case, part) else "unmet"
            shortfalls.append(Shortfall(describe(self.ontology, part), status, self._detail(case, part, status)))
        return shortfalls

    def gaps(self, case: URIRef, cls: URIRef) -> list[URIRef]:
        """Measurements a definition needs that the case does not report at all."""
        expression = self.definition(cls)
        found: list[URIRef] = []
        if expression is None:
            return found
        for some in self.somes(expression):
            if isinstance(some.filler, DataRange):
                continue  # a derived quantity: its inputs are the measurements to ask for
            if not isinstance(some.filler, Named):
                continue
            for kind in self.kinds(some.filler.iri):
                if kind == some.filler.iri:
                    continue  # not a measurement: a condition or finding asked for as such
                if not any(str(kind) in self.types(v) for v in self.facts.objects(case, some.prop)):
                    found.append(kind)
        return found

    def ruled_out(self, case: URIRef, cls: URIRef) -> bool:
        """Whether the reasoner proved the case outside the definition; else whether an explicit
        absence denies a required part (every alternative of an either/or part)."""
        if str(cls) in self.reasoned.excluded_of(str(case)):
            return True
        expression = self.definition(cls)
        return expression is not None and any(
            self._denied(case, part) for part in conjuncts(expression) if not self.satisfied(part, case)[0]
        )

    def _denied(self, case: URIRef, part: Expression) -> bool:
        """Whether the recorded absences deny a part: an either/or part only when they deny every
        alternative, a conjunction when they deny one of its parts."""
        if isinstance(part, Or):
            return all(self._denied(case, p) for p in part.parts)
        if isinstance(part, And):
            return any(self._denied(case, p) for p in part.parts)
        return bool(self.denials(case, part))

    def requirements_unmet(self, case: URIRef, cls: URIRef) -> list[str]:
        """The conjuncts of a definition the case does not meet, in words (a union reads
        "either ... or ..."): together they are what the case would need."""
        expression = self.definition(cls)
        if expression is None:
            return []
        return [describe(self.ontology, p) for p in conjuncts(expression)
                if not isinstance(p, Named) and not self.satisfied(p, case)[0]]

    # --- helpers ----------------------------------------------------------------------------

    def _generic(self, cls: URIRef) -> bool:
        """A category rather than a specific term: a class with subclasses of its own, at the top
        of the ontology's hierarchy or directly below it (condition, clinical finding, drug treatment)."""
        if not any(isinstance(c, URIRef) for c in self.ontology.subjects(RDFS.subClassOf, cls)):
            return False
        parents = [p for p in self.ontology.objects(cls, RDFS.subClassOf) if isinstance(p, URIRef)]
        return all(not any(isinstance(g, URIRef) for g in self.ontology.objects(p, RDFS.subClassOf))
                   for p in parents)

    def _requirements(self, expression: Expression) -> list[Expression]:
        """The parts of a definition worth naming: the conjuncts other than the base class,
        with a union opened into its alternatives."""
        parts: list[Expression] = []
        for part in conjuncts(expression):
            if isinstance(part, Named):
                continue
            parts.extend(part.parts if isinstance(part, Or) else (part,))
        return parts

    def somes(self, expression: Expression) -> list[Some]:
        if isinstance(expression, Some):
            return [expression]
        if isinstance(expression, And | Or):
            return [s for p in expression.parts for s in self.somes(p)]
        return []

    def kinds(self, cls: URIRef) -> list[URIRef]:
        """The named classes a defined class specialises, looking through unions:
        NormalSerumCalcium -> [SerumCalciumResult]; a union of three results -> their three kinds."""
        inner = self.definition(cls)
        if inner is None:
            return [cls]
        if isinstance(inner, Or):
            return [k for p in inner.parts if isinstance(p, Named) for k in self.kinds(p.iri)]
        named = [p.iri for p in conjuncts(inner) if isinstance(p, Named)]
        return named[:1] or [cls]

    def _kind(self, filler: Expression) -> URIRef | None:
        """The single named class a filler specialises, if there is exactly one."""
        if not isinstance(filler, Named):
            return None
        kinds = self.kinds(filler.iri)
        return kinds[0] if len(kinds) == 1 else None

    def _detail(self, case: URIRef, part: Expression, status: str) -> str:
        if status == "ruled out":
            denials = list(dict.fromkeys(n for s in self.somes(part) for n in self.denials(case, s)))
            quoted = "; ".join(
                f"{self.fact_label(n)} (\"{q[0]}\")" if (q := self.quotes(n)) else self.fact_label(n) for n in denials
            )
            return f"the recorded facts deny it: {quoted}"
        somes = self.somes(part)
        recorded: list[str] = []
        for some in somes:
            if isinstance(some.filler, DataRange):
                value = self.facts.value(case, some.prop)
                recorded.append(f"{label(self.ontology, some.prop)}: {value if value is not None else 'not known'}")
                continue
            kind = self._kind(some.filler)
            values = [v for v in self.facts.objects(case, some.prop)
                      if kind is None or str(kind) in self.types(v) or kind == getattr(some.filler, "iri", None)]
            if kind is not None and isinstance(some.filler, Named) and kind != some.filler.iri:
                shown = ", ".join(self.fact_label(v) for v in values) or "not reported"
                recorded.append(f"{label(self.ontology, kind)}: {shown}")
            else:
                others = [self.fact_label(v) for v in self.facts.objects(case, some.prop)]
                shown = ", ".join(others) if others else "none recorded"
                recorded.append(f"{label(self.ontology, some.prop)}: {shown}")
        return "; ".join(dict.fromkeys(recorded)) if recorded else "not shown by the recorded facts"

    def denials(self, case: URIRef, part: Expression) -> list[Node]:
        """Explicit-absence facts whose negated class overlaps what the part asks for."""
        wanted = {str(s.filler.iri) for s in self.somes(part) if isinstance(s.filler, Named)}
        denials: list[Node] = []
        for node in self.facts.objects(case, CCKB.hasFinding):
            for cls in self.facts.objects(node, RDF.type):
                for negated in self.ontology.objects(cls, CCKB.negates):
                    related = self.reasoned.superclasses.get(str(negated), frozenset()) | {str(negated)}
                    if wanted & related or any(str(negated) in self.reasoned.superclasses.get(w, frozenset())
                                               for w in wanted):
                        denials.append(node)
        return denials

    def _derived_quotes(self, case: URIRef) -> list[str]:
        """The quotes of the values a derived quantity (the Ca x P product) was computed from."""
        quotes: list[str] = []
        for result in self.facts.objects(case, CCKB.hasLabResult):
            types = [t for t in self.facts.objects(result, RDF.type) if isinstance(t, URIRef)]
            if self.facts.value(result, CCKB.numericValue) is not None and \
                    analyte_of(self.ontology, types) in PRODUCT_ANALYTES:
                quotes += self.quotes(result)
        return quotes
