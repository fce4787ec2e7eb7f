"""Literals a case file may hold: of a datatype the reasoner takes, and numbers well-formed for their
datatype, finite, of a size a report can print, and not negative (every number of the case format
is an amount: an age, a concentration, a size, a product). Checked when a case file is read, so
that no command hands the reasoner, the query store or the unit converter a literal they cannot
take, and the curator learns the file, line and value."""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from calcinosis_kb.knowledgebase.errors import KnowledgeError
from calcinosis_kb.knowledgebase.namespaces import CCKB, curie
from calcinosis_kb.knowledgebase.values import BOOLEAN_TYPE, INTEGER_TYPES, REAL_TYPES

LARGEST = Decimal("1e15")
"""No age, lab value or size in a case report comes near this; beyond it the reasoner's and the
converter's number types start to lose the value (HermiT refuses 1e309 as a double)."""

OWL2_DATATYPES = INTEGER_TYPES | REAL_TYPES | {BOOLEAN_TYPE} | {str(XSD[name]) for name in (
    "string", "normalizedString", "token", "language", "Name", "NCName", "NMTOKEN", "hexBinary", "base64Binary",
    "anyURI", "dateTime", "dateTimeStamp")} | {str(RDF.PlainLiteral), str(RDF.XMLLiteral), str(RDF.langString),
                                               str(RDFS.Literal), str(OWL.real), str(OWL.rational)}
"""The OWL 2 datatype map (OWL 2 Structural Specification, section 4), the only datatypes HermiT
takes: a literal of another (xsd:date, xsd:gYear, a datatype of one's own) stops it with
UnsupportedDatatypeException. rdf:langString is the datatype RDF 1.1 gives a tagged string."""

AGE_PROPERTIES = {CCKB.ageInYears: 150, CCKB.ageInMonths: 150 * 12, CCKB.ageInDays: 150 * 366}
"""The oldest age a case may give in each unit (150 years: older than any recorded human)."""


class UnusableNumberError(KnowledgeError):
    """A literal (a number, most often) in a case file that no part of kb can take as written."""


def check_literals(graph: Graph, path: Path) -> None:
    """Refuse the first unusable literal in a case graph, naming file, line, property and value."""
    for subject, prop, value in graph:
        if not isinstance(value, Literal) or value.datatype is None:
            continue
        datatype = str(value.datatype)
        if datatype not in OWL2_DATATYPES and str(prop).startswith(str(CCKB)):  # the ontology's properties
            problem: str | None = (f"is of a datatype the reasoner cannot take (only OWL 2's: {curie(XSD.decimal)}, "
                                   f"{curie(XSD.string)}, {curie(XSD.boolean)}, {curie(XSD.dateTime)} and the "
                                   "like); write a plain number, true or false, or quoted text")
        elif datatype not in INTEGER_TYPES and datatype not in REAL_TYPES:
            continue
        else:
            problem = _problem(value, datatype, prop)
        if problem is not None:
            line = _line(path, subject, prop, str(value))
            where = f"{path}:{line}" if line else str(path)
            raise UnusableNumberError(f"{where}: {curie(str(prop))} \"{value}\"^^{curie(datatype)} {problem}")


def _problem(value: Literal, datatype: str, prop: object) -> str | None:
    lexical = str(value).strip()
    if value.ill_typed:
        return f"is not a valid {curie(datatype)}; write a plain number such as 52 or 9.1"
    try:
        number = Decimal(lexical)
    except InvalidOperation:
        return "is not a number; write a plain number such as 52 or 9.1"
    if not number.is_finite() or (datatype in (str(XSD.double), str(XSD.float)) and math.isinf(float(number))):
        return ("is not a finite number, which the reasoner cannot take; write the number the report "
                "prints, or its words in cckb:valueText")
    if abs(number) >= LARGEST:
        return f"is too large to be a reported value (at most {LARGEST:,.0f}); check the number"
    if number < 0 and isinstance(prop, URIRef) and str(prop).startswith(str(CCKB)):
        return "is negative, but every number of a case is an amount (an age, a value, a size); check the sign"
    oldest = AGE_PROPERTIES.get(prop) if isinstance(prop, URIRef) else None
    if oldest is not None and number > oldest:
        return f"is older than any person (at most {oldest}); check the number and its unit"
    return None


def _line(path: Path, subject: object, prop: object, lexical: str) -> int | None:
    """The statement's line for a named subject; else the first line holding the value (rdflib
    normalises some numbers, "NaN" to "nan", so the value as written may not be found)."""
    from calcinosis_kb.knowledgebase.cases import line_of_statement

    if isinstance(subject, URIRef) and isinstance(prop, URIRef) and path.suffix.lower() == ".ttl":
        return line_of_statement(path, subject, prop)
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for number, line in enumerate(lines, start=1):
        if lexical in line:
            return number
    return None
