"""OWL/XML and OWL functional syntax, written by the OWL API that ships in owlready2's HermiT jar
(the same JVM `kb infer` uses), from N-Triples written by pyoxigraph."""

from __future__ import annotations

from typing import Any

from calcinosis_kb.knowledgebase.errors import KnowledgeError
from calcinosis_kb.knowledgebase.namespaces import PREFIXES

OWL_API_FORMATS = {
    "owlxml": "org.semanticweb.owlapi.io.OWLXMLOntologyFormat",
    "ofn": "org.semanticweb.owlapi.io.OWLFunctionalSyntaxOntologyFormat",
}


def _header_annotations_on_ontology(manager: Any, ontology: Any) -> None:
    """OWL API 3's RDF parser sometimes reads an annotation of the ontology IRI (owl:versionInfo)
    as an annotation assertion on an entity of that IRI; its OWL/XML writer then writes that IRI
    relative to xml:base as an empty <IRI/>, which other parsers reject. Move them onto the ontology."""
    import jpype

    axiom_type = jpype.JClass("org.semanticweb.owlapi.model.AxiomType")
    add = jpype.JClass("org.semanticweb.owlapi.model.AddOntologyAnnotation")
    remove = jpype.JClass("org.semanticweb.owlapi.model.RemoveAxiom")
    header = ontology.getOntologyID().getOntologyIRI()
    if header is None:
        return
    for axiom in list(ontology.getAxioms(axiom_type.ANNOTATION_ASSERTION)):
        if axiom.getSubject().equals(header):
            manager.applyChange(remove(ontology, axiom))
            manager.applyChange(add(ontology, axiom.getAnnotation()))


def _functional(manager: Any, ontology: Any) -> str:
    """Functional syntax. OWL API 3.4's ObjectPropertyAssertion.compareTo compares the other axiom,
    not this one's object, with the other's object, so sorting an individual's axioms can fail
    ("Comparison method violates its general contract"). Those axioms are taken out, the rest is
    saved as usual, and the OWL API's renderer writes them one by one (sorted by their text) at the
    end of the Ontology( ... ) block."""
    import jpype

    axiom_type = jpype.JClass("org.semanticweb.owlapi.model.AxiomType")
    renderer = jpype.JClass("org.coode.owlapi.functionalrenderer.OWLObjectRenderer")
    writer_class = jpype.JClass("java.io.StringWriter")
    assertions = list(ontology.getAxioms(axiom_type.OBJECT_PROPERTY_ASSERTION))
    rendered = []
    for axiom in assertions:
        writer = writer_class()
        axiom.accept(renderer(ontology, writer))
        rendered.append(str(writer.toString()).strip())
    for axiom in assertions:
        manager.removeAxiom(ontology, axiom)
    target = jpype.JClass("org.semanticweb.owlapi.io.StringDocumentTarget")()
    manager.saveOntology(ontology, jpype.JClass(OWL_API_FORMATS["ofn"])(), target)
    text = str(target.toString()).rstrip()
    if not text.endswith(")"):
        raise KnowledgeError("the OWL API wrote functional syntax that does not end its Ontology( ... ) block")
    return text[:-1] + "".join(f"{line}\n" for line in sorted(rendered)) + ")\n"


def owl_text(ntriples: str, syntax: str) -> str:
    """Render an ontology given as N-Triples in OWL/XML ("owlxml") or functional syntax ("ofn")."""
    import jpype

    from calcinosis_kb.reasoning.jvm import _java

    java = _java(quick_start=True)
    manager = java["manager"].createOWLOntologyManager()
    try:
        ontology = manager.loadOntologyFromOntologyDocument(java["source"](ntriples))
    except jpype.JException as error:
        raise KnowledgeError(f"the OWL API could not read the knowledge base as OWL: {error}") from None
    _header_annotations_on_ontology(manager, ontology)
    if syntax == "ofn":
        return _functional(manager, ontology)
    fmt = jpype.JClass(OWL_API_FORMATS[syntax])()
    for prefix, namespace in PREFIXES.items():
        fmt.setPrefix(f"{prefix}:", str(namespace))
    target = jpype.JClass("org.semanticweb.owlapi.io.StringDocumentTarget")()
    manager.saveOntology(ontology, fmt, target)
    return str(target.toString())
