"""The two renderings of an `OboModel` (obo_model.py): the OBO 1.4 flat file (`obo_text`) and
OBO Graphs JSON (`obo_graph`). They only lay out what the model holds; what OBO can carry, and the
notes on what it cannot, are decided in obo_model.py."""

from __future__ import annotations

from rdflib.namespace import OWL, SKOS

from calcinosis_kb.interchange.obo.model import Entity, OboModel
from calcinosis_kb.knowledgebase.namespaces import CCKB, OBO, OBO_IDSPACE, ONTOLOGY_IRI


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _single_line(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("{", "\\{").replace("!", "\\!")


def _stanza(kind: str, entity: Entity, names: dict[str, str]) -> list[str]:

    def ref(ident: str) -> str:
        return f"{ident} ! {names[ident]}" if ident in names else ident

    lines = [f"[{kind}]", f"id: {entity.id}"]
    if entity.name:
        lines.append(f"name: {_single_line(entity.name)}")
    if entity.definition:
        lines.append(f"def: {_quoted(entity.definition)} []")
    if entity.comment:
        lines.append(f"comment: {_single_line(entity.comment)}")
    lines += [f"synonym: {_quoted(text)} {scope} []" for scope, text in entity.synonyms]
    lines += [f"xref: {xref}" for xref in entity.xrefs]
    lines += [f"property_value: {pred} {target}" for pred, target in entity.mappings]
    if entity.domain:
        lines.append(f"domain: {entity.domain}")
    if entity.range:
        lines.append(f"range: {entity.range}")
    lines += [f"{tag}: true" for tag in entity.characteristics]
    lines += [f"is_a: {ref(parent)}" for parent in entity.is_a]
    lines += [f"intersection_of: {ref(filler)}" if relation is None else f"intersection_of: {relation} {ref(filler)}"
              for relation, filler in entity.intersection]
    lines += [f"union_of: {ref(member)}" for member in entity.union]
    lines += [f"equivalent_to: {ref(other)}" for other in entity.equivalent]
    lines += [f"disjoint_from: {ref(other)}" for other in entity.disjoint]
    if entity.inverse_of:
        lines.append(f"inverse_of: {entity.inverse_of}")
    lines += [f"relationship: {relation} {ref(filler)}" for relation, filler in entity.relationships]
    if entity.obsolete:
        lines.append("is_obsolete: true")
    return lines


def obo_text(model: OboModel) -> str:
    """OBO 1.4 flat file."""
    header = ["format-version: 1.4", f"data-version: releases/{model.version}",
              f"idspace: {OBO_IDSPACE} {CCKB} \"calcinosis-kb ontology\"", f"idspace: skos {SKOS}",
              "ontology: calcinosis-kb",
              f"property_value: owl:versionIRI {model.version_iri}",
              f"property_value: owl:versionInfo {_quoted(model.version)} xsd:string"]
    if model.title:
        header.append(f"property_value: dcterms:title {_quoted(model.title)} xsd:string")
    names = {e.id: e.name for e in model.terms + model.typedefs if e.name}
    stanzas = [_stanza("Term", t, names) for t in model.terms] + [_stanza("Typedef", t, names) for t in model.typedefs]
    return "\n\n".join("\n".join(lines) for lines in [header, *stanzas]) + "\n"


def _iri(ident: str) -> str:
    """The IRI of an id used in the model: ours, an OBO PURL, SKOS, or already an IRI."""
    if ident.startswith(f"{OBO_IDSPACE}:"):
        return str(CCKB) + ident.split(":", 1)[1]
    if ident.startswith("skos:"):
        return str(SKOS) + ident.split(":", 1)[1]
    if "://" in ident:
        return ident
    return str(OBO) + ident.replace(":", "_", 1)


def _node(entity: Entity, kind: str) -> dict[str, object]:
    meta: dict[str, object] = {}
    if entity.definition:
        meta["definition"] = {"val": entity.definition, "xrefs": []}
    if entity.comment:
        meta["comments"] = [entity.comment]
    if entity.synonyms:
        meta["synonyms"] = [{"pred": f"has{scope.title()}Synonym", "val": text, "xrefs": []}
                            for scope, text in entity.synonyms]
    if entity.xrefs:
        meta["xrefs"] = [{"val": xref} for xref in entity.xrefs]
    if entity.mappings:
        meta["basicPropertyValues"] = [{"pred": _iri(pred), "val": _iri(target)} for pred, target in entity.mappings]
    if entity.obsolete:
        meta["deprecated"] = True
    node: dict[str, object] = {"id": entity.iri, "type": kind}
    if entity.name:
        node["lbl"] = entity.name
    if meta:
        node["meta"] = meta
    return node


def obo_graph(model: OboModel) -> dict[str, object]:
    """OBO Graphs JSON (https://github.com/geneontology/obographs): one graph."""
    edges = [{"sub": t.iri, "pred": "is_a", "obj": _iri(p)} for t in model.terms for p in t.is_a]
    edges += [{"sub": t.iri, "pred": _iri(r), "obj": _iri(f)} for t in model.terms for r, f in t.relationships]
    edges += [{"sub": p.iri, "pred": "is_a", "obj": _iri(s)} for p in model.typedefs for s in p.is_a]
    definitions = [{"definedClassId": t.iri,
                    "genusIds": [_iri(f) for r, f in t.intersection if r is None],
                    "restrictions": [{"propertyId": _iri(r), "fillerId": _iri(f)} for r, f in t.intersection if r]}
                   for t in model.terms if t.intersection]
    equivalents = [{"nodeIds": sorted([t.iri, _iri(other)])} for t in model.terms for other in t.equivalent]
    domain_range = [{"predicateId": p.iri, **({"domainClassIds": [_iri(p.domain)]} if p.domain else {}),
                     **({"rangeClassIds": [_iri(p.range)]} if p.range else {})}
                    for p in model.typedefs if p.domain or p.range]
    meta: dict[str, object] = {"version": model.version_iri, "basicPropertyValues": [
        {"pred": str(OWL.versionInfo), "val": model.version}]}
    graph: dict[str, object] = {"id": ONTOLOGY_IRI, "meta": meta,
                                "nodes": [_node(t, "CLASS") for t in model.terms]
                                + [_node(p, "PROPERTY") for p in model.typedefs],
                                "edges": edges, "equivalentNodesSets": equivalents,
                                "logicalDefinitionAxioms": definitions, "domainRangeAxioms": domain_range}
    if model.title:
        graph["lbl"] = model.title
    return {"graphs": [graph]}
