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
from rdflib import Graph, Literal, URIRef, namespace

from calcinosis_kb.knowledgebase.location import KnowledgeBase, ontology_cache_path
from calcinosis_kb.reasoning import hermit
from calcinosis_kb.reasoning.classcache import AOT_CACHE_SINCE
from calcinosis_kb.reasoning.classify import Classifier, Inference
from calcinosis_kb.reasoning.engineprocess import EngineUnavailable, FallbackEngine, ProcessEngine, functional_syntax
from calcinosis_kb.reasoning.engines import DataFact
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


def test_literals_of_every_kind_are_written_so_the_owl_api_reads_them(kb: KnowledgeBase, kept: Path) -> None:
    """Each answer as the JVM in kb's process gives it, and none refused: a document the OWL API
    could not read would be an error answer (EngineUnavailable)."""
    engine, reference = ProcessEngine(started_on(kept), {}), Classifier(kb, quick_start=True).engine
    person, age = URIRef("urn:kb-test:person"), URIRef(f"{CCKB}ageInYears")  # a functional decimal
    texts = ('a "quoted" word', "back\\slash \\\" and \\n", "two\nlines\tand a tab\r", "é 𝔘 ∞", "")
    xsd = namespace.XSD
    values = [Literal("42", datatype=xsd.decimal), *(Literal(text, datatype=xsd.string) for text in texts)]
    answers = []
    for value in values:
        facts = Graph()
        facts.add((person, age, value))
        answers.append(engine.is_consistent([facts]))
        assert answers[-1] == reference.is_consistent([facts]), value
    assert answers == [True, False, False, False, False, False]  # a string is no decimal
    engine.close()


def test_an_iri_functional_syntax_cannot_write_is_left_to_the_jvm_in_kbs_process() -> None:
    for iri in ("http://x/a b", "http://x/a>b", 'http://x/"', "http://x/{a}", "http://x/\n"):
        with pytest.raises(EngineUnavailable):
            functional_syntax([DataFact(iri, "urn:kb-test:case", "1", str(namespace.XSD.integer))])


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
