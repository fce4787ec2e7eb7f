"""Case files: finding the cases in a graph, checking their terms, reading their metadata."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from calcinosis_kb.knowledgebase.errors import InputFileError, KnowledgeError
from calcinosis_kb.knowledgebase.expressions import label
from calcinosis_kb.knowledgebase.namespaces import CCKB, PATTERN_WORDS, SUBTYPE_WORDS, curie, term_name
from calcinosis_kb.knowledgebase.values import typed_text


@dataclass
class CaseFile:
    path: Path
    graph: Graph
    cases: list[URIRef]


def find_cases(path: Path, graph: Graph) -> CaseFile:
    cases = sorted(s for s in graph.subjects(RDF.type, CCKB.CalcinosisCutis) if isinstance(s, URIRef))
    if not cases:
        raise InputFileError(
            f"{path}: not a case file: no individual is typed cckb:CalcinosisCutis (see docs/case-format.md)"
        )
    return CaseFile(path, graph, cases)


@dataclass
class CaseInSeveralFiles:
    """A case IRI that more than one file declares: their facts would merge into one case that no
    report describes (one file's age beside the other's sex)."""

    case: URIRef
    places: list[tuple[Path, int]]

    @property
    def message(self) -> str:
        return (f"{curie(str(self.case))} is declared as a case in {len(self.places)} files: "
                + ", ".join(f"{path}:{line}" for path, line in self.places)
                + "; each case has one file, so give the others their own case IRIs")


def cases_in_several_files(cases: Iterable[tuple[URIRef, Path]]) -> list[CaseInSeveralFiles]:
    files: dict[URIRef, list[Path]] = {}
    for case, path in cases:
        if path not in files.setdefault(case, []):
            files[case].append(path)
    return [CaseInSeveralFiles(case, [(path, line_of_statement(path, case)) for path in paths])
            for case, paths in files.items() if len(paths) > 1]


def refuse_cases_in_several_files(cases: Iterable[tuple[URIRef, Path]]) -> None:
    problems = cases_in_several_files(cases)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise KnowledgeError(problems[0].message + more)


def defined_terms(ontology: Graph) -> set[URIRef]:
    """Every cckb: IRI the ontology declares (as a class, property or individual)."""
    return {s for s in ontology.subjects(RDF.type, None) if isinstance(s, URIRef) and str(s).startswith(str(CCKB))}


def used_terms(case_file: CaseFile) -> set[URIRef]:
    """Every cckb: IRI a case file mentions."""
    return {t for triple in case_file.graph for t in triple if isinstance(t, URIRef) and str(t).startswith(str(CCKB))}


def undefined_terms(case_file: CaseFile, ontology: Graph) -> list[tuple[URIRef, str]]:
    """cckb: terms a case file uses that the ontology does not define, with a suggestion."""
    known = defined_terms(ontology)
    names = {term_name(t): t for t in known}
    problems: list[tuple[URIRef, str]] = []
    for term in sorted(used_terms(case_file) - known):
        local = term_name(term)
        close = difflib.get_close_matches(local, list(names), n=1, cutoff=0.6)
        hint = f"did you mean cckb:{close[0]}?" if close else "define it in ontology/ or use an existing term"
        problems.append((term, hint))
    return problems


TERM_REPLACED_BY = URIRef("http://purl.obolibrary.org/obo/IAO_0100001")
"""IAO's "term replaced by": on a deprecated term, the term to use instead."""


def deprecated_terms(case_file: CaseFile, ontology: Graph) -> list[tuple[URIRef, URIRef | None]]:
    """cckb: terms a case file uses that the ontology has deprecated (owl:deprecated true), each
    with its replacement when the ontology names one. Such a file still works: a used term is
    never removed, only deprecated."""
    found: list[tuple[URIRef, URIRef | None]] = []
    for term in sorted(used_terms(case_file)):
        if any(str(flag).lower() in ("true", "1") for flag in ontology.objects(term, OWL.deprecated)):
            replacement = ontology.value(term, TERM_REPLACED_BY)
            found.append((term, replacement if isinstance(replacement, URIRef) else None))
    return found


def check_terms(case_file: CaseFile, ontology: Graph) -> None:
    problems = undefined_terms(case_file, ontology)
    if problems:
        term, hint = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise KnowledgeError(
            f"{case_file.path}:{line_of(case_file.path, term)}: unknown term {curie(str(term))}: {hint}{more}"
        )


def line_of(path: Path, term: URIRef) -> int:
    """The first line of a file that mentions a term (by CURIE or full IRI), for messages."""
    local = str(term).rsplit("/", 1)[-1]
    try:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if f":{local}" in line or str(term) in line:
                return number
    except OSError:
        pass
    return 1


