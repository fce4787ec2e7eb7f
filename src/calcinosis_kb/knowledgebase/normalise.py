"""Normalising lab values before reasoning: convert units (UCUM, through ucumvert) to each
test's canonical unit, interpret a bare value or range against the report's own printed reference
range or else one the ontology states, and compute the calcium-phosphate product. The results
are triples the reasoner then sees; no subtype is decided here."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from calcinosis_kb.knowledgebase.errors import KnowledgeError
from calcinosis_kb.knowledgebase.namespaces import CCKB, curie
from calcinosis_kb.knowledgebase.ucum import registry as ucum_registry
from calcinosis_kb.knowledgebase.ucum import ucum_problem

PRODUCT_ANALYTES = ("Ca", "P")
"""The analytes whose canonical values multiply into the calcium-phosphate product."""

MASS_PER_VOLUME = {"mg/dl": "mg/dL"}
MOLAR = {"mmol/l": "mmol/L"}
"""The one conversion most lab values need (calcium and phosphate between mg/dL and mmol/L) is
done by molar mass alone, so that classifying such cases never loads the UCUM registry (about a
second); every other unit goes through ucumvert."""


class Where:
    """The lab result a message is about, put in words only when a message is written: shortening
    IRIs loads the prefix maps, most of a second that a file without errors need not pay."""

    def __init__(self, case: URIRef, result: URIRef) -> None:
        self.case, self.result = case, result

    def __str__(self) -> str:
        return f"case {curie(str(self.case))}, lab result {curie(str(self.result))}"


class UnitError(KnowledgeError):
    """A lab value whose unit is not a UCUM code, or does not convert to its test's unit."""

    def __init__(self, where: Where, detail: str, node: URIRef, prop: URIRef = CCKB.unit) -> None:
        super().__init__(f"{where}: {detail}")
        self.detail = detail
        self.node = node
        self.prop = prop


def _molar_mass(symbol: str) -> Decimal:
    import periodictable  # only when a molar conversion is needed

    try:
        element = periodictable.elements.symbol(symbol)
    except ValueError:
        raise KnowledgeError(f"analyte {symbol!r} is not a chemical element; cannot convert its units") from None
    return Decimal(str(element.mass))


def convert(value: Decimal, unit: str, target: str, analyte: str | None, charge: int | None = None) -> Decimal:
    """`value` in `unit` expressed in `target`: any two UCUM units of the same kind, mass and
    substance concentrations by the analyte's molar mass, equivalents by its ion's charge."""
    source, wanted = unit.strip(), target.strip()
    if source.lower() == wanted.lower():
        return value
    if analyte and source.lower() in MOLAR and wanted.lower() in MASS_PER_VOLUME:
        return value * _molar_mass(analyte) / 10
    if analyte and source.lower() in MASS_PER_VOLUME and wanted.lower() in MOLAR:
        return value * 10 / _molar_mass(analyte)
    return value * _factor(source, wanted, analyte, charge)


@lru_cache(maxsize=256)
def _factor(source: str, target: str, analyte: str | None, charge: int | None) -> Decimal:
    for code in (source, target):
        problem = ucum_problem(code)
        if problem is not None:
            raise ValueError(problem)
    registry = ucum_registry()
    have, want = registry.from_ucum(source), registry.from_ucum(target)
    if "equivalent" in str(have.units) and "equivalent" not in str(want.units):
        if not charge:
            raise ValueError(f"{source!r} counts equivalents, and the ontology gives no ion charge for this "
                             f"test (cckb:analyteCharge); keep the value as printed (cckb:valueText) with the "
                             "report's judgement")
        have = have / charge  # ucumvert counts an equivalent as a mole; a mole of X^n+ is n equivalents
    substance, mass = registry.from_ucum("mol").dimensionality, registry.from_ucum("g").dimensionality
    per_mole = registry.from_ucum("g/mol") * float(_molar_mass(analyte)) if analyte else None
    if have.dimensionality != want.dimensionality and per_mole is not None:
        if (have * per_mole).dimensionality == want.dimensionality and have.dimensionality != mass:
            have = have * per_mole
        elif (have / per_mole).dimensionality == want.dimensionality and have.dimensionality != substance:
            have = have / per_mole
    if have.dimensionality != want.dimensionality:
        raise ValueError(f"{source!r} does not measure the same kind of quantity as {target!r}")
    magnitude = (have.to(want.units) / want.magnitude).magnitude
    return Decimal(f"{magnitude:.12g}")


def unit_problem(ontology: Graph, lab_class: URIRef, unit: str) -> str | None:
    """Why a value of this lab test in this unit could not be normalised, or None if it can."""
    problem = ucum_problem(unit)
    if problem is not None:
        return problem
    target = _class_annotation(ontology, [lab_class], CCKB.canonicalUnit)
    if target is None:
        return None
    try:
        convert(Decimal(1), unit, target, *_conversion([lab_class], ontology))
    except (ValueError, KnowledgeError) as error:
        return f"cannot be converted to {target}: {error}"
    return None


def analyte_of(ontology: Graph, types: list[URIRef]) -> str | None:
    """The analyte a lab result of these types measures, as the ontology states it."""
    return _class_annotation(ontology, types, CCKB.analyte)


