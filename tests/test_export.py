"""`kb export`: every format written through the CLI and read back by a parser that did not write it
(rdflib for RDF, written by pyoxigraph; py-horned-owl for OWL/XML and functional syntax, written
by the OWL API; pronto/fastobo for OBO and OBO Graphs JSON, written by obo.py)."""

from __future__ import annotations

import io
import json
import re
from itertools import product
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS
from typer.testing import CliRunner

from calcinosis_kb import __version__
from calcinosis_kb.cli import app
from calcinosis_kb.interchange.export import FORMATS
from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.knowledgebase.namespaces import (
    CASE,
    CCKB,
    DEFINITION,
    OBOINOWL,
    ONTOLOGY_IRI,
    SUBTYPE_WORDS,
    mapping_curie,
)
from calcinosis_kb.reasoning.classify import Inference

from .conftest import DATA, ROOT

RDFLIB_FORMATS = {"turtle": "turtle", "rdfxml": "xml", "ntriples": "nt", "jsonld": "json-ld"}
CASES_IRI = URIRef("https://w3id.org/calcinosis-kb/cases")
DECLARATIONS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.NamedIndividual)


def parse_files(paths: list[Path]) -> Graph:
    graph = Graph()
    for path in paths:
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def ontology() -> Graph:
    # The ontology's parts and the source documents declared beside it (sources/), as kb merges them.
    return parse_files(sorted((ROOT / "ontology").glob("*.ttl")) + sorted((ROOT / "sources").glob("*.ttl")))


@pytest.fixture(scope="module")
def case_graph() -> Graph:
    return parse_files(sorted((ROOT / "cases").glob("*.ttl")))


BUILTINS = (str(OWL), str(RDFS), str(RDF))


def typed_individuals(graph: Graph) -> set[URIRef]:
    """IRIs typed with a class that is not an OWL, RDFS or RDF builtin: the named individuals."""
    return {s for s, kind in graph.subject_objects(RDF.type)
            if isinstance(s, URIRef) and not str(kind).startswith(BUILTINS)}


def expected(ontology: Graph, case_graph: Graph, what: str, file_name: str, exported: Graph) -> Graph:
    """What an export should hold, built from the source files here rather than by the exporter;
    only the labels generated for unlabelled individuals are taken from the export, once checked
    to name the individual's class and, for a case's fact, its case."""
    graph = Graph()
    header = URIRef(ONTOLOGY_IRI)
    if what in ("ontology", "all"):
        graph += ontology
    if what in ("cases", "all"):
        graph += case_graph
    if what == "cases":
        header = CASES_IRI
        used = {n for triple in case_graph for n in triple if isinstance(n, URIRef)}
        for term in used:
            graph += [(term, RDF.type, kind) for kind in DECLARATIONS if (term, RDF.type, kind) in ontology]
        graph.add((header, RDF.type, OWL.Ontology))
        graph.add((header, DCTERMS.title, Literal("calcinosis-kb: published cases of calcinosis cutis", lang="en")))
        graph.add((header, DCTERMS.description, exported.value(header, DCTERMS.description)))
        graph += [(header, DCTERMS.license, licence) for licence in ontology.objects(URIRef(ONTOLOGY_IRI),
                                                                                    DCTERMS.license)]
        graph += [(p, RDF.type, OWL.AnnotationProperty) for p in (DCTERMS.title, DCTERMS.description,
                                                                  DCTERMS.license)]
    for individual in typed_individuals(graph):
        graph.add((individual, RDF.type, OWL.NamedIndividual))
        if (individual, RDFS.label, None) not in graph:
            labels = list(exported.objects(individual, RDFS.label))
            assert len(labels) == 1, (individual, labels)
            kinds = [ontology.value(k, RDFS.label) for k in graph.objects(individual, RDF.type)]
            assert any(str(k) in str(labels[0]) for k in kinds if k is not None), (individual, labels)
            cases = [c for c in case_graph.subjects(None, individual) if (c, RDF.type, CCKB.CalcinosisCutis)
                     in case_graph]
            assert all(str(c).rsplit("/", 1)[-1] in str(labels[0]) for c in cases), (individual, labels)
            graph.add((individual, RDFS.label, labels[0]))
    graph.remove((header, OWL.versionIRI, None))
    graph.remove((header, OWL.versionInfo, None))
    graph.add((header, OWL.versionIRI, URIRef(f"{ONTOLOGY_IRI}/releases/{__version__}/{file_name}")))
    graph.add((header, OWL.versionInfo, Literal(__version__)))
    return graph


