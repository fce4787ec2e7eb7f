"""`kb release`: versioned artefacts in one folder, written as a whole, with a summary of what
changed since a previous release.

Artefacts (each with owl:versionIRI <ontology>/releases/<version>/<file> and owl:versionInfo):
calcinosis-kb.owl / .ttl (ontology, cases, the reasoner's inferred types and what the named queries
read: the class closure and shortcuts of querying/store.py), calcinosis-kb-base.owl /
-base.ttl (the ontology alone), calcinosis-kb.obo and calcinosis-kb.json (OBO and OBO Graphs of the
ontology), calcinosis-kb.sssom.tsv (the ontology's mappings as an SSSOM mapping set, with its
metadata) and calcinosis-kb.prefixes.json (the prefix map of the mapping set's CURIEs, for sssom-py,
OAK and `curies`), and CHANGES.md when --previous names an earlier release folder."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from calcinosis_kb import __version__
from calcinosis_kb.interchange.artefacts import ARTEFACT, Selection, rdf_text, release_iri, versioned
from calcinosis_kb.interchange.parts import What
from calcinosis_kb.knowledgebase.errors import InputFileError, UsageError
from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.knowledgebase.namespaces import CASE, CCKB

FULL_TURTLE = f"{ARTEFACT}.ttl"
VERSION_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass
class Released:
    version: str
    folder: Path
    files: list[str]
    notes: list[str] = field(default_factory=list)


def artefacts(kb: KnowledgeBase, version: str) -> tuple[dict[str, str], list[str]]:
    """The release's files by name, and notes on what OBO could not carry."""
    from calcinosis_kb.interchange.obo.model import collect
    from calcinosis_kb.interchange.obo.render import obo_graph, obo_text
    from calcinosis_kb.interchange.sssom import prefix_map, sssom_tsv

    full = Selection(kb, What.all, True, kb.case_files, f"{ARTEFACT}.owl", version)
    base = Selection(kb, What.ontology, False, [], f"{ARTEFACT}-base.owl", version)
    base.ontology = full.ontology  # parse the ontology once
    files: dict[str, str] = {}
    for selection, stem in ((full, ARTEFACT), (base, f"{ARTEFACT}-base")):
        for extension, syntax in ((".owl", "rdfxml"), (".ttl", "turtle")):
            name = stem + extension
            graph = versioned(selection.content, selection.what, version, release_iri(version, name))
            files[name] = rdf_text(graph, syntax)
    obo = collect(base.content, version, release_iri(version, f"{ARTEFACT}.obo"))
    files[f"{ARTEFACT}.obo"] = obo_text(obo)
    graphs = collect(base.content, version, release_iri(version, f"{ARTEFACT}.json"))
    files[f"{ARTEFACT}.json"] = json.dumps(obo_graph(graphs), indent=2, ensure_ascii=False) + "\n"
    files[f"{ARTEFACT}.sssom.tsv"] = sssom_tsv(base.content, version, release_iri(version, f"{ARTEFACT}.sssom.tsv"))
    files[f"{ARTEFACT}.prefixes.json"] = prefix_map(base.content)
    return files, obo.notes


def release(kb: KnowledgeBase, version: str | None = None, output: Path | None = None,
            previous: Path | None = None, force: bool = False) -> Released:
    """Write the release folder (default: release/<version> in the current folder) atomically."""
    from calcinosis_kb.knowledgebase.output import refuse_existing, write_folder

    chosen = version or __version__
    if not VERSION_PATTERN.fullmatch(chosen):
        raise UsageError(f"--version {chosen}: use letters, digits, '.', '-' or '_' (it becomes part of IRIs "
                         "and the folder name)")
    folder = output if output is not None else Path("release") / chosen
    refuse_existing(folder, force)
    before = _previous(previous) if previous is not None else None
    files, notes = artefacts(kb, chosen)
    if before is not None and previous is not None:
        after = Graph().parse(data=files[FULL_TURTLE], format="turtle")
        files["CHANGES.md"] = changes(before, after, chosen, previous)
    write_folder(folder, files, force)  # creates release/ when it is missing
    return Released(chosen, folder, sorted(files), notes)


def _previous(folder: Path) -> Graph:
    path = folder / FULL_TURTLE
    if not path.is_file():
        raise InputFileError(f"{folder}: not a kb release folder (no {FULL_TURTLE}); give --previous the folder "
                             "an earlier kb release wrote")
    try:
        return Graph().parse(path, format="turtle")
    except Exception as error:  # rdflib raises several kinds for bad Turtle
        raise InputFileError(f"{path}: not readable as Turtle: {error}") from None


def _classes(graph: Graph) -> set[URIRef]:
    return {c for c in graph.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)}


def _cases(graph: Graph) -> set[URIRef]:
    return {c for c in graph.subjects(RDF.type, CCKB.CalcinosisCutis)
            if isinstance(c, URIRef) and str(c).startswith(str(CASE))}


def _version(graph: Graph) -> str:
    return str(next(graph.objects(None, OWL.versionInfo), "unknown"))


def _named_axioms(graph: Graph) -> set[tuple[str, str, str]]:
    """Subclass, equivalence and disjointness axioms between named classes, comparable across releases."""
    return {(str(s), str(p), str(o)) for p in (RDFS.subClassOf, OWL.equivalentClass, OWL.disjointWith)
            for s, o in graph.subject_objects(p) if isinstance(s, URIRef) and isinstance(o, URIRef)}


def changes(before: Graph, after: Graph, version: str, previous: Path) -> str:
    """A short Markdown summary of what changed between two releases' full Turtle files."""
    from rdflib.compare import graph_diff, to_isomorphic

    from calcinosis_kb.knowledgebase.namespaces import curie

    def label(graph: Graph, node: URIRef) -> str:
        value = graph.value(node, RDFS.label)
        return f"{curie(str(node))} ({value})" if value else curie(str(node))

    def section(title: str, items: list[str]) -> list[str]:
        return [f"## {title} ({len(items)})", "", *(f"- {item}" for item in items or ["none"]), ""]

    lines = [f"# Changes in calcinosis-kb {version} since {_version(before)}", "",
             f"Compared with the release in `{previous}`.", ""]
    classes_before, classes_after = _classes(before), _classes(after)
    lines += section("Classes added", [label(after, c) for c in sorted(classes_after - classes_before)])
    lines += section("Classes removed", [label(before, c) for c in sorted(classes_before - classes_after)])
    relabelled = [f"{curie(str(c))}: \"{before.value(c, RDFS.label)}\" -> \"{after.value(c, RDFS.label)}\""
                  for c in sorted(classes_before & classes_after)
                  if before.value(c, RDFS.label) != after.value(c, RDFS.label)]
    lines += section("Labels changed", relabelled)
    cases_before, cases_after = _cases(before), _cases(after)
    lines += section("Cases added", [label(after, c) for c in sorted(cases_after - cases_before)])
    lines += section("Cases removed", [label(before, c) for c in sorted(cases_before - cases_after)])
    axioms_before, axioms_after = _named_axioms(before), _named_axioms(after)

    def axiom(triple: tuple[str, str, str]) -> str:
        return " ".join(curie(part) for part in triple)

    lines += section("Axioms between named classes added", [axiom(a) for a in sorted(axioms_after - axioms_before)])
    lines += section("Axioms between named classes removed",
                     [axiom(a) for a in sorted(axioms_before - axioms_after)])
    _, only_before, only_after = graph_diff(to_isomorphic(before), to_isomorphic(after))
    lines += [f"In all, {len(only_after)} triples were added and {len(only_before)} removed "
              "(the version header included).", ""]
    return "\n".join(lines)
