"""The training run of the JVM's class cache (classcache), in a process of its own that
classcache.train_after_this_run starts: what a run of kb asks of the JVM, done once so that the
classes it loads go into the cache."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from calcinosis_kb.knowledgebase.errors import InconsistentError, KBError
from calcinosis_kb.reasoning import jvm
from calcinosis_kb.reasoning.classcache import class_cache, trainer
from calcinosis_kb.reasoning.classify import without_annotations
from calcinosis_kb.reasoning.jvm import WarmHermit, asserted_superclasses


def train(arguments: list[str]) -> None:
    """The trainer (run by train_after_this_run): classify a made-up case against the ontology in
    a JVM that writes the class cache when it exits; then check the cache and move it in place."""
    cache, staged = class_cache(*jvm._jvm_setup(jvm._import_jpype())), Path(arguments[1])
    if cache is None or str(cache.path) != arguments[0]:  # the settings changed since
        return
    if len(arguments) > 2:  # the inner run, whose JVM writes the cache as it exits
        jvm._training_output = Path(arguments[2])
        _exercise(Graph().parse(staged, format="turtle"))
        from calcinosis_kb.knowledgebase.loading import load_ontology
        from calcinosis_kb.knowledgebase.location import KnowledgeBase

        with contextlib.suppress(KBError):  # also the ontology as `kb validate` reads it
            _exercise(without_annotations(load_ontology(KnowledgeBase.locate())))
        jvm._import_jpype().JClass("java.lang.System").exit(0)
    cache.build(lambda output: trainer(str(cache.path), str(staged), str(output)), staged)


def _exercise(ontology: Graph) -> None:
    """What a run asks of the JVM, so that the classes it loads are in the cache: the ontology read
    (as RDF, and as kept in functional syntax), checked, classified, and one made-up individual
    classified against its classes."""
    with tempfile.TemporaryDirectory() as folder:  # as a later run reads it, kept
        kept = Path(folder) / "ontology.ofn"
        WarmHermit(ontology, quick_start=True, keep=kept)
        engine = WarmHermit.kept(kept, asserted_superclasses(ontology)) or WarmHermit(ontology)
    engine.is_consistent()
    engine.unsatisfiable_classes()
    classes = sorted(engine.superclasses, key=lambda c: (-sum(c in s for s in engine.superclasses.values()), c))
    individual, other = URIRef("urn:kb-training:case"), URIRef("urn:kb-training:fact")
    facts = Graph()
    facts.add((individual, RDF.type, URIRef(classes[0])))
    for prop, value in [*((p, other) for p in sorted(engine.vocabulary.object_properties)[:3]),
                        *((p, Literal(1)) for p in sorted(engine.vocabulary.data_properties)[:3])]:
        facts.add((individual, URIRef(prop), value))
    with contextlib.suppress(InconsistentError):
        engine.classify_many([(individual, facts)], [URIRef(c) for c in classes[:40]],
                             [URIRef(c) for c in classes[:40]])
