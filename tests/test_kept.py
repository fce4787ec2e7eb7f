"""What kb keeps between runs to start faster: the UCUM grammar's verdicts, the reasoner's reading
of the ontology (in functional syntax) and the RDFS index of `kb validate`. Each must give the
same answers as what it replaces, and one that is missing or damaged must only cost the time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph

from calcinosis_kb.knowledgebase import ucum
from calcinosis_kb.knowledgebase.loading import load_ontology
from calcinosis_kb.knowledgebase.location import KnowledgeBase, ontology_cache_path
from calcinosis_kb.quality.shapes import RdfsIndex
from calcinosis_kb.reasoning import classify
from calcinosis_kb.reasoning.classify import Classifier, logical_core
from calcinosis_kb.reasoning.consistency import ConsistencyCheck
from calcinosis_kb.reasoning.engines import asserted_superclasses
from calcinosis_kb.reasoning.jvm import FUNCTIONAL_SYNTAX_START, WarmHermit

from .conftest import ROOT, run_kb_listing_modules

WITH_UNITS = ROOT / "cases" / "agarwal2022.ttl"  # mg/dL and mL/min/{1.73_m2}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty cache folder for this test, and the verdicts read from none."""
    monkeypatch.setenv("CALCINOSIS_KB_CACHE", str(tmp_path / "cache"))
    forget = (ucum._verdicts_path, ucum._kept_verdicts, ucum.ucum_problem)
    for function in forget:
        function.cache_clear()
    yield tmp_path / "cache"
    for function in forget:
        function.cache_clear()


# --- the UCUM grammar's verdicts --------------------------------------------------------------


def test_unit_verdicts_are_asked_of_ucumvert_once_then_read_from_the_cache(cache: Path) -> None:
    assert ucum.ucum_problem("mg/dL") is None and ucum.ucum_problem("mL/min/{1.73_m2}") is None
    assert ucum.ucum_problem("mg per dL") == ucum.NOT_UCUM.format(code="mg per dL")
    assert ucum.ucum_problem("  ") == "no unit code"
    (kept,) = (cache / "units").glob("*.json")
    assert json.loads(kept.read_text()) == {"mg/dL": True, "mL/min/{1.73_m2}": True, "mg per dL": False}


def test_a_second_cold_infer_imports_neither_ucumvert_nor_pint_nor_pydantic(cache: Path) -> None:
    modules = ("ucumvert", "pint", "pydantic")
    first, loaded_first = run_kb_listing_modules(["infer", str(WITH_UNITS)], modules, CALCINOSIS_KB_CACHE=str(cache))
    second, loaded_second = run_kb_listing_modules(["infer", str(WITH_UNITS)], modules, CALCINOSIS_KB_CACHE=str(cache))
    assert loaded_first == {"ucumvert": True, "pint": True, "pydantic": False}, "the first run asks ucumvert"
    assert loaded_second == {"ucumvert": False, "pint": False, "pydantic": False}
    assert second == first and "why dystrophic" in first


@pytest.mark.parametrize("damage", ["not json", '["a list"]', '{"mg/dL": "yes", "mg per dL": null}', "\udcff"])
def test_a_damaged_verdicts_file_only_costs_the_time(cache: Path, damage: str) -> None:
    ucum.ucum_problem("mg/dL")
    (kept,) = (cache / "units").glob("*.json")
    kept.write_bytes(damage.encode(errors="surrogateescape"))
    for function in (ucum._kept_verdicts, ucum.ucum_problem):
        function.cache_clear()
    assert ucum.ucum_problem("mg/dL") is None
    assert ucum.ucum_problem("mg per dL") is not None


# --- the reasoner's reading of the ontology ----------------------------------------------------


def classified(classifier: Classifier) -> list[dict[str, object]]:
    return [r.as_dict() for path in sorted((ROOT / "cases").glob("*.ttl"))
            for r in classifier.classify_file(path).results]


def test_the_kept_reading_classifies_every_shipped_case_as_the_rdf_it_came_from(
        cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kb = KnowledgeBase.locate(ROOT)
    first = Classifier(kb)
    expected = classified(first)
    kept = ontology_cache_path(kb, "core.ofn")
    assert kept is not None and kept.read_text().startswith(FUNCTIONAL_SYNTAX_START)

    def refuse(ontology: Graph) -> Graph:
        raise AssertionError("the kept reading was not used")

    with monkeypatch.context() as patched:
        patched.setattr(classify, "logical_core", refuse)
        assert classified(Classifier(kb)) == expected

    for damage in ("Prefix(owl:=<http://www.w3.org/2002/07/owl#>)\nOntology(<x> SubClassOf(", "", "\x00\x01"):
        kept.write_text(damage)
        assert classified(Classifier(kb)) == expected
        assert kept.read_text().startswith(FUNCTIONAL_SYNTAX_START), f"made again after {damage!r}"


def test_the_kept_reading_has_the_axioms_of_the_rdf(tmp_path: Path) -> None:
    ontology = load_ontology(KnowledgeBase.locate(ROOT))
    # A kept core is read with the whole ontology's hierarchy, which the core keeps whole.
    assert asserted_superclasses(ontology) == asserted_superclasses(logical_core(ontology))
    for graph in (ontology, logical_core(ontology)):
        kept = tmp_path / "reading.ofn"
        from_rdf = WarmHermit(graph, keep=kept)
        from_kept = WarmHermit.kept(kept, asserted_superclasses(graph))
        assert from_kept is not None
        assert set(from_kept.ontology.getAxioms()) == set(from_rdf.ontology.getAxioms())
        assert from_kept.vocabulary == from_rdf.vocabulary and from_kept.superclasses == from_rdf.superclasses
    assert WarmHermit.kept(tmp_path / "none.ofn", {}) is None
    assert WarmHermit.kept(None, {}) is None


def test_the_ontology_check_reads_a_kept_ontology_alike(tmp_path: Path) -> None:
    ontology = load_ontology(KnowledgeBase.locate(ROOT))
    fresh = ConsistencyCheck(ontology, unsatisfiable=True)
    made = ConsistencyCheck(ontology, unsatisfiable=True, kept=tmp_path / "logical.ofn")
    read = ConsistencyCheck(ontology, unsatisfiable=True, kept=tmp_path / "logical.ofn")
    assert (fresh.ontology_consistent, fresh.unsatisfiable) == (made.ontology_consistent, made.unsatisfiable) \
        == (read.ontology_consistent, read.unsatisfiable) == (True, [])


# --- the RDFS index of `kb validate` ----------------------------------------------------------


def index_state(index: RdfsIndex) -> tuple[object, ...]:
    return (set(index.ontology), index.superclasses, index.superproperties, dict(index.ontology_classes),
            index.source)


def test_the_kept_rdfs_index_is_the_index_made_again(tmp_path: Path) -> None:
    ontology = load_ontology(KnowledgeBase.locate(ROOT))
    kept = tmp_path / "rdfs.pickle"
    made = RdfsIndex.kept(ontology, kept)
    assert kept.stat().st_size > 0
    read = RdfsIndex.kept(ontology, kept)
    assert read is not made and index_state(read) == index_state(made) == index_state(RdfsIndex(ontology))
    assert read.source is ontology, "the ontology is not kept twice"
    for damage in (b"", b"not a pickle", kept.read_bytes()[:1000]):
        kept.write_bytes(damage)
        assert index_state(RdfsIndex.kept(ontology, kept)) == index_state(made)
