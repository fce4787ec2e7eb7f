"""The case record: the one place of a kb-written Phenopacket for what Phenopacket v2 has no field for.

A Phenopacket holds a case's facts only as far as its elements go: it has no fact nodes (so no
lesion with its own site and quote once every HPO term is one feature), no notes, no printed
sizes, doses or durations, no quotes of diseases or medical actions. kb export therefore adds one
entry to `files`: its `uri` is the case's IRI, and its `fileAttributes` hold every triple of the
case, one attribute each, keyed `<subject> <predicate>` (CURIEs; ` 2`, ` 3`... after the second
value of the same pair). The value is either a JSON pointer (RFC 6901) to the element field that
already holds it (`/phenotypicFeatures/0/evidence/1/reference/description`, an OntologyClass such
as `/measurements/2/assay`, a number), so nothing is written twice, or else the value itself as a
Turtle term (`"during the past 10 years"`, `cckb:Left`, `"1.5"^^xsd:decimal`). A pointer is
written only when reading it back gives exactly the value. `kb import` rebuilds the case from the
record when there is one, and from the elements alone otherwise. See docs/phenopackets.md."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import NamespaceManager
from rdflib.term import Node
from rdflib.util import from_n3

from calcinosis_kb.interchange.phenopackets.mapping import Vocabulary
from calcinosis_kb.knowledgebase.errors import InputFileError
from calcinosis_kb.knowledgebase.loading import new_graph
from calcinosis_kb.knowledgebase.namespaces import CASE, CCKB, curie, expand

RECORD_ABOUT = "about"
RECORD_DESCRIPTION = ("calcinosis-kb case record: every triple of the case, keyed '<subject> <predicate>'; a "
                      "value is a JSON pointer to the field of this Phenopacket that holds it, or a Turtle term "
                      "(docs/phenopackets.md)")
DERIVED_DATA = {CCKB.canonicalValue, CCKB.calciumPhosphateProduct}
"""Values kb computes from the value and unit; never carried."""
POINTED_TEXT = {"description"}
"""The text fields a pointer may name: quotes in evidence references and measurement descriptions."""


def record_file(packet: dict[str, object], facts: Graph, case: URIRef,
                places: dict[URIRef, list[str]], vocabulary: Vocabulary) -> dict[str, object]:
    """The `files` entry that carries the case record of `facts` for `packet`."""
    namespaces = new_graph().namespace_manager
    attributes: dict[str, str] = {RECORD_ABOUT: RECORD_DESCRIPTION}
    for subject in sorted({s for s in facts.subjects() if isinstance(s, URIRef)}):
        leaves = [leaf for pointer in places.get(subject, []) for leaf in _leaves(_at(packet, pointer), pointer)]
        for predicate in sorted({p for p in facts.predicates(subject) if isinstance(p, URIRef)}):
            if predicate in DERIVED_DATA:
                continue
            values = sorted(facts.objects(subject, predicate), key=lambda value: value.n3(namespaces))
            for number, value in enumerate(values, start=1):
                key = f"{curie(str(subject))} {curie(str(predicate))}" + (f" {number}" if number > 1 else "")
                attributes[key] = next((pointer for pointer, leaf in leaves
                                        if _same(_resolve(leaf, vocabulary), value)), value.n3(namespaces))
    return {"uri": str(case), "fileAttributes": attributes}


def find_record(data: dict[str, object]) -> dict[str, str] | None:
    """The case record of a Phenopacket kb wrote, if it has one."""
    files = data.get("files")
    for item in files if isinstance(files, list) else []:
        if isinstance(item, dict) and str(item.get("uri", "")).startswith(str(CASE)):
            attributes = item.get("fileAttributes")
            if isinstance(attributes, dict) and attributes.get(RECORD_ABOUT) == RECORD_DESCRIPTION:
                return {str(k): str(v) for k, v in attributes.items()}
    return None


def read_record(data: dict[str, object], record: dict[str, str], vocabulary: Vocabulary, where: str) -> Graph:
    """The case graph a record describes; a key or value that cannot be read is an error naming it."""
    graph = new_graph()
    namespaces = graph.namespace_manager
    for key, text in sorted(record.items()):
        if key == RECORD_ABOUT:
            continue
        parts = key.split(" ")
        well_formed = len(parts) == 2 or (len(parts) == 3 and parts[2].isdigit())
        subject, predicate = (expand(p) for p in parts[:2]) if well_formed else (None, None)
        if subject is None or predicate is None:
            raise InputFileError(f"{where}: files[].fileAttributes {key!r}: not '<subject> <predicate>' with known "
                                 "CURIE prefixes; fix the key or remove the case record to import the elements only")
        value = _resolve(_at(data, text), vocabulary) if text.startswith("/") else _term(text, namespaces)
        if value is None:
            raise InputFileError(f"{where}: files[].fileAttributes {key!r}: {text!r} is neither a JSON pointer to "
                                 "a value of this Phenopacket nor a Turtle term; fix it or remove the case record")
        graph.add((URIRef(subject), URIRef(predicate), value))
    return graph


def _term(text: str, namespaces: NamespaceManager) -> Node | None:
    try:
        term = from_n3(text, nsm=namespaces)
    except Exception:  # rdflib raises several unrelated errors for text that is not a term
        return None
    if not isinstance(term, URIRef | Literal):
        return None
    # rdflib reads a broken string ('"unclosed') as some literal: a quoted value must be written
    # exactly as kb writes it.
    return term if not text.startswith('"') or term.n3(namespaces) == text else None


def _at(data: object, pointer: str) -> object:
    """The value a JSON pointer names in `data`, or None."""
    value = data
    for step in pointer.split("/")[1:]:
        step = step.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict):
            value = value.get(step)
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return None
    return value


def _leaves(value: object, pointer: str) -> list[tuple[str, object]]:
    """The values under an element a pointer may name: ontology classes, quote texts, numbers."""
    if isinstance(value, dict):
        own = [(pointer, value)] if "id" in value and "label" in value else []
        return own + [leaf for key, item in value.items() if not (key in ("id", "label") and own)
                      for leaf in _leaves(item, f"{pointer}/{key}")
                      if not isinstance(item, str) or key in POINTED_TEXT]
    if isinstance(value, list):
        return [leaf for index, item in enumerate(value) for leaf in _leaves(item, f"{pointer}/{index}")]
    if isinstance(value, str | float | int) and not isinstance(value, bool) and value:
        return [(pointer, value)]
    return []


def _resolve(value: object, vocabulary: Vocabulary) -> Node | None:
    """What a pointed-at value stands for: a term of the ontology, a text, or a number."""
    if isinstance(value, dict):
        ident = value.get("id")
        return vocabulary.term_of(ident) if isinstance(ident, str) else None
    if isinstance(value, str):
        return Literal(value)
    if isinstance(value, float | int) and not isinstance(value, bool):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return None
        return Literal(int(number)) if number == number.to_integral_value() else Literal(number)
    return None


def _same(found: Node | None, value: Node) -> bool:
    """Equal as RDF terms, lexical form included (2.50 is not 2.5 in a case file)."""
    if found is None or found != value:
        return False
    if isinstance(value, Literal):
        return isinstance(found, Literal) and (str(found), found.datatype, found.language) == (
            str(value), value.datatype, value.language)
    return True
