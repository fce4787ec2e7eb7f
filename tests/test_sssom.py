"""The released SSSOM mapping set (calcinosis-kb.sssom.tsv) and prefix map (calcinosis-kb.prefixes.json):
valid for sssom-py, one row for every mapping of the ontology, prefixes as the Bioregistry's OBO
context spells them, and the OBO Graphs JSON readable by sssom-py with the shipped prefix map."""

from __future__ import annotations

import json
from pathlib import Path

import curies
import pytest
from click.testing import CliRunner as ClickRunner
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SKOS
from typer.testing import CliRunner

from calcinosis_kb.cli import app
from calcinosis_kb.knowledgebase.loading import load_ontology
from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.knowledgebase.namespaces import CCKB, MAPPING_PREFIXES, OBOINOWL, ONTOLOGY_IRI, shorten

from .conftest import RELEASE_VERSION, ROOT

MAPPING_PROPERTIES = (OBOINOWL.hasDbXref, SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch,
                      SKOS.relatedMatch)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return load_ontology(KnowledgeBase.locate(ROOT))


@pytest.fixture(scope="module")
def bioregistry_obo() -> curies.Converter:
    """The Bioregistry's OBO-context extended prefix map that sssom-py ships and reads files with."""
    from sssom.context import get_converter

    return get_converter()


def test_sssom_validate_passes(released: Path) -> None:
    from sssom.cli import main

    result = ClickRunner().invoke(main, ["validate", str(released / "calcinosis-kb.sssom.tsv")])
    assert result.exit_code == 0, result.output


def test_every_validation_passes(released: Path) -> None:
    from sssom.constants import SchemaValidationType
    from sssom.parsers import parse_sssom_table
    from sssom.validators import validate

    mapping_set = parse_sssom_table(released / "calcinosis-kb.sssom.tsv")
    # Shacl and Sparql raise NotImplementedError in sssom-py 0.4; the other three are all it checks.
    kinds = [SchemaValidationType.JsonSchema, SchemaValidationType.PrefixMapCompleteness,
             SchemaValidationType.StrictCurieFormat]
    reports = validate(mapping_set, kinds, fail_on_error=True)
    assert all(not report.results for report in reports.values() if report is not None)


def test_metadata(released: Path, ontology: Graph) -> None:
    from sssom.parsers import parse_sssom_table

    mapping_set = parse_sssom_table(released / "calcinosis-kb.sssom.tsv")
    meta = mapping_set.metadata
    assert meta["mapping_set_id"] == f"{ONTOLOGY_IRI}/releases/{RELEASE_VERSION}/calcinosis-kb.sssom.tsv"
    assert meta["mapping_set_version"] == RELEASE_VERSION
    assert meta["license"] == str(ontology.value(URIRef(ONTOLOGY_IRI), URIRef("http://purl.org/dc/terms/license")))
    shipped = json.loads((released / "calcinosis-kb.prefixes.json").read_text())
    # The shipped prefix map covers every CURIE of the mapping set, so no --prefix is needed.
    prefixes = {curie.split(":", 1)[0] for column in ("subject_id", "predicate_id", "object_id",
                                                      "mapping_justification")
                for curie in mapping_set.df[column]}
    assert prefixes <= set(shipped)
    converter = curies.load_prefix_map(shipped)
    assert converter.expand("CCKB:Calciphylaxis") == str(CCKB.Calciphylaxis)


def expected_rows(ontology: Graph) -> set[tuple[str, str, str]]:
    """(subject, SSSOM predicate, object as the KB writes it) for every mapping of an own term."""
    rows = set()
    for prop in MAPPING_PROPERTIES:
        for subject, value in ontology.subject_objects(prop):
            if isinstance(subject, URIRef) and subject.startswith(str(CCKB)):
                predicate = "skos:exactMatch" if prop == OBOINOWL.hasDbXref else str(shorten(str(prop)))
                target = str(value) if isinstance(value, Literal) else str(shorten(str(value), "obo"))
                rows.add((str(shorten(str(subject), "obo")), predicate, target))
    return rows


def test_one_row_for_every_mapping_individuals_included(released: Path, ontology: Graph,
                                                        bioregistry_obo: curies.Converter) -> None:
    from sssom.parsers import parse_sssom_table

    frame = parse_sssom_table(released / "calcinosis-kb.sssom.tsv").df
    written = {(row.subject_id, row.predicate_id, row.object_id) for row in frame.itertuples()}
    assert len(written) == len(frame)
    expected = {(s, p, str(bioregistry_obo.standardize_curie(o))) for s, p, o in expected_rows(ontology)}
    assert written == expected
    assert set(frame["mapping_justification"]) == {"semapv:ManualMappingCuration"}
    sites = frame[frame["subject_type"] == "owl named individual"]
    assert sum(sites["object_id"].str.startswith("UBERON:")) >= 13
    assert ("CCKB:TroponinResult", "skos:narrowMatch", "loinc:10839-9") in written


@pytest.mark.parametrize("prefix", sorted(MAPPING_PREFIXES))
def test_prefixes_are_the_bioregistry_obo_context(prefix: str, bioregistry_obo: curies.Converter) -> None:
    uri_prefix, synonyms = MAPPING_PREFIXES[prefix]
    record = bioregistry_obo.get_record(prefix)
    assert record is not None and record.prefix == prefix and record.uri_prefix == uri_prefix
    assert all(bioregistry_obo.get_record(synonym) == record for synonym in synonyms)


def test_obo_graphs_json_mappings_reach_sssom_with_the_prefix_map(released: Path) -> None:
    from sssom.parsers import parse_obographs_json, parse_sssom_table

    shipped = json.loads((released / "calcinosis-kb.prefixes.json").read_text())
    frame = parse_obographs_json(released / "calcinosis-kb.json", prefix_map=shipped).df
    published = parse_sssom_table(released / "calcinosis-kb.sssom.tsv").df
    assert set(frame["subject_id"]) <= set(published["subject_id"])
    # None is dropped: the JSON's cross-references (as oboInOwl:hasDbXref) and SKOS mappings are the
    # mapping set's rows, with the same subjects and objects.
    read = {(row.subject_id, row.object_id) for row in frame.itertuples()}
    assert read == {(row.subject_id, row.object_id) for row in published.itertuples()}
    assert len(frame) == len(published)


def test_unknown_prefix_is_a_one_line_error(kb_copy: Path, tmp_path: Path) -> None:
    mappings = kb_copy / "ontology" / "mappings.ttl"
    mappings.write_text(mappings.read_text(encoding="utf-8")
                        + '\ncckb:Sepsis oboInOwl:hasDbXref "NOSUCHPREFIX:1" .\n', encoding="utf-8")
    folder = tmp_path / "out"
    result = CliRunner().invoke(app, ["release", "--kb", str(kb_copy), "--version", "1.0.0", "-o", str(folder)])
    assert result.exit_code == 3, result.stderr
    assert "CCKB:Sepsis oboInOwl:hasDbXref NOSUCHPREFIX:1" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not folder.exists()
