"""Case facts written as Phenopacket v2 elements in phenopacket-store style: the subject, phenotypic
features (findings, and the calcinosis itself with its lesions' modifiers), diseases, measurements,
medical actions and interpretations, one builder per kind of fact.

`ElementBuilder` holds what the builders share (the case's facts, the source's reference for
evidence) and remembers, for every fact node, the elements that carry it (`places`), so that
record.py can point at the native field that holds a value instead of repeating it. writing.py
assembles the packet. Each HPO term is one phenotypic feature: fact nodes of the same class, and
all the lesions with the case's own calcinosis, share it. See docs/phenopackets.md."""

from __future__ import annotations

from decimal import Decimal

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF

from calcinosis_kb.interchange.phenopackets.mapping import (
    ASSAY_IDS,
    AUTHOR_STATEMENT,
    DISEASE_IDS,
    DRUG_IDS,
    FEATURE_IDS,
    MODIFIER_IDS,
    OUTCOME_IDS,
    PROCEDURE_IDS,
    SITE_IDS,
    UNIT_PREFIX,
    Vocabulary,
)
from calcinosis_kb.knowledgebase.namespaces import CASE, CCKB, SRC, curie, term_name

COMPLICATION_ONSET = {"id": "cckb:hasComplication",
                      "label": "complication: arose from the calcinosis or during its care"}
TISSUE_LAYER = " (tissue layer)"
"""Suffix of the label of a lesion modifier that is the deposit's tissue layer (read on import;
packets by kb before the case record, docs/phenopackets.md, wrote it)."""
INFERRED = "#inferred-"
"""Marks the id of an interpretation the reasoner inferred; kb import skips these."""
INFERRED_SUMMARY = ("inferred by HermiT from the ontology's definitions and this case's facts; "
                    "not stated by the authors")
AUTHORS_SUMMARY = "stated by the authors"
SEX = {CCKB.Female: "FEMALE", CCKB.Male: "MALE"}
MODIFIER_PREFIXES = {CCKB.hasSite: SITE_IDS, CCKB.hasTissueLayer: SITE_IDS, CCKB.hasLaterality: MODIFIER_IDS,
                     CCKB.hasExtent: MODIFIER_IDS, CCKB.hasMorphology: MODIFIER_IDS}


def local_name(node: URIRef) -> str:
    return str(node)[len(str(CASE)):] if str(node).startswith(str(CASE)) else str(node)


def iso_age(years: Decimal) -> str | None:
    """An age in years as an ISO 8601 duration (P87Y, P1Y6M), when it is whole months."""
    months = years * 12
    if months != months.to_integral_value():
        return None
    whole_years, rest = divmod(int(months), 12)
    return f"P{whole_years}Y" + (f"{rest}M" if rest else "")


def source_references(vocabulary: Vocabulary, source: URIRef | None, case: URIRef) -> list[dict[str, str]]:
    """The source document as Phenopacket external references: its PMID and DOI as printed (in that
    order, phenopacket-store's preference), else its own `src:` CURIE with the address it was read from."""
    if source is None:
        return [{"id": curie(str(case)), "reference": str(case), "description": "no source declared"}]
    ontology = vocabulary.ontology
    citation = str(ontology.value(source, DCTERMS.bibliographicCitation) or vocabulary.label(source))
    printed = {str(i).split(":", 1)[0].lower(): str(i).split(":", 1)[1]
               for i in ontology.objects(source, DCTERMS.identifier) if ":" in str(i)}
    references = []
    if "pmid" in printed:
        references.append({"id": f"PMID:{printed['pmid']}",
                           "reference": f"https://pubmed.ncbi.nlm.nih.gov/{printed['pmid']}", "description": citation})
    if "doi" in printed:
        references.append({"id": f"DOI:{printed['doi']}", "reference": f"https://doi.org/{printed['doi']}",
                           "description": citation})
    if not references:
        addresses = sorted(str(a) for a in ontology.objects(source, CCKB.sourceAddress))
        own = curie(str(source)) if str(source).startswith(str(SRC)) else str(source)
        references.append({"id": own, "reference": addresses[0] if addresses else str(source),
                           "description": citation})
    return references


