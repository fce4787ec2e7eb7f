"""Case facts written as Phenopacket v2 elements: the subject, phenotypic features (findings,
lesions), diseases, measurements, medical actions and interpretations, one builder per kind of fact.

`ElementBuilder` holds what the builders share (the case's facts, the source's id for evidence,
and which text of each node is already carried); phenopacket_out.py assembles the elements into a
packet and puts the rest of the text in metaData.externalReferences. The markers below are also
read back by kb import (phenopacket_in_elements.py). See docs/phenopackets.md."""

from __future__ import annotations

from decimal import Decimal

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF

from calcinosis_kb.interchange.phenopackets.mapping import (
    ASSAY_IDS,
    DISEASE_IDS,
    DRUG_IDS,
    FEATURE_IDS,
    PROCEDURE_IDS,
    SITE_IDS,
    UNIT_PREFIX,
    Vocabulary,
)
from calcinosis_kb.knowledgebase.namespaces import CASE, CCKB, curie, term_name

QUOTE_EVIDENCE = {"id": "cckb:quote", "label": "verbatim quote from the source"}
COMPLICATION_ONSET = {"id": "cckb:hasComplication",
                      "label": "complication: arose from the calcinosis or during its care"}
TISSUE_LAYER = " (tissue layer)"
"""Suffix of the label of a lesion modifier that is the deposit's tissue layer, not its site."""
INFERRED = "#inferred-"
"""Marks the id of an interpretation the reasoner inferred; kb import skips these."""
INFERRED_SUMMARY = ("inferred by HermiT from the ontology's definitions and this case's facts; "
                    "not stated by the authors")
AUTHORS_SUMMARY = "stated by the authors"
SEX = {CCKB.Female: "FEMALE", CCKB.Male: "MALE"}


def local_name(node: URIRef) -> str:
    return str(node)[len(str(CASE)):] if str(node).startswith(str(CASE)) else str(node)


def iso_age(years: Decimal) -> str | None:
    """An age in years as an ISO 8601 duration (P87Y, P1Y6M), when it is whole months."""
    months = years * 12
    if months != months.to_integral_value():
        return None
    whole_years, rest = divmod(int(months), 12)
    return f"P{whole_years}Y" + (f"{rest}M" if rest else "")


