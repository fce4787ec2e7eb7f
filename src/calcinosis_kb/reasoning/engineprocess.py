"""HermiT in a process of its own (engine/Engine.java, started by enginestart): the questions of
engines.Engine sent as lines, the facts as an OWL functional-syntax document. Used for small jobs
when the process could be started early; anything it cannot take (a term functional syntax cannot
write, a process that ended or answered an error) makes the caller fall back to the JVM in kb's
own process (FallbackEngine), which answers every question the same way."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import IO, TypeVar

from rdflib import Graph

from calcinosis_kb.reasoning.engines import (
    CONSTRAINTS,
    BrokenAxiom,
    ClassFact,
    DataFact,
    Engine,
    Entailments,
    Fact,
    ObjectFact,
    Vocabulary,
    inconsistent,
)
from calcinosis_kb.reasoning.enginestart import StartedEngine

WRITABLE_IRI = re.compile(r'[^<>"{}|^`\\\x00-\x20\x7f]+')
"""What an IRI may hold to be written between <> in OWL functional syntax, and to travel in a
space-separated list of the protocol."""

ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
UNESCAPE = re.compile(r"\\(.)")


class EngineUnavailable(Exception):
    """The reasoner process cannot answer this question; the JVM in kb's process will."""


def _field(text: str) -> str:
    return text.translate(ESCAPES)


def _unfield(text: str) -> str:
    return UNESCAPE.sub(lambda m: {"t": "\t", "n": "\n", "r": "\r"}.get(m.group(1), m.group(1)), text)


def _writable(iri: str) -> str:
    if not WRITABLE_IRI.fullmatch(iri):
        raise EngineUnavailable(f"functional syntax cannot write the IRI {iri!r}")
    return iri


def _iri(value: str) -> str:
    return f"<{_writable(value)}>"


def _items(iris: Iterable[str]) -> str:
    return " ".join(_writable(iri) for iri in iris)


def functional_syntax(facts: Iterable[Fact]) -> str:
    """The facts as an OWL functional-syntax document, as the OWL API reads it: each term written
    so that it reads back as itself, or EngineUnavailable."""
    lines = ["Ontology("]
    for fact in facts:
        if isinstance(fact, ClassFact):
            lines.append(f"ClassAssertion({_iri(fact.cls)} {_iri(fact.individual)})")
        elif isinstance(fact, ObjectFact):
            lines.append(f"ObjectPropertyAssertion({_iri(fact.prop)} {_iri(fact.individual)} {_iri(fact.target)})")
        elif isinstance(fact, DataFact):
            lexical = fact.lexical.replace("\\", "\\\\").replace('"', '\\"')
            lines.append(f'DataPropertyAssertion({_iri(fact.prop)} {_iri(fact.individual)} '
                         f'"{lexical}"^^{_iri(fact.datatype)})')
    lines.append(")")
    return "\n".join(lines)