class ElementBuilder:
    """The elements of one case's Phenopacket, and where each fact node went (`places`)."""

    def __init__(self, vocabulary: Vocabulary, facts: Graph, case: URIRef) -> None:
        self.v = vocabulary
        self.facts = facts
        self.case = case
        source = facts.value(case, CCKB.hasSource)
        self.source = source if isinstance(source, URIRef) else None
        self.references = source_references(vocabulary, self.source, case)
        self.features: list[dict[str, object]] = []
        self.feature_index: dict[tuple[str, bool], int] = {}
        self.diseases: list[dict[str, object]] = []
        self.measurements: list[dict[str, object]] = []
        self.actions: list[dict[str, object]] = []
        self.interpretations: list[dict[str, object]] = []
        self.places: dict[URIRef, list[str]] = {}
        """Each fact node's elements, as JSON pointers into the packet (/phenotypicFeatures/0)."""

    # --- the elements ---------------------------------------------------------------------------

    def _subject(self) -> dict[str, object]:
        patient = self.facts.value(self.case, CCKB.hasPatient)
        subject: dict[str, object] = {
            "id": local_name(patient) if isinstance(patient, URIRef) else local_name(self.case)}
        if not isinstance(patient, URIRef):
            return subject
        self._place(patient, "/subject")
        age = self.facts.value(patient, CCKB.ageInYears)
        duration = iso_age(Decimal(str(age))) if isinstance(age, Literal) else None
        if duration is not None:
            subject["timeAtLastEncounter"] = {"age": {"iso8601duration": duration}}
        reports = [r for r in self.facts.objects(self.case, CCKB.hasOutcomeReport) if isinstance(r, URIRef)]
        outcomes = set(self.facts.objects(self.case, CCKB.hasOutcome))
        outcomes |= {o for r in reports for o in self.facts.objects(r, CCKB.hasOutcome)}
        if CCKB.Died in outcomes:
            subject["vitalStatus"] = {"status": "DECEASED"}
        sex = self.facts.value(patient, CCKB.hasSex)
        if isinstance(sex, URIRef) and sex in SEX:
            subject["sex"] = SEX[sex]
        return subject

    def _finding(self, node: URIRef) -> None:
        cls = self._type(node)
        negated = self.v.ontology.value(cls, CCKB.negates)
        if isinstance(negated, URIRef) and self.v.fact_property(negated) == CCKB.hasCondition:
            self._disease(node, {"term": self.v.ontology_class(negated, DISEASE_IDS), "excluded": True})
        elif isinstance(negated, URIRef):
            self._feature(node, negated, excluded=True)
        else:
            self._feature(node, cls, excluded=False)

    def _lesion(self, node: URIRef) -> None:
        feature = self._feature(node, CCKB.CalcinosisCutis, excluded=False)
        modifiers = feature.setdefault("modifiers", [])
        assert isinstance(modifiers, list)
        for prop, prefixes in MODIFIER_PREFIXES.items():
            for value in sorted(v for v in self.facts.objects(node, prop) if isinstance(v, URIRef)):
                term = self.v.ontology_class(value, prefixes)
                if term not in modifiers:
                    modifiers.append(term)
        if not modifiers:
            del feature["modifiers"]

    def _disease(self, node: URIRef | None, disease: dict[str, object]) -> None:
        if node is not None:
            self._place(node, f"/diseases/{len(self.diseases)}")
        self.diseases.append(disease)

    def _measurement(self, node: URIRef) -> None:
        assay = self.v.ontology_class(self._type(node), ASSAY_IDS)
        quotes = self._quotes(node)
        base: dict[str, object] = {"description": quotes[0]} if quotes else {}
        base["assay"] = assay
        parts: list[dict[str, object]] = []
        value = self.facts.value(node, CCKB.numericValue)
        unit = self.facts.value(node, CCKB.unit)
        if isinstance(value, Literal) and unit is not None:
            unit_class = {"id": f"{UNIT_PREFIX}:{unit}", "label": str(unit)}
            quantity: dict[str, object] = {"unit": unit_class, "value": float(Decimal(str(value)))}
            low, high = (self.facts.value(node, p) for p in (CCKB.reportedReferenceLow, CCKB.reportedReferenceHigh))
            if isinstance(low, Literal) and isinstance(high, Literal):
                # Only a printed range with both ends: a protobuf double has no "absent".
                quantity["referenceRange"] = {"unit": unit_class, "low": float(Decimal(str(low))),
                                              "high": float(Decimal(str(high)))}
            parts.append({**base, "value": {"quantity": quantity}})
        interpretation = self.facts.value(node, CCKB.hasInterpretation)
        if isinstance(interpretation, URIRef):
            parts.append({**base, "value": {"ontologyClass": self.v.ontology_class(interpretation, ())}})
        for part in parts or [base]:
            self._place(node, f"/measurements/{len(self.measurements)}")
            self.measurements.append(part)

    def _action(self, node: URIRef) -> None:
        cls = self._type(node)
        action: dict[str, object]
        if self.v.is_a(cls, CCKB.DrugTreatment):
            action = {"treatment": {"agent": self.v.ontology_class(cls, DRUG_IDS)}}
        else:
            action = {"procedure": {"code": self.v.ontology_class(cls, PROCEDURE_IDS)}}
        outcome = self.facts.value(node, CCKB.hasOutcome)
        if isinstance(outcome, URIRef):
            action["responseToTreatment"] = self.v.ontology_class(outcome, OUTCOME_IDS)
        self._place(node, f"/medicalActions/{len(self.actions)}")
        self.actions.append(action)

    def _authors(self, node: URIRef) -> None:
        texts = sorted(str(t) for t in self.facts.objects(node, CCKB.diagnosisText))
        summary = f"{AUTHORS_SUMMARY}: {'; '.join(texts)}" if texts else AUTHORS_SUMMARY
        stated = sorted(c for p in (CCKB.statedSubtype, CCKB.statedPattern)
                        for c in self.facts.objects(node, p) if isinstance(c, URIRef))
        for cls in stated or [CCKB.CalcinosisCutis]:
            ident = local_name(node) + (f"#{term_name(cls)}" if stated else "")
            self._place(node, f"/interpretations/{len(self.interpretations)}")
            self.interpretations.append({"id": ident, "progressStatus": "COMPLETED",
                                         "diagnosis": {"disease": self.v.ontology_class(cls, DISEASE_IDS)},
                                         "summary": " ".join(summary.split())})

    def _inferred(self, cls: URIRef) -> None:
        """An interpretation the reasoner inferred (kb export --inferred), marked so kb import skips it."""
        self.interpretations.append({
            "id": f"{local_name(self.case)}{INFERRED}{term_name(cls)}",
            "progressStatus": "COMPLETED",
            "diagnosis": {"disease": self.v.ontology_class(cls, DISEASE_IDS)},
            "summary": INFERRED_SUMMARY,
        })

    # --- helpers --------------------------------------------------------------------------------

    def _feature(self, node: URIRef, cls: URIRef, excluded: bool) -> dict[str, object]:
        """The one phenotypic feature of this term (created on first use), with the node's quotes
        added to its evidence as phenopacket-store writes them."""
        term = self.v.ontology_class(cls, FEATURE_IDS)
        key = (term["id"], excluded)
        if key not in self.feature_index:
            self.feature_index[key] = len(self.features)
            self.features.append({"type": term, **({"excluded": True} if excluded else {})})
        index = self.feature_index[key]
        feature = self.features[index]
        self._place(node, f"/phenotypicFeatures/{index}")
        evidence = feature.setdefault("evidence", [])
        assert isinstance(evidence, list)
        cited = self.references[0]
        for quote in self._quotes(node):
            item = {"evidenceCode": AUTHOR_STATEMENT, "reference": {**cited, "description": quote}}
            if item not in evidence:
                evidence.append(item)
        if not evidence:
            del feature["evidence"]
        return feature

    def _place(self, node: URIRef, pointer: str) -> None:
        self.places.setdefault(node, []).append(pointer)

    def _linked(self, prop: URIRef) -> list[URIRef]:
        return sorted(n for n in self.facts.objects(self.case, prop) if isinstance(n, URIRef))

    def _type(self, node: URIRef) -> URIRef:
        types = [t for t in self.facts.objects(node, RDF.type)
                 if isinstance(t, URIRef) and str(t).startswith(str(CCKB))]
        specific = [t for t in types if not any(o != t and self.v.is_a(o, t) for o in types)]
        return sorted(specific)[0]

    def _quotes(self, node: URIRef) -> list[str]:
        return sorted(str(q) for q in self.facts.objects(node, CCKB.quote))