class ElementBuilder:
    """The elements of one case's Phenopacket. Elements with an `evidence` field carry their quotes
    there; the rest of each fact's text is listed in `carried` for metaData.externalReferences."""

    def __init__(self, vocabulary: Vocabulary, facts: Graph, case: URIRef) -> None:
        self.v = vocabulary
        self.facts = facts
        self.case = case
        source = facts.value(case, CCKB.hasSource)
        self.source = source if isinstance(source, URIRef) else None
        self.source_id = self._source_id()
        self.features: list[dict[str, object]] = []
        self.diseases: list[dict[str, object]] = []
        self.measurements: list[dict[str, object]] = []
        self.actions: list[dict[str, object]] = []
        self.interpretations: list[dict[str, object]] = []
        self.carried: list[tuple[URIRef, set[URIRef]]] = []
        """Nodes whose remaining text goes to externalReferences, with the properties already carried."""
        self.slotless: dict[str, list[URIRef]] = {"diseases": [], "measurements": [], "actions": []}

    # --- the elements ---------------------------------------------------------------------------

    def _subject(self) -> dict[str, object]:
        patient = self.facts.value(self.case, CCKB.hasPatient)
        subject: dict[str, object] = {
            "id": local_name(patient) if isinstance(patient, URIRef) else local_name(self.case)}
        if not isinstance(patient, URIRef):
            return subject
        carried = {CCKB.hasSex}
        age = self.facts.value(patient, CCKB.ageInYears)
        duration = iso_age(Decimal(str(age))) if isinstance(age, Literal) else None
        if duration is not None:
            subject["timeAtLastEncounter"] = {"age": {"iso8601duration": duration}}
            carried.add(CCKB.ageInYears)
        reports = [r for r in self.facts.objects(self.case, CCKB.hasOutcomeReport) if isinstance(r, URIRef)]
        outcomes = set(self.facts.objects(self.case, CCKB.hasOutcome))
        outcomes |= {o for r in reports for o in self.facts.objects(r, CCKB.hasOutcome)}
        if CCKB.Died in outcomes:
            subject["vitalStatus"] = {"status": "DECEASED"}
        sex = self.facts.value(patient, CCKB.hasSex)
        if isinstance(sex, URIRef) and sex in SEX:
            subject["sex"] = SEX[sex]
        self.carried.append((patient, carried))
        return subject

    def _finding(self, node: URIRef) -> None:
        cls = self._type(node)
        negated = self.v.ontology.value(cls, CCKB.negates)
        if isinstance(negated, URIRef):
            if self.v.fact_property(negated) == CCKB.hasCondition:
                term = self.v.ontology_class(negated, DISEASE_IDS)
                self._slotless("diseases", node, {"term": term, "excluded": True})
                return
            feature = self._feature(node, negated, FEATURE_IDS)
            feature["excluded"] = True
        else:
            feature = self._feature(node, cls, FEATURE_IDS)
        self.features.append(feature)
        self.carried.append((node, {CCKB.quote}))

    def _lesion(self, node: URIRef) -> None:
        feature = self._feature(node, CCKB.CalcinosisCutis, FEATURE_IDS)
        modifiers: list[dict[str, str]] = []
        for prop in (CCKB.hasSite, CCKB.hasLaterality, CCKB.hasExtent, CCKB.hasMorphology, CCKB.hasTissueLayer):
            for value in sorted(v for v in self.facts.objects(node, prop) if isinstance(v, URIRef)):
                term = self.v.ontology_class(value, SITE_IDS if prop in (CCKB.hasSite, CCKB.hasTissueLayer) else ())
                if prop == CCKB.hasTissueLayer:
                    term["label"] += TISSUE_LAYER
                modifiers.append(term)
        if modifiers:
            feature["modifiers"] = modifiers
        self.features.append(feature)
        self.carried.append((node, {CCKB.quote, CCKB.hasSite, CCKB.hasLaterality, CCKB.hasExtent,
                                    CCKB.hasMorphology, CCKB.hasTissueLayer}))

    def _measurement(self, node: URIRef) -> None:
        assay = self.v.ontology_class(self._type(node), ASSAY_IDS)
        description = " … ".join(self._quotes(node))
        parts: list[dict[str, object]] = []
        value = self.facts.value(node, CCKB.numericValue)
        unit = self.facts.value(node, CCKB.unit)
        carried = {CCKB.hasInterpretation}
        if isinstance(value, Literal) and unit is not None:
            carried |= {CCKB.numericValue, CCKB.unit}
            quantity = {"unit": {"id": f"{UNIT_PREFIX}:{unit}", "label": str(unit)},
                        "value": float(Decimal(str(value)))}
            parts.append({"description": description, "assay": assay, "value": {"quantity": quantity}})
        interpretation = self.facts.value(node, CCKB.hasInterpretation)
        if isinstance(interpretation, URIRef):
            term = self.v.ontology_class(interpretation, ())
            parts.append({"description": description, "assay": assay, "value": {"ontologyClass": term}})
        if not parts:
            # Only a range, a printed text or a judgement in words: the element keeps the assay and
            # the quote, and the values travel in externalReferences with the node's other text.
            parts.append({"description": description, "assay": assay})
        self.measurements.extend(parts)
        self.slotless["measurements"].append(node)
        self.carried.append((node, carried))

    def _action(self, node: URIRef) -> None:
        cls = self._type(node)
        action: dict[str, object]
        if self.v.is_a(cls, CCKB.DrugTreatment):
            action = {"treatment": {"agent": self.v.ontology_class(cls, DRUG_IDS)}}
        else:
            action = {"procedure": {"code": self.v.ontology_class(cls, PROCEDURE_IDS)}}
        outcome = self.facts.value(node, CCKB.hasOutcome)
        if isinstance(outcome, URIRef):
            action["responseToTreatment"] = self.v.ontology_class(outcome, ())
        self._slotless("actions", node, action, {CCKB.hasOutcome})

    def _authors(self, node: URIRef) -> None:
        texts = sorted(str(t) for t in self.facts.objects(node, CCKB.diagnosisText))
        summary = f"{AUTHORS_SUMMARY}: {'; '.join(texts)}" if texts else AUTHORS_SUMMARY
        stated = sorted(c for p in (CCKB.statedSubtype, CCKB.statedPattern)
                        for c in self.facts.objects(node, p) if isinstance(c, URIRef))
        for cls in stated or [CCKB.CalcinosisCutis]:
            ident = local_name(node) + (f"#{term_name(cls)}" if stated else "")
            disease = self.v.ontology_class(cls, DISEASE_IDS if stated else FEATURE_IDS)
            self.interpretations.append({"id": ident, "progressStatus": "COMPLETED",
                                         "diagnosis": {"disease": disease}, "summary": summary})
        self.carried.append((node, {CCKB.statedSubtype, CCKB.statedPattern}))

    def _inferred(self, cls: URIRef) -> None:
        """An interpretation the reasoner inferred (kb export --inferred), marked so kb import skips it."""
        self.interpretations.append({
            "id": f"{local_name(self.case)}{INFERRED}{term_name(cls)}",
            "progressStatus": "COMPLETED",
            "diagnosis": {"disease": self.v.ontology_class(cls, DISEASE_IDS)},
            "summary": INFERRED_SUMMARY,
        })

    # --- helpers --------------------------------------------------------------------------------

    def _feature(self, node: URIRef, cls: URIRef, prefixes: tuple[str, ...]) -> dict[str, object]:
        feature: dict[str, object] = {"type": self.v.ontology_class(cls, prefixes)}
        evidence = [{"evidenceCode": QUOTE_EVIDENCE,
                     "reference": {"id": self.source_id, "reference": str(node), "description": quote}}
                    for quote in self._quotes(node)]
        if evidence:
            feature["evidence"] = evidence
        return feature

    def _slotless(self, kind: str, node: URIRef, element: dict[str, object],
                  carried: set[URIRef] | None = None) -> None:
        """An element with no text field: its node's quotes and notes go to externalReferences,
        in the order of the elements (which is how kb import finds them again)."""
        {"diseases": self.diseases, "actions": self.actions}[kind].append(element)
        self.slotless[kind].append(node)
        self.carried.append((node, carried or set()))

    def _linked(self, prop: URIRef) -> list[URIRef]:
        return sorted(n for n in self.facts.objects(self.case, prop) if isinstance(n, URIRef))

    def _type(self, node: URIRef) -> URIRef:
        types = [t for t in self.facts.objects(node, RDF.type)
                 if isinstance(t, URIRef) and str(t).startswith(str(CCKB))]
        specific = [t for t in types if not any(o != t and self.v.is_a(o, t) for o in types)]
        return sorted(specific)[0]

    def _quotes(self, node: URIRef) -> list[str]:
        return sorted(str(q) for q in self.facts.objects(node, CCKB.quote))

    def _source_id(self) -> str:
        if self.source is None:
            return curie(str(self.case))
        identifier = self.v.ontology.value(self.source, DCTERMS.identifier)
        if identifier is not None and str(identifier).lower().startswith("doi:"):
            return f"DOI:{str(identifier)[4:]}"
        return curie(str(self.source))