class ProcessEngine(Engine):
    """The questions of Engine, asked of a reasoner process."""

    def __init__(self, started: StartedEngine, superclasses: dict[str, frozenset[str]]) -> None:
        self.started = started
        self.superclasses = superclasses
        self._vocabulary: Vocabulary | None = None

    @property
    def vocabulary(self) -> Vocabulary:  # type: ignore[override]
        """The ontology's properties, as the process read them (its first answer, once it is ready)."""
        if self._vocabulary is None:
            status = self._line()
            if status[0] != "ready":
                raise EngineUnavailable(f"the reasoner process did not start: {' '.join(status[1:])}")
            object_properties, data_properties = self._line(), self._line()
            self._vocabulary = Vocabulary({p for p in object_properties if p}, {p for p in data_properties if p})
        return self._vocabulary

    def _line(self) -> list[str]:
        stdout = self.started.process.stdout
        line = stdout.readline() if stdout is not None else b""
        if not line.endswith(b"\n"):
            raise EngineUnavailable("the reasoner process ended")
        return [_unfield(field) for field in line[:-1].decode("utf-8").split("\t")]

    def _ask(self, *fields: str) -> list[str]:
        """Send one request; its status line, which must be "ok" (or "inconsistent")."""
        self.vocabulary  # noqa: B018 (the process's first lines, read before any answer)
        stdin: IO[bytes] | None = self.started.process.stdin
        try:
            request = ("\t".join(_field(field) for field in fields) + "\n").encode("utf-8")
        except UnicodeEncodeError as error:  # a lone surrogate from a \u escape: the JVM in kb's process
            raise EngineUnavailable(str(error)) from None
        if stdin is None:
            raise EngineUnavailable("the reasoner process has no input")
        try:
            stdin.write(request)
            stdin.flush()
        except (OSError, ValueError) as error:  # ValueError: its input closed already
            raise EngineUnavailable(f"the reasoner process ended ({error})") from None
        status = self._line()
        if status[0] == "error":
            raise EngineUnavailable(f"the reasoner process failed: {' '.join(status[1:])}")
        return status

    def entailments(self, facts: list[Fact], individuals: list[str], candidates: list[str],
                    excludable: list[str]) -> list[Entailments]:
        index = {iri: position for position, iri in enumerate(candidates)}
        status = self._ask("classify", functional_syntax(facts), _items(individuals), _items(candidates),
                           " ".join(str(index[iri]) for iri in excludable if iri in index))
        if status[0] == "inconsistent":
            raise inconsistent()
        answers = []
        for _ in individuals:
            line = self._line()
            try:
                entailed, excluded = ([candidates[int(i)] for i in part.split(",")] if part else [] for part in line)
            except (ValueError, IndexError):  # not an answer: something else wrote to its output
                raise EngineUnavailable(f"the reasoner process answered {line!r}") from None
            answers.append(Entailments(frozenset(entailed), frozenset(excluded)))
        return answers

    def is_consistent(self, facts: Iterable[Graph] = ()) -> bool:
        status = self._ask("consistent", functional_syntax(self.facts(t for graph in facts for t in graph)))
        if status[1:] not in (["true"], ["false"]):
            raise EngineUnavailable(f"the reasoner process answered {status!r}")
        return status[1] == "true"

    def unsatisfiable_classes(self) -> list[str]:
        return self._ask("unsatisfiable")[1:]

    def broken_axioms(self, facts: Graph) -> list[BrokenAxiom]:
        status = self._ask("broken", functional_syntax(self.facts(facts)), " ".join(sorted(CONSTRAINTS)))
        broken = []
        try:
            for _ in range(int(status[1])):
                kind, text, *signature = self._line()
                broken.append(BrokenAxiom(kind, frozenset(signature), text))
        except (ValueError, IndexError):  # not an answer: something else wrote to its output
            raise EngineUnavailable(f"the reasoner process answered {status!r}") from None
        return sorted(broken, key=lambda b: b.text)

    def close(self) -> None:
        self.started.stop()


Answer = TypeVar("Answer")


class FallbackEngine(Engine):
    """The reasoner process while it can answer; the JVM in kb's process (made by `fallback` when
    first needed) from the first question it cannot."""

    def __init__(self, primary: ProcessEngine, fallback: Callable[[], Engine]) -> None:
        self.primary: ProcessEngine | None = primary
        self.superclasses = primary.superclasses
        self._fallback = fallback
        self._secondary: Engine | None = None

    def _engine(self) -> Engine:
        if self._secondary is None:
            self._secondary = self._fallback()
        return self._secondary

    def _either(self, question: Callable[[Engine], Answer]) -> Answer:
        if self.primary is not None:
            try:
                return question(self.primary)
            except EngineUnavailable:
                self.primary.close()
                self.primary = None
        return question(self._engine())

    @property
    def vocabulary(self) -> Vocabulary:  # type: ignore[override]
        return self._either(lambda engine: engine.vocabulary)

    def entailments(self, facts: list[Fact], individuals: list[str], candidates: list[str],
                    excludable: list[str]) -> list[Entailments]:
        return self._either(lambda engine: engine.entailments(facts, individuals, candidates, excludable))

    def is_consistent(self, facts: Iterable[Graph] = ()) -> bool:
        graphs = list(facts)
        return self._either(lambda engine: engine.is_consistent(graphs))

    def unsatisfiable_classes(self) -> list[str]:
        return self._either(lambda engine: engine.unsatisfiable_classes())

    def broken_axioms(self, facts: Graph) -> list[BrokenAxiom]:
        return self._either(lambda engine: engine.broken_axioms(facts))

    def close(self) -> None:
        if self.primary is not None:
            self.primary.close()
