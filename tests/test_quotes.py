"""Every quote in every case file occurs verbatim in its source text (whitespace ignored): the
cases of the five source documents and of the development corpus alike."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from calcinosis_kb.knowledgebase.namespaces import CCKB

from .conftest import ROOT, SHARED

CASE_FILES = sorted((ROOT / "cases").glob("*.ttl"))
TEXT_FOLDERS = (SHARED / "sources", SHARED / "corpus" / "texts")


def source_text(name: str) -> str:
    found = [folder / name for folder in TEXT_FOLDERS if (folder / name).is_file()]
    assert found, f"{name}: not in {', '.join(map(str, TEXT_FOLDERS))}"
    return squash(found[0].read_text(encoding="utf-8"))


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_quotes_found_in_source(path: Path) -> None:
    ontology = Graph()
    for part in [*(ROOT / "ontology").glob("*.ttl"), *(ROOT / "sources").glob("*.ttl")]:
        ontology.parse(part)
    graph = Graph().parse(path)
    failures = []
    cases = list(graph.subjects(RDF.type, CCKB.CalcinosisCutis))
    assert cases, f"{path.name} holds no case"
    for case in cases:
        source_file = ontology.value(graph.value(case, CCKB.hasSource), CCKB.sourceFile)
        assert source_file is not None, f"{case}: its source names no cckb:sourceFile"
        text = source_text(str(source_file))
        facts = {case} | {o for _, o in graph.predicate_objects(case) if isinstance(o, URIRef)}
        for fact in facts:
            for quote in graph.objects(fact, CCKB.quote):
                if squash(str(quote)) not in text:
                    failures.append(f"case {case}, fact {fact}: quote not in {source_file}: {quote!r}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_every_fact_has_a_quote(path: Path) -> None:
    graph = Graph().parse(path)
    unquoted = [
        f"{case} -> {fact}"
        for case in graph.subjects(RDF.type, CCKB.CalcinosisCutis)
        for prop, fact in graph.predicate_objects(case)
        if isinstance(fact, URIRef) and (fact, RDF.type, None) in graph and (fact, CCKB.quote, None) not in graph
    ]
    assert not unquoted, unquoted


def test_quote_check_can_fail(tmp_path: Path) -> None:
    """The checker is not vacuous: a paraphrase is caught."""
    source = squash((SHARED / "sources" / "001_3fcdd0910daa8e38.txt").read_text(encoding="utf-8"))
    assert squash("mixed connective tissue disease") in source
    assert squash("longstanding mixed connective tissue disease") not in source
