"""OWL class expressions read from RDF, and how to say them in words.

The explanations walk the ontology's own definitions, so changing a definition in the
ontology changes the explanation too."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDFS, XSD
from rdflib.term import Node

from calcinosis_kb.knowledgebase.namespaces import curie


@dataclass(frozen=True)
class Named:
    iri: URIRef


@dataclass(frozen=True)
class And:
    parts: tuple[Expression, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Expression, ...]


@dataclass(frozen=True)
class Not:
    part: Expression


@dataclass(frozen=True)
class Some:
    prop: URIRef
    filler: Expression


@dataclass(frozen=True)
class HasValue:
    prop: URIRef
    value: Node


@dataclass(frozen=True)
class DataRange:
    datatype: URIRef
    facets: tuple[tuple[URIRef, Literal], ...]


@dataclass(frozen=True)
class Unsupported:
    node: Node


Expression = Named | And | Or | Not | Some | HasValue | DataRange | Unsupported


def _value(graph: Graph, node: Node, prop: URIRef) -> Node:
    value = graph.value(node, prop)
    if value is None:
        raise ValueError(f"malformed class expression: {node} has no {prop}")
    return value


def read_expression(graph: Graph, node: Node) -> Expression:
    if isinstance(node, URIRef):
        return Named(node)
    if (node, OWL.intersectionOf, None) in graph:
        return And(tuple(read_expression(graph, n) for n in Collection(graph, _value(graph, node, OWL.intersectionOf))))
    if (node, OWL.unionOf, None) in graph:
        return Or(tuple(read_expression(graph, n) for n in Collection(graph, _value(graph, node, OWL.unionOf))))
    if (node, OWL.complementOf, None) in graph:
        return Not(read_expression(graph, _value(graph, node, OWL.complementOf)))
    prop = graph.value(node, OWL.onProperty)
    if isinstance(prop, URIRef):
        if (node, OWL.someValuesFrom, None) in graph:
            return Some(prop, read_expression(graph, _value(graph, node, OWL.someValuesFrom)))
        if (node, OWL.hasValue, None) in graph:
            return HasValue(prop, _value(graph, node, OWL.hasValue))
    if (node, OWL.onDatatype, None) in graph:
        facets: list[tuple[URIRef, Literal]] = []
        for restriction in Collection(graph, _value(graph, node, OWL.withRestrictions)):
            for facet, value in graph.predicate_objects(restriction):
                if isinstance(facet, URIRef) and isinstance(value, Literal):
                    facets.append((facet, value))
        return DataRange(URIRef(str(_value(graph, node, OWL.onDatatype))), tuple(facets))
    return Unsupported(node)


def definition(graph: Graph, cls: URIRef) -> Expression | None:
    """The class's equivalent-class definition, if it has one."""
    for node in graph.objects(cls, OWL.equivalentClass):
        if isinstance(node, BNode):
            return read_expression(graph, node)
    return None


def conjuncts(expression: Expression) -> tuple[Expression, ...]:
    return expression.parts if isinstance(expression, And) else (expression,)


def label(graph: Graph, node: Node) -> str:
    value = graph.value(node, RDFS.label)
    if value is not None:
        return str(value)
    return curie(str(node)) if isinstance(node, URIRef) else str(node)


FACET_WORDS = {
    XSD.minExclusive: ">",
    XSD.minInclusive: "≥",
    XSD.maxExclusive: "<",
    XSD.maxInclusive: "≤",
}


def describe(graph: Graph, expression: Expression) -> str:
    """The expression in words, with the ontology's labels."""
    if isinstance(expression, Named):
        return label(graph, expression.iri)
    if isinstance(expression, And):
        return " and ".join(describe(graph, p) for p in expression.parts)
    if isinstance(expression, Or):
        return "either " + " or ".join(f"({describe(graph, p)})" for p in expression.parts)
    if isinstance(expression, Not):
        return f"not ({describe(graph, expression.part)})"
    if isinstance(expression, Some):
        return f"{label(graph, expression.prop)} {describe(graph, expression.filler)}"
    if isinstance(expression, HasValue):
        return f"{label(graph, expression.prop)} {label(graph, expression.value)}"
    if isinstance(expression, DataRange):
        return " and ".join(f"{FACET_WORDS.get(f, curie(str(f)))} {v}" for f, v in expression.facets)
    return "(an expression kb cannot describe)"


def in_range(value: Node, data_range: DataRange) -> bool:
    if not isinstance(value, Literal):
        return False
    try:
        number = Decimal(str(value))
        for facet, limit in data_range.facets:
            bound = Decimal(str(limit))
            ok = {
                XSD.minExclusive: number > bound,
                XSD.minInclusive: number >= bound,
                XSD.maxExclusive: number < bound,
                XSD.maxInclusive: number <= bound,
            }.get(facet, False)
            if not ok:
                return False
    except InvalidOperation:
        return False
    return True

