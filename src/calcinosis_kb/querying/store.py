"""The embedded query store: the knowledge base's asserted triples and the reasoner's
conclusions, materialised once into an on-disk pyoxigraph store.

The store is keyed by a fingerprint of the ontology and case files (their names, sizes and
modification times, and the package version): it is rebuilt only when one of them changes.
A rebuild writes a new folder and renames it into place, so a reader never sees a half-built
store and two `kb` processes building at once each end with a complete one."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rdflib import Graph, URIRef

from calcinosis_kb import __version__
from calcinosis_kb.knowledgebase.cases import refuse_cases_in_several_files
from calcinosis_kb.knowledgebase.interrupt import run_interruptibly
from calcinosis_kb.knowledgebase.location import KnowledgeBase, cache_root
from calcinosis_kb.knowledgebase.namespaces import expand
from calcinosis_kb.knowledgebase.output import process_alive

COMPLETE = "COMPLETE"
LAYOUT = "3"
"""What a store holds and how it is built; bump it when that changes, so old stores are rebuilt.
2: one default graph, with the class closure of typed nodes.
3: also cckb:mostSpecificType and cckb:inferredSubtype (see SHORTCUTS)."""
TYPE_CLOSURE = """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
INSERT { ?node rdf:type ?super } WHERE {
  ?node rdf:type ?class . ?class rdfs:subClassOf+ ?super .
  FILTER(isIRI(?node) && isIRI(?super))
}"""
"""Every typed node also gets its classes' named superclasses, so queries ask `?fact a
cckb:SystemicSclerosis` directly instead of walking rdfs:subClassOf paths per row (slow at
scale, and mishandled by Virtuoso 7.2 beside OPTIONAL)."""
SHORTCUTS = ("""
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX cckb: <https://w3id.org/calcinosis-kb/ontology/>
INSERT { ?node cckb:mostSpecificType ?class } WHERE {
  ?node rdf:type ?class .
  FILTER(isIRI(?node))
  FILTER NOT EXISTS { ?node rdf:type ?narrower . ?narrower rdfs:subClassOf ?class . }
}""", """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX cckb: <https://w3id.org/calcinosis-kb/ontology/>
INSERT { ?case cckb:inferredSubtype ?subtype } WHERE {
  ?subtype rdfs:subClassOf cckb:EtiologicSubtype .
  ?case rdf:type ?subtype .
  FILTER(isIRI(?case))
}""")
"""Run after TYPE_CLOSURE, so they see every class of a node. Two facts the queries would
otherwise work out per row, declared in the ontology and stated once here:
- `?node cckb:mostSpecificType ?class`: ?class is one of the node's classes and none of its
  other classes is a direct subclass of it (what `FILTER NOT EXISTS { ?node a ?narrower .
  ?narrower rdfs:subClassOf ?class }` asked for every row: the slowest part of the queries);
- `?case cckb:inferredSubtype ?subtype`: ?subtype is an etiologic subtype (a direct subclass
  of cckb:EtiologicSubtype) the case belongs to, asserted or inferred."""


def fingerprint(kb: KnowledgeBase) -> str:
    digest = hashlib.sha256(f"{__version__}/{LAYOUT}".encode())
    for path in kb.ontology_files + kb.case_files:  # stat, not content: a warm query stays fast
        status = path.stat()
        digest.update(f"{path.relative_to(kb.root)}\0{status.st_size}\0{status.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:20]


def store_folder(kb: KnowledgeBase) -> Path:
    place = hashlib.sha256(str(kb.root).encode()).hexdigest()[:12]
    return cache_root() / place / f"store-{fingerprint(kb)}"


def materialise(graph: Graph) -> Graph:
    """What the named queries read beyond the asserted and reasoned triples: the class closure
    of typed nodes and the shortcuts (TYPE_CLOSURE, SHORTCUTS), computed on a copy of `graph`
    in memory. A full release carries them, so that any SPARQL store loading the release file
    answers the named queries as `kb query` does."""
    import pyoxigraph
    from rdflib import Graph as RdfGraph

    store = pyoxigraph.Store()
    store.load(graph.serialize(format="nt", encoding="utf-8"), pyoxigraph.RdfFormat.N_TRIPLES)
    before = len(store)
    store.update(TYPE_CLOSURE)
    for shortcut in SHORTCUTS:
        store.update(shortcut)
    added = RdfGraph()
    if len(store) > before:
        everything = RdfGraph().parse(data=store.dump(format=pyoxigraph.RdfFormat.N_TRIPLES,
                                                      from_graph=pyoxigraph.DefaultGraph()), format="nt")
        for triple in everything:
            if isinstance(triple[0], URIRef) and triple not in graph:
                added.add(triple)
    return added


def dump(kb: KnowledgeBase) -> list[str]:
    """The store's triples as sorted N-Triples lines, blank nodes skolemised: what kb push sends."""
    import pyoxigraph
    from rdflib import Graph

    store = open_store(kb)
    graph = Graph()
    graph.parse(data=store.dump(format=pyoxigraph.RdfFormat.N_TRIPLES, from_graph=pyoxigraph.DefaultGraph()),
                format="nt")
    text: str = graph.skolemize().serialize(format="nt")
    return sorted(line for line in text.splitlines() if line.strip())


def open_store(kb: KnowledgeBase, notify: Callable[[str], None] | None = None) -> Any:
    """The store for this knowledge base, built first if it is missing or out of date, and rebuilt
    (with a notice) if it is damaged: it fails to open, or its mark does not match its files."""
    import pyoxigraph

    folder = store_folder(kb)
    say = notify if notify is not None else (lambda message: None)
    if folder.parent.is_dir():
        _remove_abandoned_builds(folder.parent)
    mark = folder / COMPLETE
    if not mark.is_file():
        say(f"building the query store for {kb.root} (the ontology or cases changed)")
        _build(kb, folder)
    elif mark.read_text(errors="replace").strip() != folder.name.removeprefix("store-"):
        say(f"rebuilding the query store in {folder}: its completion mark does not match it")
        _rebuild(kb, folder)
    try:
        store = pyoxigraph.Store.read_only(str(folder / "data"))
        store.query("ASK { ?s ?p ?o }")  # reads the store's index files: a damaged one fails here
        return store
    except (OSError, RuntimeError, SyntaxError) as error:  # RocksDB reports corruption as RuntimeError
        say(f"rebuilding the query store in {folder}: it could not be opened ({str(error).splitlines()[0]})")
        _rebuild(kb, folder)
        return pyoxigraph.Store.read_only(str(folder / "data"))


def _rebuild(kb: KnowledgeBase, folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    _build(kb, folder)


BUILDING = ".building-"


def _remove_abandoned_builds(parent: Path) -> None:
    """Staging folders of builds whose process has gone (killed, or the machine restarted): their
    names carry the builder's process id."""
    for staging in parent.glob(f"{BUILDING}*"):
        pid = staging.name.removeprefix(BUILDING).split("-", 1)[0]
        if not pid.isdigit() or not process_alive(int(pid)):
            shutil.rmtree(staging, ignore_errors=True)


def _build(kb: KnowledgeBase, folder: Path) -> None:

    from calcinosis_kb.reasoning.infer import infer

    inference = infer(kb, kb.case_files, explain=False)
    # a store without some cases would give counts that silently miss them
    inference.require_every_case("queries run over every case, so fix this first")
    refuse_cases_in_several_files((URIRef(expand(r.case) or r.case), Path(r.file)) for r in inference.results)
    inferred = inference.inferred
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{BUILDING}{os.getpid()}-", dir=folder.parent))
    try:
        run_interruptibly(lambda: _fill(staging / "data", kb, inferred))
        (staging / COMPLETE).write_text(fingerprint(kb) + "\n")
        try:
            staging.rename(folder)
        except OSError:
            if not (folder / COMPLETE).is_file():  # not a concurrent winner: a real failure
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    for old in folder.parent.glob("store-*"):
        if old != folder:
            shutil.rmtree(old, ignore_errors=True)


def _fill(location: Path, kb: KnowledgeBase, inferred: Graph) -> None:
    import pyoxigraph

    store = pyoxigraph.Store(str(location))
    # One default graph: querying a union of named graphs costs a deduplication per pattern.
    for path in kb.ontology_files + kb.case_files:  # read by pyoxigraph itself: no rdflib copy
        store.bulk_load(path=str(path), format=pyoxigraph.RdfFormat.TURTLE, base_iri=path.resolve().as_uri())
    store.bulk_load(inferred.serialize(format="nt", encoding="utf-8"), pyoxigraph.RdfFormat.N_TRIPLES)
    store.update(TYPE_CLOSURE)
    for shortcut in SHORTCUTS:
        store.update(shortcut)
    store.flush()
    store.optimize()  # compacted into few files: lookups at 100,000 cases take half the time


def stderr_notice(message: str) -> None:
    print(f"kb: {message}", file=sys.stderr)
