"""A curator's loop: a new source declared in the KB folder, texts found along a search path,
messages at the right line, honest summaries, deprecated terms named with their replacement."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Graph
from typer.testing import CliRunner

from calcinosis_kb.cli import app
from calcinosis_kb.knowledgebase.location import SOURCES_ENV, KnowledgeBase
from calcinosis_kb.quality.validation import validate

from .conftest import DATA

CURATION = DATA / "curation"


@pytest.fixture
def curator_kb(kb_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A working copy with a new document: its source declared in sources/, its case in cases/,
    its text in a curator's own folder (not beside the shipped texts)."""
    shutil.copy(CURATION / "ipsum2020-source.ttl", kb_copy / "sources" / "ipsum2020.ttl")
    shutil.copy(CURATION / "ipsum2020.ttl", kb_copy / "cases" / "ipsum2020.ttl")
    texts = tmp_path / "my-texts"
    texts.mkdir()
    shutil.copy(CURATION / "ipsum2020.txt", texts / "ipsum2020.txt")
    monkeypatch.setenv(SOURCES_ENV, str(texts))
    return kb_copy, texts


def test_texts_are_found_along_a_search_path(curator_kb: tuple[Path, Path]) -> None:
    root, texts = curator_kb
    kb = KnowledgeBase.locate(root)
    assert kb.text_folders[0] == texts.resolve()
    assert kb.source_text("ipsum2020.txt") == texts.resolve() / "ipsum2020.txt"
    # The shipped texts and the corpus texts are still found beside the curator's own.
    assert kb.source_text("001_3fcdd0910daa8e38.txt") is not None
    assert kb.source_text("DEV-01.txt") is not None


def test_a_new_source_needs_no_change_to_the_ontology(curator_kb: tuple[Path, Path]) -> None:
    root, _ = curator_kb
    report = validate(KnowledgeBase.locate(root), [root / "cases" / "ipsum2020.ttl"])
    assert report.ok, [p.as_text() for p in report.problems]
    assert not report.notes, report.notes  # every quote was checked against the curator's text


def test_a_missing_text_is_one_note_not_an_error_per_quote(curator_kb: tuple[Path, Path]) -> None:
    root, texts = curator_kb
    (texts / "ipsum2020.txt").unlink()
    report = validate(KnowledgeBase.locate(root), [root / "cases" / "ipsum2020.ttl"])
    assert report.ok, [p.as_text() for p in report.problems]
    assert len(report.notes) == 1
    assert "quotes of src:ipsum2020 not checked" in report.notes[0] and "ipsum2020.txt" in report.notes[0]


def test_a_wrong_quote_is_reported_at_its_own_line(curator_kb: tuple[Path, Path]) -> None:
    root, _ = curator_kb
    case_file = root / "cases" / "ipsum2020.ttl"
    case_file.write_text(case_file.read_text().replace("She had longstanding", "She had long-standing"))
    report = validate(KnowledgeBase.locate(root), [case_file])
    [problem] = report.problems
    lines = case_file.read_text().splitlines()
    assert problem.check == "quote"
    assert problem.line is not None
    assert "long-standing" in lines[problem.line - 1]  # the quote's line, not the node's first line
    assert not lines[problem.line - 1].startswith("case:")


def test_validating_files_does_not_claim_the_ontology(runner: CliRunner, curator_kb: tuple[Path, Path]) -> None:
    root, _ = curator_kb
    some = runner.invoke(app, ["validate", "--kb", str(root), str(root / "cases" / "ipsum2020.ttl")])
    assert some.exit_code == 0, some.stderr
    assert "kb: validated 1 case file(s), 1 case(s): ok" in some.stderr
    assert "the ontology" not in some.stderr


def test_a_deprecated_term_still_works_and_its_replacement_is_named(
    runner: CliRunner, curator_kb: tuple[Path, Path]
) -> None:
    root, _ = curator_kb
    vocabulary = root / "ontology" / "literature-vocabulary.ttl"
    vocabulary.write_text(vocabulary.read_text() + """
cckb:SystemicLupusErythematosus owl:deprecated true ;
    obo:IAO_0100001 cckb:MixedConnectiveTissueDisease .
""")
    case_file = root / "cases" / "ipsum2020.ttl"
    report = validate(KnowledgeBase.locate(root), [case_file])
    assert report.ok, [p.as_text() for p in report.problems]
    [note] = report.notes
    assert note.startswith(f"{case_file}:")
    assert "cckb:SystemicLupusErythematosus is deprecated; use cckb:MixedConnectiveTissueDisease instead" in note
    inferred = runner.invoke(app, ["infer", "--kb", str(root), "--format", "json", str(case_file)])
    assert inferred.exit_code == 0, inferred.stderr


TERMS_IN_USE = DATA / "curation" / "terms-in-use.txt"


def test_every_term_a_case_file_has_used_is_still_defined(kb: KnowledgeBase) -> None:
    """Case files written against an earlier version keep working: a term once used is never removed
    or renamed (deprecate it instead). The list grows as terms come into use, never shrinks."""
    from calcinosis_kb.knowledgebase.cases import defined_terms
    from calcinosis_kb.knowledgebase.loading import load_ontology
    from calcinosis_kb.knowledgebase.namespaces import expand

    defined = {str(t) for t in defined_terms(load_ontology(kb))}
    used = [line.strip() for line in TERMS_IN_USE.read_text().splitlines() if line.strip()]
    assert len(used) > 100
    assert [t for t in used if expand(t) not in defined] == []


def test_the_whole_knowledge_base_validates_with_the_corpus(kb_copy: Path) -> None:
    """The 30 corpus reports are cases of the knowledge base, one file per document, and the whole
    KB passes every check of kb validate: terms, shapes, quotes found in their texts, units and
    consistency, with no text missing."""
    from calcinosis_kb.knowledgebase.loading import load_ontology
    from calcinosis_kb.knowledgebase.namespaces import CCKB

    kb = KnowledgeBase.locate(kb_copy)
    ontology = load_ontology(kb)
    corpus_sources = {s for s, f in ontology.subject_objects(CCKB.sourceFile) if str(f).startswith("DEV-")}
    assert len(corpus_sources) == 30
    cited = {str(s) for path in kb.case_files for s in Graph().parse(path).objects(None, CCKB.hasSource)}
    assert {str(s) for s in corpus_sources} <= cited
    report = validate(kb, kb.case_files)
    assert report.ok, [p.as_text() for p in report.problems]
    assert not report.notes, report.notes  # every text found, every quote checked
    assert report.cases_checked >= 42
