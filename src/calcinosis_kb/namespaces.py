"""The namespaces of the knowledge base: the one place they are spelled out."""

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

CCKB = Namespace("https://w3id.org/calcinosis-kb/ontology/")
SRC = Namespace("https://w3id.org/calcinosis-kb/source/")
CASE = Namespace("https://w3id.org/calcinosis-kb/case/")
OBO = Namespace("http://purl.obolibrary.org/obo/")
OBOINOWL = Namespace("http://www.geneontology.org/formats/oboInOwl#")

ONTOLOGY_IRI = "https://w3id.org/calcinosis-kb/ontology"
DEFINITION = OBO.IAO_0000115

PREFIXES: dict[str, Namespace] = {
    "cckb": CCKB,
    "src": SRC,
    "case": CASE,
    "obo": OBO,
    "oboInOwl": OBOINOWL,
    "rdf": Namespace(str(RDF)),
    "rdfs": Namespace(str(RDFS)),
    "owl": Namespace(str(OWL)),
    "xsd": Namespace(str(XSD)),
    "skos": Namespace(str(SKOS)),
    "dcterms": Namespace(str(DCTERMS)),
}

SUBTYPE_WORDS: dict[str, str] = {
    "DystrophicCalcinosisCutis": "dystrophic",
    "MetastaticCalcinosisCutis": "metastatic",
    "IdiopathicCalcinosisCutis": "idiopathic",
    "IatrogenicCalcinosisCutis": "iatrogenic",
    "Calciphylaxis": "calciphylaxis",
}
"""Local names of the etiologic subtype classes and the lower-case words the JSON output uses.
Only names: which case belongs to which subtype is decided by the reasoner."""

PATTERN_WORDS: dict[str, str] = {
    "TumoralCalcinosis": "tumoral",
    "CalcinosisUniversalis": "universalis",
    "CalcinosisCircumscripta": "circumscripta",
}


def curie(iri: str) -> str:
    """Shorten an IRI with the knowledge base's prefixes, for messages."""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(str(namespace)):
            return f"{prefix}:{iri[len(str(namespace)):]}"
    return f"<{iri}>"
