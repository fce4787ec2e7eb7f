"""The released OBO file as OBO tools (fastobo) and the OWL API read it: header metadata, definitions
with their sources as dbxrefs, the sites' UBERON cross-references, and which IRIs the OWL API gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastobo
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from calcinosis_kb.interchange.obo.model import source_xref
from calcinosis_kb.knowledgebase.loading import load_ontology
from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.knowledgebase.namespaces import CCKB, DEFINITION, OBOINOWL, ONTOLOGY_IRI, mapping_curie

from .conftest import ROOT


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return load_ontology(KnowledgeBase.locate(ROOT))


@pytest.fixture(scope="module")
def obo_file(released: Path) -> Path:
    return released / "calcinosis-kb.obo"


def own(graph: Graph, kind: URIRef) -> list[URIRef]:
    return sorted(s for s in graph.subjects(RDF.type, kind) if isinstance(s, URIRef) and s.startswith(str(CCKB)))


def expected_def_xrefs(ontology: Graph, term: URIRef) -> set[str]:
    return {source_xref(ontology, source) for source in ontology.objects(term, DCTERMS.source)}


def test_source_xrefs_prefer_doi_then_pmid_then_address(ontology: Graph) -> None:
    for source in set(ontology.objects(None, DCTERMS.source)):
        identifiers = [str(i) for i in ontology.objects(source, DCTERMS.identifier)]
        cited = source_xref(ontology, source)
        if any(i.startswith("doi:") for i in identifiers):
            assert cited.startswith("DOI:10."), (source, cited)
        elif any("," not in str(a) for a in ontology.objects(source, CCKB.sourceAddress)):
            assert cited.startswith(("http://", "https://")), (source, cited)
        else:
            assert cited == "src:" + str(source).rsplit("/", 1)[1], (source, cited)


def test_fastobo_reads_header_definitions_and_site_xrefs(obo_file: Path, ontology: Graph) -> None:
    document = fastobo.load(str(obo_file))
    header = {(type(c).__name__, str(c)) for c in document.header}
    values = {text for kind, text in header if kind.endswith("PropertyValueClause")}
    title = str(ontology.value(URIRef(ONTOLOGY_IRI), DCTERMS.title))
    assert any(str(DCTERMS.title) in v and title in v for v in values)
    assert any(str(DCTERMS.license) in v and str(ontology.value(URIRef(ONTOLOGY_IRI), DCTERMS.license)) in v
               for v in values)
    assert any(str(DCTERMS.description) in v for v in values)
    assert ("DefaultNamespaceClause", "default-namespace: calcinosis_kb") in header
    assert any(kind == "RemarkClause" and "calcinosis-kb.owl" in text for kind, text in header)
    frames = {str(frame.id): frame for frame in document if not isinstance(frame, fastobo.instance.InstanceFrame)}
    for term in own(ontology, OWL.Class):
        frame = frames[f"CCKB:{term.removeprefix(str(CCKB))}"]
        definitions = [c for c in frame if isinstance(c, fastobo.term.DefClause)]
        if ontology.value(term, DEFINITION) is not None:
            assert {str(x.id) for x in definitions[0].xrefs} == expected_def_xrefs(ontology, term), term
    sites = [i for i in own(ontology, OWL.NamedIndividual) if (i, RDF.type, CCKB.AnatomicalSite) in ontology]
    # fastobo parses [Instance] frames but its Python binding exposes none of their clauses: read the text.
    instances = {lines[1].removeprefix("id: "): lines for lines in
                 (stanza.splitlines() for stanza in obo_file.read_text().split("\n\n"))
                 if lines[0] == "[Instance]"}
    assert sum(isinstance(frame, fastobo.instance.InstanceFrame) for frame in document) == len(instances)
    uberon = 0
    for site in sites:
        lines = instances[f"CCKB:{site.removeprefix(str(CCKB))}"]
        assert "instance_of: CCKB:AnatomicalSite ! anatomical site" in lines
        xrefs = {line.removeprefix("xref: ") for line in lines if line.startswith("xref: ")}
        assert xrefs == {mapping_curie(str(x)) for x in ontology.objects(site, OBOINOWL.hasDbXref)}, site
        uberon += sum(x.startswith("UBERON:") for x in xrefs)
    assert uberon == sum(str(x).startswith("UBERON:") for s in sites for x in ontology.objects(s, OBOINOWL.hasDbXref))
    assert uberon >= 13


def owl_api_axioms(path: Path) -> list[Any]:
    """The OBO file loaded by the OWL API that HermiT's jar carries (3.x, whose OBO parser is the
    older org.coode one: ROBOT and Protégé use the org.obolibrary one)."""
    from calcinosis_kb.reasoning.jvm import _java

    java = _java()
    manager = java["manager"].createOWLOntologyManager()
    ontology = manager.loadOntologyFromOntologyDocument(java["source"](path.read_text()))
    assert "obo" in str(manager.getOntologyFormat(ontology).getClass().getName()).lower()
    return list(ontology.getAxioms())


def annotation_text(value: Any) -> str:
    """A literal's text or an IRI, from an OWL API annotation value."""
    return str(value.getLiteral()) if hasattr(value, "getLiteral") else str(value.toString())


def test_owl_api_reads_labels_definitions_and_their_sources(obo_file: Path, ontology: Graph) -> None:
    labels: dict[str, str] = {}
    definitions: dict[str, set[str]] = {}
    classes: set[str] = set()
    for axiom in owl_api_axioms(obo_file):
        kind = str(axiom.getAxiomType().getName())
        if kind == "Declaration" and str(axiom.getEntity().getEntityType().getName()) == "Class":
            classes.add(str(axiom.getEntity().getIRI().toString()))
        if kind != "AnnotationAssertion":
            continue
        subject, prop = str(axiom.getSubject().toString()).strip("<>"), str(axiom.getProperty().getIRI().toString())
        if prop == str(RDFS.label):
            labels[subject] = str(axiom.getValue().getLiteral())
        elif prop.endswith("/def"):
            definitions[subject] = {annotation_text(a.getValue()) for a in axiom.getAnnotations()}
    # The OWL API ignores idspace: CCKB:X is not read as our IRI (what the file's remark says).
    terms = own(ontology, OWL.Class)
    assert not {str(t) for t in terms} & classes
    assert len(classes) >= len(terms)
    by_local = {iri.rsplit("_", 1)[-1]: iri for iri in classes}
    for term in terms:
        iri = by_local[term.removeprefix(str(CCKB))]
        assert iri.startswith("http://purl.obolibrary.org/obo/CCKB")
        label = ontology.value(term, RDFS.label)
        assert labels.get(iri) == (str(label) if label is not None else None), term
        if ontology.value(term, DEFINITION) is not None:
            expected = expected_def_xrefs(ontology, term)
            read = definitions[iri]
            # This parser expands CURIE dbxrefs to OBO PURLs; URLs stay as they are.
            assert len(read) == len(expected), term
            assert {x for x in expected if "://" in x} <= read, term