def export(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, ["export", *args])
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("fmt", sorted(RDFLIB_FORMATS))
def test_rdf_export_reads_back_isomorphic(fmt: str, runner: CliRunner, tmp_path: Path, ontology: Graph,
                                          case_graph: Graph) -> None:
    out = tmp_path / f"kb{FORMATS[fmt].extension}"
    export(runner, "--format", fmt, "-o", str(out))
    graph = Graph().parse(out, format=RDFLIB_FORMATS[fmt])
    name = f"calcinosis-kb-asserted{FORMATS[fmt].extension}"
    assert isomorphic(graph, expected(ontology, case_graph, "all", name, graph))


@pytest.mark.parametrize("what", ["ontology", "cases"])
def test_turtle_parts_read_back_isomorphic(what: str, runner: CliRunner, ontology: Graph, case_graph: Graph) -> None:
    graph = Graph().parse(data=export(runner, "--format", "turtle", "--what", what), format="turtle")
    name = f"calcinosis-kb-{'base' if what == 'ontology' else what}.ttl"
    assert isomorphic(graph, expected(ontology, case_graph, what, name, graph))


def test_turtle_is_readable(runner: CliRunner) -> None:
    text = export(runner, "--format", "turtle", "--what", "ontology")
    prefixes = [line.split()[1] for line in text.splitlines() if line.startswith("@prefix")]
    assert prefixes[:3] == ["cckb:", "src:", "case:"]
    assert "cckb:Calciphylaxis a owl:Class" in text and "\\/" not in text


def test_inferred_adds_the_reasoners_subtypes(runner: CliRunner, shipped: Inference) -> None:
    plain = Graph().parse(data=export(runner, "--format", "ntriples", "--what", "cases"), format="nt")
    graph = Graph().parse(data=export(runner, "--format", "ntriples", "--what", "cases", "--inferred"), format="nt")
    classes = {word: CCKB[name] for name, word in SUBTYPE_WORDS.items()}
    new = 0
    for result in shipped.results:
        case = CASE[result.case.removeprefix("case:")]
        for word in result.inferred_subtypes:
            assert (case, RDF.type, classes[word]) in graph
            new += (case, RDF.type, classes[word]) not in plain
    assert new > 0  # the shipped cases do not assert their subtypes: only the reasoner adds them


def owl_axioms(text: str, serialization: str) -> object:
    import pyhornedowl

    return pyhornedowl.open_ontology_from_string(text, serialization)


@pytest.mark.parametrize(("fmt", "serialization"), [("owlxml", "owx"), ("ofn", "ofn")])
def test_owl_syntaxes_read_back_by_horned_owl(fmt: str, serialization: str, runner: CliRunner,
                                              ontology: Graph) -> None:
    owl = owl_axioms(export(runner, "--format", fmt), serialization)
    classes = {str(c) for c in ontology.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)}
    assert set(owl.get_classes()) == classes  # type: ignore[attr-defined]
    name = f"calcinosis-kb-asserted{FORMATS[fmt].extension}"
    assert str(owl.get_version_iri()) == f"{ONTOLOGY_IRI}/releases/{__version__}/{name}"  # type: ignore[attr-defined]
    for cls in sorted(classes):
        label = ontology.value(URIRef(cls), RDFS.label)
        if label is not None:
            assert owl.get_annotation(cls, str(RDFS.label)) == str(label)  # type: ignore[attr-defined]
        parents = {str(p) for p in ontology.objects(URIRef(cls), RDFS.subClassOf) if isinstance(p, URIRef)}
        assert parents <= set(owl.get_superclasses(cls)), cls  # type: ignore[attr-defined]
        kinds = {type(a.component).__name__ for a in owl.get_axioms_for_iri(cls)}  # type: ignore[attr-defined]
        if (URIRef(cls), OWL.equivalentClass, None) in ontology:
            assert "EquivalentClasses" in kinds, cls
    assert "EquivalentClasses" in {type(a.component).__name__  # type: ignore[attr-defined]
                                   for a in owl.get_axioms_for_iri(str(CCKB.Calciphylaxis))}  # type: ignore[attr-defined]


