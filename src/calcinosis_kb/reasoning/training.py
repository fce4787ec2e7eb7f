"""The training run of the JVM's class cache (classcache), in a process of its own that
classcache.train_after_this_run starts: what a run of kb asks of the JVM, done once so that the
classes it loads go into the cache."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from calcinosis_kb.knowledgebase.errors import InconsistentError, KBError
from calcinosis_kb.reasoning import jvm
from calcinosis_kb.reasoning.classcache import STALE_SECONDS, ClassCache, class_cache, trainer
from calcinosis_kb.reasoning.classfiles import upgrade, wants_upgrade
from calcinosis_kb.reasoning.classify import without_annotations
from calcinosis_kb.reasoning.engineprocess import ProcessEngine
from calcinosis_kb.reasoning.engines import Engine, asserted_superclasses
from calcinosis_kb.reasoning.enginestart import StartedEngine, engine_cache, launch
from calcinosis_kb.reasoning.hermit import hermit_dir
from calcinosis_kb.reasoning.jvm import WarmHermit


def train(arguments: list[str]) -> None:
    """The trainer (run by train_after_this_run): classify a made-up case against the ontology in
    a JVM that writes the class cache when it exits; then check the cache and move it in place."""
    cache = class_cache(*jvm._jvm_setup(jvm._import_jpype()))
    if len(arguments) > 2 and cache is not None and str(cache.path) == arguments[0]:
        # the inner run, whose JVM writes the cache as it exits
        jvm._training_output = Path(arguments[2])
        _exercise(Graph().parse(arguments[1], format="turtle"))
        from calcinosis_kb.knowledgebase.loading import load_ontology
        from calcinosis_kb.knowledgebase.location import KnowledgeBase

        with contextlib.suppress(KBError):  # also the ontology as `kb validate` reads it
            _exercise(without_annotations(load_ontology(KnowledgeBase.locate())))
        jvm._import_jpype().JClass("java.lang.System").exit(0)
    wanted = _to_train(cache, arguments, lambda jpype: class_cache(*jvm._jvm_setup(jpype)))
    if wanted is not None:
        cache, staged = wanted
        cache.build(lambda output: _ran(trainer(str(cache.path), str(staged), str(output))), staged)


def train_engine(arguments: list[str]) -> None:
    """The trainer of the reasoner process's class cache (enginestart; started by
    train_after_this_run): the process asked what a run asks, on the staged ontology (functional
    syntax), with a JVM that writes the cache when it exits; then the cache checked and moved in
    place. HermiT's class files are upgraded first, as for the JVM in kb's process."""
    wanted = _to_train(engine_cache(), arguments, lambda _: engine_cache())
    if wanted is None:
        return
    cache, staged = wanted

    def train(output: Path) -> bool:
        started = StartedEngine(launch(staged, cache.jvm_options(output)), staged)
        try:
            _exercise_engine(ProcessEngine(started, {}),
                             re.findall(r"Declaration\(Class\(<([^>]*)>\)\)", staged.read_text("utf-8")))
        finally:
            code = started.stop(timeout=STALE_SECONDS - 60)  # the JVM writes the cache as it ends
        return code == 0

    cache.build(train, staged)


def _to_train(cache: ClassCache | None, arguments: list[str],
              upgraded_cache: Callable[[ModuleType], ClassCache | None]) -> tuple[ClassCache, Path] | None:
    """The cache a trainer started with `arguments` (the cache's path, its staged ontology) is to
    train, with its staged ontology: `cache` (these settings' now), or the cache of the class path
    with HermiT's upgraded jar once the upgrade is made (_upgraded). None, its files removed, when
    there is nothing to train: the settings (or the jar, upgraded) changed since it was started,
    the training was only for the upgrade, or it was handed over to a cache that needs none."""
    staged = Path(arguments[1])
    if cache is None or str(cache.path) != arguments[0]:
        ClassCache(Path(arguments[0])).abandon(staged)
        return None
    upgraded = _upgraded(cache, staged, upgraded_cache)
    if upgraded is not None:
        return upgraded
    if cache.path.exists() or not staged.exists():
        cache.abandon(staged)
        return None
    return cache, staged


def _ran(command: list[str]) -> bool:
    return subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          timeout=STALE_SECONDS - 60).returncode == 0


def _upgraded(cache: ClassCache, staged: Path,
              upgraded_cache: Callable[[ModuleType], ClassCache | None]) -> tuple[ClassCache, Path] | None:
    """When HermiT's class files have no upgrade yet (classfiles), make it, in a JVM of this process,
    and hand the training over to the class cache of the class path with the upgraded jar
    (`upgraded_cache`, given JPype once it has run): the cache and its staged ontology, with its
    lock taken. None to train `cache` as it is."""
    original = hermit_dir() / "HermiT.jar"
    if not wants_upgrade(original):
        return None
    os.nice(10)
    jpype = jvm._import_jpype()
    library, options, _ = jvm._jvm_setup(jpype)
    jpype.startJVM(library, *options, convertStrings=True)  # no class cache: this JVM only rewrites
    if upgrade(original, jpype) is None:
        return None
    upgraded = upgraded_cache(jpype)
    if upgraded is None:
        return None
    restaged = None if upgraded.path.exists() else upgraded.stage_input(staged.read_text(encoding="utf-8"),
                                                                         staged.suffix)
    cache.abandon(staged, handed_over=True)
    return (upgraded, restaged) if restaged is not None else None


def _exercise(ontology: Graph) -> None:
    """What a run asks of the JVM, so that the classes it loads are in the cache: the ontology read
    (as RDF, and as kept in functional syntax), checked, classified, and one made-up individual
    classified against its classes."""
    with tempfile.TemporaryDirectory() as folder:  # as a later run reads it, kept
        kept = Path(folder) / "ontology.ofn"
        WarmHermit(ontology, quick_start=True, keep=kept)
        engine = WarmHermit.kept(kept, asserted_superclasses(ontology)) or WarmHermit(ontology)
    _exercise_engine(engine, sorted(engine.superclasses,
                                    key=lambda c: (-sum(c in s for s in engine.superclasses.values()), c)))


def _exercise_engine(engine: Engine, classes: list[str]) -> None:
    """Questions of every kind a run asks, about one made-up individual with facts of the first
    `classes` and of a few of the ontology's properties."""
    engine.is_consistent()
    engine.unsatisfiable_classes()
    individual, other = URIRef("urn:kb-training:case"), URIRef("urn:kb-training:fact")
    facts = Graph()
    facts.add((individual, RDF.type, URIRef(classes[0])))
    for prop, value in [*((p, other) for p in sorted(engine.vocabulary.object_properties)[:3]),
                        *((p, Literal(1)) for p in sorted(engine.vocabulary.data_properties)[:3])]:
        facts.add((individual, URIRef(prop), value))
    with contextlib.suppress(InconsistentError):
        engine.classify_many([(individual, facts)], [URIRef(c) for c in classes[:40]],
                             [URIRef(c) for c in classes[:40]])
