"""`kb release`: versioned artefacts, each read back by an independent parser, and CHANGES.md
against a previous release."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF
from typer.testing import CliRunner

from calcinosis_kb.cli import app
from calcinosis_kb.knowledgebase.namespaces import CCKB, ONTOLOGY_IRI

ARTEFACTS = {"calcinosis-kb.owl": "xml", "calcinosis-kb.ttl": "turtle", "calcinosis-kb-base.owl": "xml",
             "calcinosis-kb-base.ttl": "turtle"}


def release(runner: CliRunner, *args: str) -> None:
    result = runner.invoke(app, ["release", *args])
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize("name", sorted(ARTEFACTS))
def test_rdf_artefacts_parse_and_carry_their_version(name: str, released: Path) -> None:
    graph = Graph().parse(released / name, format=ARTEFACTS[name])
    header = URIRef(ONTOLOGY_IRI)
    assert graph.value(header, OWL.versionIRI) == URIRef(f"{ONTOLOGY_IRI}/releases/1.2.3/{name}")
    assert str(graph.value(header, OWL.versionInfo)) == "1.2.3"
    cases = set(graph.subjects(RDF.type, CCKB.CalcinosisCutis))
    if "base" in name:
        assert not cases
    else:  # the full file has the cases and their inferred subtypes
        assert cases and (None, RDF.type, CCKB.DystrophicCalcinosisCutis) in graph


def test_obo_artefacts_parse_and_carry_their_version(released: Path) -> None:
    import pronto

    obo = pronto.Ontology(str(released / "calcinosis-kb.obo"))
    assert obo.metadata.data_version == "releases/1.2.3"
    assert "CCKB:Calciphylaxis" in obo
    graphs = pronto.Ontology(str(released / "calcinosis-kb.json"))
    assert str(CCKB.Calciphylaxis) in graphs
    meta = json.loads((released / "calcinosis-kb.json").read_text())["graphs"][0]["meta"]
    assert meta["version"] == f"{ONTOLOGY_IRI}/releases/1.2.3/calcinosis-kb.json"
    assert sorted(p.name for p in released.iterdir()) == sorted([*ARTEFACTS, "calcinosis-kb.obo",
                                                                 "calcinosis-kb.json", "calcinosis-kb.sssom.tsv",
                                                                 "calcinosis-kb.prefixes.json"])


def test_changes_against_a_previous_release(runner: CliRunner, released: Path, kb_copy: Path,
                                            tmp_path: Path) -> None:
    source = kb_copy / "ontology" / "calcinosis-kb.ttl"
    text = source.read_text(encoding="utf-8")
    assert 'rdfs:label "calciphylaxis"@en' in text
    source.write_text(text.replace('rdfs:label "calciphylaxis"@en', 'rdfs:label "calcific uraemic arteriolopathy"@en')
                      + '\ncckb:ReleaseTestCondition a owl:Class ; rdfs:subClassOf cckb:Condition ;\n'
                        '    rdfs:label "release test condition"@en .\n', encoding="utf-8")
    (kb_copy / "cases" / "lio2000.ttl").unlink()
    folder = tmp_path / "next"
    release(runner, "--kb", str(kb_copy), "--version", "1.3.0", "--previous", str(released), "-o", str(folder))
    changes = (folder / "CHANGES.md").read_text(encoding="utf-8")
    assert "since 1.2.3" in changes
    added = changes.split("## Classes added", 1)[1].split("##", 1)[0]
    assert "cckb:ReleaseTestCondition (release test condition)" in added
    assert 'cckb:Calciphylaxis: "calciphylaxis" -> "calcific uraemic arteriolopathy"' in changes
    removed = changes.split("## Cases removed", 1)[1].split("##", 1)[0]
    assert "case:lio2000-polymyositis" in removed and "case:bender2024" not in removed
    assert "cckb:ReleaseTestCondition rdfs:subClassOf cckb:Condition" in changes


def test_existing_release_is_refused_unless_forced(runner: CliRunner, released: Path) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in released.iterdir()}
    result = runner.invoke(app, ["release", "--version", "1.2.3", "-o", str(released)])
    assert result.exit_code == 2 and "already exists; pass --force" in result.stderr
    assert {p.name: p.stat().st_mtime_ns for p in released.iterdir()} == before


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--version", "1/2"], 2, "--version 1/2"),
    (["--previous", "."], 3, "not a kb release folder"),
])
def test_bad_release_input(args: list[str], code: int, message: str, runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["release", *args, "-o", str(tmp_path / "out")])
    assert result.exit_code == code and message in result.stderr
    assert not (tmp_path / "out").exists()


def test_every_named_query_gives_the_same_rows_on_a_store_loaded_from_the_release(released: Path) -> None:
    """The full release carries the reasoner's conclusions and the class closure and shortcuts
    the named queries read, so a SPARQL store that kb never filled answers them as kb query does."""
    import pyoxigraph

    from calcinosis_kb.knowledgebase.location import KnowledgeBase
    from calcinosis_kb.querying.named import bind, load_queries
    from calcinosis_kb.querying.results import run_local
    from calcinosis_kb.querying.store import open_store

    from .conftest import ROOT

    kb = KnowledgeBase.locate(ROOT)
    fresh = pyoxigraph.Store()
    fresh.bulk_load(path=str(released / "calcinosis-kb.ttl"), format=pyoxigraph.RdfFormat.TURTLE)
    ours = open_store(kb)
    queries = load_queries(kb.query_files)
    assert len(queries) >= 10
    for name, query in sorted(queries.items()):
        bound = bind(query, {})
        expected = run_local(ours, query.text, bound, where=name)
        got = run_local(fresh, query.text, bound, where=name)
        assert (got.columns, got.rows, got.boolean) == (expected.columns, expected.rows, expected.boolean), name

