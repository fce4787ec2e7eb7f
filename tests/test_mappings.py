"""Cross-references of the ontology (ontology/mappings.ttl and any other ontology/*.ttl file).

Every identifier the ontology gives a term must be one of the verified identifiers in
../shared/reference/identifiers.csv: an identifier typed from memory fails here, naming the term and the id.
"""
import re
from collections import defaultdict
from pathlib import Path

import pytest
import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from .conftest import verified_identifiers

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY_DIR = ROOT / "ontology"
MAPPINGS = ONTOLOGY_DIR / "mappings.ttl"

CCKB = "https://w3id.org/calcinosis-kb/ontology/"
HAS_DBXREF = URIRef("http://www.geneontology.org/formats/oboInOwl#hasDbXref")
NOTE = URIRef(CCKB + "note")
SKOS_MAPPINGS = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)
MAPPING_PROPERTIES = (HAS_DBXREF, *SKOS_MAPPINGS)

# The prefixes a cross-reference may use, with the form of their local part.
ICD10_CODE = r"[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?"
LOCAL_ID = {
    "MONDO": r"[0-9]{7}",
    "HP": r"[0-9]{7}",
    "DOID": r"[0-9]+",
    "NCIT": r"C[0-9]+",
    "SCTID": r"[0-9]{6,18}",
    "ICD10": ICD10_CODE,
    "ICD10CM": ICD10_CODE,
    "ICD10WHO": ICD10_CODE,
    "UMLS": r"C[0-9]{7}",
    "CHEBI": r"[0-9]+",
    "LOINC": r"[0-9]{1,7}-[0-9]",
    "UBERON": r"[0-9]{7}",
    "Orphanet": r"[0-9]+",
}
CURIE = re.compile(r"([A-Za-z][A-Za-z0-9]*):(\S+)")

# IRIs a skos mapping may point to, and how they read as a CURIE.
OBO_PURL = re.compile(r"http://purl\.obolibrary\.org/obo/([A-Za-z][A-Za-z0-9]*)_(\S+)")
LOINC_IRI = re.compile(r"https://loinc\.org/([0-9]{1,7}-[0-9])/")

# Terms with no identifier of their own, mapped only to their nearest verified parent (shared/README.md).
SUBTYPES_AND_PATTERNS = (
    "DystrophicCalcinosisCutis", "MetastaticCalcinosisCutis", "IdiopathicCalcinosisCutis",
    "IatrogenicCalcinosisCutis", "TumoralCalcinosis", "CalcinosisUniversalis", "CalcinosisCircumscripta",
)
CALCINOSIS_CUTIS_HP = URIRef("http://purl.obolibrary.org/obo/HP_0025520")
# Identifiers that rest on weaker evidence (shared/README.md): their terms must say so in a cckb:note.
WEAKER_EVIDENCE = ("LOINC:2731-8", "LOINC:48065-7")


def ontology_files():
    files = sorted(ONTOLOGY_DIR.glob("*.ttl"))
    assert MAPPINGS in files, f"{MAPPINGS} is missing"
    return files


@pytest.fixture(scope="module")
def verified_ids():
    return verified_identifiers()


@pytest.fixture(scope="module")
def graphs():
    """Each ontology/*.ttl file parsed on its own, by file name."""
    return {path.name: rdflib.Graph().parse(path, format="turtle") for path in ontology_files()}


def short(node):
    text = str(node)
    for ns, prefix in ((CCKB, "cckb:"), (str(SKOS), "skos:")):
        if text.startswith(ns):
            return prefix + text[len(ns):]
    return "oboInOwl:hasDbXref" if node == HAS_DBXREF else text


def as_curie(value):
    """The CURIE a hasDbXref value or skos mapping target stands for, or None if its form is not known."""
    if isinstance(value, Literal):
        return str(value)
    text = str(value)
    m = OBO_PURL.fullmatch(text)
    if m:
        return f"{m.group(1)}:{m.group(2)}"
    m = LOINC_IRI.fullmatch(text)
    if m:
        return f"LOINC:{m.group(1)}"
    return None


def mapping_statements(graphs):
    for name, g in graphs.items():
        for prop in MAPPING_PROPERTIES:
            for s, o in g.subject_objects(prop):
                yield name, s, prop, o