def _conversion(types: list[URIRef], ontology: Graph) -> tuple[str | None, int | None]:
    """The analyte and its ion's charge, for converting the values of a test of these types."""
    charge = _class_annotation(ontology, types, CCKB.analyteCharge)
    return _class_annotation(ontology, types, CCKB.analyte), int(charge) if charge else None


def _class_annotation(ontology: Graph, types: list[URIRef], prop: URIRef) -> str | None:
    for cls in types:
        for ancestor in ontology.transitive_objects(cls, RDFS.subClassOf):
            value = ontology.value(ancestor, prop)
            if value is not None:
                return str(value)
    return None


def normalise(ontology: Graph, cases: Graph) -> Graph:
    """Return the derived triples for every lab result with a number or a range: its value in the
    test's canonical unit, its interpretation when the case gives none (against the report's own
    printed reference range first, then the ontology's), and each case's Ca x P product."""
    derived = Graph()
    canonical_by_analyte: dict[tuple[URIRef, str], Decimal] = {}
    for case, result in cases.subject_objects(CCKB.hasLabResult):
        if not isinstance(case, URIRef) or not isinstance(result, URIRef):
            continue
        where = Where(case, result)
        value = _number(cases, result, CCKB.numericValue, where)
        low, high = _number(cases, result, CCKB.valueLow, where), _number(cases, result, CCKB.valueHigh, where)
        if value is None and low is None and high is None:
            continue
        span = (value, value) if value is not None else (low, high)
        unit = cases.value(result, CCKB.unit)
        if unit is None:
            raise UnitError(where, "a value has no unit; add cckb:unit as printed, in UCUM (e.g. \"mg/dL\")",
                            result)
        problem = ucum_problem(str(unit))
        if problem is not None:
            raise UnitError(where, problem, result)
        judged = None
        if cases.value(result, CCKB.hasInterpretation) is None:
            judged = _judge(span, _number(cases, result, CCKB.reportedReferenceLow, where),
                            _number(cases, result, CCKB.reportedReferenceHigh, where))
        types = [t for t in cases.objects(result, RDF.type) if isinstance(t, URIRef)]
        target = _class_annotation(ontology, types, CCKB.canonicalUnit)
        if target is not None:
            analyte, charge = _conversion(types, ontology)
            try:
                canonical = (_converted(span[0], str(unit), target, analyte, charge),
                             _converted(span[1], str(unit), target, analyte, charge))
            except ValueError as error:
                raise UnitError(where, f"unit {str(unit)!r} cannot be converted to {target}: {error}",
                                result) from None
            if value is not None and canonical[0] is not None:
                derived.add((result, CCKB.canonicalValue,
                             Literal(canonical[0].quantize(Decimal("0.001")), datatype=XSD.decimal)))
                if analyte:
                    canonical_by_analyte[(case, analyte)] = canonical[0]
            if cases.value(result, CCKB.hasInterpretation) is None and judged is None:
                judged = _judge(canonical, _annotation_number(ontology, types, CCKB.referenceRangeLow),
                                _annotation_number(ontology, types, CCKB.referenceRangeHigh))
        if judged is not None:
            derived.add((result, CCKB.hasInterpretation, judged))
    calcium_analyte, phosphate_analyte = PRODUCT_ANALYTES
    for (case, analyte), calcium in canonical_by_analyte.items():
        phosphate = canonical_by_analyte.get((case, phosphate_analyte))
        if analyte == calcium_analyte and phosphate is not None:
            product = (calcium * phosphate).quantize(Decimal("0.01"))
            derived.add((case, CCKB.calciumPhosphateProduct, Literal(product, datatype=XSD.decimal)))
    return derived


def _converted(value: Decimal | None, unit: str, target: str, analyte: str | None,
               charge: int | None) -> Decimal | None:
    return None if value is None else convert(value, unit, target, analyte, charge)


def _number(cases: Graph, node: URIRef, prop: URIRef, where: Where) -> Decimal | None:
    value = cases.value(node, prop)
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise UnitError(where, f"{curie(str(prop))} {str(value)!r} is not a number", node, prop) from None
    if not number.is_finite():
        raise UnitError(where, f"{curie(str(prop))} {str(value)!r} is not a finite number", node, prop)
    return number


def _annotation_number(ontology: Graph, types: list[URIRef], prop: URIRef) -> Decimal | None:
    text = _class_annotation(ontology, types, prop)
    return Decimal(text) if text is not None else None


def _judge(span: tuple[Decimal | None, Decimal | None], low: Decimal | None, high: Decimal | None) -> URIRef | None:
    """Low, Normal or High for a value (or a range of values, either end open) against a reference
    range (either end open); None when there is no range or the values straddle one of its ends."""
    least, most = span
    if low is None and high is None:
        return None
    if least is not None and high is not None and least > high:
        return CCKB.High
    if most is not None and low is not None and most < low:
        return CCKB.Low
    above_low = low is None or (least is not None and least >= low)
    below_high = high is None or (most is not None and most <= high)
    return CCKB.Normal if above_low and below_high else None
