"""HermiT in one long-lived JVM (through JPype), classifying one case at a time.

Cases are independent, so each is classified against the ontology alone: the ontology's
logical core is loaded once, each case's assertions are added, a HermiT reasoner answers,
and the assertions are removed again. This avoids a JVM start per call and the roughly
quadratic growth of classifying every case in one ABox. It uses the HermiT jar (with the
OWL API) that owlready2 ships, so both paths run the same reasoner."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from rdflib import Graph

from calcinosis_kb.knowledgebase.errors import EnvironmentProblem
from calcinosis_kb.knowledgebase.location import keep_in_cache
from calcinosis_kb.reasoning.classcache import class_cache, train_after_this_run
from calcinosis_kb.reasoning.classfiles import hermit_jar, wants_upgrade
from calcinosis_kb.reasoning.engines import (
    CONSTRAINTS,
    BrokenAxiom,
    ClassFact,
    Engine,
    Entailments,
    Fact,
    ObjectFact,
    Vocabulary,
    asserted_superclasses,
    inconsistent,
)
from calcinosis_kb.reasoning.hermit import INSTALL_JAVA, check_java, crash_log_option, hermit_dir, java_major

_lock = threading.Lock()
_started: dict[str, Any] = {}


def _jvm_library(java: str) -> str:
    """libjvm of the `java` check_java chose, so the JVM in this process is the one it approved."""
    home = Path(java).resolve().parents[1]
    for candidate in (home / "lib" / "server" / "libjvm.so", home / "jre" / "lib" / "amd64" / "server" / "libjvm.so",
                      home / "lib" / "server" / "libjvm.dylib"):
        if candidate.is_file():
            return str(candidate)
    raise EnvironmentProblem(f"no libjvm found under {home}: {INSTALL_JAVA} (a full JRE, not only the java launcher)")


JVM_OPTIONS = ("-Xmx4g", "-XX:+UseSerialGC", "-Xrs")
"""The serial collector: G1's concurrent threads compete with the other worker process for the
two cores (6,000 synthetic cases in two workers: 25.4 s with G1, 13.2 s with the serial
collector, same run) and it also starts faster. -Xrs: only kb's Python answers Ctrl-C. Otherwise
the JVM handles SIGINT itself, in threads that unblock it: a Ctrl-C as the JVM started was lost
(the run went on to the end, exit 0), ended the process through Java's Runtime.exit(130) without
kb's message, or crashed the JVM (10 of 27 timed interrupts; with -Xrs, 0)."""

NATIVE_ACCESS = ("--enable-native-access=ALL-UNNAMED",)
NATIVE_ACCESS_SINCE = 22
"""JPype loads its native library through System.load, which Java 24+ warns about on stderr (four
lines on every run) unless native access is granted; Javas before 22 do not know the option."""

QUICK_START = ("-XX:TieredStopAtLevel=1",)
"""For small jobs: a C1-only JIT starts faster (a cold one-case `kb infer` 1.05 s -> 0.8 s
here) but makes long batches slower, so batches skip it."""


def _import_jpype() -> ModuleType:
    """JPype's native module imports numpy, when installed, only to convert numpy scalars, which
    kb never passes to Java; numpy costs a tenth of a second to import. Unless something imported
    it already, numpy is refused while JPype loads (a None in sys.modules makes its import fail, as
    Python's import system documents, and JPype then goes without) and allowed again after."""
    refuse_numpy = "numpy" not in sys.modules and "jpype" not in sys.modules
    if refuse_numpy:
        sys.modules["numpy"] = None  # type: ignore[assignment]
    # JPype's native module clears any error raised while it tries numpy, a KeyboardInterrupt too:
    # a Ctrl-C is held back over the import, then raised after it.
    first = "jpype" not in sys.modules and threading.current_thread() is threading.main_thread()
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if first else None
    try:
        import jpype
    finally:
        if refuse_numpy and "numpy" in sys.modules and sys.modules["numpy"] is None:
            del sys.modules["numpy"]
        if blocked is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    module: ModuleType = jpype
    return module


