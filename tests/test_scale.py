"""Classifying many cases: one reasoner per batch gives the same answers as HermiT
classifying the whole ABox at once, and one contradictory case does not sink its batch."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib.namespace import RDF

from calcinosis_kb.knowledgebase.cases import find_cases
from calcinosis_kb.knowledgebase.loading import load_ontology, merge, parse_turtle
from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.knowledgebase.namespaces import CCKB, curie
from calcinosis_kb.knowledgebase.normalise import normalise
from calcinosis_kb.knowledgebase.synthetic import KINDS, write
from calcinosis_kb.reasoning.classify import BATCH, Definitions, logical_core
from calcinosis_kb.reasoning.hermit import reason
from calcinosis_kb.reasoning.infer import infer

from .conftest import DATA


def test_batches_match_whole_abox_reference(kb: KnowledgeBase, tmp_path: Path) -> None:
    count = BATCH + 2 * len(KINDS)  # more than one batch, every kind several times
    expected = write(tmp_path, count, seed=11, per_file=count)
    [path] = sorted(tmp_path.glob("*.ttl"))
    batched = {r.case: set(r.inferred_subtypes) | set(r.inferred_patterns) for r in infer(kb, [path]).results}

    ontology = load_ontology(kb)
    case_file = find_cases(path, parse_turtle(path))
    facts = case_file.graph + normalise(ontology, case_file.graph)
    reasoned = reason(merge([logical_core(ontology), facts]))
    definitions = Definitions.from_ontology(ontology)
    from calcinosis_kb.knowledgebase.cases import word

    for case in facts.subjects(RDF.type, CCKB.CalcinosisCutis):
        whole = {word(ontology, c) for c in definitions.subtypes + definitions.patterns
                 if str(c) in reasoned.types_of(str(case))}
        assert batched[curie(str(case))] == whole, case
    for case, kind in expected.items():
        subtypes = batched[case] & set(KINDS)
        assert subtypes == ({kind} if kind != "none" else set()), case


def test_contradictory_case_does_not_sink_its_batch(kb: KnowledgeBase) -> None:
    inference = infer(kb, [DATA / "bad" / "one-bad-among-good.ttl"])
    assert [r.case for r in inference.results] == ["case:bad-mixed-2"]
    assert inference.results[0].inferred_subtypes == ["dystrophic"]
    assert len(inference.errors) == 1
    assert "case:bad-mixed-1 contradicts the ontology; these facts clash" in inference.errors[0].message


def test_progress_reports_cases_done(kb: KnowledgeBase) -> None:
    seen: list[int] = []
    infer(kb, sorted((DATA / "cases").glob("*.ttl"))[:3], explain=False, progress=seen.append)
    assert seen == sorted(seen) and len(seen) == 3 and seen[-1] == 3


def test_worker_processes_give_the_same_results_in_order(kb: KnowledgeBase, tmp_path: Path) -> None:
    write(tmp_path, 3 * len(KINDS), seed=5, per_file=len(KINDS))
    files = [*sorted(tmp_path.glob("*.ttl")), DATA / "bad" / "one-bad-among-good.ttl"]
    alone = infer(kb, files, jobs=1)
    seen: list[int] = []
    shared = infer(kb, files, jobs=2, progress=seen.append)
    assert [r.as_dict() for r in shared.results] == [r.as_dict() for r in alone.results]
    assert [e.message for e in shared.errors] == [e.message for e in alone.errors]
    assert len(shared.errors) == 1
    assert set(shared.inferred) == set(alone.inferred) and len(shared.inferred) > 0
    assert len(seen) == len(files) and seen[-1] == len(alone.results)


def test_worker_count_only_splits_large_jobs() -> None:
    from calcinosis_kb.reasoning.jobs import PARALLEL_JOB_BYTES, worker_count

    assert worker_count(0, 40, PARALLEL_JOB_BYTES - 1) == 1
    assert worker_count(2, 40, 10) == 2
    assert worker_count(4, 3, 10) == 3
    assert worker_count(1, 40, 10 * PARALLEL_JOB_BYTES) == 1


def test_workers_report_a_missing_java_in_one_line(kb: KnowledgeBase, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from calcinosis_kb.knowledgebase.errors import EnvironmentProblem
    from calcinosis_kb.reasoning import hermit as reasoning

    write(tmp_path, 4, seed=2, per_file=2)
    reasoning.chosen_java.cache_clear()
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv(reasoning.JAVA_ENV, "system")
    try:
        with pytest.raises(EnvironmentProblem, match="Java was not found on PATH"):
            infer(kb, sorted(tmp_path.glob("*.ttl")), jobs=2)
    finally:
        reasoning.chosen_java.cache_clear()
