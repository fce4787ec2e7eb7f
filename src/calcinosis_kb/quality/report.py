"""`kb report`: the checks of `robot report` (https://robot.obolibrary.org/report), written by us as
SPARQL in queries/report/, run on an artefact: by default the release's full artefact
(calcinosis-kb.owl, built in memory), or a given RDF file.

Each check is one query, named after the ROBOT check it follows, whose header gives its level
(ERROR, WARN or INFO, as ROBOT has it), its description and the ROBOT check (`# robot: name`);
its rows are the problems, as `?entity ?property ?value`. They live in a folder of their own,
not among the named queries of queries/*.rq: they are run on an artefact, not on kb's store, and
their rows are problems at a level, not answers (so `kb query`, `kb validate` and
docs/queries.md leave them out)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calcinosis_kb.knowledgebase.errors import InputFileError, UsageError
from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.knowledgebase.namespaces import curie

REPORT_QUERIES = Path("queries") / "report"
"""Where the checks are, in the knowledge-base folder."""
LEVELS = ("ERROR", "WARN", "INFO")
"""The levels, most severe first."""
NO_FAILURE = "none"
RDF_FORMATS = {".owl": "RDF_XML", ".rdf": "RDF_XML", ".xml": "RDF_XML", ".ttl": "TURTLE", ".nt": "N_TRIPLES",
               ".jsonld": "JSON_LD"}
"""The syntaxes a given file may be in, by its extension (pyoxigraph's names)."""

FullArtefact = Callable[[KnowledgeBase], tuple[str, str]]
"""Builds the release's full artefact: its file name and its text. The interchange layer provides one."""


@dataclass(frozen=True)
class Check:
    rule: str
    level: str
    robot: str
    title: str
    description: str
    text: str


@dataclass(frozen=True)
class Finding:
    level: str
    rule: str
    subject: str
    property: str
    value: str

    def as_dict(self) -> dict[str, str]:
        return {"level": self.level, "rule": self.rule, "subject": self.subject, "property": self.property,
                "value": self.value}


COLUMNS = ("level", "rule", "subject", "property", "value")


@dataclass
class Report:
    source: str
    checks: list[Check]
    findings: list[Finding]

    def counts(self) -> dict[str, int]:
        found = Counter(finding.level for finding in self.findings)
        return {level: found[level] for level in LEVELS}

    def fails(self, fail_on: str) -> bool:
        """Whether any finding is at `fail_on` or more severe (never, for "none")."""
        threshold = fail_level(fail_on)
        if threshold is None:
            return False
        return any(LEVELS.index(finding.level) <= LEVELS.index(threshold) for finding in self.findings)


def fail_level(fail_on: str) -> str | None:
    """The level named by --fail-on (any case), or None for "none"."""
    chosen = fail_on.strip().upper()
    if chosen == NO_FAILURE.upper():
        return None
    if chosen not in LEVELS:
        raise UsageError(f"--fail-on {fail_on}: choose one of: {', '.join(LEVELS)}, {NO_FAILURE}")
    return chosen


def load_checks(kb: KnowledgeBase) -> list[Check]:
    from calcinosis_kb.querying.named import read_query

    folder = kb.root / REPORT_QUERIES
    paths = sorted(folder.glob("*.rq"))
    if not paths:
        raise InputFileError(f"{folder}: no report queries (*.rq); copy queries/report/ from the shipped "
                             "knowledge base")
    checks = []
    for path in paths:
        query = read_query(path)
        level = query.header.get("level", "").upper()
        if level not in LEVELS:
            raise InputFileError(f"{path}:1: the header gives no level; add '# level: ERROR', WARN or INFO")
        checks.append(Check(query.name, level, query.header.get("robot", ""), query.title, query.description,
                            query.text))
    return checks


def read_artefact(path: Path) -> Any:
    """A pyoxigraph store holding the RDF file (RDF/XML, Turtle, N-Triples or JSON-LD, by its extension)."""
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    syntax = RDF_FORMATS.get(path.suffix.lower())
    if syntax is None:
        raise InputFileError(f"{path}: kb report reads RDF ({', '.join(RDF_FORMATS)}); write one with "
                             "kb export --format rdfxml or turtle")
    return load_text(str(path), path.read_bytes(), syntax, path.resolve().as_uri())


def load_text(name: str, data: bytes | str, syntax: str, base_iri: str | None = None) -> Any:
    import pyoxigraph

    store = pyoxigraph.Store()
    try:
        store.load(data, getattr(pyoxigraph.RdfFormat, syntax), base_iri=base_iri)
    except SyntaxError as error:  # pyoxigraph gives the line and column in the message
        raise InputFileError(f"{name}: not readable as {syntax.replace('_', '/')}: {error}; fix the file there") \
            from None
    if not len(store):
        raise InputFileError(f"{name}: holds no triples; give the artefact to check (kb export or kb release)")
    return store


def run_checks(store: Any, checks: list[Check]) -> list[Finding]:
    """Every check's rows, as findings, the most severe level first (each check's rows in its order)."""
    findings: list[Finding] = []
    for check in sorted(checks, key=lambda c: (LEVELS.index(c.level), c.rule)):
        for solution in store.query(check.text):
            findings.append(Finding(check.level, check.rule, *(_text(solution[name])
                                                                for name in ("entity", "property", "value"))))
    return findings


def _text(term: Any) -> str:
    import pyoxigraph

    if term is None:
        return ""
    if isinstance(term, pyoxigraph.NamedNode):
        return curie(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return "blank node"  # as robot report names an anonymous subject
    return str(term.value)


def report(kb: KnowledgeBase, path: Path | None, full_artefact: FullArtefact) -> Report:
    """Run every check on the file at `path`, or, without one, on the release's full artefact."""
    checks = load_checks(kb)
    if path is not None:
        return Report(str(path), checks, run_checks(read_artefact(path), checks))
    name, text = full_artefact(kb)
    syntax = RDF_FORMATS[Path(name).suffix.lower()]
    return Report(name, checks, run_checks(load_text(name, text, syntax), checks))