def _jvm_setup(jpype: ModuleType) -> tuple[str, list[str], list[str]]:
    """The JVM library, the options every run starts it with, and its class path (JPype adds its
    own jar at the end): what a class cache is made for."""
    options = [*JVM_OPTIONS, *(NATIVE_ACCESS if java_major() >= NATIVE_ACCESS_SINCE else ())]
    jars = [hermit_jar(hermit_dir() / "HermiT.jar"), Path(str(jpype.__file__)).resolve().parents[1] / "org.jpype.jar"]
    return _jvm_library(check_java()), options, [str(jar) for jar in jars]


def _java(quick_start: bool = False) -> dict[str, Any]:
    """Start the JVM once per process (its options are fixed then) and import the classes used."""
    check_java()  # cached; also guards a JVM started earlier in this process
    with _lock:
        if _started:
            return _started
        jpype = _import_jpype()

        if not jpype.isJVMStarted():
            library, options, classpath = _jvm_setup(jpype)
            cache = class_cache(library, options, classpath)
            options += [*(QUICK_START if quick_start else ()), *(cache.jvm_options(_training_output) if cache else ()),
                        crash_log_option()]
            # A Ctrl-C while the JVM starts is held back until it has started, then Python's
            # KeyboardInterrupt handles it; the JVM's threads inherit the blocked signal (-Xrs).
            blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            try:
                jpype.startJVM(library, *options, classpath=classpath[:1], convertStrings=True, interrupt=False)
            except OSError as error:
                raise EnvironmentProblem(f"could not start the JVM ({error}): {INSTALL_JAVA}") from None
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            if cache is not None and _training_output is None and (
                    cache.wants_training() or cache.wants_upgrade(classpath[0], wants_upgrade)):
                _started["untrained"] = cache
            _started["warming"] = _warm_up(jpype)
        _started.update(
            manager=jpype.JClass("org.semanticweb.owlapi.apibinding.OWLManager"),
            source=jpype.JClass("org.semanticweb.owlapi.io.StringDocumentSource"),
            iri=jpype.JClass("org.semanticweb.owlapi.model.IRI"),
            reasoner=jpype.JClass("org.semanticweb.HermiT.Reasoner"),
            configuration=jpype.JClass("org.semanticweb.HermiT.Configuration"),
            inference=jpype.JClass("org.semanticweb.owlapi.reasoner.InferenceType"),
            hashset=jpype.JClass("java.util.HashSet"),
        )
        return _started


WARM_UP = "org.semanticweb.HermiT.datatypes.DatatypeRegistry"
"""Initialised in a thread of its own while the ontology is read: its datatype handlers build
automata for the XML Schema types, a tenth of a second of the first reasoner's set-up. HermiT's
datatypes use nothing of the OWL API, which the other thread is busy with, and the first reasoner
waits for the thread (`WarmHermit._reasoner`), so the two never initialise the same classes."""


def _warm_up(jpype: ModuleType) -> threading.Thread:
    # Wrappers made here: JPype making one in that thread as this one made another crashed the JVM
    # (SIGSEGV in TypeFactoryNative.newWrapper, 1 class-cache test in 20). Called from JNI, forName
    # uses the system class loader.
    for_name, detach = jpype.JClass("java.lang.Class").forName, jpype.JClass("java.lang.Thread").detach

    def initialise() -> None:  # JPype lets Python's lock go while Java runs
        with contextlib.suppress(Exception):  # the first reasoner then meets the error itself
            for_name(WARM_UP)
        # Left attached (as releasing a Java object would attach it again), the thread would hold
        # up the JVM's shutdown as Python exits by 0.3 s; it holds no Java object.
        detach()

    thread = threading.Thread(target=initialise, name="kb-jvm-warm-up", daemon=True)
    thread.start()
    return thread


FUNCTIONAL_SYNTAX = "org.semanticweb.owlapi.io.OWLFunctionalSyntaxOntologyFormat"
FUNCTIONAL_SYNTAX_PARSER = "org.coode.owlapi.functionalparser.OWLFunctionalSyntaxOWLParser"
FUNCTIONAL_SYNTAX_START = "Prefix("
"""How the OWL API's functional-syntax rendering of an ontology begins."""
TURTLE = "org.coode.owlapi.turtle.TurtleOntologyFormat"


def _java_class(name: str) -> Any:
    """A class only some runs use, looked up then (JPype keeps it; each lookup at start costs)."""
    return _import_jpype().JClass(name)


