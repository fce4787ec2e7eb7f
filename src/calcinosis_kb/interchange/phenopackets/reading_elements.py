"""A Phenopacket's elements read into facts of a case: the subject, phenotypic features (with
lesion modifiers), diseases, measurements, medical actions and interpretations.

`CaseBuilder` walks the Phenopacket element by element, mapping each term to a cckb class through
the vocabulary (mapping.py); the case graph, its nodes and quotes are in reading_graph.py. It reads
the markers kb export writes (writing_elements.py). A packet kb wrote is read from its case record
instead (record.py)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from calcinosis_kb.interchange.phenopackets.mapping import UNIT_PREFIX, normal_id
from calcinosis_kb.interchange.phenopackets.reading_graph import (
    CaseGraph,
    Json,
    json_dict,
    json_list,
    json_str,
    slug,
    term_text,
)
from calcinosis_kb.interchange.phenopackets.writing_elements import COMPLICATION_ONSET, INFERRED, TISSUE_LAYER
from calcinosis_kb.knowledgebase.errors import KnowledgeError
from calcinosis_kb.knowledgebase.namespaces import CASE, CCKB, curie
from calcinosis_kb.knowledgebase.normalise import unit_problem

FACT_LINKS = {CCKB.hasCondition, CCKB.hasComplication, CCKB.hasFinding, CCKB.hasLabResult, CCKB.hasExposure,
              CCKB.hasLesion, CCKB.hasImaging, CCKB.hasHistology, CCKB.hasProcedure, CCKB.hasTreatment}
AGE = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?$")


class CaseBuilder(CaseGraph):
    """One Phenopacket as a case: `run` fills `graph`, `unmapped` and `notes`."""

    def run(self) -> None:
        self.graph.add((self.case, RDF.type, CCKB.CalcinosisCutis))
        self.graph.add((self.case, CCKB.hasSource, self._source()))
        self._subject(json_dict(self.data.get("subject")))
        for feature in json_list(self.data.get("phenotypicFeatures")):
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
        for interpretation in json_list(self.data.get("interpretations")):
            self._interpretation(interpretation)
        self._outcome_reports()
        self._restore_text()
        if not any(p in FACT_LINKS for p in self.graph.predicates(self.case, None)):
            listed = "; ".join(self.unmapped) or "it has no features, diseases, measurements or actions"
            raise KnowledgeError(f"{self.where}: nothing to import: no element maps to the ontology ({listed})")
        if self.graph.value(self.case, RDFS.label) is None:
            self.graph.add((self.case, RDFS.label, Literal(f"Imported from Phenopacket {self.packet_id}")))
        for node in sorted(self.used):
            if (node, CCKB.quote, None) not in self.graph and (node, RDF.type, None) in self.graph:
                self.graph.add((node, CCKB.note, Literal(
                    "No quote: the Phenopacket gives no description for this element; add the source's words.")))

    # --- elements -------------------------------------------------------------------------------

    def _subject(self, subject: Json) -> None:
        if not subject:
            return
        patient = self._node(str(CASE[slug(json_str(subject.get("id")) or f"{self.prefix}-patient")]), "patient")
        self.graph.add((self.case, CCKB.hasPatient, patient))
        self.graph.add((patient, RDF.type, CCKB.Patient))
        sex = {"FEMALE": CCKB.Female, "MALE": CCKB.Male}.get(json_str(subject.get("sex")))
        if sex is not None:
            self.graph.add((patient, CCKB.hasSex, sex))
        age = json_str(json_dict(json_dict(subject.get("timeAtLastEncounter")).get("age")).get("iso8601duration"))
        match = AGE.match(age)
        if match and any(match.groups()):
            years = Decimal(match.group(1) or 0) + Decimal(match.group(2) or 0) / 12
            if years == years.quantize(Decimal("0.01")):
                whole = years == years.to_integral_value()
                value = Literal(int(years)) if whole else Literal(years.normalize(), datatype=XSD.decimal)
                self.graph.add((patient, CCKB.ageInYears, value))
            else:
                self.notes.append(f"age {age} is not a whole number of hundredths of a year; not imported")
        elif age:
            self.notes.append(f"age {age}: only years and months (PnYnM) are imported")
        if json_str(json_dict(subject.get("vitalStatus")).get("status")) == "DECEASED":
            self.graph.add((self.case, CCKB.hasOutcome, CCKB.Died))

    def _feature(self, feature: Json) -> None:
        kind = json_dict(feature.get("type"))
        term = self._term(kind, "phenotypic feature")
        if term is None:
            return
        refs = [json_dict(e.get("reference")) for e in json_list(feature.get("evidence"))]
        named = next((URIRef(json_str(r.get("reference"))) for r in refs
                      if json_str(r.get("reference")).startswith(str(CASE))), None)
        quotes = [json_str(r.get("description")) for r in refs if json_str(r.get("description"))]
        quotes = quotes or ([json_str(feature["description"])] if json_str(feature.get("description")) else [])
        modifiers = json_list(feature.get("modifiers"))
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
            value = self.v.term_of(json_str(modifier.get("id")))
            prop = self.v.value_set(value) if value is not None else None
            if value is None or prop is None:
                self.unmapped.append(f"{term_text(modifier)}: lesion modifier; no site, laterality, extent "
                                     "or morphology of the ontology maps to it")
                continue
            if prop == CCKB.hasSite and json_str(modifier.get("label")).endswith(TISSUE_LAYER):
                prop = CCKB.hasTissueLayer
            self.graph.add((lesion, prop, value))

    def _disease(self, disease: Json, node: str) -> None:
        kind = json_dict(disease.get("term"))
        term = self._term(kind, "disease")
        if term is None or (term == CCKB.CalcinosisCutis and not disease.get("excluded")):
            return  # calcinosis cutis itself is the case, not a condition of it
        onset = json_str(json_dict(json_dict(disease.get("onset")).get("ontologyClass")).get("id"))
        link = CCKB.hasComplication if onset == COMPLICATION_ONSET["id"] else None
        self._typed(term, kind, bool(disease.get("excluded")), node, [], "disease", link)

    def _measurement(self, parts: list[Json], node: str) -> None:
        assay = json_dict(parts[0].get("assay"))
        term = self._term(assay, "measurement assay")
        if term is None:
            return
        if self.v.fact_property(term) != CCKB.hasLabResult:
            self.unmapped.append(f"{term_text(assay)}: measurement assay; {curie(str(term))} is not a lab "
                                 "result class")
            return
        values: list[tuple[URIRef, Literal | URIRef]] = []
        for part in parts:
            value = json_dict(part.get("value"))
            quantity, kind = json_dict(value.get("quantity")), json_dict(value.get("ontologyClass"))
            unit = json_dict(quantity.get("unit"))
            unit_id = json_str(unit.get("id"))
            if quantity and normal_id(unit_id).startswith(f"{UNIT_PREFIX}:") and "value" in quantity:
                number, code = _number(quantity["value"]), unit_id.split(":", 1)[1]
                problem = "not a finite number" if number is None else unit_problem(self.v.ontology, term, code)
                if number is None or problem is not None:
                    self.unmapped.append(f"{quantity['value']} {unit_id}: value of {term_text(assay)}; {problem}")
                    continue
                # An integral value reads back as Turtle's integer, as curators write it (`25`).
                literal = Literal(int(number)) if number == number.to_integral_value() else Literal(
                    number, datatype=XSD.decimal)
                values += [(CCKB.numericValue, literal), (CCKB.unit, Literal(code))]
            elif quantity:
                self.unmapped.append(f"{term_text(unit) or 'no unit'}: unit of {term_text(assay)}; only "
                                     "UCUM codes (UCUM:mg/dL) are read")
            elif kind:
                interpretation = self.v.term_of(json_str(kind.get("id")))
                if interpretation is not None and (interpretation, RDF.type, CCKB.Interpretation) in self.v.ontology:
                    values.append((CCKB.hasInterpretation, interpretation))
                else:
                    self.unmapped.append(f"{term_text(kind)}: value of {term_text(assay)}; not one of "
                                         "cckb:Low, cckb:Normal, cckb:High")
            elif URIRef(node) not in self.groups:
                self.unmapped.append(f"{term_text(assay)}: measurement without a quantity or class value")
        if not values and URIRef(node) not in self.groups:
            return
        described = json_str(parts[0].get("description")) and URIRef(node) not in self.groups
        quotes = [json_str(parts[0]["description"])] if described else []
        result = self._node(node, self.v.label(term))
        self._fact(CCKB.hasLabResult, result, term, quotes)
        for prop, item in values:
            self.graph.add((result, prop, item))

    def _action(self, action: Json, node: str) -> None:
        kind = (json_dict(json_dict(action.get("treatment")).get("agent"))
                or json_dict(json_dict(action.get("procedure")).get("code")))
        if not kind:
            self.unmapped.append("medical action without a treatment agent or procedure code "
                                 "(radiation therapy and therapeutic regimens are not read)")
            return
        term = self._term(kind, "medical action")
        if term is None:
            return
        fact = self._typed(term, kind, False, node, [], "medical action")
        response = json_dict(action.get("responseToTreatment"))
        outcome = self.v.term_of(json_str(response.get("id"))) if response else None
        if fact is not None and outcome is not None and (outcome, RDF.type, CCKB.Outcome) in self.v.ontology:
            self.graph.add((fact, CCKB.hasOutcome, outcome))
        elif response:
            self.unmapped.append(f"{term_text(response)}: response to treatment; not an outcome of the "
                                 "ontology")

    def _interpretation(self, interpretation: Json) -> None:
        ident = json_str(interpretation.get("id"))
        if INFERRED in ident:
            self.notes.append(f"interpretation {ident} was inferred by the reasoner: not imported "
                              "(kb infer infers it again)")
            return
        disease = json_dict(json_dict(interpretation.get("diagnosis")).get("disease"))
        term = self.v.term_of(json_str(disease.get("id"))) if disease else None
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
            text = json_str(disease.get("label")) or json_str(disease.get("id"))
            self.graph.add((node, CCKB.diagnosisText, Literal(text)))
        summary = json_str(interpretation.get("summary"))
        if summary and node not in self.groups:
            self.graph.add((node, CCKB.diagnosisText, Literal(summary)))

    def _slotless(self) -> list[tuple[str, list[Json]]]:
        """Diseases, measurements and medical actions in order; a quantity and a class value of the
        same assay and description, one after the other, are one lab result."""
        elements: list[tuple[str, list[Json]]] = [("disease", [d]) for d in json_list(self.data.get("diseases"))]
        for measurement in json_list(self.data.get("measurements")):
            previous = elements[-1] if elements and elements[-1][0] == "measurement" else None
            if previous is not None and len(previous[1]) == 1 and _merges(previous[1][0], measurement):
                previous[1].append(measurement)
            else:
                elements.append(("measurement", [measurement]))
        elements += [("action", [a]) for a in json_list(self.data.get("medicalActions"))]
        return elements


def _merges(first: Json, second: Json) -> bool:
    return (first.get("assay") == second.get("assay") and first.get("description") == second.get("description")
            and "quantity" in json_dict(first.get("value")) and "ontologyClass" in json_dict(second.get("value")))


def _number(value: object) -> Decimal | None:
    """A quantity's value as protobuf JSON allows it (a number, or a number written as a string)."""
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