def line_of_statement(path: Path, subject: URIRef, prop: URIRef | None = None) -> int:
    """The line of a statement: where the subject's description begins (a line that starts with
    it), then the line of `prop` within it; else the first line that mentions the subject."""
    local = str(subject).rsplit("/", 1)[-1]
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 1
    starts = [n for n, line in enumerate(lines, start=1)
              if re.match(rf"\s*(\S*:{re.escape(local)}|<{re.escape(str(subject))}>)\s", line + " ")]
    if not starts:
        return line_of(path, subject)
    if prop is not None:
        name = str(prop).rsplit("/", 1)[-1]
        for number in range(starts[0], len(lines) + 1):
            if re.search(rf"(:{re.escape(name)}|<{re.escape(str(prop))}>)\s", lines[number - 1] + " "):
                return number
            if lines[number - 1].rstrip().endswith("."):
                break  # the end of the subject's description
    return starts[0]


def line_of_text(path: Path, text: str, after: int = 1) -> int | None:
    """The first line, at or after `after`, on which a literal's text begins (its first 40
    characters, or up to its first line break), for messages that name a quote's own line."""
    head = text.strip().split("\n", 1)[0][:40]
    if not head:
        return None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    escaped = head.replace("\\", "\\\\").replace('"', '\\"')
    for number in range(after, len(lines) + 1):
        if head in lines[number - 1] or escaped in lines[number - 1]:
            return number
    return None


def subclasses_of(ontology: Graph, parent: URIRef) -> list[URIRef]:
    """Direct named subclasses with a definition: the subtypes or patterns the ontology defines."""
    return sorted(
        c for c in ontology.subjects(RDFS.subClassOf, parent)
        if isinstance(c, URIRef) and (c, OWL.equivalentClass, None) in ontology
    )


def word(ontology: Graph, cls: URIRef) -> str:
    """The lower-case word for a subtype or pattern used in JSON output."""
    local = term_name(cls)
    return SUBTYPE_WORDS.get(local) or PATTERN_WORDS.get(local) or label(ontology, cls).split()[0].lower()


@dataclass
class CaseInfo:
    case: URIRef
    label: str
    source: str
    source_label: str
    age: str | None
    """In years, typed for JSON, when the case gives the age in years."""
    age_as_reported: str | None
    """The age in the unit the report uses: "87 years", "15 months", "about 40 years", "young"."""
    sex: str | None
    authors_subtypes: list[str]
    authors_patterns: list[str]
    authors_diagnosis: str | None


AGE_UNITS = ((CCKB.ageInYears, "year"), (CCKB.ageInMonths, "month"), (CCKB.ageInDays, "day"))


def age_as_reported(facts: Graph, patient: URIRef) -> str | None:
    """The patient's age as the report gives it: in years, months or days, exact or approximate,
    or only in words."""
    for prop, unit in AGE_UNITS:
        value = facts.value(patient, prop)
        if value is not None:
            about = "about " if facts.value(patient, CCKB.ageIsApproximate) == Literal(True) else ""
            plural = "" if str(value) == "1" else "s"
            return f"{about}{value} {unit}{plural}"
    text = facts.value(patient, CCKB.ageText)
    return str(text) if text is not None else None


def case_info(case: URIRef, facts: Graph, ontology: Graph) -> CaseInfo:
    source = facts.value(case, CCKB.hasSource)
    citation = None
    if source is not None:
        citation = ontology.value(source, DCTERMS.bibliographicCitation) or ontology.value(source, RDFS.label)
    patient = facts.value(case, CCKB.hasPatient)
    age = facts.value(patient, CCKB.ageInYears) if patient is not None else None
    sex = facts.value(patient, CCKB.hasSex) if patient is not None else None
    subtypes: list[str] = []
    patterns: list[str] = []
    texts: list[str] = []
    for diagnosis in facts.objects(case, CCKB.hasAuthorsDiagnosis):
        subtypes += [word(ontology, s) for s in facts.objects(diagnosis, CCKB.statedSubtype) if isinstance(s, URIRef)]
        patterns += [word(ontology, p) for p in facts.objects(diagnosis, CCKB.statedPattern) if isinstance(p, URIRef)]
        texts += [str(t) for t in facts.objects(diagnosis, CCKB.diagnosisText)]
    return CaseInfo(
        case=case,
        label=str(facts.value(case, RDFS.label) or curie(str(case))),
        source=str(citation) if citation is not None else (curie(str(source)) if source is not None else ""),
        source_label=label(ontology, source).split(",")[0] if source is not None else "",
        age=typed_text(str(age), str(age.datatype) if isinstance(age, Literal) and age.datatype else None)
        if age is not None else None,
        age_as_reported=age_as_reported(facts, patient) if isinstance(patient, URIRef) else None,
        sex=label(ontology, sex) if sex is not None else None,
        authors_subtypes=sorted(set(subtypes)),
        authors_patterns=sorted(set(patterns)),
        authors_diagnosis="; ".join(texts) or None,
    )
