"""The shortcuts of a cold start: CURIEs of the KB's own namespaces without the standard prefix
map, JPype without numpy, and the JVM's class cache (AOT cache), trained in the background and
then used. None may change a result or put a word on stderr."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rdflib import URIRef

from calcinosis_kb.knowledgebase.loading import load_ontology, parse_turtle
from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.knowledgebase.namespaces import Style, converter, expand, own_prefixes, shorten
from calcinosis_kb.reasoning import classcache, hermit
from calcinosis_kb.reasoning.classcache import AOT_CACHE_SINCE, ClassCache, class_cache
from calcinosis_kb.reasoning.enginestart import engine_cache
from calcinosis_kb.reasoning.jvm import _import_jpype, _jvm_setup

from .conftest import DATA, ROOT, run_kb_listing_modules

STYLES: tuple[Style, ...] = ("kb", "obo")
CASE = ROOT / "cases" / "carrascosa2011.ttl"

# --- CURIEs ------------------------------------------------------------------------------------


def converter_shorten(iri: str, style: Style) -> str | None:
    """What `shorten` gave before its shortcut: the full converter's answer."""
    compressed = converter(style).compress(iri)
    if compressed is None:
        return None
    return compressed[:-1] if compressed.endswith("/") else compressed


@pytest.mark.parametrize("style", STYLES)
def test_no_standard_uri_prefix_extends_an_own_namespace(style: Style) -> None:
    """So an IRI in an own namespace has no longer match in the standard map: the longest match
    the converter takes is the own namespace, as the shortcut takes it."""
    own = set(own_prefixes(style).values())
    extending = {(uri_prefix, namespace) for record in converter(style).records
                 for uri_prefix in (record.uri_prefix, *record.uri_prefix_synonyms) for namespace in own
                 if uri_prefix != namespace and uri_prefix.startswith(namespace)}
    assert not extending


@pytest.mark.parametrize("style", STYLES)
def test_the_own_prefixes_are_the_converters_first_choice(style: Style) -> None:
    for prefix, namespace in own_prefixes(style).items():
        assert converter(style).compress(f"{namespace}Thing") == f"{prefix}:Thing"
        assert converter(style).expand(f"{prefix}:Thing") == f"{namespace}Thing"
        assert converter(style).expand(f"{prefix}:a:b") == f"{namespace}a:b"


def sample_iris(kb: KnowledgeBase) -> set[str]:
    graphs = [load_ontology(kb), *(parse_turtle(p) for p in [*kb.case_files, *sorted((DATA / "cases").glob("*.ttl"))])]
    found = {str(term) for graph in graphs for triple in graph for term in triple if isinstance(term, URIRef)}
    edges = {namespace + tail for namespace in own_prefixes("kb").values() for tail in ("", "a/b/", "x#y", "é")}
    return found | edges | {"http://example.org/x", "https://loinc.org/2777-1/", "http://purl.obolibrary.org/obo/XYZ_1",
                            "http://purl.obolibrary.org/obo/NCIT_C3", "http://snomed.info/id/1"}


@pytest.mark.parametrize("style", STYLES)
def test_shorten_and_expand_give_the_converters_answers(style: Style, kb: KnowledgeBase) -> None:
    iris = sample_iris(kb)
    assert len(iris) > 500
    assert {iri: shorten(iri, style) for iri in iris} == {iri: converter_shorten(iri, style) for iri in iris}
    curies = {c for iri in iris if (c := shorten(iri, style))} | {f"{p}:Thing" for p in own_prefixes(style)}
    assert {c: expand(c, style) for c in curies} == {c: converter(style).expand(c) for c in curies}


def test_a_cold_infer_loads_neither_the_prefix_map_nor_numpy_nor_owlready2() -> None:
    _, loaded = run_kb_listing_modules(["infer", str(CASE)], ["curies", "prefixmaps", "numpy", "owlready2"])
    assert loaded == {"curies": False, "prefixmaps": False, "numpy": False, "owlready2": False}


# --- JPype without numpy -----------------------------------------------------------------------


def run_python(script: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env})


