"""`kb export`: the knowledge base in the formats other tools read.

FORMATS is the one list of export formats: the CLI's help, the error for an unknown format,
`kb release` and the README's table (checked by tests/test_export.py) all come from it.
RDF is written by pyoxigraph, OWL/XML and functional syntax by the OWL API inside HermiT's jar,
OBO and OBO Graphs JSON by obo_model.py and obo_render.py, Phenopackets by phenopacket.py; so the tests can read each
back with a parser that did not write it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from calcinosis_kb import __version__
from calcinosis_kb.interchange.parts import What
from calcinosis_kb.knowledgebase.errors import InputFileError, UsageError

if TYPE_CHECKING:  # the module stays light: `kb --help` lists the formats without loading rdflib
    from calcinosis_kb.interchange.artefacts import Selection
    from calcinosis_kb.knowledgebase.location import KnowledgeBase


@dataclass
class Artefact:
    """An export: one document (`text`), or one document per item (`parts`, for Phenopackets),
    and notes on what the format could not carry."""

    text: str | None = None
    parts: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _rdf(syntax: str) -> Callable[[Selection], Artefact]:
    def write(selection: Selection) -> Artefact:
        from calcinosis_kb.interchange.artefacts import rdf_text

        return Artefact(text=rdf_text(selection.graph, syntax))

    return write


def _owl(syntax: str) -> Callable[[Selection], Artefact]:
    def write(selection: Selection) -> Artefact:
        from calcinosis_kb.interchange.artefacts import rdf_text
        from calcinosis_kb.interchange.owlsyntax import owl_text

        return Artefact(text=owl_text(rdf_text(selection.graph, "ntriples"), syntax))

    return write


def _obo(syntax: str) -> Callable[[Selection], Artefact]:
    def write(selection: Selection) -> Artefact:
        from calcinosis_kb.interchange.obo.model import collect
        from calcinosis_kb.interchange.obo.render import obo_graph, obo_text

        model = collect(selection.graph, selection.version, selection.version_iri)
        if syntax == "obo":
            return Artefact(text=obo_text(model), notes=model.notes)
        unions = [t.id for t in model.terms if t.union]
        notes = model.notes + ([f"{len(unions)} union_of definitions have no place in OBO Graphs and were left out: "
                                + ", ".join(unions)] if unions else [])
        return Artefact(text=json.dumps(obo_graph(model), indent=2, ensure_ascii=False) + "\n", notes=notes)

    return write


def _phenopackets(selection: Selection) -> Artefact:
    from calcinosis_kb.interchange.phenopackets.writing import phenopacket_export  # imported only when asked for

    exported = phenopacket_export(selection.kb, selection.case_paths, selection.inferred)
    packets = exported.packets
    return Artefact(text=json.dumps([packet for _, packet in packets], indent=2, ensure_ascii=False) + "\n",
                    notes=exported.notes,
                    parts={f"{case}.json": json.dumps(packet, indent=2, ensure_ascii=False) + "\n"
                           for case, packet in packets})


@dataclass(frozen=True)
class ExportFormat:
    name: str
    title: str
    extension: str
    reader: str
    """The independent parser that reads the format back in the tests (listed in the README)."""
    whats: tuple[What, ...]
    """The parts it can hold; the first is the default."""
    write: Callable[[Selection], Artefact]


RDF_WHATS = (What.all, What.ontology, What.cases)
FORMATS: dict[str, ExportFormat] = {f.name: f for f in (
    ExportFormat("turtle", "Turtle", ".ttl", "rdflib", RDF_WHATS, _rdf("turtle")),
    ExportFormat("rdfxml", "RDF/XML", ".owl", "rdflib", RDF_WHATS, _rdf("rdfxml")),
    ExportFormat("owlxml", "OWL/XML", ".owx", "py-horned-owl", RDF_WHATS, _owl("owlxml")),
    ExportFormat("ofn", "OWL functional syntax", ".ofn", "py-horned-owl", RDF_WHATS, _owl("ofn")),
    ExportFormat("ntriples", "N-Triples", ".nt", "rdflib", RDF_WHATS, _rdf("ntriples")),
    ExportFormat("jsonld", "JSON-LD", ".jsonld", "rdflib", RDF_WHATS, _rdf("jsonld")),
    ExportFormat("obo", "OBO 1.4", ".obo", "pronto (fastobo)", (What.ontology,), _obo("obo")),
    ExportFormat("obographs", "OBO Graphs JSON", ".json", "pronto (fastobo-graphs)", (What.ontology,),
                 _obo("obographs")),
    ExportFormat("phenopacket", "GA4GH Phenopacket v2 JSON", ".json", "phenopackets (protobuf json_format)",
                 (What.cases,), _phenopackets),
)}


def find_format(name: str) -> ExportFormat:
    chosen = FORMATS.get(name.strip().lower())
    if chosen is None:
        raise UsageError(f"--format {name}: unknown export format; choose one of: {', '.join(FORMATS)}")
    return chosen


def selection_for(kb: KnowledgeBase, fmt: ExportFormat, what: str | None, inferred: bool,
                  case_paths: list[Path] | None = None, version: str = __version__) -> Selection:
    """Check that the format can hold the requested part; name the artefact after it."""
    from calcinosis_kb.interchange.artefacts import ARTEFACT, Selection

    chosen = What(what) if what in {w.value for w in What} else None
    if what is not None and chosen is None:
        raise UsageError(f"--what {what}: choose one of: {', '.join(w.value for w in What)}")
    part = chosen or fmt.whats[0]
    if part not in fmt.whats:
        raise UsageError(f"--what {part.value} is not available with --format {fmt.name}, which holds only "
                         f"{' or '.join(w.value for w in fmt.whats)}")
    if case_paths and part is What.ontology:
        fix = "give no case files" if fmt.whats == (What.ontology,) else "give --what cases or all, or no case files"
        raise UsageError(f"case files were given, but --format {fmt.name} --what ontology holds no cases; {fix}")
    if inferred and part is What.ontology:
        raise UsageError("--inferred adds the reasoner's classification of the cases; use it with --what cases or all")
    chosen_cases = list(case_paths if case_paths is not None else kb.case_files)
    name = ARTEFACT + ARTEFACT_SUFFIXES[part, inferred] + _cases_digest(kb, part, chosen_cases)
    return Selection(kb, part, inferred, chosen_cases, name + fmt.extension, version)


ARTEFACT_SUFFIXES = {(What.all, True): "", (What.all, False): "-asserted", (What.ontology, False): "-base",
                     (What.cases, False): "-cases", (What.cases, True): "-cases-inferred"}
"""The artefact's name, and so its versionIRI (<ontology>/releases/<version>/<name>), says what it
holds: a versionIRI names one artefact. All with the reasoner's results, and the ontology alone,
are the release's calcinosis-kb and calcinosis-kb-base; the other selections have names of their own."""