def test_functional_syntax_keeps_every_object_property_assertion(runner: CliRunner, ontology: Graph,
                                                                 case_graph: Graph) -> None:
    text = export(runner, "--format", "ofn")
    object_properties = set(ontology.subjects(RDF.type, OWL.ObjectProperty))
    both = ontology + case_graph
    assertions = {(s, p, o) for s, p, o in both if p in object_properties and isinstance(o, URIRef)
                  and isinstance(s, URIRef)}
    assert text.count("ObjectPropertyAssertion(") == len(assertions)


def obo_terms(ontology: Graph) -> dict[str, URIRef]:
    return {str(c)[len(str(CCKB)):]: c for c in ontology.subjects(RDF.type, OWL.Class)
            if isinstance(c, URIRef) and str(c).startswith(str(CCKB))}


@pytest.mark.parametrize(("fmt", "prefix"), [("obo", "CCKB:"), ("obographs", str(CCKB))])
def test_obo_formats_read_back_by_pronto(fmt: str, prefix: str, runner: CliRunner, tmp_path: Path,
                                         ontology: Graph) -> None:
    import pronto

    out = tmp_path / f"kb{FORMATS[fmt].extension}"
    result = runner.invoke(app, ["export", "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert re.search(r"kb: note: \d+ equivalence axioms not expressible in OBO were left out: .*"
                     r"CCKB:IdiopathicCalcinosisCutis", result.stderr)
    obo = pronto.Ontology(str(out))
    terms = obo_terms(ontology)
    assert {t.id for t in obo.terms()} == {prefix + local for local in terms}
    for local, cls in terms.items():
        term = obo[prefix + local]
        assert term.name == (str(ontology.value(cls, RDFS.label)) if ontology.value(cls, RDFS.label) else None)
        definition = ontology.value(cls, DEFINITION)
        assert (str(term.definition) if term.definition else None) == (str(definition) if definition else None)
        # Written with the standard prefixes of the mapping set (ICD10 -> ICD10WHO, LOINC -> loinc).
        assert {x.id for x in term.xrefs} == {mapping_curie(str(x)) for x in ontology.objects(cls, OBOINOWL.hasDbXref)}
        parents = {prefix + str(p)[len(str(CCKB)):] for p in ontology.objects(cls, RDFS.subClassOf)
                   if isinstance(p, URIRef)}
        assert {p.id for p in term.superclasses(distance=1, with_self=False)} == parents, local


def test_obo_header_and_genus_differentia(runner: CliRunner) -> None:
    import pronto

    text = export(runner, "--format", "obo")
    parsed = pronto.Ontology(io.BytesIO(text.encode()))
    assert parsed.metadata.data_version == f"releases/{__version__}"
    assert f"{ONTOLOGY_IRI}/releases/{__version__}/calcinosis-kb-base.obo" in text
    dystrophic = parsed["CCKB:DystrophicCalcinosisCutis"]
    genus = {t.id for t in dystrophic.intersection_of if isinstance(t, pronto.Term)}
    differentia = {(r.id, t.id) for r, t in (x for x in dystrophic.intersection_of if isinstance(x, tuple))}
    assert genus == {"CCKB:CalcinosisCutis"}
    assert differentia == {("CCKB:hasCondition", "CCKB:DystrophicPredisposingCondition")}


def test_obographs_carries_version_and_logical_definitions(runner: CliRunner) -> None:
    document = json.loads(export(runner, "--format", "obographs"))
    graph = document["graphs"][0]
    assert graph["meta"]["version"].endswith(f"/releases/{__version__}/calcinosis-kb-base.json")
    defined = {axiom["definedClassId"] for axiom in graph["logicalDefinitionAxioms"]}
    assert str(CCKB.DystrophicCalcinosisCutis) in defined  # genus and differentia
    assert str(CCKB.Calciphylaxis) not in defined  # an either/or definition has no genus-differentia form


def test_phenopackets_as_list_and_as_folder(runner: CliRunner, tmp_path: Path, kb: KnowledgeBase) -> None:
    packets = json.loads(export(runner, "--format", "phenopacket"))
    assert isinstance(packets, list) and packets
    folder = tmp_path / "packets"
    export(runner, "--format", "phenopacket", "-o", f"{folder}/")
    files = sorted(folder.glob("*.json"))
    assert len(files) == len(packets)
    assert sorted(json.loads(f.read_text())["id"] for f in files) == sorted(p["id"] for p in packets)


@pytest.mark.parametrize(("args", "message"), [
    (["--format", "owl2"], "choose one of: " + ", ".join(FORMATS)),
    (["--format", "phenopacket", "--what", "ontology"], "--what ontology is not available with --format phenopacket"),
    (["--format", "obo", "--what", "cases"], "--what cases is not available with --format obo"),
    (["--format", "turtle", "--what", "ontology", "--inferred"], "--inferred"),
    (["--format", "turtle", "--what", "everything"], "--what everything"),
    (["--format", "obo", str(ROOT / "cases" / "bender2024.ttl")],
     "--format obo --what ontology holds no cases; give no case files"),
    (["--format", "turtle", "--what", "ontology", str(ROOT / "cases" / "bender2024.ttl")], "give --what cases or all"),
])
def test_bad_usage_is_refused(args: list[str], message: str, runner: CliRunner) -> None:
    result = runner.invoke(app, ["export", *args])
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_existing_output_is_refused_unless_forced(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "kb.ttl"
    out.write_text("keep me")
    result = runner.invoke(app, ["export", "--format", "turtle", "-o", str(out)])
    assert result.exit_code == 2 and "already exists; pass --force" in result.stderr
    assert out.read_text() == "keep me"
    export(runner, "--format", "turtle", "-o", str(out), "--force")
    assert len(Graph().parse(out, format="turtle")) > 1000
    assert [p.name for p in tmp_path.iterdir()] == ["kb.ttl"]  # no temporary file left behind


def test_a_phenopacket_given_as_a_case_is_exported_as_rdf(runner: CliRunner) -> None:
    packet = DATA / "phenopackets" / "foreign.json"
    result = runner.invoke(app, ["export", "-f", "ntriples", "--what", "cases", str(packet)])
    assert result.exit_code == 0, result.stderr
    graph = Graph().parse(data=result.stdout, format="nt")
    assert (URIRef(str(CASE) + "fixture-foreign"), RDF.type, CCKB.CalcinosisCutis) in graph


def test_single_file_format_refuses_a_folder(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", "--format", "turtle", "-o", f"{tmp_path}/"])
    assert result.exit_code == 2 and "writes one file" in result.stderr


def test_help_lists_the_formats(runner: CliRunner) -> None:
    result = runner.invoke(app, ["export", "--help"])
    assert all(name in result.stdout for name in FORMATS)


def test_readme_lists_exactly_the_export_formats() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    # the formats' table opens the section; its subsections (releases...) have tables of their own
    section = readme.split("## Export formats", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    rows = [[cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]
            for line in section.splitlines() if line.startswith("| `")]
    assert [row[0] for row in rows] == list(FORMATS)
    for name, extension, reader in ((r[0], r[2], r[3]) for r in rows):
        assert extension == FORMATS[name].extension and reader == FORMATS[name].reader
    assert "kb release" in readme


def undeclared_or_unlabelled(graph: Graph) -> list[str]:
    """The strict check: every named individual is declared owl:NamedIndividual and has an rdfs:label."""
    return sorted(f"{node}: {'undeclared' if (node, RDF.type, OWL.NamedIndividual) not in graph else 'no label'}"
                  for node in typed_individuals(graph)
                  if (node, RDF.type, OWL.NamedIndividual) not in graph or (node, RDFS.label, None) not in graph)


@pytest.mark.parametrize("what", ["cases", "all"])
@pytest.mark.parametrize("fmt", sorted(RDFLIB_FORMATS))
def test_every_individual_is_declared_and_labelled(fmt: str, what: str, runner: CliRunner) -> None:
    graph = Graph().parse(data=export(runner, "--format", fmt, "--what", what), format=RDFLIB_FORMATS[fmt])
    assert len(typed_individuals(graph)) > 500  # the cases, their facts and the sources
    assert undeclared_or_unlabelled(graph) == []


@pytest.mark.parametrize(("fmt", "serialization"), [("owlxml", "owx"), ("ofn", "ofn")])
def test_every_individual_is_declared_and_labelled_in_owl_syntaxes(fmt: str, serialization: str,
                                                                   runner: CliRunner) -> None:
    owl = owl_axioms(export(runner, "--format", fmt, "--what", "cases"), serialization)
    asserted = {str(a.component.i) for a in owl.get_axioms()  # type: ignore[attr-defined]
                if type(a.component).__name__ == "ClassAssertion"}
    declared = set(owl.get_named_individuals())  # type: ignore[attr-defined]
    assert len(asserted) > 500 and asserted <= declared
    assert [i for i in sorted(asserted) if not owl.get_annotation(i, str(RDFS.label))] == []  # type: ignore[attr-defined]


SELECTIONS = [("ontology", False), ("cases", False), ("cases", True), ("all", False), ("all", True)]


@pytest.fixture(scope="module")
def artefacts_by_version_iri(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[str, Graph]]]:
    """Every RDF export selection in Turtle and RDF/XML, the cases of one file, and the release's RDF
    artefacts, by the versionIRI each claims, with its triples less the version header."""
    runner = CliRunner()
    folder = tmp_path_factory.mktemp("version-iris")
    documents: list[tuple[str, str, str]] = []
    for (what, inferred), fmt in product(SELECTIONS, ("turtle", "rdfxml")):
        args = ["--format", fmt, "--what", what, *(["--inferred"] if inferred else [])]
        documents.append((" ".join(args), export(runner, *args), RDFLIB_FORMATS[fmt]))
    one_case = ["--format", "turtle", "--what", "cases", str(ROOT / "cases" / "bender2024.ttl")]
    documents.append((" ".join(one_case), export(runner, *one_case), "turtle"))
    result = runner.invoke(app, ["release", "-o", str(folder / "release")])
    assert result.exit_code == 0, result.stderr
    released = sorted(p for p in (folder / "release").iterdir() if p.suffix in (".owl", ".ttl"))
    documents += [(f"release {path.name}", path.read_text(encoding="utf-8"), RDFLIB_FORMATS["rdfxml"]
                   if path.suffix == ".owl" else "turtle") for path in released]
    found: dict[str, list[tuple[str, Graph]]] = {}
    for name, text, syntax in documents:
        graph = Graph().parse(data=text, format=syntax)
        version_iris = list(graph.objects(None, OWL.versionIRI))
        assert len(version_iris) == 1, name
        graph.remove((None, OWL.versionIRI, None))
        graph.remove((None, OWL.versionInfo, None))
        found.setdefault(str(version_iris[0]), []).append((name, graph))
    return found


def test_equal_version_iris_mean_equal_content(artefacts_by_version_iri: dict[str, list[tuple[str, Graph]]]) -> None:
    for iri, claims in artefacts_by_version_iri.items():
        first_name, first = claims[0]
        for name, graph in claims[1:]:
            assert isomorphic(first, graph), f"{first_name} and {name} differ but both claim {iri}"
    assert len(artefacts_by_version_iri) >= 2 * len(SELECTIONS) + 1
    shared = {iri: [name for name, _ in claims] for iri, claims in artefacts_by_version_iri.items() if len(claims) > 1}
    # the release's full and base artefacts are the exports of all --inferred and of the ontology
    assert any(any(n.startswith("release") for n in names) and len(names) > 1 for names in shared.values())


def test_release_artefacts_declare_and_label_every_individual(
        artefacts_by_version_iri: dict[str, list[tuple[str, Graph]]]) -> None:
    full = [graph for claims in artefacts_by_version_iri.values() for name, graph in claims
            if name in ("release calcinosis-kb.owl", "release calcinosis-kb.ttl")]
    assert len(full) == 2
    for graph in full:
        assert len(typed_individuals(graph)) > 500
        assert undeclared_or_unlabelled(graph) == []