def test_jpype_loads_without_numpy_and_numpy_can_still_be_imported_after() -> None:
    done = run_python("import sys\nfrom calcinosis_kb.reasoning.jvm import _import_jpype, _java\n_import_jpype()\n"
                      "assert 'numpy' not in sys.modules\nimport numpy\nassert numpy.arange(3).sum() == 3\n"
                      "_java(quick_start=True)\nimport pandas\nprint(pandas.DataFrame({'a': [1]}).shape)\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(1, 1)" and not done.stderr


def test_numpy_imported_before_jpype_is_left_alone() -> None:
    done = run_python("import sys, numpy\nfrom calcinosis_kb.reasoning.jvm import _import_jpype\n_import_jpype()\n"
                      "assert sys.modules['numpy'] is numpy\n")
    assert done.returncode == 0, done.stderr


# --- the class cache ---------------------------------------------------------------------------

needs_java_25 = pytest.mark.skipif(hermit.java_major() < AOT_CACHE_SINCE, reason="the class cache needs Java 25")


@needs_java_25
def test_the_class_cache_is_named_by_java_jars_and_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALCINOSIS_KB_CACHE", str(tmp_path / "cache"))
    library, options, classpath = _jvm_setup(_import_jpype())
    cache = class_cache(library, options, classpath)
    assert cache is not None and cache.path.parent == tmp_path / "cache" / "jvm"
    assert class_cache(library, options, classpath) == cache
    assert class_cache(library, [*options, "-Xmx1g"], classpath) != cache
    jar = tmp_path / "HermiT.jar"
    jar.write_bytes(Path(classpath[0]).read_bytes())
    assert class_cache(library, options, [str(jar), classpath[1]]) != cache
    monkeypatch.setenv("JAVA_TOOL_OPTIONS", "-Xshare:off")  # the JVM would refuse to start beside a cache
    assert class_cache(library, options, classpath) is None
    monkeypatch.delenv("JAVA_TOOL_OPTIONS")
    monkeypatch.setenv("CALCINOSIS_KB_CACHE", str(tmp_path / "cachë"))
    assert class_cache(library, options, classpath) is None
    monkeypatch.setattr(classcache, "java_major", lambda: 21)
    monkeypatch.setenv("CALCINOSIS_KB_CACHE", str(tmp_path / "cache"))
    assert class_cache(library, options, classpath) is None


def test_the_second_run_without_a_cache_trains_one_and_one_trainer_at_a_time(tmp_path: Path) -> None:
    cache = ClassCache(tmp_path / "jvm" / "k.aot")
    assert cache.wants_training() is False, "a cache folder used once is not worth a training"
    assert cache.wants_training() is True
    staged = cache.stage_input("<a> <b> <c> .\n")
    assert staged is not None and staged.read_text() == "<a> <b> <c> .\n"
    assert cache.wants_training() is False and cache.stage_input("") is None, "one trainer at a time"
    cache.abandon(staged)
    assert not staged.exists() and cache.wants_training() is True
    lock = cache.path.with_suffix(".lock")
    lock.touch()
    os.utime(lock, (time.time() - 3600, time.time() - 3600))
    assert cache.wants_training() is True, "a trainer that died long ago does not block the next"
    failed = cache.path.with_suffix(".failed")
    failed.touch()
    assert cache.wants_training() is False, "a failed training is not retried at once"
    failed.unlink()
    cache.path.write_bytes(b"")
    assert cache.wants_training() is False
    # A made cache is trained again only to upgrade the jar it was made with (classfiles).
    assert cache.wants_upgrade("HermiT.jar", lambda jar: jar.name == "HermiT.jar") is True
    assert cache.wants_upgrade("HermiT.jar", lambda jar: False) is False
    lock.touch()
    assert cache.wants_upgrade("HermiT.jar", lambda jar: True) is False, "one trainer at a time"
    lock.unlink()
    cache.path.unlink()
    assert cache.wants_upgrade("HermiT.jar", lambda jar: True) is False, "none made: wants_training decides"


def test_a_trainer_for_settings_that_changed_since_leaves_nothing_behind(tmp_path: Path) -> None:
    """E.g. a run of a process that started before HermiT's class files were upgraded."""
    from calcinosis_kb.reasoning.training import train

    stale = ClassCache(tmp_path / "jvm" / "stale.aot")
    stale.path.parent.mkdir()
    staged = stale.stage_input("<a> <b> <c> .\n")
    assert staged is not None
    train([str(stale.path), str(staged)])
    assert sorted(stale.path.parent.iterdir()) == [], "no staged ontology, no lock"


def kb_run(*arguments: str, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "calcinosis_kb.cli", *arguments], capture_output=True, text=True,
                          timeout=600, cwd=ROOT, env={**os.environ, "CALCINOSIS_KB_CACHE": str(cache)})


def jvm_arguments(cache: Path) -> str:
    done = run_python("from calcinosis_kb.reasoning.jvm import _java\nimport jpype\n_java(quick_start=True)\n"
                      "print(jpype.JClass('java.lang.management.ManagementFactory').getRuntimeMXBean()"
                      ".getInputArguments())", CALCINOSIS_KB_CACHE=str(cache))
    assert done.returncode == 0 and not done.stderr, done.stderr
    return done.stdout


