"""Normalising lab values before reasoning: convert units to each test's canonical unit,
interpret a bare value against a reference range the ontology states, and compute the
calcium-phosphate product. The results are triples the reasoner then sees; no subtype is
decided here."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from calcinosis_kb.knowledgebase.errors import KnowledgeError
from calcinosis_kb.knowledgebase.namespaces import CCKB, curie

MASS_PER_VOLUME = {"mg/dl": "mg/dL"}
MOLAR = {"mmol/l": "mmol/L"}
SAME_QUANTITY = {("pg/ml", "ng/l")}
"""pg/mL and ng/L are the same quantity (1 pg/mL = 1 ng/L)."""


def _molar_mass(symbol: str) -> Decimal:
    import periodictable  # only when a molar conversion is needed

    try:
        element = periodictable.elements.symbol(symbol)
    except ValueError:
        raise KnowledgeError(f"analyte {symbol!r} is not a chemical element; cannot convert its units") from None
    return Decimal(str(element.mass))


def convert(value: Decimal, unit: str, target: str, analyte: str | None) -> Decimal:
    """Convert between mg/dL and mmol/L (by the analyte's molar mass) or between equal units."""
    source, wanted = unit.strip().lower(), target.strip().lower()
    if source == wanted or (source, wanted) in SAME_QUANTITY or (wanted, source) in SAME_QUANTITY:
        return value
    if analyte and source in MOLAR and wanted in MASS_PER_VOLUME:
        return value * _molar_mass(analyte) / 10
    if analyte and source in MASS_PER_VOLUME and wanted in MOLAR:
        return value * 10 / _molar_mass(analyte)
    raise ValueError(f"cannot convert {unit!r} to {target!r}")


def unit_problem(ontology: Graph, lab_class: URIRef, unit: str) -> str | None:
    """Why a value of this lab test in this unit could not be normalised, or None if it can."""
    if not unit.strip():
        return "no unit code"
    target = _class_annotation(ontology, [lab_class], CCKB.canonicalUnit)
    if target is None:
        return None
    try:
        convert(Decimal(1), unit, target, _class_annotation(ontology, [lab_class], CCKB.analyte))
    except (ValueError, KnowledgeError):
        return f"cannot be converted to {target}"
    return None


def _class_annotation(ontology: Graph, types: list[URIRef], prop: URIRef) -> str | None:
    for cls in types:
        for ancestor in ontology.transitive_objects(cls, RDFS.subClassOf):
            value = ontology.value(ancestor, prop)
            if value is not None:
                return str(value)
    return None


def normalise(ontology: Graph, cases: Graph) -> Graph:
    """Return the derived triples for every lab result with a number, and each case's Ca x P."""
    derived = Graph()
    canonical_by_analyte: dict[tuple[URIRef, str], Decimal] = {}
    for case, result in cases.subject_objects(CCKB.hasLabResult):
        if not isinstance(case, URIRef):
            continue
        value = cases.value(result, CCKB.numericValue)
        if value is None:
            continue
        types = [t for t in cases.objects(result, RDF.type) if isinstance(t, URIRef)]
        where = f"case {curie(str(case))}, lab result {curie(str(result))}"
        unit = cases.value(result, CCKB.unit)
        if unit is None:
            raise KnowledgeError(f"{where}: value {value} has no unit; add cckb:unit, e.g. \"mg/dL\"")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise KnowledgeError(f"{where}: {value!r} is not a number") from None
        target = _class_annotation(ontology, types, CCKB.canonicalUnit)
        if target is None:
            continue
        analyte = _class_annotation(ontology, types, CCKB.analyte)
        try:
            canonical = convert(number, str(unit), target, analyte)
        except ValueError:
            raise KnowledgeError(
                f"{where}: unit {str(unit)!r} cannot be converted to {target}; report it in {target} or mmol/L"
            ) from None
        derived.add((result, CCKB.canonicalValue, Literal(canonical.quantize(Decimal("0.001")), datatype=XSD.decimal)))
        if analyte:
            canonical_by_analyte[(case, analyte)] = canonical
        if cases.value(result, CCKB.hasInterpretation) is None:
            interpretation = _interpret(ontology, types, canonical)
            if interpretation is not None:
                derived.add((result, CCKB.hasInterpretation, interpretation))
    for (case, analyte), calcium in canonical_by_analyte.items():
        phosphate = canonical_by_analyte.get((case, "P"))
        if analyte == "Ca" and phosphate is not None:
            product = (calcium * phosphate).quantize(Decimal("0.01"))
            derived.add((case, CCKB.calciumPhosphateProduct, Literal(product, datatype=XSD.decimal)))
    return derived


def _interpret(ontology: Graph, types: list[URIRef], value: Decimal) -> URIRef | None:
    """Low/Normal/High against the reference range the ontology gives, if it gives one."""
    low = _class_annotation(ontology, types, CCKB.referenceRangeLow)
    high = _class_annotation(ontology, types, CCKB.referenceRangeHigh)
    if low is None or high is None:
        return None
    if value < Decimal(low):
        return CCKB.Low
    if value > Decimal(high):
        return CCKB.High
    return CCKB.Normal