def _cases_digest(kb: KnowledgeBase, part: What, case_paths: list[Path]) -> str:
    """For cases other than the knowledge base's own: a digest of the files' contents, so that two
    exports of different cases never claim one versionIRI."""
    import hashlib

    if part is What.ontology or {p.resolve() for p in case_paths} == {p.resolve() for p in kb.case_files}:
        return ""
    missing = [path for path in case_paths if not path.is_file()]
    if missing:
        raise InputFileError(f"{missing[0]}: no such file")
    digests = sorted({hashlib.sha256(path.read_bytes()).hexdigest() for path in case_paths})
    return "-" + hashlib.sha256("\n".join(digests).encode()).hexdigest()[:12]


@dataclass
class Exported:
    """What `export` did: the document for stdout (when no output path was given), the files
    written, and notes on what the format could not carry."""

    text: str | None
    written: list[Path]
    notes: list[str]


def export(kb: KnowledgeBase, format_name: str, what: str | None = None, inferred: bool = False,
           output: str | Path | None = None, force: bool = False, case_paths: list[Path] | None = None) -> Exported:
    """Export the knowledge base. Without `output` the document is returned for stdout; with it,
    the file is written atomically (refused if it exists, unless `force`). A format with one
    document per item (phenopacket) writes a folder of them when `output` ends in / or is a folder."""
    from calcinosis_kb.knowledgebase.output import refuse_existing, write_file, write_folder

    fmt = find_format(format_name)
    selection = selection_for(kb, fmt, what, inferred, case_paths)
    if output is None:
        artefact = fmt.write(selection)
        return Exported(artefact.text, [], artefact.notes)
    as_folder = str(output).endswith(("/", "\\")) or Path(output).is_dir()
    output = Path(output)
    if as_folder and fmt.name != "phenopacket":
        raise UsageError(f"{output}: --format {fmt.name} writes one file; give a file name, not a folder")
    refuse_existing(output, force)  # before the work, not after it
    artefact = fmt.write(selection)
    if as_folder:
        write_folder(output, artefact.parts, force)
        return Exported(None, [output / name for name in artefact.parts], artefact.notes)
    write_file(output, artefact.text or "", force)
    return Exported(None, [output], artefact.notes)