def loaded_classes(cache: Path, folder: Path) -> tuple[str, str]:
    """A run's class path, and the JVM's log of the classes it loads with where each came from."""
    log = folder / "classes.log"
    done = run_python("from calcinosis_kb.reasoning.jvm import _java, _java_class\n_java(quick_start=True)\n"
                      "_java_class('org.semanticweb.HermiT.Reasoner')\n"
                      "print(_java_class('java.lang.System').getProperty('java.class.path'))\n",
                      CALCINOSIS_KB_CACHE=str(cache), JAVA_TOOL_OPTIONS=f"-Xlog:class+load=info:file={log}")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip(), log.read_text()


@needs_java_25
def test_the_class_cache_is_trained_in_the_background_then_used_and_changes_nothing(tmp_path: Path) -> None:
    cache_root = tmp_path / "cache"
    first = kb_run("infer", str(CASE), cache=cache_root)
    assert first.returncode == 0 and first.stderr == "", first.stderr
    folder = cache_root / "jvm"
    assert [p.suffix for p in folder.iterdir()] == [".seen"]
    validated = kb_run("validate", str(CASE), cache=cache_root)  # the second run: trains after it
    assert validated.returncode == 0 and validated.stderr.startswith("kb: validated"), validated.stderr
    deadline = time.time() + 300
    while not list(folder.glob("*.aot")) or list(folder.glob("*.lock")):
        assert time.time() < deadline and not list(folder.glob("*.failed")), sorted(folder.iterdir())
        time.sleep(0.5)
    assert sorted(p.suffix for p in folder.iterdir()) == [".aot", ".jar"], "the trainer's files are gone"
    (trained,) = folder.glob("*.aot")
    assert f"-XX:AOTCache={trained}" in jvm_arguments(cache_root)
    (upgraded,) = folder.glob("HermiT-*.jar")  # HermiT's class files, upgraded (classfiles): from the cache
    class_path, loaded = loaded_classes(cache_root, tmp_path)
    assert class_path.split(os.pathsep)[0] == str(upgraded)
    assert "org.semanticweb.HermiT.Reasoner source: shared objects file" in loaded
    for number, command in enumerate((["infer", str(CASE)], ["infer", str(CASE), "--format", "json"],
                                      ["validate", str(CASE)], ["infer", "--format", "json"])):
        without = kb_run(*command, cache=tmp_path / f"none-{number}")  # a first run: no cache, no training
        with_cache = kb_run(*command, cache=cache_root)
        assert (with_cache.returncode, with_cache.stdout, with_cache.stderr) == \
            (without.returncode, without.stdout, without.stderr)
    # A damaged cache (cut short, or not one at all) only loses the speed-up, silently.
    for damage in (trained.read_bytes()[:100_000], b"not an AOT cache\n"):
        trained.write_bytes(damage)
        again = kb_run("infer", str(CASE), cache=cache_root)
        assert (again.returncode, again.stdout, again.stderr) == (0, first.stdout, "")


@needs_java_25
def test_a_cache_made_before_hermits_upgrade_is_upgraded_by_a_later_run(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A class cache made with owlready2's jar (before kb upgraded HermiT's class files, or while
    it could not) sets a run training: the jar is upgraded and the cache of its class path made."""
    cache_root = tmp_path / "cache"
    monkeypatch.setenv("CALCINOSIS_KB_CACHE", str(cache_root))
    before = class_cache(*_jvm_setup(_import_jpype()))
    assert before is not None
    before.path.parent.mkdir(parents=True)
    before.path.write_bytes(b"an old cache, refused quietly\n")
    first = kb_run("infer", str(CASE), cache=cache_root)
    assert first.returncode == 0 and first.stderr == "", first.stderr
    folder, deadline = cache_root / "jvm", time.time() + 300
    while len(list(folder.glob("*.aot"))) < 2 or list(folder.glob("*.lock")):
        assert time.time() < deadline and not list(folder.glob("*.failed")), sorted(folder.iterdir())
        time.sleep(0.5)
    (upgraded,) = folder.glob("HermiT-*.jar")
    after = class_cache(*_jvm_setup(_import_jpype()))
    assert after is not None and after.path.is_file() and after.classpath[0] == str(upgraded)
    again = kb_run("infer", str(CASE), cache=cache_root)
    assert (again.returncode, again.stdout, again.stderr) == (0, first.stdout, "")
    process = engine_cache()  # the later run's reasoner process found no class cache of its own: marked
    assert process is not None
    assert sorted(p.name for p in folder.iterdir()) == sorted([before.path.name, after.path.name, upgraded.name,
                                                               process.path.with_suffix(".seen").name])


def test_an_unusable_cache_folder_only_loses_the_speed_up(tmp_path: Path) -> None:
    cache_root = tmp_path / "cache"
    cache_root.mkdir()
    (cache_root / "jvm").write_text("a file where the folder should be\n")
    runs = [kb_run("infer", str(CASE), cache=cache_root) for _ in range(2)]
    assert all(r.returncode == 0 and r.stderr == "" for r in runs), runs[-1].stderr
    assert runs[0].stdout == runs[1].stdout