def test_mappings_parse(graphs):
    g = graphs[MAPPINGS.name]
    assert len(g) > 0, "mappings.ttl is empty"
    assert not list(g.subjects(RDF.type, OWL.Ontology)), \
        "mappings.ttl must not declare an owl:Ontology: it is merged into the main ontology"


def test_every_identifier_is_verified(graphs, verified_ids):
    problems = []
    for name, s, prop, o in mapping_statements(graphs):
        curie = as_curie(o)
        if curie is None:
            problems.append(f"{name}: {short(s)} {short(prop)} {o}: not an identifier IRI of a known form")
        elif curie not in verified_ids:
            problems.append(f"{name}: {short(s)} {short(prop)} {curie}: not in identifiers.csv")
    assert not problems, "identifiers not verified:\n" + "\n".join(problems)


def test_every_mapped_subject_is_defined(graphs):
    mappings = graphs[MAPPINGS.name]
    labelled = set()
    for name, g in graphs.items():
        if name != MAPPINGS.name:
            labelled.update(g.subjects(RDFS.label, None))
    problems = []
    for s in sorted(set(mappings.subjects()), key=str):
        if isinstance(s, BNode):
            problems.append(f"a blank node: {sorted(short(p) for p in mappings.predicates(s))}")
        elif s in MAPPING_PROPERTIES and set(mappings.predicate_objects(s)) == {(RDF.type, OWL.AnnotationProperty)}:
            continue  # the OWL 2 DL declaration of a mapping property
        elif s not in labelled:
            problems.append(f"{short(s)}: no rdfs:label in the ontology")
    assert not problems, "subjects of mappings.ttl not defined in the ontology:\n" + "\n".join(problems)


def test_xrefs_are_well_formed_curies(graphs):
    problems = []
    for name, g in graphs.items():
        for s, o in g.subject_objects(HAS_DBXREF):
            if not isinstance(o, Literal):
                problems.append(f"{name}: {short(s)} hasDbXref {o}: must be a string, PREFIX:ID")
                continue
            m = CURIE.fullmatch(str(o))
            if not m:
                problems.append(f"{name}: {short(s)} hasDbXref {o!r}: not PREFIX:ID")
            elif m.group(1) not in LOCAL_ID:
                problems.append(f"{name}: {short(s)} hasDbXref {o}: unknown prefix {m.group(1)}")
            elif not re.fullmatch(LOCAL_ID[m.group(1)], m.group(2)):
                problems.append(f"{name}: {short(s)} hasDbXref {o}: malformed {m.group(1)} identifier")
    assert not problems, "malformed cross-references:\n" + "\n".join(problems)


def test_each_identifier_names_one_term(graphs):
    terms = defaultdict(set)
    for _, s, _, o in mapping_statements(graphs):
        if isinstance(o, Literal):
            terms[str(o)].add(short(s))
    shared = {x: sorted(t) for x, t in terms.items() if len(t) > 1}
    assert not shared, f"one identifier given as a cross-reference of several terms: {shared}"


def test_subtypes_and_patterns_map_only_to_calcinosis_cutis(graphs):
    merged = rdflib.Graph()
    for g in graphs.values():
        merged += g
    for term in SUBTYPES_AND_PATTERNS:
        found = {(prop, o) for prop in MAPPING_PROPERTIES for o in merged.objects(URIRef(CCKB + term), prop)}
        assert found == {(SKOS.broadMatch, CALCINOSIS_CUTIS_HP)}, \
            f"cckb:{term}: expected only skos:broadMatch HP:0025520, " \
            f"found {sorted((short(p), str(o)) for p, o in found)}"


def test_weaker_evidence_is_noted(graphs):
    merged = rdflib.Graph()
    for g in graphs.values():
        merged += g
    for curie in WEAKER_EVIDENCE:
        code = curie.split(":", 1)[1]
        for s in merged.subjects(HAS_DBXREF, Literal(curie)):
            notes = [str(n) for n in merged.objects(s, NOTE)]
            assert any(code in n for n in notes), f"{short(s)} has {curie} but no cckb:note on its weaker evidence"


def test_mapping_properties_are_declared(graphs):
    merged = rdflib.Graph()
    for g in graphs.values():
        merged += g
    used = {prop for _, _, prop, _ in mapping_statements(graphs)}
    undeclared = [short(p) for p in used if (p, RDF.type, OWL.AnnotationProperty) not in merged]
    assert not undeclared, f"mapping properties used but not declared owl:AnnotationProperty: {undeclared}"
