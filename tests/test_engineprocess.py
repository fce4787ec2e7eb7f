"""The reasoner process (engine/Engine.java, engineprocess, enginestart): built from its source,
answering every question as the JVM in kb's process does, falling back to it for anything it
cannot take, started early by a small `kb infer`, with a class cache of its own."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from rdflib import Graph, URIRef, namespace
from rdflib.namespace import RDF

from calcinosis_kb.knowledgebase.location import KnowledgeBase, ontology_cache_path
from calcinosis_kb.reasoning import hermit
from calcinosis_kb.reasoning.classcache import AOT_CACHE_SINCE
from calcinosis_kb.reasoning.classify import Classifier, Inference
from calcinosis_kb.reasoning.engineprocess import EngineUnavailable, FallbackEngine, ProcessEngine, functional_syntax
from calcinosis_kb.reasoning.engines import ClassFact, DataFact, Fact, ObjectFact
from calcinosis_kb.reasoning.enginestart import (
    ENGINE_JAR,
    ENGINE_SOURCE,
    JAVAC_ENTRY,
    SOURCE_DIGEST_ENTRY,
    StartedEngine,
    engine_cache,
    launch,
    start_engine,
)
from calcinosis_kb.reasoning.jvm import WarmHermit

from .conftest import DATA, ROOT, run_kb_listing_modules

sys.path.insert(0, str(ROOT / "tools"))
from build_engine import compiled_classes

CASE = ROOT / "cases" / "carrascosa2011.ttl"
CCKB = "https://w3id.org/calcinosis-kb/ontology/"


def test_the_engine_jar_is_built_from_the_engine_source() -> None:
    with zipfile.ZipFile(ENGINE_JAR) as jar:
        recorded = jar.read(SOURCE_DIGEST_ENTRY).decode()
    assert recorded == hashlib.sha256(ENGINE_SOURCE.read_bytes()).hexdigest(), \
        "Engine.java changed since engine.jar was built: run tools/build_engine.py"


def test_the_jars_classes_are_what_javac_makes_of_the_source() -> None:
    with zipfile.ZipFile(ENGINE_JAR) as jar:
        javac = jar.read(JAVAC_ENTRY).decode()
        in_jar = {name: jar.read(name) for name in jar.namelist() if name.endswith(".class")}
    found = shutil.which("javac") and subprocess.run(["javac", "-version"], capture_output=True, text=True)
    if not found or (found.stdout + found.stderr).strip() != javac:
        pytest.skip(f"the jar was compiled by {javac}, which this machine lacks")
    assert compiled_classes(ENGINE_SOURCE) == in_jar


@pytest.fixture(scope="module")
def kept(kb: KnowledgeBase) -> Path:
    """The kept reading of the shipped ontology, which a first run of the in-process JVM makes."""
    path = ontology_cache_path(kb, "core.ofn")
    assert path is not None
    if not path.is_file():
        Classifier(kb).engine  # noqa: B018 (keeps it)
    return path


def started_on(kept: Path) -> StartedEngine:
    cache = engine_cache()
    return StartedEngine(launch(kept, cache.jvm_options() if cache is not None else ()), kept)


CASE_FILES = sorted([*(ROOT / "cases").glob("*.ttl"), *(DATA / "cases").glob("*.ttl"), *(DATA / "bad").glob("*.ttl")])


def every_file(classifier: Classifier) -> list[tuple[str, Inference]]:
    return [(path.name, classifier.classify_file(path)) for path in CASE_FILES]


def test_the_process_answers_every_case_and_fixture_as_the_jvm_in_kbs_process(kb: KnowledgeBase, kept: Path) -> None:
    """Classifications, the differential, explanations, and the broken rules of contradictory cases."""
    in_process = Classifier(kb, quick_start=True)
    through_process = Classifier(kb, quick_start=True, started=started_on(kept))
    expected, answered = every_file(in_process), every_file(through_process)
    engine = through_process.engine
    assert isinstance(engine, FallbackEngine) and engine.primary is not None, "it answered everything itself"
    assert any(errors for _, inference in expected for errors in inference.errors), "contradictions were asked"
    for (name, want), (_, got) in zip(expected, answered, strict=True):
        assert [r.as_dict() for r in got.results] == [r.as_dict() for r in want.results], name
        assert [e.message for e in got.errors] == [e.message for e in want.errors], name
        assert set(got.inferred) == set(want.inferred), name
    through_process.close()


LEXICAL_FORMS = ["42", 'a "quoted" word', "back\\slash \\\" \\n \\u0041 \\t", "two\nlines\tand a tab\r", "x\r\ny",
                 "é 𝔘 ∞", "", "x\u0000y", "x\u2028y\u0085z", "end\\", '"', "\\U0001D518", ")x", "#c"]
WRITABLE_IRIS = ["urn:kb-test:p", "case1", "#frag", "http://x/é", "http://x/a\u00a0b", "http://x/a(b)", "http://x/%20",
                 "http://x/'", "http://x/~!$&*+,;=", "a:b", "http://x/𝔘"]


def test_facts_in_functional_syntax_read_back_as_the_axioms_kbs_process_builds(kb: KnowledgeBase) -> None:
    """What the process is sent is what the JVM in kb's process would add, axiom for axiom (as the
    OWL API compares them): literals of every kind of character and datatype, IRIs of every kind
    functional syntax can write."""
    from calcinosis_kb.reasoning.jvm import FUNCTIONAL_SYNTAX_PARSER, _java_class

    engine = Classifier(kb, quick_start=True).engine
    assert isinstance(engine, WarmHermit)
    xsd, rdf = str(namespace.XSD), str(namespace.RDF)
    facts: list[list[Fact]] = [[DataFact(f"{CCKB}ageInYears", "urn:kb-test:person", lexical, datatype)]
                               for lexical in LEXICAL_FORMS
                               for datatype in (f"{xsd}string", f"{xsd}decimal", f"{rdf}PlainLiteral")]
    facts += [[ClassFact("urn:kb-test:C", iri), ObjectFact("urn:kb-test:p", iri, iri)] for iri in WRITABLE_IRIS]
    for each in facts:
        document = engine.manager.createOntology()
        try:
            _java_class(FUNCTIONAL_SYNTAX_PARSER)().parse(engine.java["source"](functional_syntax(each)), document)
            read = engine.java["hashset"]()
            read.addAll(document.getAxioms())
        finally:
            engine.manager.removeOntology(document)
        assert bool(read.equals(engine._axioms(each))), each


def test_an_ontology_axiom_a_case_restates_stays_in_the_ontology(kb: KnowledgeBase, kept: Path) -> None:
    """A case's facts are added for a question and removed after it; one the ontology held already
    (here an ontology individual's type) must stay, in both engines (it was removed, and a later
    question then found an ontology without it)."""
    mass_like, case = URIRef(f"{CCKB}MassLike"), URIRef("urn:kb-test:case")
    contradiction, restating = Graph(), Graph()
    contradiction.add((mass_like, RDF.type, URIRef(f"{CCKB}Patient")))  # MassLike is a Morphology
    restating.add((mass_like, RDF.type, URIRef(f"{CCKB}Morphology")))
    restating.add((case, RDF.type, URIRef(f"{CCKB}Patient")))
    for engine in (Classifier(kb, quick_start=True).engine, ProcessEngine(started_on(kept), {})):
        assert engine.is_consistent([contradiction]) is False
        engine.classify(restating, case, [])
        engine.is_consistent([restating])
        assert engine.is_consistent([contradiction]) is False, type(engine).__name__
        if isinstance(engine, ProcessEngine):
            engine.close()


def test_an_iri_functional_syntax_cannot_write_is_left_to_the_jvm_in_kbs_process() -> None:
    for iri in ("http://x/a b", "http://x/a>b", 'http://x/"', "http://x/{a}", "http://x/\n"):
        with pytest.raises(EngineUnavailable):
            functional_syntax([DataFact(iri, "urn:kb-test:case", "1", str(namespace.XSD.integer))])
        with pytest.raises(EngineUnavailable):
            functional_syntax([ClassFact("urn:kb-test:C", iri)])


def test_a_process_that_cannot_start_or_that_dies_is_replaced_by_the_jvm_in_kbs_process(
        kb: KnowledgeBase, kept: Path, tmp_path: Path) -> None:
    expected = [r.as_dict() for r in Classifier(kb, quick_start=True).classify_file(CASE).results]
    damaged = tmp_path / "core.ofn"
    damaged.write_text("Prefix(: not an ontology\n")
    for started in (StartedEngine(launch(damaged), kept), started_on(kept)):
        classifier = Classifier(kb, quick_start=True, started=started)
        if started.kept == kept:  # the second: killed as it answers its first question
            started.process.kill()
        assert [r.as_dict() for r in classifier.classify_file(CASE).results] == expected
        engine = classifier.engine
        assert isinstance(engine, FallbackEngine) and engine.primary is None


needs_java_25 = pytest.mark.skipif(hermit.java_major() < AOT_CACHE_SINCE, reason="the class cache needs Java 25")


def kb_run(*arguments: str, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "calcinosis_kb.cli", *arguments], capture_output=True, text=True,
                          timeout=600, cwd=ROOT, env={**os.environ, "CALCINOSIS_KB_CACHE": str(cache)})


def processes_naming(text: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text.encode() in cmdline.read_bytes():
                found.append(cmdline.parent.name)
        except OSError:
            pass
    return found


@needs_java_25
def test_a_small_infer_uses_the_process_then_its_class_cache_and_leaves_no_process(tmp_path: Path) -> None:
    cache_root = tmp_path / "cache"
    first = kb_run("infer", str(CASE), cache=cache_root)  # in kb's process: keeps the ontology's reading
    assert first.returncode == 0 and first.stderr == "", first.stderr
    (kept,) = (cache_root / "ontology").glob("*.core.ofn")
    for _ in range(2):  # the process, without a class cache; the second such run trains one after it
        again = kb_run("infer", str(CASE), cache=cache_root)
        assert (again.returncode, again.stdout, again.stderr) == (0, first.stdout, "")
    folder, deadline = cache_root / "jvm", time.time() + 300
    while list(folder.glob("*.lock")) or not list(folder.glob("*.aot")):
        assert time.time() < deadline and not list(folder.glob("*.failed")), sorted(folder.iterdir())
        time.sleep(0.5)
    stdout, loaded = run_kb_listing_modules(["infer", str(CASE)], ["jpype", "rdflib"],
                                            CALCINOSIS_KB_CACHE=str(cache_root))
    assert stdout == first.stdout and loaded == {"jpype": False, "rdflib": True}, "HermiT ran in the process"
    time.sleep(1)
    assert processes_naming(str(kept)) == [], "the process ended with kb"


def test_a_large_or_first_job_starts_no_process(kb: KnowledgeBase, kept: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    large = tmp_path / "large.ttl"
    large.write_bytes(b"#" * 600_000)
    assert start_engine(kb, [large]) is None
    assert start_engine(kb, [CASE, CASE], jobs=2) is None  # workers, each with its own JVM
    monkeypatch.setenv("CALCINOSIS_KB_CACHE", str(tmp_path / "empty-cache"))
    assert start_engine(kb, [CASE]) is None  # nothing kept yet: the first run keeps it