_training_output: Path | None = None
"""Set only in the process that trains the class cache (classcache.train): where its JVM writes
the cache at exit."""


def _excludes(axiom: Any) -> bool:
    """A subclass axiom whose superclass is nothing or the complement of something."""
    superclass = axiom.getSuperClass()
    return bool(superclass.isOWLNothing()) or str(superclass.getClassExpressionType().getName()) == "ObjectComplementOf"


class WarmHermit(Engine):
    """The ontology loaded once into the JVM of kb's process; `classify` answers for one case's facts."""

    def __init__(self, core: Graph, quick_start: bool = False, *, keep: Path | None = None) -> None:
        """`core` read through the OWL API; `keep`: where to keep the OWL API's own reading of it (in
        functional syntax) for `WarmHermit.kept` in later runs."""
        self._load(core.serialize(format="nt"), quick_start, asserted_superclasses(core))
        if keep is not None:
            keep_in_cache(keep, self._rendered(FUNCTIONAL_SYNTAX).encode())

    @classmethod
    def kept(cls, path: Path | None, superclasses: dict[str, frozenset[str]],
             quick_start: bool = False) -> WarmHermit | None:
        """The engine for an ontology an earlier run kept (`keep`) in functional syntax, which the
        OWL API reads in half the time of the RDF it came from, without that RDF being made again;
        None if there is no such file or it cannot be read. `superclasses`: asserted_superclasses
        of the ontology the file was made from."""
        try:
            document = path.read_text(encoding="utf-8") if path is not None else ""
        except (OSError, UnicodeDecodeError):
            return None
        if not document.startswith(FUNCTIONAL_SYNTAX_START):  # an empty or foreign file: made again
            return None
        engine = cls.__new__(cls)
        try:
            engine._load(document, quick_start, superclasses, functional=True)
        except Exception:  # JPype raises the parser's Java exceptions, which share no Python base
            return None
        return engine

    def _load(self, document: str, quick_start: bool, superclasses: dict[str, frozenset[str]],
              functional: bool = False) -> None:
        self.java = _java(quick_start)
        self.manager = self.java["manager"].createOWLOntologyManager()
        self.factory = self.manager.getOWLDataFactory()
        source = self.java["source"](document)
        if functional:  # its parser directly: the manager would try its parsers for RDF first
            self.ontology = self.manager.createOntology()
            _java_class(FUNCTIONAL_SYNTAX_PARSER)().parse(source, self.ontology)
        else:
            self.ontology = self.manager.loadOntologyFromOntologyDocument(source)
        untrained = self.java.pop("untrained", None)
        if untrained is not None:  # the trainer reads Turtle; N-Triples is Turtle too
            train_after_this_run(untrained, self._rendered(TURTLE) if functional else document)
        self.vocabulary = Vocabulary(
            {str(p.getIRI()) for p in self.ontology.getObjectPropertiesInSignature()},
            {str(p.getIRI()) for p in self.ontology.getDataPropertiesInSignature()},
        )
        self._iris: dict[str, Any] = {}
        self._individuals = {str(i.getIRI()) for i in self.ontology.getIndividualsInSignature()}
        # getTypes(individual, direct=False) returns every inferred type, so the asserted
        # hierarchy is enough for ordering and explanations; classifying the TBox up front
        # would cost more than half a second at every start.
        self.superclasses = superclasses

    def _rendered(self, syntax: str) -> str:
        target = _java_class("org.semanticweb.owlapi.io.StringDocumentTarget")()
        self.manager.saveOntology(self.ontology, _java_class(syntax)(), target)
        return str(target.toString())

    def _reasoner(self) -> Any:
        warming: threading.Thread | None = self.java.get("warming")
        if warming is not None:
            warming.join()
        return self.java["reasoner"](self.java["configuration"](), self.ontology)

    def _individual(self, value: str) -> Any:
        """A case's individual. Its IRI is not kept, as the ontology's are: the cases of a large
        file come and go, and keeping theirs would grow with the file."""
        return self.factory.getOWLNamedIndividual(self.java["iri"].create(value))

    def _iri(self, value: str) -> Any:
        iri = self._iris.get(value)
        if iri is None:
            iri = self._iris[value] = self.java["iri"].create(value)
        return iri

    def _axioms(self, facts: Iterable[Fact]) -> Any:
        """The facts as OWL API axioms, to add for a question and remove after it: those the ontology
        holds already (a case may restate an ontology individual's type) left out, as removing them
        would take them out of the ontology for every later question."""
        f, axioms = self.factory, self.java["hashset"]()
        for fact in facts:
            individual = self._individual(fact.individual)
            if isinstance(fact, ClassFact):
                axiom = f.getOWLClassAssertionAxiom(f.getOWLClass(self._iri(fact.cls)), individual)
            elif isinstance(fact, ObjectFact):
                axiom = f.getOWLObjectPropertyAssertionAxiom(f.getOWLObjectProperty(self._iri(fact.prop)), individual,
                                                             self._individual(fact.target))
            else:
                literal = f.getOWLLiteral(fact.lexical, f.getOWLDatatype(self._iri(fact.datatype)))
                axiom = f.getOWLDataPropertyAssertionAxiom(f.getOWLDataProperty(self._iri(fact.prop)), individual,
                                                           literal)
            # Only an assertion about one of the ontology's own individuals can be one it holds.
            if fact.individual not in self._individuals or not self.ontology.containsAxiom(axiom):
                axioms.add(axiom)
        return axioms

    @contextlib.contextmanager
    def _with(self, facts: Iterable[Fact]) -> Iterator[None]:
        """The ontology with these facts added for a question, then without them again."""
        axioms = self._axioms(facts)
        self.manager.addAxioms(self.ontology, axioms)
        try:
            yield
        finally:
            self.manager.removeAxioms(self.ontology, axioms)

    @contextlib.contextmanager
    def _reasoning(self) -> Iterator[Any]:
        reasoner = self._reasoner()
        try:
            yield reasoner
        finally:
            reasoner.dispose()

    def is_consistent(self, facts: Iterable[Graph] = ()) -> bool:
        with self._with(self.facts(triple for graph in facts for triple in graph)), self._reasoning() as reasoner:
            return bool(reasoner.isConsistent())

    def close(self) -> None:
        """Nothing to let go: the JVM stays for the process's life (JPype cannot start another)."""

    def unsatisfiable_classes(self) -> list[str]:
        with self._reasoning() as reasoner:
            return [str(c.getIRI().toString()) for c in reasoner.getUnsatisfiableClasses().getEntitiesMinusBottom()]

    def broken_axioms(self, facts: Graph) -> list[BrokenAxiom]:
        broken: list[BrokenAxiom] = []
        with self._with(self.facts(facts)):
            for axiom in self.ontology.getLogicalAxioms():
                kind = str(axiom.getAxiomType().getName())
                if kind not in CONSTRAINTS or (kind == "SubClassOf" and not _excludes(axiom)):
                    continue
                self.manager.removeAxiom(self.ontology, axiom)
                try:
                    with self._reasoning() as reasoner:
                        consistent = bool(reasoner.isConsistent())
                finally:
                    self.manager.addAxiom(self.ontology, axiom)
                if consistent:
                    signature = frozenset(str(e.getIRI().toString()) for e in axiom.getSignature())
                    broken.append(BrokenAxiom(kind, signature, str(axiom.toString())))
        return sorted(broken, key=lambda b: b.text)

    def entailments(self, facts: list[Fact], individuals: list[str], candidates: list[str],
                    excludable: list[str]) -> list[Entailments]:
        f = self.factory
        targets = [(iri, f.getOWLClass(self._iri(iri))) for iri in candidates]
        wanted = set(excludable)
        complements = [(iri, f.getOWLObjectComplementOf(cls)) for iri, cls in targets if iri in wanted]
        answers: list[Entailments] = []
        with self._with(facts), self._reasoning() as reasoner:
            if not reasoner.isConsistent():
                raise inconsistent()
            for iri in individuals:
                individual = self._individual(iri)
                entailed = frozenset(target for target, cls in targets
                                     if reasoner.isEntailed(f.getOWLClassAssertionAxiom(cls, individual)))
                # Excluded: the facts prove the case outside the definition (the differential).
                excluded = frozenset(target for target, complement in complements if target not in entailed
                                     and reasoner.isEntailed(f.getOWLClassAssertionAxiom(complement, individual)))
                answers.append(Entailments(entailed, excluded))
        return answers
