"""Import a GA4GH Phenopacket v2 as a case of our format (docs/case-format.md, docs/phenopackets.md)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from .errors import InputFileError, KnowledgeError
from .kbdir import KnowledgeBase
from .loading import load_ontology, new_graph
from .namespaces import CASE, CCKB, SRC, curie
from .phenopacket_map import UNIT_PREFIX, Vocabulary, normal_id
from .phenopacket_out import COMPLICATION_ONSET, INFERRED, TISSUE_LAYER

FACT_LINKS = {CCKB.hasCondition, CCKB.hasComplication, CCKB.hasFinding, CCKB.hasLabResult, CCKB.hasExposure,
              CCKB.hasLesion, CCKB.hasImaging, CCKB.hasHistology, CCKB.hasProcedure, CCKB.hasTreatment}
CARRIED_DATA = {CCKB.ageInYears, CCKB.largestDimensionCm}
"""Data properties restored from externalReferences; the derived ones (canonical value, Ca x P
product) never are: kb computes them."""
AGE = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?$")

Json = dict[str, object]


@dataclass
class ImportedCase:
    case: URIRef
    graph: Graph
    unmapped: list[str] = field(default_factory=list)
    """Terms of the Phenopacket that no cckb term maps to, and elements left out because of them."""
    notes: list[str] = field(default_factory=list)
    source: str = ""
    cases: list[URIRef] = field(default_factory=list)
    """Every case imported: the one above, or each of a list of Phenopackets."""

    def __post_init__(self) -> None:
        self.cases = self.cases or [self.case]

    @property
    def turtle(self) -> str:
        header = (f"# Imported by kb import from the Phenopacket v2 {self.source} (docs/phenopackets.md).\n"
                  "# Check every cckb:quote against the source text before adding this file to cases/.\n\n")
        return header + self.graph.serialize(format="turtle")


def import_phenopacket(kb: KnowledgeBase, path: Path) -> ImportedCase:
    """`kb import`: read a Phenopacket JSON file and turn it into a case."""
    return read_phenopacket(path, load_ontology(kb))


def phenopacket_to_case(kb: KnowledgeBase, data: object, where: str) -> ImportedCase:
    """A parsed Phenopacket v2 JSON value as a case; `where` names it in messages."""
    return case_from_phenopacket(Vocabulary.from_ontology(load_ontology(kb)), data, where)


def read_phenopacket(path: Path, ontology: Graph) -> ImportedCase:
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise InputFileError(f"{path}:{error.lineno}: not valid JSON: {error.msg}; a Phenopacket v2 is a "
                             "JSON object") from None
    except UnicodeDecodeError as error:
        raise InputFileError(f"{path}: not UTF-8 text: {error.reason}") from None
    vocabulary = Vocabulary.from_ontology(ontology)
    if isinstance(data, list):  # as `kb export --format phenopacket` writes several cases
        return _several(vocabulary, data, str(path))
    return case_from_phenopacket(vocabulary, data, str(path))


def _several(vocabulary: Vocabulary, items: list[object], where: str) -> ImportedCase:
    """A JSON list of Phenopackets as one case file with a case each; an item with nothing usable
    is listed and left out, as an unmapped term is."""
    if not items:
        raise InputFileError(f"{where}: an empty list; give a Phenopacket v2 object or a list of them")
    imported: list[ImportedCase] = []
    skipped: list[str] = []
    for index, item in enumerate(items):
        try:
            one = case_from_phenopacket(vocabulary, item, f"{where}[{index}]")
        except KnowledgeError as error:
            skipped.append(error.message)
            continue
        if any(one.case == other.case for other in imported):
            raise InputFileError(f"{where}[{index}]: a second Phenopacket with id {one.source!r}; ids must differ")
        imported.append(one)
    if not imported:
        raise KnowledgeError(f"{where}: nothing to import: " + "; ".join(skipped))
    graph = new_graph()
    for one in imported:
        graph += one.graph
    return ImportedCase(imported[0].case, graph, [u for one in imported for u in one.unmapped] + skipped,
                        [n for one in imported for n in one.notes], ", ".join(one.source for one in imported),
                        [one.case for one in imported])


def validate_phenopacket(data: object, where: str) -> None:
    """Check the JSON against the Phenopacket v2 schema (protobuf); one line naming the field."""
    from google.protobuf import json_format
    from phenopackets import Phenopacket

    if not isinstance(data, dict):
        raise InputFileError(f"{where}: not a Phenopacket: the JSON is a {type(data).__name__}, not an object")
    try:
        json_format.ParseDict(data, Phenopacket())
    except json_format.ParseError as error:
        message = " ".join(str(error).split())
        raise InputFileError(f"{where}: not a valid Phenopacket v2: {message}") from None


def case_from_phenopacket(vocabulary: Vocabulary, data: object, where: str) -> ImportedCase:
    validate_phenopacket(data, where)
    assert isinstance(data, dict)
    return _Importer(vocabulary, data, where).run()


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _dicts(value: object) -> list[Json]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _dict(value: object) -> Json:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _term_text(term: Json) -> str:
    ident, name = _text(term.get("id")), _text(term.get("label"))
    return f"{ident} ({name})" if name else ident


class _Importer:
    def __init__(self, vocabulary: Vocabulary, data: Json, where: str) -> None:
        self.v = vocabulary
        self.data = data
        self.where = where
        self.graph = new_graph()
        ident = _text(data.get("id")) or Path(where).stem
        self.case = CASE[slug(ident)]
        self.prefix = slug(ident)
        self.result = ImportedCase(self.case, self.graph, source=ident)
        self.groups = self._groups()
        self.used: set[URIRef] = {self.case}
        self.diagnoses: dict[str, URIRef] = {}

    # --- the whole case -------------------------------------------------------------------------

    def run(self) -> ImportedCase:
        self.graph.add((self.case, RDF.type, CCKB.CalcinosisCutis))
        self.graph.add((self.case, CCKB.hasSource, self._source()))
        self._subject(_dict(self.data.get("subject")))
        for feature in _dicts(self.data.get("phenotypicFeatures")):
            self._feature(feature)
        slotless = self._slotless()
        for element, node in zip(slotless, self._slotless_nodes(slotless), strict=True):
            kind, parts = element
            if kind == "disease":
                self._disease(parts[0], node)
            elif kind == "measurement":
                self._measurement(parts, node)
            else:
                self._action(parts[0], node)
        for interpretation in _dicts(self.data.get("interpretations")):
            self._interpretation(interpretation)
        self._restore_text()
        if not any(p in FACT_LINKS for p in self.graph.predicates(self.case, None)):
            listed = "; ".join(self.result.unmapped) or "it has no features, diseases, measurements or actions"
            raise KnowledgeError(f"{self.where}: nothing to import: no element maps to the ontology ({listed})")
        if self.graph.value(self.case, RDFS.label) is None:
            self.graph.add((self.case, RDFS.label, Literal(f"Imported from Phenopacket {self.result.source}")))
        for node in sorted(self.used):
            if (node, CCKB.quote, None) not in self.graph and (node, RDF.type, None) in self.graph:
                self.graph.add((node, CCKB.note, Literal(
                    "No quote: the Phenopacket gives no description for this element; add the source's words.")))
        return self.result

    def _groups(self) -> dict[URIRef, list[tuple[str, str]]]:
        """metaData.externalReferences that carry the text of one of our fact nodes, by node."""
        groups: dict[URIRef, list[tuple[str, str]]] = {}
        for reference in _dicts(_dict(self.data.get("metaData")).get("externalReferences")):
            target = _text(reference.get("reference"))
            if target.startswith(str(CASE)):
                groups.setdefault(URIRef(target), []).append(
                    (_text(reference.get("id")), _text(reference.get("description"))))
        return groups

    def _source(self) -> URIRef:
        references = _dicts(_dict(self.data.get("metaData")).get("externalReferences"))
        for reference in references:
            target = URIRef(_text(reference.get("reference")))
            if str(target).startswith(str(SRC)) and (target, None, None) in self.v.ontology:
                return target
        dois = {_text(r.get("id")).lower().removeprefix("doi:") for r in references}
        for source, identifier in self.v.ontology.subject_objects(URIRef("http://purl.org/dc/terms/identifier")):
            if isinstance(source, URIRef) and str(identifier).lower().removeprefix("doi:") in dois:
                return source
        self.result.notes.append(f"the source is not in the ontology: recorded as src:{self.prefix}; ask the "
                                 "ontology maintainer to add it (docs/case-format.md)")
        return SRC[self.prefix]

    # --- elements -------------------------------------------------------------------------------

    def _subject(self, subject: Json) -> None:
        if not subject:
            return
        patient = self._node(str(CASE[slug(_text(subject.get("id")) or f"{self.prefix}-patient")]), "patient")
        self.graph.add((self.case, CCKB.hasPatient, patient))
        self.graph.add((patient, RDF.type, CCKB.Patient))
        sex = {"FEMALE": CCKB.Female, "MALE": CCKB.Male}.get(_text(subject.get("sex")))
        if sex is not None:
            self.graph.add((patient, CCKB.hasSex, sex))
        age = _text(_dict(_dict(subject.get("timeAtLastEncounter")).get("age")).get("iso8601duration"))
        match = AGE.match(age)
        if match and any(match.groups()):
            years = Decimal(match.group(1) or 0) + Decimal(match.group(2) or 0) / 12
            if years == years.quantize(Decimal("0.01")):
                whole = years == years.to_integral_value()
                value = Literal(int(years)) if whole else Literal(years.normalize(), datatype=XSD.decimal)
                self.graph.add((patient, CCKB.ageInYears, value))
            else:
                self.result.notes.append(f"age {age} is not a whole number of hundredths of a year; not imported")
        elif age:
            self.result.notes.append(f"age {age}: only years and months (PnYnM) are imported")
        if _text(_dict(subject.get("vitalStatus")).get("status")) == "DECEASED":
            self.graph.add((self.case, CCKB.hasOutcome, CCKB.Died))

    def _feature(self, feature: Json) -> None:
        kind = _dict(feature.get("type"))
        term = self._term(kind, "phenotypic feature")
        if term is None:
            return
        refs = [_dict(e.get("reference")) for e in _dicts(feature.get("evidence"))]
        named = next((URIRef(_text(r.get("reference"))) for r in refs
                      if _text(r.get("reference")).startswith(str(CASE))), None)
        quotes = [_text(r.get("description")) for r in refs if _text(r.get("description"))]
        quotes = quotes or ([_text(feature["description"])] if _text(feature.get("description")) else [])
        modifiers = _dicts(feature.get("modifiers"))
        if term == CCKB.CalcinosisCutis and not feature.get("excluded"):
            if named == self.case or (named is None and not modifiers):
                self._quote(self.case, quotes)
                return
            node = self._node(str(named) if named else "", "lesion")
            self._fact(CCKB.hasLesion, node, CCKB.Lesion, quotes)
            self._modifiers(node, modifiers)
            return
        self._typed(term, kind, bool(feature.get("excluded")), str(named) if named else "", quotes,
                    "phenotypic feature")

    def _modifiers(self, lesion: URIRef, modifiers: list[Json]) -> None:
        for modifier in modifiers:
            value = self.v.term_of(_text(modifier.get("id")))
            prop = self.v.value_set(value) if value is not None else None
            if value is None or prop is None:
                self.result.unmapped.append(f"{_term_text(modifier)}: lesion modifier; no site, laterality, extent "
                                            "or morphology of the ontology maps to it")
                continue
            if prop == CCKB.hasSite and _text(modifier.get("label")).endswith(TISSUE_LAYER):
                prop = CCKB.hasTissueLayer
            self.graph.add((lesion, prop, value))

    def _disease(self, disease: Json, node: str) -> None:
        kind = _dict(disease.get("term"))
        term = self._term(kind, "disease")
        if term is None:
            return
        onset = _text(_dict(_dict(disease.get("onset")).get("ontologyClass")).get("id"))
        link = CCKB.hasComplication if onset == COMPLICATION_ONSET["id"] else None
        self._typed(term, kind, bool(disease.get("excluded")), node, [], "disease", link)

    def _measurement(self, parts: list[Json], node: str) -> None:
        assay = _dict(parts[0].get("assay"))
        term = self._term(assay, "measurement assay")
        if term is None:
            return
        if self.v.fact_property(term) != CCKB.hasLabResult:
            self.result.unmapped.append(f"{_term_text(assay)}: measurement assay; {curie(str(term))} is not a lab "
                                        "result class")
            return
        values: list[tuple[URIRef, Literal | URIRef]] = []
        for part in parts:
            value = _dict(part.get("value"))
            quantity, kind = _dict(value.get("quantity")), _dict(value.get("ontologyClass"))
            unit = _dict(quantity.get("unit"))
            unit_id = _text(unit.get("id"))
            if quantity and normal_id(unit_id).startswith(f"{UNIT_PREFIX}:") and "value" in quantity:
                number = Decimal(repr(quantity["value"]))
                values += [(CCKB.numericValue, Literal(number, datatype=XSD.decimal)),
                           (CCKB.unit, Literal(unit_id.split(":", 1)[1]))]
            elif quantity:
                self.result.unmapped.append(f"{_term_text(unit) or 'no unit'}: unit of {_term_text(assay)}; only "
                                            "UCUM codes (UCUM:mg/dL) are read")
            elif kind:
                interpretation = self.v.term_of(_text(kind.get("id")))
                if interpretation is not None and (interpretation, RDF.type, CCKB.Interpretation) in self.v.ontology:
                    values.append((CCKB.hasInterpretation, interpretation))
                else:
                    self.result.unmapped.append(f"{_term_text(kind)}: value of {_term_text(assay)}; not one of "
                                                "cckb:Low, cckb:Normal, cckb:High")
            else:
                self.result.unmapped.append(f"{_term_text(assay)}: measurement without a quantity or class value")
        if not values:
            return
        described = _text(parts[0].get("description")) and URIRef(node) not in self.groups
        quotes = [_text(parts[0]["description"])] if described else []
        result = self._node(node, self.v.label(term))
        self._fact(CCKB.hasLabResult, result, term, quotes)
        for prop, item in values:
            self.graph.add((result, prop, item))

    def _action(self, action: Json, node: str) -> None:
        kind = _dict(_dict(action.get("treatment")).get("agent")) or _dict(_dict(action.get("procedure")).get("code"))
        if not kind:
            self.result.unmapped.append("medical action without a treatment agent or procedure code "
                                        "(radiation therapy and therapeutic regimens are not read)")
            return
        term = self._term(kind, "medical action")
        if term is None:
            return
        fact = self._typed(term, kind, False, node, [], "medical action")
        response = _dict(action.get("responseToTreatment"))
        outcome = self.v.term_of(_text(response.get("id"))) if response else None
        if fact is not None and outcome is not None and (outcome, RDF.type, CCKB.Outcome) in self.v.ontology:
            self.graph.add((fact, CCKB.hasOutcome, outcome))
        elif response:
            self.result.unmapped.append(f"{_term_text(response)}: response to treatment; not an outcome of the "
                                        "ontology")

    def _interpretation(self, interpretation: Json) -> None:
        ident = _text(interpretation.get("id"))
        if INFERRED in ident:
            self.result.notes.append(f"interpretation {ident} was inferred by the reasoner: not imported "
                                     "(kb infer infers it again)")
            return
        disease = _dict(_dict(interpretation.get("diagnosis")).get("disease"))
        term = self.v.term_of(_text(disease.get("id"))) if disease else None
        key = slug(ident.split("#")[0]) if ident else f"{self.prefix}-dx"
        if key not in self.diagnoses:
            self.diagnoses[key] = self._node(str(CASE[key]), "dx")
        node = self.diagnoses[key]
        self.graph.add((self.case, CCKB.hasAuthorsDiagnosis, node))
        self.graph.add((node, RDF.type, CCKB.AuthorsDiagnosis))
        if term is not None and self.v.is_a(term, CCKB.EtiologicSubtype):
            self.graph.add((node, CCKB.statedSubtype, term))
        elif term is not None and self.v.is_a(term, CCKB.MorphologicPattern):
            self.graph.add((node, CCKB.statedPattern, term))
        elif term != CCKB.CalcinosisCutis and disease:
            self.graph.add((node, CCKB.diagnosisText, Literal(_text(disease.get("label")) or _text(disease.get("id")))))
        summary = _text(interpretation.get("summary"))
        if summary and node not in self.groups:
            self.graph.add((node, CCKB.diagnosisText, Literal(summary)))

    # --- helpers --------------------------------------------------------------------------------

    def _slotless(self) -> list[tuple[str, list[Json]]]:
        """Diseases, measurements and medical actions in order; a quantity and a class value of the
        same assay and description, one after the other, are one lab result."""
        elements: list[tuple[str, list[Json]]] = [("disease", [d]) for d in _dicts(self.data.get("diseases"))]
        for measurement in _dicts(self.data.get("measurements")):
            previous = elements[-1] if elements and elements[-1][0] == "measurement" else None
            if previous is not None and len(previous[1]) == 1 and _merges(previous[1][0], measurement):
                previous[1].append(measurement)
            else:
                elements.append(("measurement", [measurement]))
        elements += [("action", [a]) for a in _dicts(self.data.get("medicalActions"))]
        return elements

    def _slotless_nodes(self, elements: list[tuple[str, list[Json]]]) -> list[str]:
        """The fact IRI of each slotless element: the n-th externalReferences node that no other
        element names, when there are exactly as many (as in kb export's output)."""
        named = {self.case, CASE[slug(_text(_dict(self.data.get("subject")).get("id")) or "-")]}
        for feature in _dicts(self.data.get("phenotypicFeatures")):
            evidence = _dicts(feature.get("evidence"))
            named |= {URIRef(_text(_dict(e.get("reference")).get("reference"))) for e in evidence}
        named |= {CASE[slug(_text(i.get("id")).split("#")[0])] for i in _dicts(self.data.get("interpretations"))}
        free = [str(node) for node in self.groups if node not in named]
        return free if len(free) == len(elements) else [""] * len(elements)

    def _typed(self, term: URIRef, kind: Json, excluded: bool, node: str, quotes: list[str], element: str,
               link: URIRef | None = None) -> URIRef | None:
        """A fact of class `term` (or its absence), linked by the property its class calls for."""
        if excluded:
            absence = self.v.absence_of(term)
            if absence is None:
                self.result.unmapped.append(f"{_term_text(kind)}: excluded {element}; the ontology has no explicit-"
                                            "absence class for it (cckb:negates)")
                return None
            term, link = absence, CCKB.hasFinding
        prop = link or self.v.fact_property(term)
        if prop is None:
            self.result.unmapped.append(f"{_term_text(kind)}: {element}; {curie(str(term))} is not a condition, "
                                        "finding, lab, exposure, imaging, procedure or treatment class")
            return None
        fact = self._node(node, self.v.label(term))
        self._fact(prop, fact, term, quotes)
        return fact

    def _term(self, kind: Json, element: str) -> URIRef | None:
        term = self.v.term_of(_text(kind.get("id")))
        if term is None:
            self.result.unmapped.append(f"{_term_text(kind) or 'no id'}: {element}; no term of the ontology maps to it")
        return term

    def _fact(self, prop: URIRef, node: URIRef, cls: URIRef, quotes: list[str]) -> None:
        self.graph.add((self.case, prop, node))
        self.graph.add((node, RDF.type, cls))
        self._quote(node, quotes)

    def _quote(self, node: URIRef, quotes: list[str]) -> None:
        for quote in quotes:
            self.graph.add((node, CCKB.quote, Literal(quote)))

    def _node(self, iri: str, name: str) -> URIRef:
        """The fact IRI the Phenopacket names, or a new one of the case from `name`."""
        if iri.startswith(str(CASE)) and URIRef(iri) not in self.used:
            node = URIRef(iri)
        else:
            base = f"{self.prefix}-{slug(name)}"
            node, n = CASE[base], 1
            while node in self.used:
                n += 1
                node = CASE[f"{base}-{n}"]
        self.used.add(node)
        return node

    def _restore_text(self) -> None:
        """The quotes, notes and other text of our nodes that kb export put in externalReferences."""
        for node, entries in self.groups.items():
            if node not in self.used:
                continue
            for ident, text in entries:
                if node == self.case and ident == "cckb:hasOutcome":
                    outcome = self.v.term_of(text)
                    if outcome is not None and (outcome, RDF.type, CCKB.Outcome) in self.v.ontology:
                        self.graph.add((node, CCKB.hasOutcome, outcome))
                    continue
                prop = self.v.property_of(ident)
                if prop is None:
                    continue
                if (prop, RDF.type, OWL.DatatypeProperty) in self.v.ontology:
                    if prop not in CARRIED_DATA:
                        continue
                    try:
                        self.graph.add((node, prop, Literal(Decimal(text), datatype=XSD.decimal)))
                    except InvalidOperation:
                        self.result.notes.append(f"{ident} {text!r} of {curie(str(node))} is not a number")
                else:
                    self.graph.add((node, prop, Literal(text)))


def _merges(first: Json, second: Json) -> bool:
    return (first.get("assay") == second.get("assay") and first.get("description") == second.get("description")
            and "quantity" in _dict(first.get("value")) and "ontologyClass" in _dict(second.get("value")))
